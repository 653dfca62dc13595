"""Pagination against a real server: every style to the end, fan-out, guards, caps, resume."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from typing import Any

import pytest
from aiohttp import web

from vendorkit import LeanLaw
from vendorkit.core._pagination import EMPTY_PAGE_LIMIT, MAX_CONCURRENCY
from vendorkit.errors import ConfigurationError, DecodeError, PaginationError
from vendorkit.export import Job, export
from vendorkit.vendors.leaddesk._spec import SPEC as LEADDESK
from vendorkit.vendors.leady._spec import SPEC as LEADY

from .conftest import (
    OffsetClient,
    PagedClient,
    PagedNextClient,
    Server,
    TokenClient,
    make_spec,
    page,
)

ROWS = [{"id": i} for i in range(25)]


def _int(request: web.Request, name: str, default: int) -> int:
    return int(request.query.get(name, default))


def next_link_handler(rows: list[dict[str, Any]], *, absolute: bool = False) -> Any:
    async def handler(request: web.Request) -> web.StreamResponse:
        start = _int(request, "cursor", 0)
        size = _int(request, "per_page", 10)
        chunk = rows[start : start + size]
        nxt = None
        if start + size < len(rows):
            nxt = f"/items?cursor={start + size}&per_page={size}"
            if absolute:
                nxt = str(request.url.with_path("/items").with_query(cursor=start + size))
        return page(chunk, next=nxt)

    return handler


def page_number_handler(
    rows: list[dict[str, Any]], *, cap: int | None = None, delay: Any = None
) -> Any:
    async def handler(request: web.Request) -> web.StreamResponse:
        number = _int(request, "page", 1)
        size = _int(request, "per_page", 10)
        if cap is not None:
            size = min(size, cap)
        if delay is not None:
            await asyncio.sleep(delay(number))
        start = (number - 1) * size
        return page(rows[start : start + size], total=len(rows))

    return handler


def offset_handler(rows: list[dict[str, Any]], *, cap: int | None = None, delay: Any = None) -> Any:
    async def handler(request: web.Request) -> web.StreamResponse:
        offset = _int(request, "offset", 0)
        size = _int(request, "limit", 10)
        if cap is not None:
            size = min(size, cap)
        if delay is not None:
            await asyncio.sleep(delay(offset))
        return page(rows[offset : offset + size], total=len(rows))

    return handler


def ids(rows: list[Any]) -> list[int]:
    return [r["id"] for r in rows]


def queries(server: Server, key: str, path: str = "/items") -> list[str]:
    return [s.query.get(key, "") for s in server.requests("GET", path)]


# -- each style to the end ----------------------------------------------------------------------


@pytest.mark.parametrize("absolute", [False, True])
async def test_next_link_to_the_end(serve: Any, make: Any, absolute: bool) -> None:
    server = await serve({"GET /items": next_link_handler(ROWS, absolute=absolute)})
    client = make(TokenClient, server)
    pager = client.paginate("/items")
    assert ids(await pager.all()) == list(range(25))
    assert server.hits() == 3
    assert pager.done and pager.resume_point is None


async def test_next_link_replaces_query_and_keeps_page_size(serve: Any, make: Any) -> None:
    server = await serve({"GET /items": next_link_handler(ROWS)})
    client = make(TokenClient, server)
    rows = await client.paginate("/items", page_size=5, status="open").all()
    assert ids(rows) == list(range(25))
    assert server.hits() == 5
    assert server.seen[0].query == {"status": "open", "per_page": "5"}
    assert server.seen[1].query == {"cursor": "5", "per_page": "5"}


async def test_page_number_with_total_to_the_end(serve: Any, make: Any) -> None:
    server = await serve({"GET /items": page_number_handler(ROWS)})
    client = make(PagedClient, server)
    pages = [p async for p in client.paginate("/items").pages()]
    assert [ids(p.records) for p in pages] == [
        list(range(10)),
        list(range(10, 20)),
        list(range(20, 25)),
    ]
    assert [p.total for p in pages] == [25, 25, 25]
    assert [p.resume for p in pages] == [{"page": 1}, {"page": 2}, {"page": 3}]
    assert queries(server, "page") == ["1", "2", "3"]
    assert queries(server, "per_page") == ["10", "10", "10"]


async def test_page_number_exact_multiple_does_not_fetch_empty_page(serve: Any, make: Any) -> None:
    server = await serve({"GET /items": page_number_handler(ROWS[:20])})
    client = make(PagedClient, server)
    assert ids(await client.paginate("/items").all()) == list(range(20))
    assert server.hits() == 2


async def test_offset_limit_with_total_to_the_end(serve: Any, make: Any) -> None:
    server = await serve({"GET /items": offset_handler(ROWS)})
    client = make(OffsetClient, server)
    assert ids(await client.paginate("/items", page_size=7).all()) == list(range(25))
    assert queries(server, "offset") == ["0", "7", "14", "21"]
    assert queries(server, "limit") == ["7"] * 4


async def test_resource_list_paginates(serve: Any, make: Any) -> None:
    server = await serve({"GET /items": offset_handler(ROWS)})
    client = make(OffsetClient, server)
    assert ids(await client.items.list(page_size=10).all()) == list(range(25))
    assert ids(await client.items.list_raw(max_items=3).all()) == [0, 1, 2]


# -- concurrent fan-out ---------------------------------------------------------------------------


@pytest.mark.parametrize("style", ["page", "offset"])
async def test_fan_out_yields_records_in_order(serve: Any, make: Any, style: str) -> None:
    rows = [{"id": i} for i in range(100)]
    # Later pages answer faster, so they complete out of order.
    if style == "page":
        handler = page_number_handler(rows, delay=lambda n: 0.002 * (11 - n))
        cls: Any = PagedClient
    else:
        handler = offset_handler(rows, delay=lambda o: 0.002 * (110 - o) / 10)
        cls = OffsetClient
    server = await serve({"GET /items": handler})
    client = make(cls, server)
    pager = client.paginate("/items", page_size=10, concurrency=4)
    assert ids(await pager.all()) == list(range(100))
    assert server.hits() == 10
    assert 2 <= server.max_in_flight <= 4
    assert pager.done


async def test_next_link_cannot_fan_out_but_still_works(serve: Any, make: Any) -> None:
    server = await serve({"GET /items": next_link_handler(ROWS)})
    client = make(TokenClient, server)
    assert ids(await client.paginate("/items", concurrency=4).all()) == list(range(25))
    assert server.max_in_flight == 1


# -- guards ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["other-port", "userinfo"])
async def test_foreign_next_link_raises_before_any_request(
    serve: Any, make: Any, kind: str
) -> None:
    async def other_items(request: web.Request) -> web.StreamResponse:
        return page([{"id": 99}])

    other = await serve({"GET /items": other_items})

    async def items(request: web.Request) -> web.StreamResponse:
        if kind == "other-port":
            target = other.url + "/items?cursor=10"
        else:
            assert request.url.port is not None
            target = f"http://user:pw@127.0.0.1:{request.url.port}/items?cursor=10"
        return page(ROWS[:10], next=target)

    server = await serve({"GET /items": items})
    client = make(TokenClient, server)
    with pytest.raises(PaginationError, match="refusing to follow"):
        await client.paginate("/items").all()
    assert server.hits() == 1
    assert other.hits() == 0


async def test_pagination_loop_raises(serve: Any, make: Any) -> None:
    async def a(request: web.Request) -> web.StreamResponse:
        return page([{"id": "a"}], next="/b")

    async def b(request: web.Request) -> web.StreamResponse:
        return page([{"id": "b"}], next="/a")

    server = await serve({"GET /a": a, "GET /b": b})
    client = make(TokenClient, server)
    got: list[Any] = []
    with pytest.raises(PaginationError, match="loop"):
        async for row in client.paginate("/a"):
            got.append(row["id"])
    assert server.hits("GET", "/a") == 1
    assert server.hits("GET", "/b") == 1
    assert got == ["a"]


async def test_malformed_page_raises_pagination_error(serve: Any, make: Any) -> None:
    async def items(request: web.Request) -> web.StreamResponse:
        return web.json_response({"data": {"not": "a list"}})

    server = await serve({"GET /items": items})
    client = make(TokenClient, server)
    with pytest.raises(PaginationError, match="malformed"):
        await client.paginate("/items").all()


async def test_resume_point_on_foreign_origin_is_refused(serve: Any, make: Any) -> None:
    other = await serve({"GET /items": next_link_handler(ROWS)})
    server = await serve({"GET /items": next_link_handler(ROWS)})
    client = make(TokenClient, server)
    with pytest.raises(PaginationError, match="refusing to follow"):
        await client.paginate("/items", resume={"url": other.url + "/items?cursor=10"}).all()
    assert other.hits() == 0 and server.hits() == 0


async def test_cancelling_a_fanned_out_walk_propagates(serve: Any, make: Any) -> None:
    first_served = asyncio.Event()
    release = asyncio.Event()
    rows = [{"id": i} for i in range(50)]

    async def items(request: web.Request) -> web.StreamResponse:
        number = _int(request, "page", 1)
        if number > 1:
            first_served.set()
            await release.wait()
        return page(rows[(number - 1) * 10 : number * 10], total=len(rows))

    server = await serve({"GET /items": items})
    client = make(PagedClient, server)
    task = asyncio.create_task(client.paginate("/items", concurrency=4).all())
    await asyncio.wait_for(first_served.wait(), 2)
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    release.set()
    await asyncio.sleep(0.05)
    assert server.hits() == 5  # the first page, then four in flight; nothing retried or resent


# -- caps -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("concurrency", [1, 4])
async def test_max_pages(serve: Any, make: Any, concurrency: int) -> None:
    server = await serve({"GET /items": page_number_handler(ROWS)})
    client = make(PagedClient, server)
    pager = client.paginate("/items", max_pages=2, concurrency=concurrency)
    assert ids(await pager.all()) == list(range(20))
    assert server.hits() == 2
    assert not pager.done


async def test_max_pages_next_link(serve: Any, make: Any) -> None:
    server = await serve({"GET /items": next_link_handler(ROWS)})
    client = make(TokenClient, server)
    assert ids(await client.paginate("/items", max_pages=2).all()) == list(range(20))
    assert server.hits() == 2


@pytest.mark.parametrize("concurrency", [1, 4])
async def test_max_items(serve: Any, make: Any, concurrency: int) -> None:
    server = await serve({"GET /items": page_number_handler(ROWS)})
    client = make(PagedClient, server)
    pager = client.paginate("/items", max_items=15, concurrency=concurrency)
    assert ids(await pager.all()) == list(range(15))
    assert server.hits() == 2


async def test_max_items_on_page_boundary_fetches_no_more(serve: Any, make: Any) -> None:
    server = await serve({"GET /items": next_link_handler(ROWS)})
    client = make(TokenClient, server)
    assert ids(await client.paginate("/items", max_items=10).all()) == list(range(10))
    assert server.hits() == 1


async def test_max_items_zero_fetches_nothing(serve: Any, make: Any) -> None:
    server = await serve({"GET /items": next_link_handler(ROWS)})
    client = make(TokenClient, server)
    assert await client.paginate("/items", max_items=0).all() == []
    assert server.hits() == 0


# -- short pages ----------------------------------------------------------------------------------


@pytest.mark.parametrize("concurrency", [1, 3])
async def test_short_pages_with_total_do_not_end_the_walk_page_number(
    serve: Any, make: Any, concurrency: int
) -> None:
    # The server caps per_page at 4 although 10 were asked: the total says more exist.
    server = await serve({"GET /items": page_number_handler(ROWS, cap=4)})
    client = make(PagedClient, server)
    assert ids(await client.paginate("/items", concurrency=concurrency).all()) == list(range(25))
    assert server.hits() == 7
    # Continued with the server's page size, so nothing was skipped.
    assert queries(server, "page") == [str(n) for n in range(1, 8)]
    assert queries(server, "per_page")[1:] == ["4"] * 6


@pytest.mark.parametrize("concurrency", [1, 3])
async def test_short_pages_with_total_do_not_end_the_walk_offset(
    serve: Any, make: Any, concurrency: int
) -> None:
    server = await serve({"GET /items": offset_handler(ROWS, cap=4)})
    client = make(OffsetClient, server)
    assert ids(await client.paginate("/items", concurrency=concurrency).all()) == list(range(25))
    assert sorted(int(o) for o in queries(server, "offset")) == list(range(0, 25, 4))


async def test_short_page_with_next_link_does_not_end_the_walk(serve: Any, make: Any) -> None:
    """Page numbers plus a next link and no total: a short page with a next link is not the end."""
    rows = ROWS[:12]

    async def items(request: web.Request) -> web.StreamResponse:
        number = _int(request, "page", 1)
        start = (number - 1) * 3  # the server serves 3 per page whatever is asked
        more = start + 3 < len(rows)
        return page(rows[start : start + 3], next=f"/items?page={number + 1}" if more else None)

    server = await serve({"GET /items": items})
    client = make(PagedNextClient, server)
    assert ids(await client.paginate("/items").all()) == list(range(12))
    assert server.hits() == 4


async def test_short_page_with_next_link_does_not_end_next_link_walk(serve: Any, make: Any) -> None:
    async def items(request: web.Request) -> web.StreamResponse:
        n = _int(request, "cursor", 0)
        return page([{"id": n}], next=f"/items?cursor={n + 1}" if n < 4 else None)

    server = await serve({"GET /items": items})
    client = make(TokenClient, server)
    assert ids(await client.paginate("/items", page_size=10).all()) == [0, 1, 2, 3, 4]


async def test_empty_first_page(serve: Any, make: Any) -> None:
    async def items(request: web.Request) -> web.StreamResponse:
        return page([], total=0)

    server = await serve({"GET /items": items})
    client = make(PagedClient, server)
    pager = client.paginate("/items", concurrency=4)
    assert await pager.all() == []
    assert pager.done
    assert server.hits() == 1


# -- resume ---------------------------------------------------------------------------------------


def _fetch_counts(server: Server, key: str) -> Counter[str]:
    return Counter(queries(server, key))


@pytest.mark.parametrize(
    ("cls", "handler", "key", "consumed", "concurrency"),
    [
        (PagedClient, page_number_handler(ROWS), "page", ["1", "2"], 1),
        (PagedClient, page_number_handler(ROWS), "page", ["1", "2"], 3),
        (OffsetClient, offset_handler(ROWS), "offset", ["0", "10"], 1),
        (TokenClient, next_link_handler(ROWS), "cursor", ["", "10"], 1),
    ],
)
async def test_resume_point_continues_without_refetching(
    serve: Any, make: Any, cls: Any, handler: Any, key: str, consumed: list[str], concurrency: int
) -> None:
    server = await serve({"GET /items": handler})
    client = make(cls, server)
    pager = client.paginate("/items", concurrency=concurrency)
    first: list[Any] = []
    async for p in pager.pages():
        first.extend(p.records)
        if len(first) >= 20:
            break  # stop mid-walk, after two pages
    point = pager.resume_point
    assert point is not None and not pager.done
    assert ids(first) == list(range(20))
    before = _fetch_counts(server, key)
    assert [before[c] for c in consumed] == [1, 1]

    resumed = client.paginate("/items", resume=point)
    rest = await resumed.all()
    assert ids(first) + ids(rest) == list(range(25))
    # The resumed walk starts after the pages already consumed: none is fetched again.
    after = _fetch_counts(server, key)
    assert [after[c] for c in consumed] == [1, 1]
    assert resumed.done and resumed.resume_point is None


async def test_resume_after_max_items_cut_leaves_no_gap(serve: Any, make: Any) -> None:
    server = await serve({"GET /items": page_number_handler(ROWS)})
    client = make(PagedClient, server)
    pager = client.paginate("/items", max_items=15)
    first = ids(await pager.all())
    assert first == list(range(15))
    assert not pager.done
    # Page 2 was cut short: the walk continues at page 2 (page-granular), never at page 3.
    assert pager.resume_point == {"page": 2}
    rest = ids(await client.paginate("/items", resume=pager.resume_point).all())
    assert rest == list(range(10, 25))


@pytest.mark.parametrize(("stop_at", "expected"), [(14, {"page": 2}), (19, {"page": 3})])
async def test_record_iteration_resume_point(
    serve: Any, make: Any, stop_at: int, expected: dict[str, int]
) -> None:
    """Iterating records, a page counts as consumed once its last record was handed over."""
    server = await serve({"GET /items": page_number_handler(ROWS)})
    client = make(PagedClient, server)
    pager = client.paginate("/items")
    got: list[int] = []
    async for row in pager:
        got.append(row["id"])
        if row["id"] == stop_at:
            break
    assert pager.resume_point == expected
    rest = ids(await client.paginate("/items", resume=pager.resume_point).all())
    assert sorted(set(got) | set(rest)) == list(range(25))
    assert rest[0] == (expected["page"] - 1) * 10


async def test_pager_resume_method(serve: Any, make: Any) -> None:
    server = await serve({"GET /items": page_number_handler(ROWS)})
    client = make(PagedClient, server)
    pager = client.paginate("/items", max_pages=1)
    assert ids(await pager.all()) == list(range(10))
    point = pager.resume_point
    assert point == {"page": 2}
    assert ids(await pager.resume(point).all()) == list(range(10, 20))
    assert queries(server, "page") == ["1", "2"]


async def test_pager_iterates_once(serve: Any, make: Any) -> None:
    server = await serve({"GET /items": page_number_handler(ROWS)})
    client = make(PagedClient, server)
    pager = client.paginate("/items")
    await pager.all()
    with pytest.raises(RuntimeError, match="once"):
        await pager.all()


# -- issue 8: the same records at any concurrency, walks that end, hostile answers, bad args -----


class LeadyLike(TokenClient):
    """Leady's DRF envelope and cursor paginator behind a plain token."""

    spec = make_spec(name="leady", envelope=LEADY.envelope, paginator=LEADY.paginator)


class LeadDeskLike(TokenClient):
    """LeadDesk's envelope and paginator (``collection``/``_links``/``_meta``, page/per_page)
    behind a plain token, so no token endpoint is needed."""

    spec = make_spec(name="leaddesk", envelope=LEADDESK.envelope, paginator=LEADDESK.paginator)


def leanlaw(make: Any, server: Server) -> LeanLaw:
    client: LeanLaw = make(LeanLaw, server, api_key="ll-key")
    return client


def leanlaw_offset_handler(
    rows: list[dict[str, Any]], *, cap: int, total: int | None = None
) -> Any:
    async def handler(request: web.Request) -> web.StreamResponse:
        offset, limit = _int(request, "offset", 0), min(_int(request, "limit", 100), cap)
        block = {"limit": limit, "offset": offset, "total": len(rows) if total is None else total}
        return web.json_response({"data": rows[offset : offset + limit], "pagination": block})

    return handler


@pytest.mark.parametrize("concurrency", [1, 4, 8])
@pytest.mark.parametrize("max_items", [None, 250, 120])
async def test_max_items_with_a_server_capping_limit_is_the_same_at_any_concurrency(
    serve: Any, make: Any, concurrency: int, max_items: int | None
) -> None:
    """LeanLaw asked for 1000 answers 100: 250 records are 250 at every concurrency (it was 200
    at concurrency 4), and fetching ahead never goes past what max_items needs."""
    rows = [{"id": i} for i in range(250)]
    server = await serve({"GET /v2/matters": leanlaw_offset_handler(rows, cap=100)})
    ll = leanlaw(make, server)
    got = await ll.matters.list_raw(max_items=max_items, concurrency=concurrency).all()
    assert ids(got) == list(range(250))[:max_items]
    assert all(q == "1000" for q in queries(server, "limit", "/v2/matters"))
    assert (
        sorted(int(o) for o in queries(server, "offset", "/v2/matters"))
        == [0, 100, 200][: -(-(max_items or 250) // 100)]
    )


@pytest.mark.parametrize("concurrency", [1, 4])
async def test_an_empty_page_mid_walk_is_read_past_at_any_concurrency(
    serve: Any, make: Any, concurrency: int
) -> None:
    """LeadDesk: total 300 and a next link, but page 2 comes back empty. The signals say more
    exist, so the walk reads on (it ended there at concurrency 1 and not at 4)."""
    rows = [{"id": i} for i in range(300)]

    async def items(request: web.Request) -> web.StreamResponse:
        number, per_page = _int(request, "page", 1), _int(request, "per_page", 25)
        chunk = [] if number == 2 else rows[(number - 1) * per_page : number * per_page]
        links = {"self": f"/items?page={number}"}
        if number * per_page < len(rows):
            links["next"] = f"/items?page={number + 1}&per_page={per_page}"
        return web.json_response(
            {"collection": chunk, "_links": links, "_meta": {"total": len(rows)}}
        )

    server = await serve({"GET /items": items})
    client = make(LeadDeskLike, server)
    got = await client.paginate("/items", page_size=100, concurrency=concurrency).all()
    assert ids(got) == list(range(100)) + list(range(200, 300))
    assert sorted(queries(server, "page")) == ["1", "2", "3"]


@pytest.mark.parametrize("concurrency", [1, 4])
async def test_a_leanlaw_list_without_a_pagination_block_is_one_page(
    serve: Any, make: Any, concurrency: int
) -> None:
    """ "Most endpoints are paginated": one that is not answers every record whatever the offset,
    with no ``pagination`` block. It is one page, not the same 1000 records forever."""
    rows = [{"id": i} for i in range(1000)]

    async def items(request: web.Request) -> web.StreamResponse:
        return web.json_response({"data": rows})

    server = await serve({"GET /v2/practice-areas": items})
    ll = leanlaw(make, server)
    pager = ll.practice_areas.list_raw(concurrency=concurrency)
    assert ids(await pager.all()) == list(range(1000))
    assert server.hits() == 1
    assert pager.done and pager.resume_point is None


async def test_a_repeated_page_is_an_error_not_duplicates(serve: Any, make: Any) -> None:
    """A server that ignores ``offset`` but claims a total: page 2 repeats page 1. Going on would
    only repeat records, so the walk stops with a PaginationError before handing them over."""
    rows = [{"id": i} for i in range(10)]

    async def items(request: web.Request) -> web.StreamResponse:
        return web.json_response({"data": rows, "pagination": {"total": 2543}})

    server = await serve({"GET /v2/matters": items})
    ll = leanlaw(make, server)
    got: list[Any] = []
    with pytest.raises(PaginationError, match="repeats records"):
        async for row in ll.matters.list_raw(page_size=10, concurrency=4):
            got.append(row)
    assert ids(got) == list(range(10))


def lying_handlers() -> dict[str, Any]:
    """One record, a total of 10**9, then nothing: LeanLaw (offset) and LeadDesk (page) style."""

    async def leanlaw_items(request: web.Request) -> web.StreamResponse:
        offset = _int(request, "offset", 0)
        rows = [{"id": 0}] if offset == 0 else []
        return web.json_response({"data": rows, "pagination": {"total": 10**9}})

    async def leaddesk_items(request: web.Request) -> web.StreamResponse:
        number = _int(request, "page", 1)
        rows = [{"id": 0}] if number == 1 else []
        return web.json_response(
            {
                "collection": rows,
                "_links": {"next": f"/items?page={number + 1}"},
                "_meta": {"total": 10**9},
            }
        )

    return {"GET /v2/matters": leanlaw_items, "GET /items": leaddesk_items}


@pytest.mark.parametrize("concurrency", [1, 8, 100_000])
async def test_a_lying_total_costs_a_bounded_number_of_requests(
    serve: Any, make: Any, concurrency: int
) -> None:
    server = await serve(lying_handlers())
    ll = leanlaw(make, server)
    pager = ll.matters.list_raw(concurrency=concurrency)
    assert ids(await pager.all()) == [0] and pager.done
    window = min(concurrency, MAX_CONCURRENCY)
    # The first page, then at most one window of guesses: the first empty page ends an offset walk.
    assert server.hits("GET", "/v2/matters") <= 1 + window

    client = make(LeadDeskLike, server)
    pager = client.paginate("/items", concurrency=concurrency)
    assert ids(await pager.all()) == [0] and pager.done
    # Page-number walks read past EMPTY_PAGE_LIMIT - 1 empty pages (the total says more exist).
    assert server.hits("GET", "/items") <= 1 + EMPTY_PAGE_LIMIT + window


async def test_a_lying_total_does_not_flood_a_bulk_export(
    serve: Any, make: Any, tmp_path: Any
) -> None:
    server = await serve(lying_handlers())
    ll = leanlaw(make, server)
    result = await export([Job(client=ll, resource="matters")], out=tmp_path, concurrency=16)
    assert [job.records for job in result.jobs] == [1]
    assert [job.error for job in result.jobs] == [None]
    assert server.hits() <= 1 + 16


async def test_concurrency_is_clamped(serve: Any, make: Any) -> None:
    rows = [{"id": i} for i in range(400)]
    server = await serve({"GET /items": page_number_handler(rows, delay=lambda n: 0.01)})
    client = make(PagedClient, server)
    pager = client.paginate("/items", concurrency=100_000)
    assert pager.concurrency == MAX_CONCURRENCY
    assert ids(await pager.all()) == list(range(400))
    assert server.hits() == 40
    assert server.max_in_flight <= MAX_CONCURRENCY


BAD_OPTIONS = [
    {"page_size": 0},
    {"page_size": -1},
    {"page_size": "5"},
    {"page_size": 2.5},
    {"page_size": True},
    {"concurrency": 0},
    {"concurrency": -3},
    {"concurrency": "5"},
    {"concurrency": 2.5},
    {"concurrency": True},
    {"concurrency": None},
    {"max_items": -1},
    {"max_items": "5"},
    {"max_items": 2.5},
    {"max_items": False},
    {"max_pages": 0},
    {"max_pages": "1"},
    {"max_pages": True},
    {"resume": "page=2"},
    {"resume": ["page", 2]},
]


@pytest.mark.parametrize("options", BAD_OPTIONS, ids=repr)
async def test_bad_walk_options_raise_configuration_error_before_sending(
    serve: Any, make: Any, options: dict[str, Any]
) -> None:
    server = await serve({"GET /items": page_number_handler(ROWS)})
    client = make(PagedClient, server)
    with pytest.raises(ConfigurationError):
        client.paginate("/items", **options)
    with pytest.raises(ConfigurationError):
        client.items.list(**options)
    with pytest.raises(ValueError):  # ConfigurationError is a ValueError too
        client.items.list_raw(**options)
    assert server.hits() == 0


@pytest.mark.parametrize(
    ("cls", "point"),
    [
        (PagedClient, {"page": "two"}),
        (PagedClient, {"page": 0}),
        (PagedClient, {"page": True}),
        (PagedClient, {"page": 2, "size": 0}),
        (OffsetClient, {"offset": -1}),
        (OffsetClient, {"offset": 1.5}),
        (TokenClient, {"url": 5}),
        (TokenClient, {"url": "http://[::1/items"}),
        (TokenClient, {"url": "/items?cursor=1"}),
        (TokenClient, {"url": "http://127.0.0.1:99999/items"}),
    ],
    ids=repr,
)
async def test_a_resume_point_this_walk_did_not_make_is_refused_before_sending(
    serve: Any, make: Any, cls: Any, point: dict[str, Any]
) -> None:
    server = await serve({"GET /items": page_number_handler(ROWS)})
    client = make(cls, server)
    with pytest.raises(ConfigurationError, match="resume point"):
        await client.paginate("/items", resume=point).all()
    assert server.hits() == 0


HOSTILE_TOTALS = [
    "Infinity",
    "-Infinity",
    "NaN",
    "1e400",
    "-1",
    "12.5",
    "true",
    '"many"',
    '"-3"',
    "[25]",
    '{"n": 25}',
]


@pytest.mark.parametrize("total", HOSTILE_TOTALS)
@pytest.mark.parametrize("concurrency", [1, 4])
async def test_a_total_that_is_not_a_count_is_a_pagination_error(
    serve: Any, make: Any, total: str, concurrency: int
) -> None:
    async def items(request: web.Request) -> web.StreamResponse:
        body = '{"data": [{"id": 1}], "meta": {"total": ' + total + "}}"
        return web.Response(text=body, content_type="application/json")

    server = await serve({"GET /items": items})
    client = make(PagedClient, server)
    # (DecodeError: should the JSON reader ever refuse Infinity and NaN outright.)
    with pytest.raises((PaginationError, DecodeError)):
        await client.paginate("/items", concurrency=concurrency).all()
    assert server.hits() == 1


@pytest.mark.parametrize("total", ['"25"', "25.0", " 25", str(10**4000)])
async def test_totals_read_leniently(serve: Any, make: Any, total: str) -> None:
    """A count as a string or an integral float is read as the count; a huge one is a claim the
    pages disprove (the walk ends at the first empty page)."""

    async def items(request: web.Request) -> web.StreamResponse:
        number = _int(request, "page", 1)
        rows = ROWS[(number - 1) * 10 : number * 10]
        body = '{"data": ' + json.dumps(rows) + ', "meta": {"total": ' + total + "}}"
        return web.Response(text=body, content_type="application/json")

    server = await serve({"GET /items": items})
    client = make(PagedClient, server)
    assert ids(await client.paginate("/items", concurrency=4).all()) == list(range(25))


HOSTILE_LINKS = [
    '"http://127.0.0.1\\\\evil.example/items"',  # a backslash in the authority
    '"/items\\\\..\\\\x"',
    '"http://[::1/items"',  # a bad IPv6 literal
    '"http://[zz]/items"',
    '"http://127.0.0.1:99999/items"',  # port out of range
    '"http://127.0.0.1:-1/items"',
    '"/items?cursor=\\ud800"',  # a lone surrogate
    '"\\udfff"',
    '"https://xn--a/items"',  # not IDNA
    '"/items?x=\\u0000"',
    "12.5",
    "true",
    "[]",
    '{"href": "/items?cursor=10"}',
]


@pytest.mark.parametrize("link", HOSTILE_LINKS)
@pytest.mark.parametrize("cls", [TokenClient, LeadyLike])
async def test_a_next_link_that_is_not_a_usable_url_is_a_pagination_error(
    serve: Any, make: Any, link: str, cls: Any
) -> None:
    async def items(request: web.Request) -> web.StreamResponse:
        if "cursor" in request.query:
            return web.json_response({"data": [], "results": []})
        body = '{"data": [{"id": 1}], "results": [{"id": 1}], "meta": {"next": %s}, "next": %s}'
        return web.Response(text=body % (link, link), content_type="application/json")

    server = await serve({"GET /items": items})
    client = make(cls, server)
    with pytest.raises(PaginationError, match="malformed page"):
        await client.paginate("/items").all()
    assert server.hits() == 1


async def test_a_numeric_cursor_is_followed(serve: Any, make: Any) -> None:
    async def items(request: web.Request) -> web.StreamResponse:
        n = _int(request, "cursor", 0)
        return web.json_response(
            {"results": [{"id": n}], "next": n + 1 if n < 3 else None, "previous": None}
        )

    server = await serve({"GET /items": items})
    client = make(LeadyLike, server)
    assert ids(await client.paginate("/items").all()) == [0, 1, 2, 3]


async def test_a_link_with_another_scheme_is_refused_but_a_cursor_is_a_cursor(
    serve: Any, make: Any
) -> None:
    """``javascript:alert(1)`` is not an http(s) link; where the style has cursors (Leady), a
    value without ``://`` that does not start with ``/`` or ``?`` is an opaque cursor."""

    async def items(request: web.Request) -> web.StreamResponse:
        if "cursor" in request.query:
            return web.json_response({"results": [{"id": 2}], "next": None})
        nxt = "javascript:alert(1)"
        return web.json_response(
            {"data": [{"id": 1}], "results": [{"id": 1}], "meta": {"next": nxt}, "next": nxt}
        )

    server = await serve({"GET /items": items})
    with pytest.raises(PaginationError, match="not an http"):
        await make(TokenClient, server).paginate("/items").all()
    assert ids(await make(LeadyLike, server).paginate("/items").all()) == [1, 2]
    assert server.requests()[-1].query["cursor"] == "javascript:alert(1)"


# -- equal records and lists that grow (issue 8 review) ------------------------------------------

HELD = [{"hours": 1}, {"hours": 2}, {"hours": 2}, {"hours": 3}]


@pytest.mark.parametrize("concurrency", [1, 8])
async def test_equal_records_of_a_list_that_did_not_change_are_all_returned(
    serve: Any, make: Any, concurrency: int
) -> None:
    """A static list of four records, total 4 on every page, pages of 2: ``[a, b] [b', c]``
    where ``b'`` equals ``b`` (two time entries of the same hours, rows without ids). The total
    did not move, so nothing was pushed into the next page: all four come back (issue 8 review:
    the overlap rule used to drop ``b'``)."""

    async def items(request: web.Request) -> web.Response:
        offset, limit = int(request.query["offset"]), int(request.query["limit"])
        return web.json_response(
            {"data": HELD[offset : offset + limit], "meta": {"total": len(HELD)}}
        )

    server = await serve({"GET /items": items})
    client = make(OffsetClient, server)
    records = await client.items.list(page_size=2, concurrency=concurrency).all()
    assert records == HELD


OVERLAP_N = 30_000


@pytest.mark.parametrize("grows", [False, True], ids=["no-totals", "total-doubles"])
async def test_pages_of_repeated_records_are_walked_in_linear_time(
    serve: Any, make: Any, grows: bool
) -> None:
    """Two pages of 30,000 small equal records (a few hundred KB of JSON; next-link vendors
    choose their own page size). The per-page repeat and overlap checks run on the event loop:
    they must be linear, or every other request of the process stalls (issue 8 review: the
    overlap search was quadratic, ~8 s here). With a total that doubles, the overlap search is
    bounded by a growth of 30,000 and still linear."""
    n = OVERLAP_N
    first = [{} for _ in range(n)]
    second = [{} for _ in range(n // 2)] + [{"n": i} for i in range(n // 2)]
    meta_1: dict[str, Any] = {"total": n} if grows else {}
    meta_2: dict[str, Any] = {"total": 2 * n} if grows else {}

    async def items(request: web.Request) -> web.Response:
        if request.query.get("page") == "2":
            return web.json_response({"data": second, "meta": meta_2})
        return web.json_response({"data": first, "meta": {**meta_1, "next": "/items?page=2"}})

    server = await serve({"GET /items": items})
    client = make(TokenClient, server)
    started = time.monotonic()
    records = await client.items.list().all()
    elapsed = time.monotonic() - started
    assert len(records) > n  # whatever the overlap rule decides, the walk completes
    assert elapsed < 3.0, f"walking two pages of {n} records took {elapsed:.1f}s on the event loop"
    # Without totals nothing is dropped; with a doubled total, the 15,000 leading {} of page 2
    # are the longest tail of page 1 they repeat, and the growth explains them.
    assert len(records) == (n + n // 2 if grows else 2 * n)

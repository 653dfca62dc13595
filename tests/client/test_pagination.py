"""Pagination against a real server: every style to the end, fan-out, guards, caps, resume."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import pytest
from aiohttp import web

from vendorkit.errors import PaginationError

from .conftest import OffsetClient, PagedClient, PagedNextClient, Server, TokenClient, page

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


def queries(server: Server, key: str) -> list[str]:
    return [s.query.get(key, "") for s in server.requests("GET", "/items")]


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

"""An endpoint's list with a method fallback, a chain over a parameter's values and bare-value
items, against a small local server of a made-up vendor."""

from __future__ import annotations

from typing import Any

import attrs
import pytest
from aiohttp import web

from vendorkit.core import ChainOver, Endpoint, MethodFallback, Record, resource
from vendorkit.errors import NotFoundError, ServerError

from .conftest import ENVELOPE, TokenClient, make_spec, page


@attrs.frozen(kw_only=True)
class Code(Record):
    code: str | None = None


class ListsClient(TokenClient):
    spec = make_spec(name="listkit")
    codes: Any = resource(
        Endpoint(
            path="/codes",
            model=Code,
            actions=frozenset({"list"}),
            list_fallback=MethodFallback(("GET", "OPTIONS")),
            envelope=attrs.evolve(ENVELOPE, records=("data", "data.codes")),
            scalar_field="code",
        )
    )
    kinds: Any = resource(
        Endpoint(
            path="/kinds/{kind}/",
            actions=frozenset({"list"}),
            chain=ChainOver("kind", ("a", "b", "c"), none_here=frozenset({404})),
            filters={"q"},
        )
    )


async def _refuse(request: web.Request) -> web.StreamResponse:
    return web.json_response({"detail": "no"}, status=405)


async def _codes_options(request: web.Request) -> web.StreamResponse:
    if request.query.get("page") == "2":
        return page(["EUR"])
    return web.json_response(
        {"data": {"codes": ["JPY", {"code": "USD"}]}, "meta": {"next": "/codes?page=2"}}
    )


async def test_a_405_is_asked_again_with_the_next_method_for_the_whole_walk(
    serve: Any, make: Any
) -> None:
    server = await serve({"GET /codes": _refuse, "OPTIONS /codes": _codes_options})
    client = make(ListsClient, server)
    codes = await client.codes.list().all()
    assert [c.code for c in codes] == ["JPY", "USD", "EUR"]
    assert codes[0].raw == {"code": "JPY"}
    assert [s.method for s in server.seen] == ["GET", "OPTIONS", "OPTIONS"]  # learnt once
    assert await client.codes.list_raw().all() == [
        {"code": "JPY"},
        {"code": "USD"},
        {"code": "EUR"},
    ]


async def test_a_get_that_works_is_never_asked_again(serve: Any, make: Any) -> None:
    async def codes(request: web.Request) -> web.StreamResponse:
        return page(["JPY"])

    server = await serve({"GET /codes": codes, "OPTIONS /codes": _codes_options})
    client = make(ListsClient, server)
    assert [c.code for c in await client.codes.list().all()] == ["JPY"]
    assert [s.method for s in server.seen] == ["GET"]


async def test_a_status_outside_the_fallback_is_an_error(serve: Any, make: Any) -> None:
    async def broken(request: web.Request) -> web.StreamResponse:
        return web.json_response({"detail": "gone"}, status=404)

    server = await serve({"GET /codes": broken, "OPTIONS /codes": _codes_options})
    client = make(ListsClient, server)
    with pytest.raises(NotFoundError):
        await client.codes.list().all()
    assert [s.method for s in server.seen] == ["GET"]


def _kinds(statuses: dict[str, int]) -> Any:
    async def handler(request: web.Request) -> web.StreamResponse:
        kind = request.match_info["kind"]
        if kind in statuses:
            return web.json_response({"detail": kind}, status=statuses[kind])
        return page([{"kind": kind, "q": request.query.get("q")}], total=1)

    return handler


async def test_a_chain_lists_every_value_and_none_here_is_no_records(serve: Any, make: Any) -> None:
    server = await serve({"GET /kinds/{kind}/": _kinds({"b": 404})})
    client = make(ListsClient, server)
    pager = client.kinds.list(q="x")
    pages = [p async for p in pager.pages()]
    assert [r for p in pages for r in p.records] == [
        {"kind": "a", "q": "x"},
        {"kind": "c", "q": "x"},
    ]
    assert all(p.total is None for p in pages)  # one list's total is not the walk's
    one = await client.kinds.list(kind="c").all()
    assert one == [{"kind": "c", "q": None}]


async def test_a_chain_stops_at_a_status_that_is_not_none_here(serve: Any, make: Any) -> None:
    server = await serve({"GET /kinds/{kind}/": _kinds({"b": 500})})
    client = make(ListsClient, server, max_retries=0)
    with pytest.raises(ServerError):
        await client.kinds.list().all()


async def test_a_named_value_that_is_refused_is_still_an_error(serve: Any, make: Any) -> None:
    server = await serve({"GET /kinds/{kind}/": _kinds({"b": 404})})
    client = make(ListsClient, server)
    with pytest.raises(NotFoundError):
        await client.kinds.list(kind="b").all()


async def test_a_chained_walk_resumes_in_the_list_it_stopped_in(serve: Any, make: Any) -> None:
    server = await serve({"GET /kinds/{kind}/": _kinds({})})
    client = make(ListsClient, server)
    pager = client.kinds.list()
    seen = []
    async for p in pager.pages():
        seen.append(p.records[0]["kind"])
        if len(seen) == 2:
            break
    point = pager.resume_point
    assert point is not None
    rest = await client.kinds.list(resume=point).all()
    assert [r["kind"] for r in rest] == ["c"]

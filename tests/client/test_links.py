"""Adapter helpers of ``BaseClient`` against a real server: hypermedia ``_follow``, ``_get_all``,
lazy and chained walks (``_lazy_pager`` + ``Chained``), ``_list_of``, ``_call``."""

from __future__ import annotations

from typing import Any

import attrs
import pytest
from aiohttp import web

from vendorkit.core import Chained, Endpoint, LinkModels, NextLink, Record, split_pager_args
from vendorkit.errors import ConfigurationError, DecodeError, PaginationError

from .conftest import Server, TokenClient, ok, page


@attrs.frozen(kw_only=True)
class Widget(Record):
    id: int
    url: str | None = None
    parts: str | None = None


@attrs.frozen(kw_only=True)
class Part(Record):
    id: int


class LinkClient(TokenClient):
    link_models = LinkModels.build(
        [Endpoint(path="/widgets/", model=Widget), Endpoint(path="/plain/")],
        {"/widgets/{id}/parts/{part}/": Part},
    )


def _widget(request: web.Request, n: int) -> dict[str, Any]:
    base = str(request.url.origin())
    return {"id": n, "url": f"{base}/widgets/{n}/", "parts": f"{base}/widgets/{n}/parts/"}


def routes() -> dict[str, Any]:
    async def widget(request: web.Request) -> web.StreamResponse:
        return ok(_widget(request, int(request.match_info["id"])))

    async def widgets(request: web.Request) -> web.StreamResponse:
        start = int(request.query.get("cursor", 0))
        nxt = f"/widgets/?cursor={start + 2}" if start + 2 < 5 else None
        return page([_widget(request, n) for n in range(start, min(start + 2, 5))], next=nxt)

    async def part(request: web.Request) -> web.StreamResponse:
        return ok({"id": int(request.match_info["part"])})

    async def plain(request: web.Request) -> web.StreamResponse:
        return ok({"hello": request.query.get("expand", "")})

    async def loop(request: web.Request) -> web.StreamResponse:
        return page([{"id": 1}], next="/loop/")

    async def away(request: web.Request) -> web.StreamResponse:
        return page([{"id": 1}], next="https://elsewhere.invalid/next/")

    return {
        "GET /widgets/{id}/": widget,
        "GET /widgets/": widgets,
        "GET /widgets/{id}/parts/{part}/": part,
        "GET /plain/": plain,
        "GET /loop/": loop,
        "GET /away/": away,
    }


async def _client(serve: Any, make: Any) -> tuple[Server, LinkClient]:
    server = await serve(routes())
    return server, make(LinkClient, server)


async def test_follow_object_url_gives_the_model(serve: Any, make: Any) -> None:
    server, client = await _client(serve, make)
    widget = await client._follow(f"{server.url}/widgets/3/")
    assert isinstance(widget, Widget) and widget.id == 3
    again = await client._follow(widget)  # a record: its url
    assert again == widget
    part = await client._follow("/widgets/3/parts/7/")  # a path
    assert isinstance(part, Part) and part.id == 7


async def test_follow_list_url_reads_every_page(serve: Any, make: Any) -> None:
    server, client = await _client(serve, make)
    rows = await client._follow({"url": f"{server.url}/widgets/"})
    assert [w.id for w in rows] == [0, 1, 2, 3, 4]
    assert all(isinstance(w, Widget) for w in rows)
    assert server.hits("GET", "/widgets/") == 3


async def test_follow_unknown_url_gives_plain_payload_with_params(serve: Any, make: Any) -> None:
    server, client = await _client(serve, make)
    assert await client._follow("/plain/", params={"expand": "x"}) == {"hello": "x"}
    assert server.seen[-1].query == {"expand": "x"}


@pytest.mark.parametrize("ref", ["https://evil.invalid/widgets/1/", "widgets/1", None, {"id": 1}])
async def test_follow_refuses_foreign_or_non_urls_before_sending(
    serve: Any, make: Any, ref: Any
) -> None:
    server, client = await _client(serve, make)
    with pytest.raises(ConfigurationError):
        await client._follow(ref)
    assert server.hits() == 0


async def test_get_all_refuses_loops_and_foreign_next_links(serve: Any, make: Any) -> None:
    server, client = await _client(serve, make)
    with pytest.raises(PaginationError, match="loop"):
        await client._get_all("/loop/")
    with pytest.raises(PaginationError, match="another origin"):
        await client._get_all("/away/")
    assert server.hits("GET", "/away/") == 1


async def test_lazy_pager_reads_its_url_when_the_walk_starts(serve: Any, make: Any) -> None:
    server, client = await _client(serve, make)

    async def url() -> str:
        widget = await client._follow("/widgets/1/")
        assert widget.url is not None
        return widget.url.rsplit("/widgets/", 1)[0] + "/widgets/"

    pager = client._lazy_pager(url, transform=lambda d: client._structure(d, Widget))
    assert server.hits() == 0
    assert [w.id for w in await pager.all()] == [0, 1, 2, 3, 4]


async def test_chained_walks_several_lists_in_order_and_resumes(serve: Any, make: Any) -> None:
    async def kind(request: web.Request) -> web.StreamResponse:
        name = request.match_info["kind"]
        start = int(request.query.get("cursor", 0))
        rows = [{"id": f"{name}{i}"} for i in range(start, min(start + 2, 3))]
        nxt = f"/kinds/{name}/?cursor={start + 2}" if start + 2 < 3 else None
        return page(rows, total=3, next=nxt)

    server = await serve({"GET /kinds/{kind}/": kind})
    client = make(TokenClient, server)

    def chained(**pager_args: Any) -> Any:
        chain = Chained(NextLink())

        async def url() -> Any:
            chain.urls = [client.url_for(f"/kinds/{k}/") for k in ("a", "b")]
            return chain.urls[0]

        return client._lazy_pager(url, transform=lambda d: d["id"], paginator=chain, **pager_args)

    assert await chained().all() == ["a0", "a1", "a2", "b0", "b1", "b2"]
    assert [s.path for s in server.seen] == ["/kinds/a/"] * 2 + ["/kinds/b/"] * 2
    pages = [p async for p in chained().pages()]
    assert [p.resume["chain"] for p in pages] == [0, 0, 1, 1]
    assert await chained(resume=pages[2].resume).all() == ["b0", "b1", "b2"]


async def test_list_of_call_and_structure(serve: Any, make: Any) -> None:
    server, client = await _client(serve, make)
    pager = client._list_of("/widgets/", Widget, {"max_items": 3, "headers": {"X-One": "1"}})
    assert [w.id for w in await pager.all()] == [0, 1, 2]
    assert server.seen[-1].headers["X-One"] == "1"
    assert "max_items" not in server.seen[-1].query
    part = await client._call("GET", "/widgets/{id}/parts/{part}/", {"id": 1, "part": 2}, Part)
    assert part.id == 2
    with pytest.raises(DecodeError, match="expected a Part object"):
        client._structure(["not", "an", "object"], Part)


def test_link_models_and_split_pager_args() -> None:
    models = LinkModels.build([Endpoint(path="/a/{x}/b/", model=Widget)], {"/c/": Part})
    assert models.model_for("/a/1/b/") is Widget
    assert models.model_for("/a/1/b/2/") is Widget
    assert models.model_for("/a/1/2/b/") is None
    assert models.model_for("/c/") is Part
    params = {"page_size": 5, "headers": {"A": "b"}, "q": "x"}
    assert split_pager_args(params) == ({"page_size": 5}, {"A": "b"})
    assert params == {"q": "x"}

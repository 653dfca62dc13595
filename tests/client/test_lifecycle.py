"""Lifecycle of ``BaseClient``: sessions, closing, loops, cancellation; generic access."""

from __future__ import annotations

import asyncio
import gc
import warnings
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from vendorkit._version import __version__
from vendorkit.errors import ClientStateError, ConfigurationError

from .conftest import TokenClient, ok, page


async def _echo(request: web.Request) -> web.StreamResponse:
    return ok({"path": request.path, "query": dict(request.query)})


async def test_owned_session_is_closed_on_exit(serve: Any) -> None:
    server = await serve({"GET /x": _echo})
    async with TokenClient(base_url=server.url) as client:
        assert await client.request("GET", "/x") == {"path": "/x", "query": {}}
        session = client._transport.session
        assert session is not None and not session.closed
    assert client.closed
    assert session.closed


async def test_aclose_closes_and_is_idempotent(serve: Any) -> None:
    server = await serve({"GET /x": _echo})
    client = TokenClient(base_url=server.url)
    await client.request("GET", "/x")
    session = client._transport.session
    assert session is not None
    await client.aclose()
    await client.aclose()
    assert session.closed
    with pytest.raises(ClientStateError, match="closed"):
        await client.request("GET", "/x")
    assert server.hits() == 1


async def test_borrowed_session_is_used_and_never_closed(serve: Any) -> None:
    server = await serve({"GET /x": _echo})
    async with aiohttp.ClientSession() as session:
        async with TokenClient(base_url=server.url, session=session) as client:
            await client.request("GET", "/x")
            assert client._transport.session is session
        assert not session.closed
        # A second client can borrow it after the first one is closed.
        async with TokenClient(base_url=server.url, session=session) as client2:
            await client2.request("GET", "/x")
        assert not session.closed
        # And the caller can still use it directly.
        async with session.get(server.url + "/x") as resp:
            assert resp.status == 200
    assert server.hits("GET", "/x") == 3
    # The client's headers are sent even on a borrowed session.
    assert server.seen[0].headers["User-Agent"] == f"vendorkit/{__version__}"


async def test_closed_borrowed_session_raises_client_state_error(serve: Any) -> None:
    server = await serve({"GET /x": _echo})
    session = aiohttp.ClientSession()
    await session.close()
    async with TokenClient(base_url=server.url, session=session) as client:
        with pytest.raises(ClientStateError, match="session is closed"):
            await client.request("GET", "/x")
    assert server.hits() == 0


async def test_user_agent_is_sent(serve: Any, make: Any) -> None:
    server = await serve({"GET /x": _echo})
    client = make(TokenClient, server)
    await client.request("GET", "/x")
    assert server.seen[0].headers["User-Agent"] == f"vendorkit/{__version__}"
    assert __version__ and __version__[0].isdigit()


async def test_custom_user_agent(serve: Any, make: Any) -> None:
    server = await serve({"GET /x": _echo})
    client = make(TokenClient, server, user_agent="my-app/1.0")
    await client.request("GET", "/x")
    assert server.seen[0].headers["User-Agent"] == "my-app/1.0"


async def test_unclosed_client_warns_when_collected(serve: Any) -> None:
    server = await serve({"GET /x": _echo})
    client = TokenClient(base_url=server.url)
    await client.request("GET", "/x")
    session = client._transport.session
    assert session is not None
    with pytest.warns(ResourceWarning, match="TokenClient was not closed"):
        del client
        gc.collect()
    await session.close()


async def test_closed_client_does_not_warn(serve: Any) -> None:
    server = await serve({"GET /x": _echo})
    client = TokenClient(base_url=server.url)
    await client.request("GET", "/x")
    await client.aclose()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        del client
        gc.collect()
    assert not [w for w in caught if "was not closed" in str(w.message)]


async def test_borrowing_client_does_not_warn(serve: Any) -> None:
    server = await serve({"GET /x": _echo})
    async with aiohttp.ClientSession() as session:
        client = TokenClient(base_url=server.url, session=session)
        await client.request("GET", "/x")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            del client
            gc.collect()
    assert not [w for w in caught if "was not closed" in str(w.message)]


async def test_use_from_another_event_loop_raises(serve: Any, make: Any) -> None:
    server = await serve({"GET /x": _echo})
    client = make(TokenClient, server)
    await client.request("GET", "/x")

    def other_loop() -> BaseException | None:
        try:
            asyncio.run(client.request("GET", "/x"))
        except BaseException as exc:
            return exc
        return None

    error = await asyncio.to_thread(other_loop)
    assert isinstance(error, ClientStateError)
    assert "another event loop" in str(error)
    assert server.hits() == 1
    # Still fine on its own loop.
    await client.request("GET", "/x")
    assert server.hits() == 2


async def test_async_with_on_another_loop_raises(serve: Any, make: Any) -> None:
    server = await serve({"GET /x": _echo})
    client = make(TokenClient, server)
    async with client:
        await client.request("GET", "/x")

        async def enter() -> None:
            async with client:
                pass

        with pytest.raises(ClientStateError, match="another event loop"):
            await asyncio.to_thread(asyncio.run, enter())
        assert not client.closed


async def test_cancellation_propagates_and_is_never_retried(serve: Any, make: Any) -> None:
    arrived = asyncio.Event()
    release = asyncio.Event()

    async def slow(request: web.Request) -> web.StreamResponse:
        arrived.set()
        await release.wait()
        return ok({})

    server = await serve({"GET /slow": slow})
    retries: list[Any] = []
    client = make(TokenClient, server, on_retry=lambda *a: retries.append(a))
    task = asyncio.create_task(client.request("GET", "/slow"))
    await asyncio.wait_for(arrived.wait(), 2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert task.cancelled()
    await asyncio.sleep(0.2)
    release.set()
    assert server.hits("GET", "/slow") == 1
    assert retries == []


async def test_cancellation_during_retry_wait_propagates(serve: Any, make: Any) -> None:
    async def busy(request: web.Request) -> web.StreamResponse:
        return web.json_response({}, status=503, headers={"Retry-After": "1"})

    server = await serve({"GET /busy": busy})
    waiting = asyncio.Event()
    client = make(TokenClient, server, on_retry=lambda *a: waiting.set())
    task = asyncio.create_task(client.request("GET", "/busy"))
    await asyncio.wait_for(waiting.wait(), 2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.sleep(0.1)
    assert server.hits() == 1


# -- generic access -----------------------------------------------------------------------------


async def test_request_returns_unwrapped_payload_and_sends_params(serve: Any, make: Any) -> None:
    server = await serve({"GET /things/{id}": _echo})
    client = make(TokenClient, server)
    data = await client.request(
        "GET", "/things/7", params={"q": "a b", "flag": True, "skip": None, "tag": ["x", "y"]}
    )
    assert data["path"] == "/things/7"
    assert data["query"] == {"q": "a b", "flag": "true", "tag": "x"}  # dict() keeps one tag


async def test_request_sends_repeated_list_params(serve: Any, make: Any) -> None:
    got: list[list[str]] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        got.append(request.query.getall("tag"))
        return ok([])

    server = await serve({"GET /things": handler})
    client = make(TokenClient, server)
    await client.request("GET", "things", params={"tag": ["x", "y"]})
    assert got == [["x", "y"]]


async def test_request_json_body_and_empty_answer(serve: Any, make: Any) -> None:
    bodies: list[Any] = []

    async def create(request: web.Request) -> web.StreamResponse:
        bodies.append(await request.json())
        return web.Response(status=204)

    server = await serve({"POST /things": create})
    client = make(TokenClient, server)
    result = await client.request("POST", "/things", json={"amount": Decimal("10.10")})
    assert result is None
    assert bodies == [{"amount": "10.10"}]
    assert server.seen[0].headers["Content-Type"] == "application/json"


async def test_paginate_walks_pages(serve: Any, make: Any) -> None:
    async def items(request: web.Request) -> web.StreamResponse:
        n = int(request.query.get("cursor", "0"))
        nxt = f"/things?cursor={n + 1}" if n < 2 else None
        return page([{"id": n * 2}, {"id": n * 2 + 1}], next=nxt)

    server = await serve({"GET /things": items})
    client = make(TokenClient, server)
    rows = await client.paginate("/things", status="open").all()
    assert [r["id"] for r in rows] == [0, 1, 2, 3, 4, 5]
    assert server.hits("GET", "/things") == 3
    assert server.seen[0].query == {"status": "open"}


async def test_base_url_with_path_prefix(serve: Any) -> None:
    async def items(request: web.Request) -> web.StreamResponse:
        n = int(request.query.get("cursor", "0"))
        return page([{"id": n}], next=f"/api/v2/items?cursor={n + 1}" if n < 2 else None)

    server = await serve({"GET /api/v2/x": _echo, "GET /api/v2/items": items})
    async with TokenClient(base_url=server.url + "/api/v2/") as client:
        data = await client.request("GET", "/x?a=1", params={"b": 2})
        assert data == {"path": "/api/v2/x", "query": {"a": "1", "b": "2"}}
        assert [r["id"] for r in await client.paginate("items").all()] == [0, 1, 2]


async def test_absolute_url_on_own_origin_is_allowed(serve: Any, make: Any) -> None:
    server = await serve({"GET /x": _echo})
    client = make(TokenClient, server)
    assert (await client.request("GET", server.url + "/x"))["path"] == "/x"


async def test_absolute_url_on_foreign_origin_is_refused(serve: Any, make: Any) -> None:
    server = await serve({"GET /x": _echo})
    other = await serve({"GET /x": _echo})
    client = make(TokenClient, server)
    with pytest.raises(ConfigurationError, match="refusing to send credentials"):
        await client.request("GET", other.url + "/x")
    with pytest.raises(ConfigurationError):
        await client.paginate(other.url + "/x").all()
    assert other.hits() == 0
    assert server.hits() == 0


def test_base_url_must_be_absolute_http() -> None:
    with pytest.raises(ConfigurationError):
        TokenClient(base_url="ftp://example.com")
    with pytest.raises(ConfigurationError):
        TokenClient(base_url="/relative")
    with pytest.raises(ConfigurationError):
        TokenClient(base_url="https://user:pw@example.com")


# -- resources ----------------------------------------------------------------------------------


async def test_resource_crud_round_trip(serve: Any, make: Any) -> None:
    store: dict[str, dict[str, Any]] = {"1": {"id": "1", "name": "one"}}

    async def list_items(request: web.Request) -> web.StreamResponse:
        return page(list(store.values()))

    async def get_item(request: web.Request) -> web.StreamResponse:
        item = store.get(request.match_info["id"])
        if item is None:
            return web.json_response({"detail": "Not found."}, status=404)
        return ok(item)

    async def create_item(request: web.Request) -> web.StreamResponse:
        body = await request.json()
        new_id = str(len(store) + 1)
        store[new_id] = {"id": new_id, **body}
        return ok(store[new_id], status=201)

    async def update_item(request: web.Request) -> web.StreamResponse:
        store[request.match_info["id"]].update(await request.json())
        return web.Response(status=204)

    async def delete_item(request: web.Request) -> web.StreamResponse:
        del store[request.match_info["id"]]
        return web.Response(status=204)

    server = await serve(
        {
            "GET /items": list_items,
            "POST /items": create_item,
            "GET /items/{id}": get_item,
            "PATCH /items/{id}": update_item,
            "DELETE /items/{id}": delete_item,
        }
    )
    client = make(TokenClient, server)
    created = await client.items.create({"name": "two"})
    assert created == {"id": "2", "name": "two"}
    assert await client.items.get("1") == {"id": "1", "name": "one"}
    # A 204 answer to an update is read back with a GET.
    assert await client.items.update("2", {"name": "deux"}) == {"id": "2", "name": "deux"}
    assert [r["id"] for r in await client.items.list().all()] == ["1", "2"]
    assert await client.items.delete("1") is None
    assert list(store) == ["2"]
    assert [(s.method, s.path) for s in server.seen] == [
        ("POST", "/items"),
        ("GET", "/items/1"),
        ("PATCH", "/items/2"),
        ("GET", "/items/2"),
        ("GET", "/items"),
        ("DELETE", "/items/1"),
    ]


async def test_resource_has_only_declared_actions(serve: Any, make: Any) -> None:
    async def get_currency(request: web.Request) -> web.StreamResponse:
        return ok({"code": request.match_info["code"]})

    server = await serve({"GET /currencies/{code}": get_currency})
    client = make(TokenClient, server)
    assert hasattr(client.currencies, "list") and hasattr(client.currencies, "get")
    assert not hasattr(client.currencies, "delete")
    assert not hasattr(client.currencies, "create")
    assert TokenClient.resource_names() == ["items", "currencies"]
    # Ids are quoted into the path.
    assert await client.currencies.get("a b") == {"code": "a b"}
    assert server.seen[0].path == "/currencies/a b"

"""Lifecycle of ``BaseClient``: sessions, closing, loops, cancellation; generic access."""

from __future__ import annotations

import asyncio
import gc
import warnings
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
import redis.asyncio.connection as redis_connection
from aiohttp import web

from tests._redis_url import REDIS_URL
from vendorkit import LeanLaw, MakeLeaps
from vendorkit._version import __version__
from vendorkit.errors import ClientStateError, ConfigurationError, NotFoundError

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


# -------------------------------------------------------------------------------------------------
# Moved here from tests/client/test_borrowed_session.py; its module docstring:
#
# Found in review, fixed; kept as the test that would catch it again. What was found:
#
# A borrowed ``session=`` is used with its own ``raise_for_status`` (``_client._send`` does not
# pass ``raise_for_status=False`` per request). With
# ``aiohttp.ClientSession(raise_for_status=True)``,
# a setting many applications use, every error status becomes an ``aiohttp.ClientResponseError``
# inside the seam, hence a ``TransportError`` of kind "transport": a 404 is retried
# ``max_retries`` times (4 sends for one ``get``), a 401 never renews the token, a 429's
# ``Retry-After`` is ignored, a POST answered 422 is reported as "maybe applied", and the caller
# never sees ``NotFoundError``/``AuthenticationError``/... at all.
#
# Broken promise: contract section 2, ``session=`` "an existing aiohttp.ClientSession: borrowed";
# section 5, ``APIError`` (and its subclasses by status) when "the vendor answered with an error";
# docs/clients.md retry rules (a 404 is not retried).


async def test_a_borrowed_session_that_raises_for_status_still_gives_api_errors(
    serve: Any,
) -> None:
    async def client(request: web.Request) -> web.Response:
        return web.json_response({"message": "no such client"}, status=404)

    server = await serve({"GET /v2/clients/{id}": client})
    async with aiohttp.ClientSession(raise_for_status=True) as session:
        async with LeanLaw(api_key="ll-key-123456789", base_url=server.url, session=session) as ll:
            with pytest.raises(NotFoundError):
                await ll.clients.get("x")
    assert server.hits("GET") == 1


# -------------------------------------------------------------------------------------------------
# Moved here from tests/client/test_aclose_redis.py; its module docstring:
#
# Found in review, fixed; kept as the test that would catch it again. What was found:
#
# A request that is waiting between two attempts when the client closes wakes up and, before
# anything notices the client is closed, talks to Redis again: ``_attempt`` runs
# ``_respect_pause``, ``auth.authorize`` (the token store's ``get``) and ``_take_slot`` (the quota's
# Redis storage) and only then ``_get_session``, which raises ``ClientStateError``. ``aclose()``
# has already disconnected the Redis pools, so redis-py opens a *new* connection that nobody will
# close any more (``ResourceWarning: unclosed <socket ... 6379>`` at exit), and a quota slot is
# spent on a request that is never sent.
#
# Broken promise: issue 8, "A request already under way at aclose() raises ClientStateError and
# never opens a new session", and the soak's "no socket left open" once the clients are closed.


def _leanlaw(server: Any) -> Any:
    return LeanLaw(
        api_key="ll-key-123456789",
        base_url=server.url,
        redis_url=REDIS_URL,
        rate_limit="100/second",
        max_retries=1,
    )


def _makeleaps(server: Any) -> Any:
    return MakeLeaps(
        client_id="ml-client",
        client_secret="ml-secret-1234",
        base_url=server.url,
        redis_url=REDIS_URL,
        rate_limit=None,
        partner_mid="P",
        max_retries=1,
    )


@pytest.mark.parametrize("build", [_leanlaw, _makeleaps], ids=["quota on redis", "tokens on redis"])
async def test_a_request_waiting_to_retry_at_aclose_opens_no_redis_connection(
    serve: Any, build: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    hits: list[int] = []

    async def throttled(request: web.Request) -> web.Response:
        hits.append(1)
        # A sure one-second wait before the retry (Retry-After is a floor), so that aclose()
        # lands while the request waits.
        return web.json_response({"message": "slow down"}, status=429, headers={"Retry-After": "1"})

    async def token(request: web.Request) -> web.Response:
        return web.json_response(
            {"access_token": "ml-access-TOKEN-1", "token_type": "Bearer", "expires_in": 36000}
        )

    server = await serve(
        {
            "GET /v2/clients/{id}": throttled,
            "GET /api/partner/P/document/{id}/": throttled,
            "POST /user/oauth2/token/": token,
        }
    )
    client = build(server)
    closed = False
    opened_after_close: list[Any] = []
    original = redis_connection.AbstractConnection.connect

    async def spy(self: Any) -> Any:
        if closed and not self.is_connected:
            opened_after_close.append(self)
        return await original(self)

    monkeypatch.setattr(redis_connection.AbstractConnection, "connect", spy)
    call = client.clients.get("X") if isinstance(client, LeanLaw) else client.documents.get("X")
    task = asyncio.ensure_future(call)
    try:
        while not hits:  # noqa: ASYNC110 - a test polling a server's record
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.1)
        await client.aclose()
        closed = True
        with pytest.raises(ClientStateError):
            await task
    finally:
        closed = False  # the clean-up below opens a connection of its own
        for conn in opened_after_close:
            await conn.disconnect()
        if isinstance(client, MakeLeaps):
            import redis.asyncio as aioredis

            r = aioredis.from_url(REDIS_URL)
            await r.delete(client.auth.store_key)
            await r.aclose()
    assert opened_after_close == [], (
        f"{len(opened_after_close)} Redis connection(s) opened after aclose() by a request that "
        "was waiting to retry"
    )
    assert len(hits) == 1

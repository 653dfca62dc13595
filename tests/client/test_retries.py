"""Retries against a real server: idempotency rules, Retry-After, 429 pauses, dropped connections.

aiohttp (3.10+) itself resends an idempotent request once when a kept-alive connection is dropped
before an answer; GET attempt counts below allow for it, and POSTs are checked never to get it.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import math
import socket
import time
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from vendorkit import LeadDesk
from vendorkit.core import Quota
from vendorkit.errors import (
    ClientStateError,
    DecodeError,
    NotFoundError,
    RateLimitError,
    ReadBackError,
    ServerError,
    TransportError,
)

from ._raw import http, raw_server
from .conftest import TokenClient, ok


def flaky(failures: list[int], *, headers: dict[str, str] | None = None) -> Any:
    """Answer each status in ``failures`` in turn, then 200."""
    left = list(failures)

    async def handler(request: web.Request) -> web.StreamResponse:
        if left:
            status = left.pop(0)
            return web.json_response({"detail": "busy"}, status=status, headers=headers)
        return ok({"done": True})

    return handler


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- which requests are retried -----------------------------------------------------------------


@pytest.mark.parametrize("status", [503, 502, 504, 429])
async def test_get_is_retried_and_succeeds(serve: Any, make: Any, status: int) -> None:
    server = await serve({"GET /x": flaky([status, status])})
    retries: list[tuple[int, float, Any]] = []
    client = make(TokenClient, server, on_retry=lambda *a: retries.append(a))
    assert await client.request("GET", "/x") == {"done": True}
    assert server.hits() == 3
    assert [(a, c) for a, _, c in retries] == [(1, status), (2, status)]


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
async def test_idempotent_writes_are_retried(serve: Any, make: Any, method: str) -> None:
    server = await serve({f"{method} /x": flaky([503])})
    client = make(TokenClient, server)
    assert await client.request(method, "/x", json={"a": 1}) == {"done": True}
    assert server.hits() == 2


@pytest.mark.parametrize("method", ["POST", "PATCH"])
@pytest.mark.parametrize("status", [500, 503, 502, 504])
async def test_write_hit_by_server_error_is_sent_once(
    serve: Any, make: Any, method: str, status: int
) -> None:
    server = await serve({f"{method} /x": flaky([status], headers={"Retry-After": "0"})})
    retries: list[Any] = []
    client = make(TokenClient, server, on_retry=lambda *a: retries.append(a))
    with pytest.raises(ServerError) as info:
        await client.request(method, "/x", json={"a": 1})
    assert info.value.status == status
    assert info.value.method == method
    assert server.hits() == 1
    assert retries == []


async def test_get_500_is_not_retried(serve: Any, make: Any) -> None:
    server = await serve({"GET /x": flaky([500])})
    client = make(TokenClient, server)
    with pytest.raises(ServerError):
        await client.request("GET", "/x")
    assert server.hits() == 1


async def test_post_on_429_is_retried(serve: Any, make: Any) -> None:
    server = await serve({"POST /x": flaky([429], headers={"Retry-After": "0.1"})})
    client = make(TokenClient, server)
    assert await client.request("POST", "/x", json={"a": 1}) == {"done": True}
    assert server.hits() == 2
    assert [s.body for s in server.seen] == [b'{"a": 1}', b'{"a": 1}']


async def test_retries_are_bounded(serve: Any, make: Any) -> None:
    server = await serve({"GET /x": flaky([503] * 10)})
    client = make(TokenClient, server, max_retries=2)
    with pytest.raises(ServerError) as info:
        await client.request("GET", "/x")
    assert info.value.status == 503
    assert server.hits() == 3


@pytest.mark.parametrize(("status", "error"), [(503, ServerError), (429, RateLimitError)])
async def test_max_retries_zero_disables_retries(
    serve: Any, make: Any, status: int, error: type[Exception]
) -> None:
    server = await serve({"GET /x": flaky([status], headers={"Retry-After": "0"})})
    client = make(TokenClient, server, max_retries=0)
    with pytest.raises(error):
        await client.request("GET", "/x")
    assert server.hits() == 1


# -- Retry-After ----------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [429, 503])
async def test_retry_after_seconds_is_honoured(serve: Any, make: Any, status: int) -> None:
    server = await serve({"GET /x": flaky([status], headers={"Retry-After": "0.3"})})
    retries: list[Any] = []
    client = make(TokenClient, server, on_retry=lambda *a: retries.append(a))
    assert await client.request("GET", "/x") == {"done": True}
    first, second = server.seen
    assert second.at - first.at >= 0.29
    assert second.at - first.at < 1.0
    assert retries[0][1] >= 0.3


async def test_retry_after_http_date_is_honoured(serve: Any, make: Any) -> None:
    # HTTP-dates have one-second resolution: aim at the next whole second at least 0.3s away.
    target = float(math.ceil(time.time() + 0.3))
    header = email.utils.formatdate(target, usegmt=True)
    server = await serve({"GET /x": flaky([429], headers={"Retry-After": header})})
    client = make(TokenClient, server)
    assert await client.request("GET", "/x") == {"done": True}
    _, second = server.seen
    assert second.wall >= target - 0.02
    assert second.wall - target < 0.5


async def test_retry_after_beyond_max_retry_wait_raises_at_once(serve: Any, make: Any) -> None:
    server = await serve({"GET /x": flaky([429] * 3, headers={"Retry-After": "30"})})
    client = make(TokenClient, server, max_retry_wait=1)
    started = time.monotonic()
    with pytest.raises(RateLimitError) as info:
        await client.request("GET", "/x")
    assert time.monotonic() - started < 0.5
    assert info.value.status == 429
    assert info.value.retry_after == pytest.approx(30, abs=1)
    assert "retry after 30s" in str(info.value)
    assert server.hits() == 1
    # The pause applies to the whole client: the next call raises too, without being sent.
    with pytest.raises(RateLimitError) as again:
        await client.request("GET", "/x")
    assert again.value.retry_after is not None and 28 < again.value.retry_after <= 30
    assert (again.value.method, again.value.url) == ("GET", f"{server.url}/x")
    assert str(again.value).startswith("testkit GET /x -> 429: ")
    assert server.hits() == 1


async def test_a_429_pauses_other_requests_of_the_client(serve: Any, make: Any) -> None:
    paused = asyncio.Event()
    waits: list[tuple[float, str]] = []

    def on_rate_limit(wait: float, reason: str) -> None:
        waits.append((wait, reason))
        if reason == "429 Retry-After":
            paused.set()

    async def other(request: web.Request) -> web.StreamResponse:
        return ok({})

    server = await serve(
        {"GET /limited": flaky([429], headers={"Retry-After": "0.4"}), "GET /other": other}
    )
    client = make(TokenClient, server, on_rate_limit=on_rate_limit)
    limited = asyncio.create_task(client.request("GET", "/limited"))
    await asyncio.wait_for(paused.wait(), 2)
    # Sent after the 429 arrived: it waits out the same Retry-After instead of going out now.
    await client.request("GET", "/other")
    await limited
    t429 = server.requests("GET", "/limited")[0].at
    assert server.requests("GET", "/other")[0].at - t429 >= 0.35
    assert any(reason == "429 pause" for _, reason in waits)


async def test_429_pause_does_not_affect_another_client(serve: Any, make: Any) -> None:
    async def other(request: web.Request) -> web.StreamResponse:
        return ok({})

    server = await serve(
        {"GET /limited": flaky([429], headers={"Retry-After": "0.4"}), "GET /other": other}
    )
    paused = asyncio.Event()
    one = make(TokenClient, server, on_rate_limit=lambda *a: paused.set())
    two = make(TokenClient, server)
    limited = asyncio.create_task(one.request("GET", "/limited"))
    await asyncio.wait_for(paused.wait(), 2)
    await two.request("GET", "/other")
    t429 = server.requests("GET", "/limited")[0].at
    assert server.requests("GET", "/other")[0].at - t429 < 0.3
    await limited


# -- transport failures ---------------------------------------------------------------------------


def dropping(times: int) -> Any:
    """Close the connection without answering, ``times`` times, then answer 200."""
    left = [times]

    async def handler(request: web.Request) -> web.StreamResponse:
        if left[0] > 0:
            left[0] -= 1
            assert request.transport is not None
            request.transport.close()
            await asyncio.sleep(0.01)
            raise web.HTTPInternalServerError  # never reaches the client
        return ok({"done": True})

    return handler


async def _warm(client: TokenClient) -> None:
    # A first request leaves a kept-alive connection in the pool: the case where aiohttp would
    # resend an idempotent request on its own.
    assert await client.request("GET", "/warm") == {}


async def _empty(request: web.Request) -> web.StreamResponse:
    return ok({})


async def test_post_on_dropped_connection_is_sent_once(serve: Any, make: Any) -> None:
    server = await serve({"GET /warm": _empty, "POST /x": dropping(10)})
    retries: list[Any] = []
    client = make(TokenClient, server, on_retry=lambda *a: retries.append(a))
    await _warm(client)
    with pytest.raises(TransportError) as info:
        await client.request("POST", "/x", json={"a": 1})
    assert server.hits("POST", "/x") == 1
    assert retries == []
    assert "POST" in str(info.value)


async def test_get_on_dropped_connection_is_retried(serve: Any, make: Any) -> None:
    server = await serve({"GET /warm": _empty, "GET /x": dropping(1)})
    client = make(TokenClient, server)
    await _warm(client)
    assert await client.request("GET", "/x") == {"done": True}
    # One drop, then the answer: the resend came from aiohttp or from us, but only one.
    assert server.hits("GET", "/x") == 2


async def test_get_on_always_dropped_connection_gives_up(serve: Any, make: Any) -> None:
    server = await serve({"GET /warm": _empty, "GET /x": dropping(100)})
    retries: list[Any] = []
    client = make(TokenClient, server, max_retries=2, on_retry=lambda *a: retries.append(a))
    await _warm(client)
    with pytest.raises(TransportError):
        await client.request("GET", "/x")
    assert len(retries) == 2
    assert all(isinstance(cause, TransportError) for _, _, cause in retries)
    # Three attempts of ours, each possibly resent once by aiohttp on a reused connection.
    assert 3 <= server.hits("GET", "/x") <= 6


async def test_post_is_retried_when_the_connection_was_never_made(make: Any) -> None:
    class Nowhere:
        url = f"http://127.0.0.1:{free_port()}"

    retries: list[Any] = []
    client = make(TokenClient, Nowhere, max_retries=2, on_retry=lambda *a: retries.append(a))
    with pytest.raises(TransportError, match="could not connect"):
        await client.request("POST", "/x", json={"a": 1})
    assert len(retries) == 2


async def test_timeout_is_retried_for_get_not_post(serve: Any, make: Any) -> None:
    release = asyncio.Event()

    async def slow(request: web.Request) -> web.StreamResponse:
        await release.wait()
        return ok({})

    server = await serve({"GET /slow": slow, "POST /slow": slow})
    client = make(TokenClient, server, timeout=0.15, max_retries=1)
    with pytest.raises(TransportError, match="timed out"):
        await client.request("GET", "/slow")
    assert server.hits("GET", "/slow") == 2
    with pytest.raises(TransportError, match="timed out"):
        await client.request("POST", "/slow", json={})
    assert server.hits("POST", "/slow") == 1
    release.set()


async def test_truncated_json_on_get_is_retried(serve: Any, make: Any) -> None:
    calls = [0]

    async def handler(request: web.Request) -> web.StreamResponse:
        calls[0] += 1
        if calls[0] == 1:
            return web.Response(text='{"data": [1, 2', content_type="application/json")
        return ok([1, 2])

    server = await serve({"GET /x": handler, "POST /x": handler})
    client = make(TokenClient, server)
    assert await client.request("GET", "/x") == [1, 2]
    assert server.hits("GET", "/x") == 2
    calls[0] = 0
    with pytest.raises(DecodeError):
        await client.request("POST", "/x", json={})
    assert server.hits("POST", "/x") == 1


# -------------------------------------------------------------------------------------------------
# Moved here from tests/client/test_sends_hostile.py; its module docstring:
#
# As often as it should: every send is bounded by ``max_retries`` (aiohttp's own resend
# included), a DELETE that was applied and then lost is reported as done, a write whose read-back
# fails hands over the new id, and a client closed under a request never reopens.


__all__ = ["raw_server"]


def drop(request: web.Request) -> web.Response:
    assert request.transport is not None
    request.transport.close()
    return web.Response(status=500)  # never reaches the client


@pytest.mark.parametrize("borrowed", [False, True], ids=["own-session", "borrowed-session"])
@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
@pytest.mark.parametrize("retries", [0, 1, 3])
async def test_max_retries_bounds_every_send_on_a_warm_connection(
    raw_server: Any, method: str, retries: int, borrowed: bool
) -> None:
    """A kept-alive connection that the server closes instead of answering: aiohttp alone would
    resend each attempt once more on a new connection. Our own session has aiohttp's resend
    switched off; a borrowed one (never changed) gets a middleware per request instead."""
    server = await raw_server(lambda req, n: http("200 OK", b'{"data": 1}') if n == 0 else None)
    async with contextlib.AsyncExitStack() as stack:
        session = await stack.enter_async_context(aiohttp.ClientSession()) if borrowed else None
        client = await stack.enter_async_context(
            TokenClient(base_url=server.url, max_retries=retries, session=session)
        )
        assert await client.request("GET", "/warm") == 1
        with pytest.raises(TransportError):
            await client.request(method, "/x", json={} if method == "PUT" else None)
        if session is not None:
            assert getattr(session, "_retry_connection", True) is True, "left as it was lent"
    assert len(server.requests) == 1 + 1 + retries


async def test_a_post_dropped_after_sending_is_sent_once(raw_server: Any) -> None:
    server = await raw_server(lambda req, n: http("200 OK", b'{"data": 1}') if n == 0 else None)
    async with TokenClient(base_url=server.url, max_retries=3) as client:
        await client.request("GET", "/warm")
        with pytest.raises(TransportError):
            await client.request("POST", "/x", json={"a": 1})
    assert len(server.requests) == 2


async def test_an_applied_delete_whose_answer_was_lost_succeeds(serve: Any, make: Any) -> None:
    store = {"M-1"}

    async def delete(request: web.Request) -> web.StreamResponse:
        ident = request.match_info["id"]
        if ident not in store:
            return web.json_response({"detail": "Not found."}, status=404)
        store.discard(ident)
        return drop(request)  # applied, then the answer is lost

    server = await serve({"DELETE /items/{id}": delete})
    client = make(TokenClient, server)
    assert await client.items.delete("M-1") is None
    assert store == set()
    assert server.hits("DELETE") == 2
    # Without an uncertain attempt before it, a 404 is a 404.
    with pytest.raises(NotFoundError):
        await client.items.delete("M-2")
    assert server.hits("DELETE") == 3


@pytest.mark.parametrize("status", [502, 504])
async def test_a_delete_404_after_a_gateway_error_succeeds(
    serve: Any, make: Any, status: int
) -> None:
    calls = []

    async def delete(request: web.Request) -> web.StreamResponse:
        calls.append(1)
        if len(calls) == 1:
            return web.json_response({"detail": "gateway"}, status=status)
        return web.json_response({"detail": "Not found."}, status=404)

    server = await serve({"DELETE /items/{id}": delete})
    client = make(TokenClient, server)
    assert await client.items.delete("M-1") is None
    assert len(calls) == 2


def _leaddesk_server(read_status: int) -> dict[str, Any]:
    posts: list[Any] = []

    async def token(request: web.Request) -> web.StreamResponse:
        return web.json_response(
            {"access_token": "a-S3CRET", "token_type": "Bearer", "expires_in": 3600}
        )

    async def create(request: web.Request) -> web.StreamResponse:
        posts.append(await request.json())
        return web.json_response({"id": 4711})

    async def patch(request: web.Request) -> web.StreamResponse:
        return web.Response(status=204)

    async def read(request: web.Request) -> web.StreamResponse:
        return web.json_response({"error": "busy"}, status=read_status)

    return {
        "POST /oauth/access-token": token,
        "POST /contacts": create,
        "PATCH /contacts/{id}": patch,
        "GET /contacts/{id}": read,
        "posts": posts,  # type: ignore[dict-item]
    }


@pytest.mark.parametrize("read_status", [503, 404, 500])
async def test_a_create_whose_read_back_fails_hands_over_the_new_id(
    serve: Any, read_status: int
) -> None:
    routes = _leaddesk_server(read_status)
    posts = routes.pop("posts")
    server = await serve(routes)
    async with LeadDesk(
        client_id="c", client_secret="s", username="u", password="p", base_url=server.url
    ) as ld:
        ld.retry_policy = ld.retry_policy.__class__(max_retries=2, backoff_base=0.01)
        with pytest.raises(ReadBackError) as info:
            await ld.contacts.create({"name": "Ann"})
        assert info.value.record_id == 4711
        assert info.value.method == "POST"
        assert "4711" in str(info.value)
        assert info.value.__cause__ is not None
        with pytest.raises(ReadBackError) as upd:
            await ld.contacts.update(4711, {"name": "Bea"})
        assert upd.value.record_id == 4711 and upd.value.method == "PATCH"
    assert len(posts) == 1  # never sent twice
    assert server.hits("POST", "/contacts") == 1


async def test_a_request_under_way_at_aclose_raises_client_state_error(serve: Any) -> None:
    arrived = asyncio.Event()
    release = asyncio.Event()

    async def slow(request: web.Request) -> web.StreamResponse:
        arrived.set()
        await release.wait()
        return ok(1)

    server = await serve({"GET /slow": slow})
    client = TokenClient(base_url=server.url, max_retries=3)
    task = asyncio.ensure_future(client.request("GET", "/slow"))
    await asyncio.wait_for(arrived.wait(), 10)
    session = client._transport.session
    await client.aclose()
    with pytest.raises(ClientStateError):
        await asyncio.wait_for(task, 10)
    release.set()
    assert client._transport.session is session and session is not None and session.closed
    with pytest.raises(ClientStateError):
        await client.request("GET", "/slow")
    assert server.hits() == 1  # nothing was retried on a closed client


async def test_a_request_waiting_at_aclose_never_opens_a_session(serve: Any) -> None:
    async def one(request: web.Request) -> web.StreamResponse:
        return ok(1)

    server = await serve({"GET /x": one})
    client = TokenClient(base_url=server.url, rate_limit=Quota(1, 1.0))
    assert client.rate_limiter is not None
    await client.rate_limiter.acquire()  # the one slot of this second is gone
    task = asyncio.ensure_future(client.request("GET", "/x"))
    await asyncio.sleep(0.05)  # it is waiting for the quota now
    assert client._transport.session is None
    await client.aclose()
    with pytest.raises(ClientStateError):
        await asyncio.wait_for(task, 10)
    assert client._transport.session is None
    assert server.hits() == 0

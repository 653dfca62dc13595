"""As often as it should: every send is bounded by ``max_retries`` (aiohttp's own resend
included), a DELETE that was applied and then lost is reported as done, a write whose read-back
fails hands over the new id, and a client closed under a request never reopens."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp import web

from vendorkit import LeadDesk
from vendorkit.core import Quota
from vendorkit.errors import ClientStateError, NotFoundError, ReadBackError, TransportError

from ._raw import http, raw_server
from .conftest import TokenClient, ok

__all__ = ["raw_server"]


def drop(request: web.Request) -> web.Response:
    assert request.transport is not None
    request.transport.close()
    return web.Response(status=500)  # never reaches the client


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
@pytest.mark.parametrize("retries", [0, 1, 3])
async def test_max_retries_bounds_every_send_on_a_warm_connection(
    raw_server: Any, method: str, retries: int
) -> None:
    """A kept-alive connection that the server closes instead of answering: aiohttp alone would
    resend each attempt once more on a new connection."""
    server = await raw_server(lambda req, n: http("200 OK", b'{"data": 1}') if n == 0 else None)
    async with TokenClient(base_url=server.url, max_retries=retries) as client:
        assert await client.request("GET", "/warm") == 1
        with pytest.raises(TransportError):
            await client.request(method, "/x", json={} if method == "PUT" else None)
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

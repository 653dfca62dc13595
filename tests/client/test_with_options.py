"""``client.with_options(...)`` (contract section 8): a view of the client with its own per-call
options, sharing the session, the token, the quota, the 429 pause and the lifecycle. Against
real local servers."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from aiohttp import web
from multidict import CIMultiDict

from vendorkit import LeanLaw
from vendorkit.errors import (
    ClientStateError,
    ConfigurationError,
    RateLimitError,
    ServerError,
    TransportError,
)

from .conftest import OAuthBackend, OAuthClient, TokenClient, ok


def flaky(failures: list[int], *, headers: dict[str, str] | None = None) -> Any:
    """Answer each status in ``failures`` in turn, then 200."""
    left = list(failures)

    async def handler(request: web.Request) -> web.StreamResponse:
        if left:
            return web.json_response({"detail": "busy"}, status=left.pop(0), headers=headers)
        return ok({"done": True})

    return handler


async def _ok(request: web.Request) -> web.StreamResponse:
    return ok({"path": request.path})


async def test_a_per_call_timeout_takes_effect_on_the_view_only(serve: Any, make: Any) -> None:
    async def slow(request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(0.6)
        return ok({"slow": True})

    server = await serve({"GET /slow": slow})
    client = make(TokenClient, server, timeout=5)
    fast = client.with_options(timeout=0.2, max_retries=0)
    assert type(fast) is TokenClient
    started = time.monotonic()
    with pytest.raises(TransportError, match="timed out"):
        await fast.request("GET", "/slow")
    assert time.monotonic() - started < 0.5
    assert await client.request("GET", "/slow") == {"slow": True}
    assert server.hits() == 2


async def test_max_retries_0_on_the_view_sends_once_while_the_client_retries(
    serve: Any, make: Any
) -> None:
    server = await serve({"GET /busy": flaky([503] * 10)})
    client = make(TokenClient, server, max_retries=2)
    with pytest.raises(ServerError):
        await client.with_options(max_retries=0).request("GET", "/busy")
    assert server.hits() == 1
    with pytest.raises(ServerError):
        await client.request("GET", "/busy")
    assert server.hits() == 1 + 3


async def test_the_view_and_its_client_share_one_token(serve: Any, make: Any) -> None:
    backend = OAuthBackend()
    server = await serve(backend.routes())
    client = make(OAuthClient, server)
    view = client.with_options(timeout=3, headers={"X-Trace": "1"})
    await asyncio.gather(
        client.request("GET", "/me"), view.request("GET", "/me"), view.request("GET", "/me")
    )
    await client.request("GET", "/me")
    assert backend.grants == ["client_credentials"]  # one token request for both
    assert server.hits("POST", "/oauth/token") == 1
    assert len(set(backend.used)) == 1


async def test_the_view_and_its_client_share_the_quota(serve: Any, make: Any) -> None:
    server = await serve({"GET /x": _ok})
    client = make(TokenClient, server, rate_limit="2/second")
    view = client.with_options(headers={"X-View": "yes"})
    started = time.monotonic()
    await asyncio.gather(
        *(c.request("GET", "/x") for c in (client, view, view, client, view, client))
    )
    arrivals = sorted(s.at for s in server.seen)
    assert len(arrivals) == 6
    # Never more than two in any one-second window, whichever of the two sent them.
    for i in range(len(arrivals) - 2):
        assert arrivals[i + 2] - arrivals[i] >= 0.9, arrivals
    assert time.monotonic() - started < 4


async def test_the_429_pause_is_shared(serve: Any, make: Any) -> None:
    paused = asyncio.Event()
    server = await serve(
        {"GET /limited": flaky([429], headers={"Retry-After": "0.4"}), "GET /other": _ok}
    )
    client = make(
        TokenClient,
        server,
        on_rate_limit=lambda wait, reason: reason == "429 Retry-After" and paused.set(),
    )
    view = client.with_options(timeout=5)
    limited = asyncio.create_task(client.request("GET", "/limited"))
    await asyncio.wait_for(paused.wait(), 2)
    await view.request("GET", "/other")  # sent after the client's 429: it waits too
    await limited
    t429 = server.requests("GET", "/limited")[0].at
    assert server.requests("GET", "/other")[0].at - t429 >= 0.35


async def test_a_pause_longer_than_the_views_max_retry_wait_raises_at_once(
    serve: Any, make: Any
) -> None:
    server = await serve({"GET /limited": flaky([429], headers={"Retry-After": "5"})})
    client = make(TokenClient, server, max_retry_wait=10)
    task = asyncio.create_task(client.request("GET", "/limited"))
    await asyncio.sleep(0.2)
    started = time.monotonic()
    with pytest.raises(RateLimitError) as info:
        await client.with_options(max_retry_wait=1).request("GET", "/limited")
    assert time.monotonic() - started < 0.5
    assert info.value.retry_after is not None and info.value.retry_after > 4
    assert server.hits() == 1
    task.cancel()


async def test_headers_are_merged_over_the_clients(serve: Any, make: Any) -> None:
    server = await serve({"GET /x": _ok})
    client = make(TokenClient, server)
    client.default_headers["X-Client"] = "c"
    client.default_headers["X-Both"] = "client"
    view = client.with_options(headers={"x-both": "view", "X-View": "v"})
    await view.request("GET", "/x")
    await view.request("GET", "/x", headers={"X-BOTH": "call"})
    await client.request("GET", "/x")
    first, second, plain = (CIMultiDict(s.headers) for s in server.seen)
    assert first["X-Client"] == "c" and first["X-View"] == "v" and first["X-Both"] == "view"
    assert second["X-Both"] == "call"
    assert plain["X-Both"] == "client" and "X-View" not in plain
    assert first["Authorization"] == plain["Authorization"]  # the same credentials


async def test_views_stack(serve: Any, make: Any) -> None:
    server = await serve({"GET /x": _ok, "GET /busy": flaky([503] * 10)})
    client = make(TokenClient, server)
    one = client.with_options(headers={"X-A": "1"}, max_retries=0)
    two = one.with_options(headers={"X-B": "2"}, timeout=2)
    await two.request("GET", "/x")
    seen = server.seen[-1].headers
    assert seen["X-A"] == "1" and seen["X-B"] == "2"
    with pytest.raises(ServerError):
        await two.request("GET", "/busy")
    assert server.hits("GET", "/busy") == 1  # max_retries=0 kept from the first view
    assert "max_retries=0" in repr(two) and "timeout=2.0" in repr(two)


async def test_resources_and_walks_reached_through_the_view_use_its_options(
    serve: Any, make: Any
) -> None:
    async def clients(request: web.Request) -> web.StreamResponse:
        return web.json_response(
            {"data": [{"id": "c-1"}], "pagination": {"limit": 10, "offset": 0, "total": 1}}
        )

    async def one(request: web.Request) -> web.StreamResponse:
        return web.json_response({"data": {"id": request.match_info["id"]}})

    server = await serve({"GET /v2/clients": clients, "GET /v2/clients/{id}": one})
    ll = make(LeanLaw, server, api_key="ll-key-123456789")
    view = ll.with_options(headers={"X-View": "yes"})
    record = await view.clients.get("c-1")
    assert record.id == "c-1"
    assert [c.id async for c in view.clients.list()] == ["c-1"]
    assert [r["id"] async for r in view.paginate("/v2/clients")] == ["c-1"]
    await ll.clients.get("c-2")
    assert [s.headers.get("X-View") for s in server.seen] == ["yes", "yes", "yes", None]
    assert view.clients is not ll.clients


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"max_retry": 0}, "did you mean 'max_retries'"),
        ({"timout": 5}, "did you mean 'timeout'"),
        ({"max_quota_wiat": 1}, "did you mean 'max_quota_wait'"),
        ({"header": {}}, "did you mean 'headers'"),
        ({"rate_limit": None}, "unknown option 'rate_limit'"),
        ({"timeout": -1}, "timeout must be a positive"),
        ({"timeout": 0}, "timeout must be a positive"),
        ({"timeout": "5"}, "timeout must be a number"),
        ({"max_retries": 1.5}, "max_retries must be a whole number"),
        ({"max_retries": True}, "max_retries must be a whole number"),
        ({"max_retries": -1}, "max_retries must be at least 0"),
        ({"max_retry_wait": float("nan")}, "max_retry_wait must be"),
        ({"max_quota_wait": -2}, "max_quota_wait must be"),
        ({"headers": "X-A: 1"}, "headers must be a mapping"),
        ({"headers": {"X-A": "1\r\nX-B: 2"}}, "line breaks"),
    ],
)
async def test_bad_options_are_refused_before_anything_is_sent(
    serve: Any, make: Any, options: dict[str, Any], expected: str
) -> None:
    server = await serve({"GET /x": _ok})
    client = make(TokenClient, server)
    with pytest.raises(ConfigurationError, match=expected.replace("(", r"\(")):
        client.with_options(**options)
    assert server.hits() == 0


async def test_closing_the_client_makes_the_view_unusable(serve: Any, make: Any) -> None:
    server = await serve({"GET /x": _ok})
    client = make(TokenClient, server)
    view = client.with_options(timeout=5)
    await view.request("GET", "/x")
    await client.aclose()
    assert view.closed
    with pytest.raises(ClientStateError):
        await view.request("GET", "/x")
    with pytest.raises(ClientStateError):  # a view made after the close is closed too
        await client.with_options(timeout=1).request("GET", "/x")
    assert server.hits() == 1


async def test_closing_the_view_leaves_the_client_open(serve: Any, make: Any) -> None:
    server = await serve({"GET /x": _ok})
    client = make(TokenClient, server)
    async with client.with_options(timeout=5) as view:
        await view.request("GET", "/x")
    assert view.closed and not client.closed
    with pytest.raises(ClientStateError):
        await view.request("GET", "/x")
    assert await client.request("GET", "/x") == {"path": "/x"}  # the same session, still open
    assert client._transport.open_own_session


async def test_the_view_shares_adapter_state_both_ways(serve: Any, make: Any) -> None:
    server = await serve({"GET /x": _ok})
    client = make(TokenClient, server)
    view = client.with_options(max_retries=1)
    view.request_slots = asyncio.Semaphore(1)  # written through to the client
    assert client.request_slots is view.request_slots
    client.max_quota_wait = 7.0  # not the view's own option: read through, live
    assert view.max_quota_wait == 7.0
    assert client.retry_policy.max_retries != 1 and view.retry_policy.max_retries == 1
    assert view.auth is client.auth and view.rate_limiter is client.rate_limiter


# -- max_quota_wait: a slot further away raises at once (constructor, view, scoped) ------------


@pytest.mark.parametrize("where", ["constructor", "view", "view over a scoped block"])
async def test_a_quota_slot_further_away_than_max_quota_wait_raises_at_once(
    serve: Any, make: Any, where: str
) -> None:
    server = await serve({"GET /x": _ok})
    if where == "constructor":
        client = make(TokenClient, server, rate_limit="2/minute", max_quota_wait=1)
        caller = client
    else:
        client = make(TokenClient, server, rate_limit="2/minute")  # default: waits up to 120s
        caller = client.with_options(max_quota_wait=1)
    await client.request("GET", "/x")
    await caller.request("GET", "/x")  # the quota is shared: both slots of the minute are spent
    started = time.monotonic()
    with pytest.raises(RateLimitError) as info:
        if where == "view over a scoped block":
            # The view's own max_quota_wait is the caller's choice for its calls: it wins.
            with client.scoped_limits(max_quota_wait=None):
                await caller.request("GET", "/x")
        else:
            await caller.request("GET", "/x")
    assert time.monotonic() - started < 0.5
    assert info.value.retry_after is not None and 50 < info.value.retry_after <= 61
    assert "max_quota_wait=1" in str(info.value)
    assert server.hits() == 2


async def test_max_quota_wait_none_on_a_view_waits_for_the_slot(serve: Any, make: Any) -> None:
    server = await serve({"GET /x": _ok})
    client = make(TokenClient, server, rate_limit="1/second", max_quota_wait=0.1)
    await client.request("GET", "/x")
    with pytest.raises(RateLimitError):
        await client.request("GET", "/x")
    await client.with_options(max_quota_wait=None).request("GET", "/x")  # waits its turn
    assert server.hits() == 2

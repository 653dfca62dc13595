"""Hooks and debug logs around real requests; the client-side rate limit."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import pytest
from aiohttp import web

from vendorkit.core import Hooks, Quota, RequestInfo
from vendorkit.errors import ConfigurationError, RateLimitError

from .conftest import TokenClient, make_spec, ok


def throttled_once(retry_after: str = "0.1") -> Any:
    calls = [0]

    async def handler(request: web.Request) -> web.StreamResponse:
        calls[0] += 1
        if calls[0] == 1:
            return web.json_response({}, status=429, headers={"Retry-After": retry_after})
        return ok({"n": calls[0]})

    return handler


async def _ok(request: web.Request) -> web.StreamResponse:
    return ok({})


async def test_hooks_fire_with_their_arguments(serve: Any, make: Any) -> None:
    events: list[tuple[Any, ...]] = []
    server = await serve({"GET /x": throttled_once("0.1")})
    client = make(
        TokenClient,
        server,
        on_request=lambda info: events.append(("request", info)),
        on_response=lambda info, status, elapsed: events.append(("response", status, elapsed)),
        on_retry=lambda attempt, delay, cause: events.append(("retry", attempt, delay, cause)),
        on_rate_limit=lambda wait, reason: events.append(("rate_limit", wait, reason)),
    )
    assert await client.request("GET", "/x", params={"a": "1"}) == {"n": 2}
    kinds = [e[0] for e in events]
    assert kinds[:4] == ["request", "response", "rate_limit", "retry"]
    assert kinds[-2:] == ["request", "response"]
    requests = [e[1] for e in events if e[0] == "request"]
    assert [i.attempt for i in requests] == [1, 2]
    assert all(isinstance(i, RequestInfo) for i in requests)
    assert requests[0].method == "GET"
    assert requests[0].url == f"{server.url}/x?a=1"
    assert requests[0].headers["Authorization"] == "***"
    assert requests[0].headers["Accept"] == "application/json"
    responses = [e for e in events if e[0] == "response"]
    assert [r[1] for r in responses] == [429, 200]
    assert all(r[2] >= 0 for r in responses)
    retry = next(e for e in events if e[0] == "retry")
    assert retry[1] == 1 and retry[3] == 429
    assert 0.1 <= retry[2] < 0.2
    assert ("rate_limit", 0.1, "429 Retry-After") in events


async def test_async_hooks_via_hooks_object_are_awaited(serve: Any, make: Any) -> None:
    seen: list[str] = []

    async def on_request(info: RequestInfo) -> None:
        await asyncio.sleep(0)
        seen.append(f"req {info.attempt}")

    async def on_response(info: RequestInfo, status: int, elapsed: float) -> None:
        await asyncio.sleep(0)
        seen.append(f"resp {status}")

    server = await serve({"GET /x": throttled_once("0")})
    hooks = Hooks(on_request=[on_request], on_response=[on_response])
    extra: list[int] = []
    client = make(TokenClient, server, hooks=hooks, on_response=lambda i, s, e: extra.append(s))
    await client.request("GET", "/x")
    assert seen == ["req 1", "resp 429", "req 2", "resp 200"]
    assert extra == [429, 200]


async def test_raising_hook_does_not_break_requests(
    serve: Any, make: Any, caplog: pytest.LogCaptureFixture
) -> None:
    async def boom(*args: Any) -> None:
        raise ValueError("metrics backend down")

    server = await serve({"GET /x": _ok})
    client = make(TokenClient, server, on_request=boom, on_response=boom)
    with caplog.at_level(logging.WARNING, logger="vendorkit"):
        assert await client.request("GET", "/x") == {}
    assert len([r for r in caplog.records if "raised; ignored" in r.getMessage()]) == 2


async def test_one_debug_log_line_per_request(
    serve: Any, make: Any, caplog: pytest.LogCaptureFixture
) -> None:
    server = await serve({"GET /x": _ok, "GET /y": throttled_once("0")})
    client = make(TokenClient, server)
    with caplog.at_level(logging.DEBUG, logger="vendorkit"):
        await client.request("GET", "/x")
        await client.request("GET", "/x", params={"p": "2"})
        await client.request("GET", "/y")
    lines = [
        r.getMessage()
        for r in caplog.records
        if r.name == "vendorkit" and r.levelno == logging.DEBUG and " -> " in r.getMessage()
    ]
    assert len(lines) == server.hits() == 4
    assert lines[0].startswith(f"vendorkit: GET {server.url}/x -> 200 in ")
    assert lines[1].startswith(f"vendorkit: GET {server.url}/x?p=2 -> 200 in ")
    assert lines[2].startswith(f"vendorkit: GET {server.url}/y -> 429 in ")
    assert lines[2].endswith("attempt 1") and lines[3].endswith("attempt 2")
    assert any("retrying GET" in r.getMessage() for r in caplog.records)


# -- client-side rate limit -----------------------------------------------------------------------


async def test_quota_makes_callers_wait_not_fail(serve: Any, make: Any) -> None:
    waits: list[tuple[float, str]] = []
    server = await serve({"GET /x": _ok})
    client = make(
        TokenClient, server, rate_limit="3/second", on_rate_limit=lambda *a: waits.append(a)
    )
    started = time.monotonic()
    results = await asyncio.gather(*(client.request("GET", "/x") for _ in range(5)))
    assert results == [{}] * 5
    arrivals = sorted(s.at for s in server.seen)
    assert len(arrivals) == 5
    # Three go at once; the fourth and fifth wait for the window to move on (loosely checked).
    assert arrivals[2] - started < 0.5
    assert arrivals[3] - arrivals[0] >= 0.8
    assert time.monotonic() - started < 2.0
    assert waits and {reason for _, reason in waits} == {"client-side quota"}
    assert all(0 < wait <= 1.1 for wait, _ in waits)


class QuotaClient(TokenClient):
    spec = make_spec(name="quotakit", quotas=(Quota(1, 1.0),))


async def test_vendor_default_quota_applies(serve: Any, make: Any) -> None:
    server = await serve({"GET /x": _ok})
    client = make(QuotaClient, server)
    assert client.rate_limiter is not None
    assert client.rate_limiter.quotas == (Quota(1, 1.0),)
    # Bulk jobs cap the wait: beyond it the quota raises instead of sleeping.
    client.max_quota_wait = 0.1
    await client.request("GET", "/x")
    started = time.monotonic()
    with pytest.raises(RateLimitError, match="client-side quota") as info:
        await client.request("GET", "/x")
    assert time.monotonic() - started < 0.5
    assert info.value.retry_after is not None and 0 < info.value.retry_after <= 1.1
    assert server.hits() == 1


async def test_rate_limit_none_disables_the_quota(serve: Any, make: Any) -> None:
    server = await serve({"GET /x": _ok})
    client = make(QuotaClient, server, rate_limit=None)
    assert client.rate_limiter is None
    started = time.monotonic()
    await asyncio.gather(*(client.request("GET", "/x") for _ in range(5)))
    assert time.monotonic() - started < 0.5
    assert server.hits() == 5


def test_rate_limit_parsing() -> None:
    client = TokenClient(rate_limit="5/second;100/minute")
    assert client.rate_limiter is not None
    assert client.rate_limiter.quotas == (Quota(5, 1.0), Quota(100, 60.0))
    assert TokenClient().rate_limiter is None  # the spec declares no quota
    with pytest.raises(ConfigurationError, match="rate_limit"):
        TokenClient(rate_limit="lots")

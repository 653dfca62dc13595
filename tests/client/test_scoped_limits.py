"""``client.scoped_limits(...)``: a request bound and a quota wait for every request inside a
block, per task (as ``scoped_headers`` does for headers); the client's own settings stay."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from aiohttp import web

from vendorkit.core import Quota
from vendorkit.errors import ConfigurationError, RateLimitError

from .conftest import TokenClient, make_spec, ok


class OnePerSecond(TokenClient):
    spec = make_spec(name="scopedkit", quotas=(Quota(1, 1.0),))


async def _ok(request: web.Request) -> web.StreamResponse:
    return ok({})


def _slow(seen: list[int]) -> Any:
    in_flight = [0]

    async def handler(request: web.Request) -> web.StreamResponse:
        in_flight[0] += 1
        seen.append(in_flight[0])
        await asyncio.sleep(0.05)
        in_flight[0] -= 1
        return ok({})

    return handler


async def test_request_slots_bound_the_requests_inside_the_block_only(
    serve: Any, make: Any
) -> None:
    seen: list[int] = []
    server = await serve({"GET /x": _slow(seen)})
    client = make(TokenClient, server, rate_limit=None)
    slots = asyncio.Semaphore(1)
    with client.scoped_limits(request_slots=slots):
        await asyncio.gather(*(client.request("GET", "/x") for _ in range(4)))
    assert max(seen) == 1  # tasks started inside the block (gather's) share the bound
    assert client.request_slots is None  # the client's own setting is unchanged
    seen.clear()
    await asyncio.gather(*(client.request("GET", "/x") for _ in range(4)))
    assert max(seen) > 1


async def test_scoped_max_quota_wait_raises_inside_and_waits_outside(serve: Any, make: Any) -> None:
    server = await serve({"GET /x": _ok})
    client = make(OnePerSecond, server, max_quota_wait=None)
    await client.request("GET", "/x")
    started = time.monotonic()
    with (
        client.scoped_limits(max_quota_wait=0.05),
        pytest.raises(RateLimitError, match=r"max_quota_wait=0.05s"),
    ):
        await client.request("GET", "/x")
    assert time.monotonic() - started < 0.5
    assert client.max_quota_wait is None
    await client.request("GET", "/x")  # outside: waits for the slot
    assert server.hits() == 2


async def test_scoped_limits_do_not_leak_into_other_tasks(serve: Any, make: Any) -> None:
    server = await serve({"GET /x": _ok})
    client = make(OnePerSecond, server, max_quota_wait=None)
    await client.request("GET", "/x")
    inside = asyncio.Event()
    release = asyncio.Event()

    async def scoped() -> None:
        with client.scoped_limits(max_quota_wait=0.0):
            inside.set()
            await release.wait()
            await client.request("GET", "/x")

    task = asyncio.create_task(scoped())
    await inside.wait()
    await client.request("GET", "/x")  # this task waits for its slot, unbounded
    release.set()
    with pytest.raises(RateLimitError):
        await task


async def test_nested_blocks_keep_what_they_do_not_name() -> None:
    client = TokenClient(rate_limit=None, max_quota_wait=3)
    slots = asyncio.Semaphore(2)
    assert client._limits() == (None, 3.0)
    with client.scoped_limits(request_slots=slots):
        with client.scoped_limits(max_quota_wait=None):
            assert client._limits() == (slots, None)
        assert client._limits() == (slots, 3.0)
    assert client._limits() == (None, 3.0)
    await client.aclose()


@pytest.mark.parametrize(
    "options",
    [{"request_slots": 3}, {"max_quota_wait": -1}, {"max_quota_wait": "5"}],
    ids=["slots not a semaphore", "negative wait", "wait as text"],
)
def test_bad_scoped_limits_are_configuration_errors(options: dict[str, Any]) -> None:
    client = TokenClient(rate_limit=None)
    with pytest.raises(ConfigurationError), client.scoped_limits(**options):
        pass

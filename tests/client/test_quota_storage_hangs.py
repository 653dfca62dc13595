"""A shared quota storage (Redis) that stops answering after a slot was taken: the answer that
comes meanwhile, and a request cancelled meanwhile, go on at once. Moving the slot to the
answer (``RateLimiter.settle_soon``) runs beside them, capped, and ``aclose`` does not wait for
it long. Before, the answer (or the cancellation a web app's disconnected caller relies on)
waited for the storage's whole socket timeout.

Redis is reached through ``Relay``, which holds every byte once told to (the connections stay
open: a partition, not a refusal, the case a socket timeout is for)."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

from aiohttp import web

from tests._redis_relay import Relay
from vendorkit import LeanLaw
from vendorkit.core import Quota, RateLimiter

# The storage's socket timeout: what a caller used to wait. The margins below are a third of it.
STORAGE_TIMEOUT = 30.0
MARGIN = STORAGE_TIMEOUT / 3


def _limiter(url: str) -> RateLimiter:
    return RateLimiter(
        [Quota(100, 60)], key=f"hang-{uuid.uuid4()}", storage=url, timeout=STORAGE_TIMEOUT
    )


async def test_an_answer_is_not_held_up_by_a_storage_that_hangs_after_the_take(
    serve: Any, make: Any
) -> None:
    relay = Relay()
    async with relay.running() as url:
        limiter = _limiter(url)

        async def answer(request: web.Request) -> web.Response:
            relay.flowing.clear()  # the slot is taken; from now on Redis hears nothing
            return web.json_response({"data": {"id": request.match_info["id"]}})

        server = await serve({"GET /v2/clients/{id}": answer})
        ll = make(LeanLaw, server, api_key="ll-key-123456789", rate_limit=limiter, max_retries=0)
        got = await asyncio.wait_for(ll.clients.get("7"), MARGIN)
        assert got.id == "7"
        began = time.monotonic()
        await asyncio.wait_for(limiter.aclose(), MARGIN)
        assert time.monotonic() - began < MARGIN


async def test_a_request_cancelled_while_the_storage_hangs_unwinds_at_once(
    serve: Any, make: Any
) -> None:
    """What ``CancelOnDisconnect`` and aiohttp's handler cancellation rely on: the caller went
    away, the vendor call is cancelled, and nothing waits for a storage that will not answer."""
    relay = Relay()
    arrived = asyncio.Event()
    async with relay.running() as url:
        limiter = _limiter(url)

        async def hang(request: web.Request) -> web.Response:
            relay.flowing.clear()
            arrived.set()
            await asyncio.Event().wait()  # never answers
            raise AssertionError("unreachable")

        server = await serve({"GET /v2/clients/{id}": hang})
        ll = make(LeanLaw, server, api_key="ll-key-123456789", rate_limit=limiter, max_retries=0)
        call = asyncio.ensure_future(ll.clients.get("7"))
        await asyncio.wait_for(arrived.wait(), MARGIN)
        call.cancel()
        done, _ = await asyncio.wait({call}, timeout=MARGIN)
        assert call in done and call.cancelled()
        await asyncio.wait_for(limiter.aclose(), MARGIN)


async def test_a_live_storage_still_has_the_slot_moved_to_the_answer_by_the_close(
    serve: Any, make: Any
) -> None:
    """Not awaited by the request, the move still happens: a client closed right after its
    last answer leaves that slot counted from the answer, for whoever shares the budget next."""
    from tests._redis_url import REDIS_URL

    limiter = RateLimiter([Quota(100, 60)], key=f"live-{uuid.uuid4()}", storage=REDIS_URL)
    answered: list[float] = []

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(0.3)
        answered.append(time.time())
        return web.json_response({"data": {"id": request.match_info["id"]}})

    server = await serve({"GET /v2/clients/{id}": slow})
    ll = make(LeanLaw, server, api_key="ll-key-123456789", rate_limit=limiter, max_retries=0)
    sent = time.time()
    await ll.clients.get("7")
    await limiter.aclose()
    import redis.asyncio as aioredis

    redis = aioredis.Redis.from_url(REDIS_URL)
    try:
        keys = [k async for k in redis.scan_iter(f"vendorkit*{limiter._key}*")]
        assert keys, "the slot was not recorded"
        stamps = [float(v) for k in keys for v in await redis.lrange(k, 0, -1)]
    finally:
        await redis.aclose()
    assert len(stamps) == 1
    # Counted from the answer (0.3 s after the sending), not from the sending.
    assert stamps[0] >= sent + 0.25, (stamps[0] - sent, answered[0] - sent)

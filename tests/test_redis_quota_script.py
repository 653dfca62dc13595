"""The shared quota on Redis takes a slot in one atomic script (``_ratelimit._TAKE_SLOT``): one
round trip per request, and two processes racing for a freed slot can neither both take it nor
take it before the guard has passed. Against the real Redis (``VENDORKIT_TEST_REDIS_URL``); the
"processes" are limiters with pools of their own, as two processes would have."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import redis.asyncio as aioredis

from tests._redis_url import REDIS_URL
from vendorkit.core import Quota, RateLimiter


async def commands(name: str) -> int:
    client = aioredis.from_url(REDIS_URL)
    try:
        stats = await client.info("commandstats")
        return int(stats.get(f"cmdstat_{name}", {}).get("calls", 0))
    finally:
        await client.aclose()


async def test_each_slot_is_one_round_trip() -> None:
    limiter = RateLimiter(
        [Quota(1000, 60), Quota(5000, 86400)], key=f"t-{uuid.uuid4()}", storage=REDIS_URL
    )
    try:
        await limiter.acquire()  # the script is loaded on first use
        before = await commands("evalsha")
        for _ in range(20):
            await limiter.acquire()
        assert await commands("evalsha") - before == 20  # one script call each, nothing else
        left = await limiter.remaining()  # limits reads the keys the script wrote
        assert left == {Quota(1000, 60): 1000 - 21, Quota(5000, 86400): 5000 - 21}
        await limiter.reset()
        assert await limiter.remaining() == {Quota(1000, 60): 1000, Quota(5000, 86400): 5000}
    finally:
        await limiter.aclose()


async def test_racing_processes_never_take_more_than_the_window_allows() -> None:
    """Eight loops in two "processes" race for a 3/second quota with a 0.2 s guard for 2.6 s.
    Every slot taken is recorded with the time the script took it at (the script is wrapped to
    see its answer); any ``limit + 1`` of them within window + guard is a slot taken twice or
    taken early."""
    key, limit, guard = f"race-{uuid.uuid4()}", 3, 0.2
    span = 1 + guard
    limiters = [
        RateLimiter([Quota(limit, 1)], key=key, storage=REDIS_URL, guard=guard) for _ in range(2)
    ]
    taken: list[float] = []

    def recording(script: Any) -> Any:
        async def call(*, keys: list[str], args: list[Any]) -> Any:
            answer = await script(keys=keys, args=args)
            if answer is None:
                taken.append(float(args[0]))
            return answer

        return call

    for lim in limiters:
        lim._take_slot = recording(lim._take_slot)

    async def loop(limiter: RateLimiter, until: float) -> None:
        while time.time() < until:
            await limiter.acquire()

    try:
        until = time.time() + 2.6
        await asyncio.gather(*(loop(lim, until) for lim in limiters for _ in range(4)))
    finally:
        for lim in limiters:
            await lim.aclose()
    taken.sort()
    assert len(taken) >= 2 * limit  # both went on taking slots
    for k in range(len(taken) - limit):
        spread = taken[k + limit] - taken[k]
        assert spread >= span, f"{limit + 1} slots within {spread:.3f}s (< {span}s)"

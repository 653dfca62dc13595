"""Found in review, fixed; kept as the test that would catch it again. What was found:

``max_quota_wait`` bounds each *look* at the quota, not the wait. ``RateLimiter.acquire``
compares the wait until the next free slot with ``max_wait`` on every round of its loop; with
many callers, the next free slot is always near, every caller sleeps, one wins it, the others
look again and sleep again. So with ``max_quota_wait=1.5`` and a 2/second quota, twenty
concurrent calls all succeed, the last after ten seconds: no ``RateLimitError`` is ever raised.
With MakeLeaps' 120/minute, a burst of 1,000 calls keeps the last one waiting eight minutes under
the default ``max_quota_wait=120``; against the daily 5000, hours.

Broken promise: contract section 8 / docs/clients.md, "a client-side quota slot further away than
this raises RateLimitError (with retry_after) at once instead of waiting"; issue 8, "a client-side
quota slot hours away must not block a plain call for hours", "no call hangs".
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from aiohttp import web

from vendorkit import LeanLaw
from vendorkit.errors import RateLimitError

MAX_QUOTA_WAIT = 1.5


async def test_no_call_waits_for_the_quota_much_longer_than_max_quota_wait(
    serve: Any, make: Any
) -> None:
    async def client(request: web.Request) -> web.Response:
        return web.json_response({"data": {"id": request.match_info["id"]}})

    server = await serve({"GET /v2/clients/{id}": client})
    ll = make(
        LeanLaw,
        server,
        api_key="ll-key-123456789",
        rate_limit="2/second",
        max_quota_wait=MAX_QUOTA_WAIT,
    )

    async def one(i: int) -> tuple[str, float]:
        started = time.monotonic()
        try:
            await ll.clients.get(str(i))
            outcome = "ok"
        except RateLimitError:
            outcome = "rate limited"
        return outcome, time.monotonic() - started

    results = await asyncio.gather(*(one(i) for i in range(20)))
    slowest = max(seconds for _, seconds in results)
    outcomes = sorted({outcome for outcome, _ in results})
    # Each call either got a slot within max_quota_wait (plus a guard and scheduling slack) or
    # was told at once that none was near enough.
    assert slowest <= MAX_QUOTA_WAIT + 1.0, (
        f"a call waited {slowest:.1f}s for a quota slot with max_quota_wait={MAX_QUOTA_WAIT} "
        f"(outcomes: {outcomes})"
    )

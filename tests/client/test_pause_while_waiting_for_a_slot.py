"""A request waiting for a client-side quota slot when another request's 429 starts the pause
does not go out inside that pause: it waits it out and takes a fresh slot (the scale-out bench
saw 429s come in waves without this: requests queued for slots went out during the pause the
vendor had asked for, and met it again)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from aiohttp import web

from .conftest import TokenClient, ok


async def test_a_request_queued_for_a_slot_waits_out_a_pause_that_began_meanwhile(
    serve: Any, make: Any
) -> None:
    arrivals: list[float] = []

    async def items(request: web.Request) -> web.Response:
        arrivals.append(time.monotonic())
        if len(arrivals) == 1:
            return web.json_response(
                {"error": "slow down"}, status=429, headers={"Retry-After": "2"}
            )
        return ok([])

    server = await serve({"GET /items": items})
    # One request a second: the second call waits about a second for its slot, and gets it
    # while the first call's 429 pause (2 s) still runs.
    client = make(TokenClient, server, rate_limit="1/second")
    results = await asyncio.gather(client.request("GET", "/items"), client.request("GET", "/items"))
    assert results == [[], []]
    first = arrivals[0]
    # Nothing reached the server inside the pause (a busy machine only makes them later).
    assert len(arrivals) == 3 and all(t >= first + 1.9 for t in arrivals[1:]), [
        round(t - first, 3) for t in arrivals
    ]

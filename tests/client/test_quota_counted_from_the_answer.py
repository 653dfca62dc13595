"""The client-side quota counts a slot from its request's answer, not from its sending
(``RateLimiter.settle``), so a vendor that counts requests when they reach it never sees one
too many, whatever the latency between the two.

The servers here count requests late on purpose: one request in ten is held for 80 ms (the
network, a proxy, a busy server) *before* it is counted, the others are counted at once, and a
request that finds ``LIMIT`` others counted in the second before it is answered 429. Eight
callers keep the quota full, so its slots go in bursts of ``LIMIT``, a window apart. Counted
from its sending, the held request's slot frees a window after it left, and the burst that
takes it arrives at once, inside the window the held one was counted in: the burst's last
request finds ``LIMIT`` counted (this test fails on the code before ``settle``). Counted
from the answer, the replacing request leaves a window after the held one was counted, however
late that was. Nothing here depends on the machine being quick: the server counts between the
client's send and the client's receipt, which is all ``settle`` relies on.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from typing import Any

from aiohttp import web

from tests._redis_url import REDIS_URL
from vendorkit import LeanLaw
from vendorkit.core import Quota, RateLimiter
from vendorkit.errors import RateLimitError

LIMIT = 5  # per second, on the server and on the client
HELD = 0.08  # seconds one request in ten is held before the server counts it
CALLS = 24  # about five windows' worth


class CountingLate:
    """A sliding one-second window over arrival times, where "arrival" is after the hold."""

    def __init__(self) -> None:
        self.counted: list[float] = []
        self.throttled = 0
        self.seen = 0

    async def handle(self, request: web.Request) -> web.Response:
        self.seen += 1
        if self.seen % 10 == 1:
            await asyncio.sleep(HELD)
        now = time.time()
        inside = [t for t in self.counted if t > now - 1.0]
        if len(inside) >= LIMIT:
            self.throttled += 1
            return web.json_response(
                {"error": "throttled"}, status=429, headers={"Retry-After": "1"}
            )
        self.counted.append(now)
        return web.json_response({"data": {"id": request.match_info["id"]}})


async def _run(ll: Any, calls: int = CALLS) -> None:
    # More callers than the quota has slots, so the quota, not the callers, sets the pace. A
    # 429 is counted by the server; the caller goes on.
    queue = list(range(calls))

    async def caller() -> None:
        while queue:
            with contextlib.suppress(RateLimitError):
                await ll.clients.get(str(queue.pop()))

    await asyncio.gather(*(caller() for _ in range(8)))


async def test_a_server_counting_requests_late_never_sees_one_too_many(
    serve: Any, make: Any
) -> None:
    server_state = CountingLate()
    server = await serve({"GET /v2/clients/{id}": server_state.handle})
    ll = make(
        LeanLaw, server, api_key="ll-key-123456789", rate_limit=f"{LIMIT}/second", max_retries=0
    )
    await _run(ll)
    assert server_state.throttled == 0
    assert len(server_state.counted) == CALLS


async def test_processes_sharing_a_quota_on_redis_never_make_it_see_one_too_many(
    serve: Any, make: Any
) -> None:
    """Two clients with pools of their own (as two processes would have) share one budget on
    Redis: the settle script moves each slot to its answer for both."""
    server_state = CountingLate()
    server = await serve({"GET /v2/clients/{id}": server_state.handle})
    key = f"late-{uuid.uuid4()}"
    clients = [
        make(
            LeanLaw,
            server,
            api_key="ll-key-123456789",
            rate_limit=RateLimiter([Quota(LIMIT, 1)], key=key, storage=REDIS_URL),
            max_retries=0,
        )
        for _ in range(2)
    ]
    try:
        await asyncio.gather(*(_run(c, CALLS // 2) for c in clients))
    finally:
        for c in clients:
            await c.rate_limiter.aclose()
    assert server_state.throttled == 0
    assert len(server_state.counted) == CALLS


async def test_a_failing_settle_loses_no_answer(serve: Any, make: Any) -> None:
    """Redis failing between the take and the settle: the answer the caller waits for is still
    returned, and the slot stays counted from its sending."""
    server_state = CountingLate()
    server = await serve({"GET /v2/clients/{id}": server_state.handle})
    limiter = RateLimiter([Quota(LIMIT, 1)], key=f"settle-{uuid.uuid4()}", storage=REDIS_URL)
    ll = make(LeanLaw, server, api_key="ll-key-123456789", rate_limit=limiter, max_retries=0)

    async def unreachable(**_: Any) -> Any:
        raise ConnectionError("Redis went away")

    limiter._settle_slot = unreachable  # the take still reaches Redis; the settle does not
    try:
        got = await ll.clients.get("7")
    finally:
        await limiter.aclose()
    assert got.id == "7"


async def test_time_queued_after_taking_a_slot_is_not_counted_as_sent(
    serve: Any, make: Any
) -> None:
    """(From the review of the settle change.) A slot taken, then a wait for the in-flight bound
    (one request at a time here, each answered 0.6 s later): counted from its taking, the slot
    of a request that queued longer than the window left it before the request was even sent,
    and a vendor counting one request just before its answer saw three in a second on a quota
    of two. The slot now moves to the moment its request leaves."""
    counted: list[float] = []
    seen = 0

    async def slow(request: web.Request) -> web.Response:
        nonlocal seen
        first, seen = seen == 0, seen + 1
        if not first:
            counted.append(time.time())  # counted on arrival
        await asyncio.sleep(0.6)
        if first:
            counted.append(time.time())  # the first counted just before its answer
        return web.json_response({"data": {"id": request.match_info["id"]}})

    server = await serve({"GET /v2/clients/{id}": slow})
    ll = make(LeanLaw, server, api_key="ll-key-123456789", rate_limit="2/second", max_retries=0)
    with ll.scoped_limits(request_slots=asyncio.Semaphore(1)):
        await asyncio.gather(*(ll.clients.get(str(i)) for i in range(6)))
    counted.sort()
    most = max(sum(1 for u in counted if t - 1.0 < u <= t) for t in counted)
    assert most <= 2, [round(t - counted[0], 3) for t in counted]


async def test_a_token_renewed_between_a_slot_and_its_send_does_not_share_its_window() -> None:
    """(From the second review of the settle change.) A request takes its slot after a wait,
    then finds its token due: the grant waits a window for a slot of its own, and the request's
    slot expires unsent. Sent on that expired slot, the request and the grant arrived in one
    window on a quota of one. The request now takes a fresh slot when its old one is gone."""
    from aiohttp.test_utils import TestServer

    from tests.client.conftest import OAuthBackend, OAuthClient

    arrivals: list[float] = []
    backend = OAuthBackend(expires_in=2.0)  # renewed within the last tenth of its lifetime

    @web.middleware
    async def count(request: web.Request, handler: Any) -> web.StreamResponse:
        arrivals.append(time.time())  # counted on arrival
        return await handler(request)

    app = web.Application(middlewares=[count])
    for key, handler in backend.routes().items():
        method, path = key.split(" ", 1)
        app.router.add_route(method, path, handler)
    server = TestServer(app)
    await server.start_server()
    client = OAuthClient(
        base_url=str(server.make_url("")).rstrip("/"),
        rate_limit="1/second",
        refresh_margin=60.0,
        max_retries=0,
    )
    try:
        for _ in range(3):
            await client.request("GET", "/me")
    finally:
        await client.aclose()
        await server.close()
    arrivals.sort()
    most = max(sum(1 for u in arrivals if t - 1.0 < u <= t) for t in arrivals)
    assert most == 1, [round(t - arrivals[0], 3) for t in arrivals]

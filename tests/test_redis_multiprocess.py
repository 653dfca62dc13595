"""Scale-out with real processes: N worker processes (``tests/redis_worker.py``), each with its
own client built from the sandbox's credentials and ``redis_url=``, share one token and one rate
budget per vendor account through a real Redis server (``VENDORKIT_TEST_REDIS_URL``, by default
database 15 of 127.0.0.1:6379, emptied of ``vendorkit:*`` keys before and after each test, under
a lease on the database: see ``tests/_redis_lease.py``). The emulators run in this process and
are the judges: their counters say how many token requests of each grant they answered and how
many requests they throttled, and a middleware records when each request arrived.

Timing: a token renewed during a burst must stay fresh until the burst ends, or the burst renews
it again. ``TOKEN_TTL`` leaves a burst 4.5 s (a token is renewed at nine tenths of its life); a
burst of 4 x 20 requests took at most 0.75 s on a 2-core machine running two copies of this file
and two CPU-bound processes (with 2-second tokens that left 1.8 s: too little). Each assertion
says how long its burst took."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis
from aiohttp import web

import vendorkit
from tests._redis_lease import database_lease, empty
from tests._redis_url import REDIS_URL
from vendorkit.core import Quota
from vendorkit.core._redis import RedisTokenStore
from vendorkit.errors import RateLimitError, TransportError
from vendorkit.sandbox import Sandbox
from vendorkit.sandbox._emulator import Emulator

WORKER = str(Path(__file__).with_name("redis_worker.py"))
# The workers import the vendorkit these tests import (this checkout's), not whichever one the
# interpreter's site-packages points to: ``python tests/redis_worker.py`` puts tests/ first on
# sys.path, not the checkout, and a shared virtualenv's editable install may be another checkout.
SOURCE_ROOT = str(Path(vendorkit.__file__).resolve().parent.parent)
N = 4  # worker processes
STEP_TIMEOUT = 30.0  # generous: only a hung worker ever gets near it
TOKEN_TTL = 5.0  # seconds; see the module docstring


@pytest.fixture(autouse=True)
async def clean_redis() -> AsyncIterator[None]:
    r = aioredis.from_url(REDIS_URL)
    try:
        async with database_lease(r):
            await empty(r)
            yield
            await empty(r)
    finally:
        await r.aclose()


class Worker:
    """One worker process: ``burst(n)`` makes it send n concurrent requests."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc

    @classmethod
    async def start(cls, config: dict[str, Any]) -> Worker:
        path = os.pathsep.join(p for p in (SOURCE_ROOT, os.environ.get("PYTHONPATH")) if p)
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            WORKER,
            json.dumps(config),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": path},
        )
        return cls(proc)

    async def event(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = await asyncio.wait_for(self.proc.stdout.readline(), STEP_TIMEOUT)
        if not line:
            assert self.proc.stderr is not None
            err = (await self.proc.stderr.read()).decode(errors="replace")
            raise AssertionError(f"worker exited ({await self.proc.wait()}):\n{err}")
        event: dict[str, Any] = json.loads(line)
        return event

    async def command(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line.encode() + b"\n")
        await self.proc.stdin.drain()

    async def burst(self, n: int) -> dict[str, Any]:
        await self.command(f"burst {n}")
        event = await self.event()
        assert event["event"] == "burst", event
        return event

    async def stop(self) -> None:
        """Ask the worker to close its client and exit; kill it if it does not."""
        if self.proc.returncode is None:
            try:
                await self.command("quit")
                await asyncio.wait_for(self.proc.wait(), 10)
            except (OSError, TimeoutError):
                self.proc.kill()
                await self.proc.wait()


async def start_workers(configs: list[dict[str, Any]]) -> list[Worker]:
    workers: list[Worker] = []
    try:
        for config in configs:
            workers.append(await Worker.start(config))
        for w in workers:
            ready = await w.event()
            assert ready == {"event": "ready", "vendorkit": vendorkit.__file__}, ready
    except BaseException:
        await stop_workers(workers)
        raise
    return workers


async def stop_workers(workers: list[Worker]) -> None:
    await asyncio.gather(*(w.stop() for w in workers))


async def bursts(workers: list[Worker], n: int) -> list[dict[str, Any]]:
    """Every worker sends n concurrent requests at once; their reports."""
    return list(await asyncio.gather(*(w.burst(n) for w in workers)))


async def timed_bursts(workers: list[Worker], n: int) -> tuple[list[dict[str, Any]], str]:
    """``bursts``, and a note of how long they took, for assertion messages."""
    started = time.monotonic()
    reports = await bursts(workers, n)
    return reports, f"the burst took {time.monotonic() - started:.2f}s, tokens live {TOKEN_TTL}s"


def all_ok(reports: list[dict[str, Any]], n: int) -> None:
    assert [(r["ok"], r["errors"]) for r in reports] == [(n, {})] * len(reports)


def record_arrivals(emu: Emulator) -> list[tuple[float, str]]:
    """(monotonic time, path) of every request the emulator receives, taken before its throttle."""
    arrivals: list[tuple[float, str]] = []
    make_app = emu.make_app

    def instrumented() -> web.Application:
        app = make_app()

        @web.middleware
        async def stamp(
            request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
        ) -> web.StreamResponse:
            arrivals.append((time.monotonic(), request.path))
            return await handler(request)

        app.middlewares.insert(0, stamp)
        return app

    emu.make_app = instrumented  # type: ignore[method-assign]
    return arrivals


def config(sb: Sandbox, vendor: str, path: str, **client: Any) -> dict[str, Any]:
    return {
        "vendor": vendor,
        "client": {**sb.credentials(vendor), "redis_url": REDIS_URL, **client},
        "path": path,
    }


# -- one token per account ------------------------------------------------------------------------


async def test_leaddesk_processes_share_one_token_and_one_rotation() -> None:
    """Password grant with refresh-token rotation: one password grant on a cold start, one
    refresh_token grant when the token expires, one more when the server revokes the access token
    early (every process meets 401s at once), and never a fallback to the password grant."""
    ttl = TOKEN_TTL
    async with Sandbox(vendors=["leaddesk"], records=10, token_ttl=ttl) as sb:
        emu = sb.emulator("leaddesk")
        workers = await start_workers([config(sb, "leaddesk", "/users")] * N)
        try:
            # Cold start: every process, twenty requests each at once.
            reports, took = await timed_bursts(workers, 20)
            all_ok(reports, 20)
            assert dict(emu.counters.token_requests) == {"password": 1}, took
            issued = time.monotonic()
            # Only the first token is short-lived: the refreshed one must not come due during
            # the next bursts on a busy machine.
            emu.tokens.ttl = 3600

            # Expiry: each process renews ahead of expiry; together they refresh once.
            await asyncio.sleep(max(0.0, issued + ttl - time.monotonic()))
            reports, took = await timed_bursts(workers, 20)
            all_ok(reports, 20)
            assert dict(emu.counters.token_requests) == {"password": 1, "refresh_token": 1}, took
            assert sum(r["token_requests"] for r in reports) == 2

            # The server kills the access token: every process meets 401s, one of them renews
            # (with the current refresh token), the others replay with the new token.
            assert emu.tokens.revoke_where(kind="access") == 1
            reports, took = await timed_bursts(workers, 20)
            all_ok(reports, 20)
            assert dict(emu.counters.token_requests) == {"password": 1, "refresh_token": 2}, took
            assert emu.counters.requests["POST /stable/oauth/access-token"] == 3
        finally:
            await stop_workers(workers)


async def test_makeleaps_processes_share_one_client_credentials_token() -> None:
    """client_credentials (no refresh token): one token request on a cold start, one when the
    token expires."""
    ttl = TOKEN_TTL
    async with Sandbox(vendors=["makeleaps"], records=10, token_ttl=ttl) as sb:
        emu = sb.emulator("makeleaps")
        workers = await start_workers([config(sb, "makeleaps", "/api/partner/")] * N)
        try:
            reports, took = await timed_bursts(workers, 10)
            all_ok(reports, 10)
            assert dict(emu.counters.token_requests) == {"client_credentials": 1}, took
            issued = time.monotonic()
            emu.tokens.ttl = 3600  # only the first token is short-lived
            await asyncio.sleep(max(0.0, issued + ttl - time.monotonic()))
            reports, took = await timed_bursts(workers, 10)
            all_ok(reports, 10)
            assert dict(emu.counters.token_requests) == {"client_credentials": 2}, took
            assert emu.counters.throttled == 0
        finally:
            await stop_workers(workers)


# -- one budget per account -----------------------------------------------------------------------


async def test_processes_share_one_quota_and_the_server_never_throttles() -> None:
    """Four processes, ten requests each, against a server enforcing 10 requests per 2 seconds:
    with the same client-side quota on Redis, the server throttles none of them, and no window
    of arrivals holds more than ten.

    Timing: the client takes a freed slot again only a guard after the window frees it, to absorb
    the difference between when a request leaves and when the server counts it. Here that
    difference is the event-loop lag of a worker plus that of the emulator's process, and
    processes racing for one freed slot can shave the guard (see ``vendorkit/core/_ratelimit.py``).
    With two copies of this file and two CPU-bound processes on 2 cores, loop lags reached 190 ms
    and slot spacing fell 50 ms short of the guard: the default guard (a tenth of the window, at
    most 0.25 s) was exceeded in two of three such runs (4 and 3 requests throttled, with 1- and
    3-second windows). So these workers use a 0.75 s guard (``guard`` in the worker's config),
    three times the worst jitter measured."""
    limit, per = 10, 2.0
    quota = f"{limit} per 2 seconds"
    sb = Sandbox(vendors=["leanlaw"], records=5, quotas={"leanlaw": quota})
    arrivals = record_arrivals(sb.emulator("leanlaw"))
    async with sb:
        emu = sb.emulator("leanlaw")
        workers = await start_workers(
            [{**config(sb, "leanlaw", "/v2/clients", rate_limit=quota), "guard": 0.75}] * N
        )
        try:
            all_ok(await bursts(workers, 10), 10)
        finally:
            await stop_workers(workers)
        assert emu.counters.throttled == 0
        assert emu.counters.requests["GET /v2/clients"] == N * 10
    times = sorted(t for t, _ in arrivals)
    assert len(times) == N * 10
    # Any limit+1 consecutive arrivals span more than the window (four windows' worth here).
    spans = [times[i + limit] - times[i] for i in range(len(times) - limit)]
    assert min(spans) > per


async def test_two_accounts_of_one_vendor_share_neither_token_nor_budget() -> None:
    """Two LeadDesk users (client_user grant) on one Redis, two processes each: one token per
    user, and a budget per user (7 per hour: one token request plus six calls)."""
    async with Sandbox(vendors=["leaddesk"], records=10) as sb:
        emu = sb.emulator("leaddesk")
        creds = sb.credentials("leaddesk")
        users = [u["username"] for u in list(emu.store["users"].values())[:2]]
        configs = []
        for username in users:
            client = {
                "client_id": creds["client_id"],
                "client_secret": creds["client_secret"],
                "base_url": creds["base_url"],
                "username": username,
                "leaddesk_client_id": emu.leaddesk_client_id,  # type: ignore[attr-defined]
                "redis_url": REDIS_URL,
                "rate_limit": "7 per hour",
            }
            configs += [
                {"vendor": "leaddesk", "client": client, "path": "/users", "max_quota_wait": 0.5}
            ] * 2
        workers = await start_workers(configs)
        try:
            reports = await bursts(workers, 4)
        finally:
            await stop_workers(workers)
        assert dict(emu.counters.token_requests) == {"client_user": 2}
        for pair in (reports[:2], reports[2:]):  # one account each
            assert sum(r["ok"] for r in pair) == 6
            assert sum(r["errors"].get("RateLimitError", 0) for r in pair) == 2
            assert sum(r["token_requests"] for r in pair) == 1
        assert emu.counters.requests["GET /stable/users"] == 12


async def test_a_401_replay_takes_a_slot_of_the_shared_budget_too() -> None:
    """The vendor counts the replay after a 401 (and the token request): so does the budget.
    Five slots: token, GET, GET refused with 401, refresh, replay; the next call finds none."""
    async with Sandbox(vendors=["leaddesk"], records=5) as sb:
        emu = sb.emulator("leaddesk")
        async with sb.client("leaddesk", redis_url=REDIS_URL, rate_limit="5 per hour") as c:
            c.max_quota_wait = 0.2
            await c.request("GET", "/users")
            emu.tokens.revoke_where(kind="access")
            await c.request("GET", "/users")
            with pytest.raises(RateLimitError):
                await c.request("GET", "/users")
        assert dict(emu.counters.token_requests) == {"password": 1, "refresh_token": 1}
        assert emu.counters.total_requests == 5


# -- the pieces underneath ------------------------------------------------------------------------


async def test_a_held_lock_outlives_its_timeout_and_a_dead_holders_lock_lapses() -> None:
    """The store's lock is renewed while its holder works (a token request may take longer than
    the lock's timeout), and expires when nobody renews it (a crashed holder). The timeout is a
    second, renewed every third of it: a holder whose event loop stalls for two thirds of a
    second on a loaded machine still keeps it."""
    key = "vendorkit:test:lock-semantics"
    a = RedisTokenStore(REDIS_URL, lock_timeout=1.0, poll=0.01)
    b = RedisTokenStore(REDIS_URL, lock_timeout=1.0, poll=0.01)
    r = aioredis.from_url(REDIS_URL)
    order: list[str] = []
    held = asyncio.Event()
    try:

        async def holder() -> None:
            async with a.lock(key):
                order.append("a holds")
                held.set()
                await asyncio.sleep(3.0)  # three lock timeouts
                order.append("a releases")

        async def waiter() -> None:
            await held.wait()
            async with b.lock(key):
                order.append("b holds")

        await asyncio.wait_for(asyncio.gather(holder(), waiter()), STEP_TIMEOUT)
        assert order == ["a holds", "a releases", "b holds"]

        # A holder that died: its lock is never released nor renewed, and lapses.
        dead = r.lock(key + ":lock", timeout=1.0)
        assert await dead.acquire(blocking=False)
        await asyncio.wait_for(_take(b, key), STEP_TIMEOUT)
    finally:
        await a.aclose()
        await b.aclose()
        await r.aclose()


async def _take(store: RedisTokenStore, key: str) -> None:
    async with store.lock(key):
        pass


async def test_a_lock_that_lapsed_is_left_to_its_new_holder() -> None:
    """A holder stalled past the timeout finds someone else holding the lock: leaving the block
    neither raises nor releases the other holder's lock."""
    key = "vendorkit:test:lapsed"
    store = RedisTokenStore(REDIS_URL, lock_timeout=5.0)
    r = aioredis.from_url(REDIS_URL)
    try:
        async with store.lock(key):
            await r.delete(key + ":lock")  # as if it had expired
            other = r.lock(key + ":lock", timeout=5.0)
            assert await other.acquire(blocking=False)
        assert await r.exists(key + ":lock") == 1
        await other.release()
    finally:
        await store.aclose()
        await r.aclose()


async def test_every_key_is_under_the_vendorkit_prefix() -> None:
    """Token, lock and quota keys all start with ``vendorkit:`` (one pattern for ACLs and
    clean-ups)."""
    async with Sandbox(vendors=["leaddesk"], records=5) as sb:
        port = sb.url("leaddesk").split(":")[2].split("/")[0]
        async with sb.client("leaddesk", redis_url=REDIS_URL, rate_limit="50/second") as c:
            await c.request("GET", "/users")
        r = aioredis.from_url(REDIS_URL)
        try:
            quota = [k async for k in r.scan_iter(f"*127.0.0.1:{port}*")]
            tokens = [k async for k in r.scan_iter("vendorkit:token:leaddesk:*")]
        finally:
            await r.aclose()
    assert quota and all(k.startswith(b"vendorkit:") for k in quota), quota
    assert len(tokens) == 1


async def test_redis_down_is_a_transport_error() -> None:
    """An unreachable Redis fails the call with vendorkit's TransportError, for the token store
    and for the rate limiter alike."""
    down = "redis://127.0.0.1:1/15"
    async with Sandbox(vendors=["leaddesk", "leanlaw"], records=5) as sb:
        async with sb.client("leaddesk", redis_url=down) as ld:
            with pytest.raises(TransportError, match="token store"):
                await ld.request("GET", "/users")
        async with sb.client("leanlaw", redis_url=down, rate_limit="5/second") as ll:
            with pytest.raises(TransportError, match="rate-limit storage"):
                await ll.request("GET", "/v2/clients")
        assert sb.emulator("leaddesk").counters.total_requests == 0
        assert sb.emulator("leanlaw").counters.total_requests == 0


class CountingStore(RedisTokenStore):
    closes = 0

    async def aclose(self) -> None:
        self.closes += 1
        await super().aclose()


async def test_a_token_store_passed_in_is_not_closed_by_the_client() -> None:
    """``token_store=`` is borrowed even with ``redis_url=`` (which then only places the quota);
    what the client builds from ``redis_url=`` it closes."""
    store = CountingStore(REDIS_URL)
    try:
        async with Sandbox(vendors=["leaddesk"], records=5) as sb:
            async with sb.client("leaddesk", token_store=store, redis_url=REDIS_URL) as c:
                await c.request("GET", "/users")
            assert store.closes == 0
            assert await store.get(c.auth.store_key) is not None
    finally:
        await store.aclose()


def test_fractional_windows_round_up() -> None:
    """limits counts whole seconds: a window is rounded up (stricter), never down."""
    assert Quota(3, 1.4).item().get_expiry() == 2
    assert Quota(3, 0.4).item().get_expiry() == 1

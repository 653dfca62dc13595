"""One Redis test at a time per database, across test runs.

The multi-process and scale-out tests empty the database of ``vendorkit:*`` keys before and after
each test (a stale token from an earlier test on a reused port would be read as this test's). Two
runs on one database (two checkouts, or a busy-machine check, without their own
``VENDORKIT_TEST_REDIS_URL``) would empty each other's keys in the middle of a test: a token that
vanishes between a cold start and its expiry makes a second password grant instead of a refresh
(``{'password': 2} != {'password': 1, 'refresh_token': 1}``). So each such test holds a lease on
the database (a Redis lock outside ``vendorkit:*``, so emptying never removes it): a second run
waits for it, and one whose run crashed lapses after ``LEASE_TTL``.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis
from redis.exceptions import LockError

from tests._redis_url import REDIS_URL

LEASE = "vendorkit-tests:lease"
LEASE_TTL = 120.0  # longer than any one Redis test, even on a loaded machine
LEASE_WAIT = LEASE_TTL + 30.0  # a crashed run's lease lapses before a waiter gives up


@contextlib.asynccontextmanager
async def database_lease(r: aioredis.Redis) -> AsyncIterator[None]:
    lock = r.lock(LEASE, timeout=LEASE_TTL, sleep=0.05, blocking_timeout=LEASE_WAIT)
    if not await lock.acquire():
        pytest.fail(
            f"another test run held {REDIS_URL} for {LEASE_WAIT:g}s: give each run its own "
            "database with VENDORKIT_TEST_REDIS_URL"
        )
    try:
        yield
    finally:
        with contextlib.suppress(LockError):
            await lock.release()


async def empty(r: aioredis.Redis) -> None:
    keys = [k async for k in r.scan_iter("vendorkit:*")]
    if keys:
        await r.delete(*keys)

"""Scale-out: clients in several processes share one token and one rate budget through a real
Redis server (``VENDORKIT_TEST_REDIS_URL``, by default database 15 of 127.0.0.1:6379, emptied of
vendorkit keys before each test, under a lease on the database: see ``tests/_redis_lease.py``)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from tests._redis_lease import database_lease, empty
from tests._redis_url import REDIS_URL
from vendorkit.errors import RateLimitError
from vendorkit.sandbox import Sandbox


@pytest.fixture(autouse=True)
async def clean_redis() -> AsyncIterator[None]:
    r = aioredis.from_url(REDIS_URL)
    try:
        async with database_lease(r):
            await empty(r)
            yield
    finally:
        await r.aclose()


async def test_two_clients_share_one_token() -> None:
    async with Sandbox(vendors=["leaddesk"], records=30) as sb:
        a = sb.client("leaddesk", redis_url=REDIS_URL)
        b = sb.client("leaddesk", redis_url=REDIS_URL)
        async with a, b:
            await asyncio.gather(*(c.users.list().all() for c in (a, b) for _ in range(10)))
        assert sum(sb.emulator("leaddesk").counters.token_requests.values()) == 1


async def test_without_redis_each_client_has_its_own_token() -> None:
    async with Sandbox(vendors=["leaddesk"], records=5) as sb:
        async with sb.client("leaddesk") as a, sb.client("leaddesk") as b:
            await asyncio.gather(a.users.list().all(), b.users.list().all())
        assert sum(sb.emulator("leaddesk").counters.token_requests.values()) == 2


async def test_two_clients_share_one_rate_budget() -> None:
    async with Sandbox(vendors=["leanlaw"], records=5) as sb:
        a = sb.client("leanlaw", redis_url=REDIS_URL, rate_limit="6/hour")
        b = sb.client("leanlaw", redis_url=REDIS_URL, rate_limit="6/hour")
        async with a, b:
            a.max_quota_wait = b.max_quota_wait = 1.0
            for _ in range(3):
                await a.request("GET", "/v2/clients")
                await b.request("GET", "/v2/clients")
            with pytest.raises(RateLimitError):
                await b.request("GET", "/v2/clients")
        assert sb.emulator("leanlaw").counters.requests["GET /v2/clients"] == 6


async def test_separate_budgets_without_redis() -> None:
    async with Sandbox(vendors=["leanlaw"], records=5) as sb:
        a = sb.client("leanlaw", rate_limit="3/hour")
        b = sb.client("leanlaw", rate_limit="3/hour")
        async with a, b:
            for _ in range(3):
                await a.request("GET", "/v2/clients")
                await b.request("GET", "/v2/clients")

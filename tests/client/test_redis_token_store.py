"""A client with ``redis_url=`` against a hand-made OAuth2 server and a real Redis
(``VENDORKIT_TEST_REDIS_URL``): the client's timeout bounds a wait for another process's renewal
lock, a token the endpoint sent without ``expires_in`` still expires from Redis, and with
``VENDORKIT_REDIS_TOKEN_KEY`` Redis never holds a token in the clear."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

import pytest
import redis.asyncio as aioredis
from aiohttp import web
from cryptography.fernet import Fernet

from tests._redis_url import REDIS_URL
from tests.client.conftest import Handler, OAuthBackend, OAuthClient, Server, ok
from vendorkit.core._redis import KEY_ENV
from vendorkit.errors import ConfigurationError, TransportError

Serve = Callable[[Mapping[str, Handler]], Awaitable[Server]]


@pytest.fixture
async def r() -> AsyncIterator[aioredis.Redis]:
    client = aioredis.from_url(REDIS_URL)
    yield client
    await client.aclose()


@pytest.fixture(autouse=True)
def no_key_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)


async def fresh(r: aioredis.Redis, client: OAuthClient) -> str:
    """The client's token key, emptied: a test server's port may have served an earlier test."""
    key = client.auth.store_key  # type: ignore[attr-defined]
    await r.delete(key, key + ":lock")
    return str(key)


async def test_the_clients_timeout_bounds_a_wait_for_the_renewal_lock(
    serve: Serve, make: Callable[..., Any], r: aioredis.Redis
) -> None:
    """Another process holds the renewal lock and keeps it (a stuck renewal): ten concurrent
    calls of a client with ``timeout=0.5`` all fail with ``TransportError`` within about half a
    second (not ten waits in turn, nor the lock's lifetime), and send nothing."""
    backend = OAuthBackend()
    server = await serve(backend.routes())
    client = make(OAuthClient, server, redis_url=REDIS_URL, timeout=0.5)
    key = await fresh(r, client)
    holder = r.lock(key + ":lock", timeout=60)
    assert await holder.acquire(blocking=False)
    try:
        started = time.monotonic()
        async with asyncio.timeout(30):
            results = await asyncio.gather(
                *(client.request("GET", "/me") for _ in range(10)), return_exceptions=True
            )
        took = time.monotonic() - started
    finally:
        await holder.release()
    assert all(isinstance(e, TransportError) for e in results), results
    assert "waited 0.5s" in str(results[0])
    assert 0.4 <= took < 3.0, took
    assert server.hits() == 0
    await client.request("GET", "/me")  # released: the next call renews and succeeds
    assert backend.grants == ["client_credentials"]
    await r.delete(key)


async def test_a_token_without_expires_in_expires_from_redis(
    serve: Serve, make: Callable[..., Any], r: aioredis.Redis
) -> None:
    grants = 0

    async def token(request: web.Request) -> web.Response:
        nonlocal grants
        grants += 1
        return web.json_response({"access_token": f"tok-{grants}-S3CRET", "token_type": "bearer"})

    async def me(request: web.Request) -> web.Response:
        return ok({"auth": request.headers.get("Authorization")})

    server = await serve({"POST /oauth/token": token, "GET /me": me})
    client = make(OAuthClient, server, redis_url=REDIS_URL)
    key = await fresh(r, client)
    await client.request("GET", "/me")
    assert 0 < await r.ttl(key) <= 3600
    await r.delete(key)


async def test_with_the_key_variable_redis_holds_no_token_in_the_clear(
    serve: Serve, make: Callable[..., Any], r: aioredis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two clients (as two processes would) with the same key share one encrypted token: one
    grant, and neither the access token nor the refresh token appears in Redis."""
    monkeypatch.setenv(KEY_ENV, Fernet.generate_key().decode())
    backend = OAuthBackend()
    server = await serve(backend.routes())
    a = make(OAuthClient, server, redis_url=REDIS_URL)
    b = make(OAuthClient, server, redis_url=REDIS_URL)
    key = await fresh(r, a)
    await a.request("GET", "/me")
    await b.request("GET", "/me")
    assert backend.grants == ["client_credentials"]
    raw: bytes = await r.get(key)
    assert b"access-1-S3CRET" not in raw and b"refresh-1-S3CRET" not in raw
    assert b"S3CRET" not in raw and raw.startswith(b"gAAAAA")
    assert backend.used == ["access-1-S3CRET"] * 2
    await r.delete(key)


def test_a_malformed_key_variable_is_a_configuration_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(KEY_ENV, "not-a-key-S3CRET")
    with pytest.raises(ConfigurationError, match=f"{KEY_ENV}: key 1 of 1 is not a Fernet key"):
        OAuthClient(base_url="http://127.0.0.1:9", redis_url=REDIS_URL)

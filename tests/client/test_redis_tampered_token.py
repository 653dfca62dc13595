"""A tampered or unreadable token in Redis, end to end: a client with ``redis_url=`` against a
hand-made OAuth2 server (``OAuthBackend``) and a real Redis (``VENDORKIT_TEST_REDIS_URL``).
Whatever is planted under the client's key, the next call succeeds after exactly one new grant
(the original grant: a planted refresh token is never presented), the fresh token overwrites the
bad value, a warning is logged, and nothing planted reaches a log line."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

import pytest
import redis.asyncio as aioredis
from cryptography.fernet import Fernet

from tests._redis_url import REDIS_URL
from tests.client.conftest import Handler, OAuthBackend, OAuthClient, Server
from vendorkit.core._redis import KEY_ENV, MAX_VALUE_BYTES

Serve = Callable[[Mapping[str, Handler]], Awaitable[Server]]
Plant = Callable[[aioredis.Redis, str], Awaitable[Any]]
KEY_A = Fernet.generate_key().decode()
KEY_B = Fernet.generate_key().decode()
PLANTED = "planted-S3CRET"


def value(raw: bytes) -> Plant:
    async def plant(r: aioredis.Redis, key: str) -> None:
        await r.set(key, raw)

    return plant


async def a_hash(r: aioredis.Redis, key: str) -> None:
    await r.delete(key)
    await r.hset(key, "access_token", PLANTED)


PLANTS: dict[str, tuple[Plant, str | None]] = {
    "not JSON": (value(b"<html>" + PLANTED.encode()), None),
    "a JSON list": (value(b'["' + PLANTED.encode() + b'"]'), None),
    "no access_token": (value(b'{"refresh_token": "' + PLANTED.encode() + b'"}'), None),
    "a float access_token": (value(b'{"access_token": 1.5, "refresh_token": "x"}'), None),
    "a float refresh_token": (value(b'{"access_token": "a", "refresh_token": 2.5}'), None),
    "a header injection": (value(b'{"access_token": "a\\r\\nX-Evil: 1"}'), None),
    "a huge value": (value(b'{"access_token": "' + b"x" * MAX_VALUE_BYTES + b'"}'), None),
    "a Redis hash": (a_hash, None),
    "encrypted, read without the key": (
        value(Fernet(KEY_A).encrypt(b'{"access_token": "' + PLANTED.encode() + b'"}')),
        None,
    ),
    "encrypted with another key": (
        value(Fernet(KEY_B).encrypt(b'{"access_token": "' + PLANTED.encode() + b'"}')),
        KEY_A,
    ),
    "plain, read with a key": (
        value(b'{"access_token": "' + PLANTED.encode() + b'", "refresh_token": "r"}'),
        KEY_A,
    ),
}


@pytest.fixture
async def r() -> AsyncIterator[aioredis.Redis]:
    client = aioredis.from_url(REDIS_URL)
    yield client
    await client.aclose()


@pytest.mark.parametrize(("plant", "encryption_key"), list(PLANTS.values()), ids=list(PLANTS))
async def test_a_tampered_token_is_replaced_by_one_fresh_grant(
    serve: Serve,
    make: Callable[..., Any],
    r: aioredis.Redis,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    plant: Plant,
    encryption_key: str | None,
) -> None:
    if encryption_key is None:
        monkeypatch.delenv(KEY_ENV, raising=False)
    else:
        monkeypatch.setenv(KEY_ENV, encryption_key)
    backend = OAuthBackend()
    server = await serve(backend.routes())
    client = make(OAuthClient, server, redis_url=REDIS_URL)
    key: str = client.auth.store_key
    await r.delete(key, key + ":lock")  # a test server's port may have served an earlier test
    try:
        await client.request("GET", "/me")
        assert backend.grants == ["client_credentials"]

        await plant(r, key)
        caplog.set_level(logging.DEBUG, logger="vendorkit")
        async with asyncio.timeout(30):
            results = await asyncio.gather(
                *(client.request("GET", "/me") for _ in range(10)), return_exceptions=True
            )
        assert all(res == {"token": "access-2-S3CRET"} for res in results), results
        assert backend.grants == ["client_credentials"] * 2  # exactly one new grant
        assert backend.presented_refresh == []  # nothing planted was sent anywhere
        assert PLANTED not in str(backend.used)

        stored = await client.token_store.get(key)  # overwritten with the fresh token
        assert stored is not None and stored.access_token == "access-2-S3CRET"
        assert any(rec.levelno == logging.WARNING for rec in caplog.records), caplog.text
        assert PLANTED not in caplog.text
        if encryption_key is not None:
            assert b"access-2-S3CRET" not in await r.get(key)
    finally:
        await r.delete(key, key + ":lock")

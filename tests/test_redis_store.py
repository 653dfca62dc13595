"""``RedisTokenStore`` against a real Redis (``VENDORKIT_TEST_REDIS_URL``): every stored token
expires, a tampered value is a ``DecodeError``, tokens can be stored encrypted, and a lock wait
is bounded. Each test uses keys of its own (under ``vendorkit:test:``, with a random part) and
removes them, so it needs neither the database lease nor an empty database."""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis
from cryptography.fernet import Fernet

from tests._redis_url import REDIS_URL
from vendorkit.core import Token
from vendorkit.core._redis import KEY_ENV, MAX_VALUE_BYTES, RedisTokenStore
from vendorkit.errors import ConfigurationError, DecodeError, TransportError

ACCESS = "access-S3CRET-0123456789"
REFRESH = "refresh-S3CRET-9876543210"
KEY_A = Fernet.generate_key().decode()
KEY_B = Fernet.generate_key().decode()
BOUND = 30.0  # a lock test that hangs fails after this, instead of hanging the suite


@pytest.fixture
async def r() -> AsyncIterator[aioredis.Redis]:
    client = aioredis.from_url(REDIS_URL)
    yield client
    await client.aclose()


@pytest.fixture
async def key(r: aioredis.Redis) -> AsyncIterator[str]:
    name = f"vendorkit:test:store:{uuid.uuid4().hex}"
    yield name
    await r.delete(name, name + ":lock")


@pytest.fixture
async def stores(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[list[RedisTokenStore]]:
    """Stores built by a test, closed after it; the key variable is unset unless a test sets it."""
    monkeypatch.delenv(KEY_ENV, raising=False)
    made: list[RedisTokenStore] = []
    yield made
    for store in made:
        await store.aclose()


def token(expires_in: float | None = 600.0) -> Token:
    now = time.time()
    return Token(
        access_token=ACCESS,
        issued_at=now,
        expires_at=None if expires_in is None else now + expires_in,
        refresh_token=REFRESH,
    )


def build(made: list[RedisTokenStore], **options: object) -> RedisTokenStore:
    store = RedisTokenStore(REDIS_URL, **options)  # type: ignore[arg-type]
    made.append(store)
    return store


# -- every stored token expires -------------------------------------------------------------------


async def test_a_token_is_kept_an_hour_past_its_expiry(
    r: aioredis.Redis, key: str, stores: list[RedisTokenStore]
) -> None:
    store = build(stores)
    await store.set(key, token(expires_in=600))
    assert 600 + 3600 - 5 <= await r.ttl(key) <= 600 + 3600 + 1
    assert await store.get(key) == await store.get(key)  # readable, twice


async def test_a_token_without_expires_in_still_expires(
    r: aioredis.Redis, key: str, stores: list[RedisTokenStore]
) -> None:
    """An hour by default, ``default_ttl=`` to change it: never a key without a TTL."""
    await build(stores).set(key, token(expires_in=None))
    assert 3600 - 5 <= await r.ttl(key) <= 3600
    await build(stores, default_ttl=90).set(key, token(expires_in=None))
    assert 85 <= await r.ttl(key) <= 90
    await build(stores, default_ttl=90).set(key, token(expires_in=float("inf")))
    assert 85 <= await r.ttl(key) <= 90
    stored = await build(stores).get(key)
    assert stored is not None and stored.expires_at is None and stored.access_token == ACCESS


async def test_keep_after_expiry_is_a_setting(
    r: aioredis.Redis, key: str, stores: list[RedisTokenStore]
) -> None:
    await build(stores, keep_after_expiry=0).set(key, token(expires_in=100))
    assert 95 <= await r.ttl(key) <= 100
    await build(stores, keep_after_expiry=0).set(key, token(expires_in=-100))
    assert 0 < await r.ttl(key) <= 1  # already expired: gone within a second


# -- a tampered value is a DecodeError ------------------------------------------------------------

TAMPERED = {
    "not JSON": b"<html>not json</html>",
    "a JSON list": b'["access_token", "S3CRET"]',
    "a JSON string": json.dumps("S3CRET").encode(),
    "no access_token": b'{"token_type": "Bearer", "refresh_token": "S3CRET"}',
    "a float access_token": b'{"access_token": 1.5}',
    "a float refresh_token": b'{"access_token": "S3CRET", "refresh_token": 2.5}',
    "a string time": b'{"access_token": "S3CRET", "expires_at": "tomorrow"}',
    "an infinite expiry": b'{"access_token": "S3CRET", "expires_at": Infinity}',
    "a header injection": b'{"access_token": "S3CRET\\r\\nX-Evil: 1"}',
    "a lone surrogate": b'{"access_token": "S3CRET\\ud800"}',
    "invalid UTF-8": b'{"access_token": "S3CRET\xff"}',
    "deep nesting": b"[" * 100_000,
    "an empty value": b"",
    "a huge value": b'{"access_token": "S3CRET' + b"x" * (MAX_VALUE_BYTES + 10) + b'"}',
}


@pytest.mark.parametrize("planted", list(TAMPERED.values()), ids=list(TAMPERED))
async def test_a_tampered_value_is_a_decode_error_and_set_repairs_it(
    r: aioredis.Redis, key: str, stores: list[RedisTokenStore], planted: bytes
) -> None:
    store = build(stores)
    await r.set(key, planted)
    with pytest.raises(DecodeError, match="unreadable") as caught:
        await store.get(key)
    assert "S3CRET" not in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__context__ is None
    await store.set(key, token())  # what OAuth2 does after a fresh grant
    assert (await store.get(key)) == Token.from_dict(json.loads(await r.get(key)))


async def test_a_key_of_another_redis_type_is_a_decode_error(
    r: aioredis.Redis, key: str, stores: list[RedisTokenStore]
) -> None:
    store = build(stores)
    await r.hset(key, "access_token", "S3CRET")
    with pytest.raises(DecodeError, match="not a Redis string"):
        await store.get(key)
    await store.set(key, token())
    assert (await store.get(key)) is not None


async def test_a_missing_key_is_no_token(key: str, stores: list[RedisTokenStore]) -> None:
    assert await build(stores).get(key) is None


# -- encryption -----------------------------------------------------------------------------------


async def test_with_a_key_redis_holds_neither_token(
    r: aioredis.Redis, key: str, stores: list[RedisTokenStore]
) -> None:
    store = build(stores, encryption_key=KEY_A)
    await store.set(key, token())
    raw: bytes = await r.get(key)
    for secret in (ACCESS, REFRESH, "S3CRET"):
        assert secret.encode() not in raw
    assert raw.startswith(b"gAAAAA")  # a Fernet token
    back = await store.get(key)
    assert back is not None and (back.access_token, back.refresh_token) == (ACCESS, REFRESH)


async def test_the_key_comes_from_the_environment(
    r: aioredis.Redis, key: str, stores: list[RedisTokenStore], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(KEY_ENV, KEY_A)
    store = build(stores)
    assert store.encrypted and repr(store) == "<RedisTokenStore encrypted>"
    await store.set(key, token())
    assert ACCESS.encode() not in await r.get(key)
    assert (await build(stores, encryption_key=KEY_A).get(key)) is not None
    plain = build(stores, encryption_key=None)  # None: never encrypt, whatever the variable
    assert not plain.encrypted and repr(plain) == "<RedisTokenStore>"


async def test_an_encrypted_value_read_without_the_key_or_with_another_is_a_decode_error(
    key: str, stores: list[RedisTokenStore]
) -> None:
    await build(stores, encryption_key=KEY_A).set(key, token())
    with pytest.raises(DecodeError, match=f"it looks encrypted: set {KEY_ENV}"):
        await build(stores).get(key)
    with pytest.raises(DecodeError, match="cannot be decrypted"):
        await build(stores, encryption_key=KEY_B).get(key)


async def test_with_a_key_a_plain_value_is_refused(
    r: aioredis.Redis, key: str, stores: list[RedisTokenStore]
) -> None:
    """A token planted by someone without the key (or left from before encryption) is not
    used: a fresh grant replaces it."""
    await build(stores).set(key, token())
    with pytest.raises(DecodeError, match="cannot be decrypted"):
        await build(stores, encryption_key=KEY_A).get(key)


async def test_key_rotation(key: str, stores: list[RedisTokenStore]) -> None:
    await build(stores, encryption_key=KEY_A).set(key, token())
    rotated = build(stores, encryption_key=f"{KEY_B},{KEY_A}")
    assert (await rotated.get(key)) is not None  # written with the old key: still read
    await rotated.set(key, token())  # rewritten with the new one
    assert (await build(stores, encryption_key=KEY_B).get(key)) is not None


@pytest.mark.parametrize("bad", ["not-a-fernet-key", KEY_A[:-2], f"{KEY_A},oops-S3CRET"])
def test_a_malformed_key_is_a_configuration_error(
    bad: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(KEY_ENV, bad)
    with pytest.raises(ConfigurationError, match=f"^{KEY_ENV}: key") as caught:
        RedisTokenStore(REDIS_URL)
    assert "S3CRET" not in str(caught.value) and bad not in str(caught.value)
    with pytest.raises(ConfigurationError, match=r"^encryption_key=: key"):
        RedisTokenStore(REDIS_URL, encryption_key=bad)


async def test_the_key_is_never_logged(
    key: str, stores: list[RedisTokenStore], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    store = build(stores, encryption_key=KEY_A)
    await store.set(key, token())
    async with store.lock(key):
        await store.get(key)
    with pytest.raises(DecodeError):
        await build(stores, encryption_key=KEY_B).get(key)
    assert KEY_A not in caplog.text and KEY_B not in caplog.text and "S3CRET" not in caplog.text
    assert KEY_A not in repr(store) and KEY_A not in repr(vars(store))


# -- settings -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "options",
    [
        {"lock_wait": 0},
        {"lock_wait": -1},
        {"lock_wait": float("nan")},
        {"lock_wait": float("inf")},
        {"lock_timeout": 0},
        {"poll": -0.1},
        {"default_ttl": 0},
        {"keep_after_expiry": -1},
        {"lock_wait": "30"},
        {"lock_wait": True},
    ],
)
def test_bad_settings_are_configuration_errors(options: dict[str, object]) -> None:
    with pytest.raises(ConfigurationError, match="must be a finite"):
        RedisTokenStore(REDIS_URL, **options)  # type: ignore[arg-type]


def test_a_url_that_is_not_redis_is_a_configuration_error_without_its_password() -> None:
    with pytest.raises(ConfigurationError, match="redis://") as caught:
        RedisTokenStore("http://user:pa55-S3CRET@cache:6379/0")
    assert "S3CRET" not in str(caught.value)


# -- a lock wait is bounded -----------------------------------------------------------------------


async def test_a_lock_wait_gives_up_after_lock_wait(
    r: aioredis.Redis, key: str, stores: list[RedisTokenStore]
) -> None:
    """Another process holds the lock and keeps working (it renews it): a waiter waits
    ``lock_wait`` seconds, not as long as the holder works, then raises ``TransportError``."""
    holder = r.lock(key + ":lock", timeout=60)
    assert await holder.acquire(blocking=False)
    store = build(stores, lock_wait=0.5, poll=0.01)
    started = time.monotonic()
    with pytest.raises(TransportError, match=r"waited 0\.5s .*token lock.*lapses after 10s"):
        async with asyncio.timeout(BOUND), store.lock(key):
            pytest.fail("acquired a lock that is held")
    assert 0.4 <= time.monotonic() - started < 5.0
    await holder.release()
    async with store.lock(key):  # free again: taken at once
        pass


async def test_a_new_holder_is_waited_for_again(
    r: aioredis.Redis, key: str, stores: list[RedisTokenStore]
) -> None:
    """A wait that gave up leaves nothing behind: the next wait, on the same holder or on
    another, waits its ``lock_wait`` again."""
    store = build(stores, lock_wait=0.5, poll=0.01)
    for _ in range(2):
        holder = r.lock(key + ":lock", timeout=60)
        assert await holder.acquire(blocking=False)
        for _ in range(2):
            started = time.monotonic()
            with pytest.raises(TransportError):
                async with asyncio.timeout(BOUND), store.lock(key):
                    pass
            assert time.monotonic() - started >= 0.4
        await holder.release()


async def test_a_crashed_holder_blocks_only_for_lock_timeout(
    r: aioredis.Redis, key: str, stores: list[RedisTokenStore]
) -> None:
    """A holder that died neither releases nor renews its lock: it lapses after its timeout,
    and a waiter whose ``lock_wait`` is longer takes it then."""
    dead = r.lock(key + ":lock", timeout=1.0)
    assert await dead.acquire(blocking=False)
    store = build(stores, lock_wait=20.0, poll=0.01)
    started = time.monotonic()
    async with asyncio.timeout(BOUND), store.lock(key):
        waited = time.monotonic() - started
    assert 0.5 <= waited < 10.0

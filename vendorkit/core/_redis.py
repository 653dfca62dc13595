"""Tokens in Redis, shared by every process that uses the same vendor account.

A token is stored as JSON under the auth strategy's key (which names the account, never a secret,
though the value is the token itself: protect the Redis server as you would the credentials).
Renewal is single-flight across processes through a Redis lock (``redis.asyncio.lock.Lock``, a
maintained implementation of the SET NX PX pattern):

- the lock expires ``lock_timeout`` seconds after its holder stops renewing it, so a crashed
  holder blocks the others for at most that long;
- a live holder renews it every third of ``lock_timeout`` for as long as it works (a token
  request that waits for a quota slot or retries can take longer than any fixed timeout, and a
  lock that lapsed mid-renewal would let a second process renew too, spending the refresh token
  the first one is rotating);
- waiters wait as long as the lock is held, polling every ``poll`` seconds; in one process only
  one task polls (``OAuth2`` keeps its own in-process single flight in front of this lock).

A Redis failure (server down, wrong password) raises ``TransportError``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

from vendorkit.errors import TransportError

from ._auth import Token

__all__ = ["RedisTokenStore"]

log = logging.getLogger("vendorkit")

#: How long a token is kept in Redis after its access token expires: its refresh token is what
#: renews it, and refresh tokens outlive access tokens.
KEEP_AFTER_EXPIRY = 3600


class RedisTokenStore:
    """``TokenStore`` on Redis. ``url`` is a ``redis://host:port/db`` URL."""

    def __init__(self, url: str, *, lock_timeout: float = 10.0, poll: float = 0.02) -> None:
        try:
            import redis.asyncio as aioredis
            from redis.exceptions import LockError, RedisError
        except ImportError as exc:  # pragma: no cover - depends on the installation
            from vendorkit.errors import ConfigurationError

            raise ConfigurationError(
                "redis_url needs the redis package: pip install 'vendorkit[redis]'"
            ) from exc
        if lock_timeout <= 0 or poll <= 0:
            raise ValueError("lock_timeout and poll must be positive (seconds)")
        self._redis: Any = aioredis.from_url(url)
        self._lock_timeout = lock_timeout
        self._poll = poll
        self._redis_error: type[Exception] = RedisError
        self._lock_error: type[Exception] = LockError

    def __repr__(self) -> str:
        return "<RedisTokenStore>"

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except self._lock_error:
            raise
        except self._redis_error as exc:
            raise TransportError(f"the shared token store (Redis) failed: {exc}") from exc

    async def get(self, key: str) -> Token | None:
        with self._errors():
            raw = await self._redis.get(key)
        if raw is None:
            return None
        return Token.from_dict(json.loads(raw))

    async def set(self, key: str, token: Token) -> None:
        ttl = None
        if token.expires_at is not None:
            ttl = max(1, int(token.expires_at - time.time()) + KEEP_AFTER_EXPIRY)
        with self._errors():
            await self._redis.set(key, json.dumps(token.to_dict()), ex=ttl)

    async def delete(self, key: str) -> None:
        with self._errors():
            await self._redis.delete(key)

    @contextlib.asynccontextmanager
    async def lock(self, key: str) -> AsyncIterator[None]:
        lock = self._redis.lock(
            key + ":lock", timeout=self._lock_timeout, sleep=self._poll, blocking_timeout=None
        )
        with self._errors():
            await lock.acquire()
        keeper = asyncio.create_task(self._keep(lock))
        try:
            yield
        finally:
            keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keeper
            try:
                with self._errors():
                    await lock.release()
            except self._lock_error:
                # It lapsed (this process stalled longer than lock_timeout) and someone else may
                # hold it now: theirs to release. What we did under it is done.
                log.warning("vendorkit: the token lock %s lapsed while held", key)
            except TransportError:
                # Redis went away: the lock expires by itself.
                log.warning("vendorkit: could not release the token lock %s", key)

    async def _keep(self, lock: Any) -> None:
        """Renew the lock's lifetime while its holder works."""
        while True:
            await asyncio.sleep(self._lock_timeout / 3)
            try:
                await lock.reacquire()
            except self._lock_error:
                log.warning("vendorkit: the token lock lapsed while held")
                return
            except self._redis_error:
                continue  # Redis hiccup: try again next time; the lock may survive

    async def aclose(self) -> None:
        await self._redis.aclose()

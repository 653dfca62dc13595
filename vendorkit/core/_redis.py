"""Tokens in Redis, shared by every process that uses the same vendor account.

A token is stored as JSON under the auth strategy's key (which names the account, never a secret,
though the value is the token itself: protect the Redis server as you would the credentials).
Renewal is single-flight across processes through a Redis lock (``redis.asyncio.lock.Lock``, a
maintained implementation of the SET NX PX pattern with a timeout, so a crashed holder cannot
block the others for ever).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

from ._auth import Token

__all__ = ["RedisTokenStore"]


class RedisTokenStore:
    """``TokenStore`` on Redis. ``url`` is a ``redis://host:port/db`` URL."""

    def __init__(self, url: str, *, lock_timeout: float = 30.0) -> None:
        try:
            import redis.asyncio as aioredis
        except ImportError as exc:  # pragma: no cover - depends on the installation
            from vendorkit.errors import ConfigurationError

            raise ConfigurationError(
                "redis_url needs the redis package: pip install 'vendorkit[redis]'"
            ) from exc
        self._redis: Any = aioredis.from_url(url)
        self._lock_timeout = lock_timeout

    def __repr__(self) -> str:
        return "<RedisTokenStore>"

    async def get(self, key: str) -> Token | None:
        raw = await self._redis.get(key)
        if raw is None:
            return None
        return Token.from_dict(json.loads(raw))

    async def set(self, key: str, token: Token) -> None:
        ttl = None
        if token.expires_at is not None:
            import time

            ttl = max(1, int(token.expires_at - time.time()) + 3600)
        await self._redis.set(key, json.dumps(token.to_dict()), ex=ttl)

    async def delete(self, key: str) -> None:
        await self._redis.delete(key)

    @contextlib.asynccontextmanager
    async def lock(self, key: str) -> AsyncIterator[None]:
        async with self._redis.lock(
            key + ":lock", timeout=self._lock_timeout, blocking_timeout=self._lock_timeout
        ):
            yield

    async def aclose(self) -> None:
        await self._redis.aclose()

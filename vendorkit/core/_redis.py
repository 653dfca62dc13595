"""Tokens in Redis, shared by every process that uses the same vendor account.

A token is stored under the auth strategy's key (which names the account, never a secret) as
JSON, or, with an encryption key, as a Fernet token of that JSON (``cryptography``: AES with an
HMAC, so a reader without the key learns nothing and a value written without it is refused).
The key comes from ``encryption_key=`` or the ``VENDORKIT_REDIS_TOKEN_KEY`` variable: one or more
comma-separated Fernet keys, newest first (values are written with the first, read with any).

What is decided here (the pure parts are ``stored_ttl``, ``encode_value`` and ``decode_value``):

- every stored token expires from Redis: ``keep_after_expiry`` (an hour) after its access token
  does, so its refresh token can still renew it; ``default_ttl`` (an hour) after it was stored
  when the token endpoint gave no expiry; never later than ``MAX_TTL`` (30 days). A credential
  in a Redis shared with other applications must not live there forever, and a token that is
  gone only costs a fresh grant;
- a stored value that is not what ``set`` writes (not JSON, the wrong shape or types, over
  ``MAX_VALUE_BYTES``, not a Redis string, encrypted with another key, or plain when a key is
  set) raises ``DecodeError`` from ``get``; its message never holds the value. ``OAuth2`` takes
  that as "no token" and obtains a fresh one, whose ``set`` overwrites the bad value;
- renewal is single-flight across processes through a Redis lock (``redis.asyncio.lock.Lock``, a
  maintained implementation of the SET NX PX pattern). The lock expires ``lock_timeout``
  seconds after its holder stops renewing it, so a crashed holder blocks the others for at most
  that long; a live holder renews it every third of ``lock_timeout`` for as long as it works (a
  token request that waits for a quota slot or retries can take longer than any fixed timeout,
  and a lock that lapsed mid-renewal would let a second process spend the refresh token the
  first one is rotating);
- a waiter polls every ``poll`` seconds for at most ``lock_wait`` seconds (the client passes its
  ``timeout=``), then raises ``TransportError``. The tasks of one process share one wait:
  ``OAuth2`` makes one renewal run of all its callers, and only that run takes this lock.

A Redis failure (server down, wrong password) raises ``TransportError``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import os
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

from vendorkit.errors import (
    ClientStateError,
    ConfigurationError,
    DecodeError,
    SharedStateError,
    TransportError,
)

from ._auth import Token
from ._redact import describe_exception

if TYPE_CHECKING:
    from cryptography.fernet import MultiFernet

__all__ = [
    "DEFAULT_TTL",
    "KEEP_AFTER_EXPIRY",
    "KEY_ENV",
    "MAX_TTL",
    "MAX_VALUE_BYTES",
    "RedisTokenStore",
    "decode_value",
    "encode_value",
    "load_cipher",
    "stored_ttl",
]

log = logging.getLogger("vendorkit")

T = TypeVar("T")

#: The variable that holds the encryption key(s) when ``encryption_key=`` is not given.
KEY_ENV = "VENDORKIT_REDIS_TOKEN_KEY"
#: How long a token is kept after its access token expires: its refresh token renews it, and
#: refresh tokens outlive access tokens.
KEEP_AFTER_EXPIRY = 3600.0
#: How long a token is kept when the token endpoint sent no ``expires_in``: the lifetime most
#: endpoints issue (and RFC 6749's examples use). Too short costs one grant per hour per account;
#: a token that dies sooner is renewed on its first 401 as usual.
DEFAULT_TTL = 3600.0
#: No stored token outlives this, whatever its ``expires_in`` says.
MAX_TTL = 30 * 86400
#: A stored value larger than this is refused unread (tokens are a few KiB, even encrypted).
MAX_VALUE_BYTES = 256 * 1024
#: How long a lock wait lasts by default: the client's default timeout.
DEFAULT_LOCK_WAIT = 30.0


class _FromEnv:
    def __repr__(self) -> str:
        return f"<from ${KEY_ENV}>"


#: ``encryption_key``'s default: read ``VENDORKIT_REDIS_TOKEN_KEY``.
FROM_ENV: Any = _FromEnv()

KeySetting = str | bytes | Sequence[str | bytes] | None


# -- pure decisions -------------------------------------------------------------------------------


def stored_ttl(
    token: Token,
    now: float,
    *,
    keep_after_expiry: float = KEEP_AFTER_EXPIRY,
    default_ttl: float = DEFAULT_TTL,
) -> int:
    """Whole seconds Redis keeps ``token`` stored at ``now``: until ``keep_after_expiry`` after
    its expiry, or ``default_ttl`` if it never expires (no expiry, or an infinite one); always in
    ``[1, MAX_TTL]``. An expiry of NaN is one ``Token.expiring`` always renews: like -inf, it
    expired long ago."""
    expires_at = token.expires_at
    if expires_at is None or expires_at == math.inf:
        seconds = default_ttl
    elif math.isnan(expires_at):
        seconds = -math.inf
    else:
        seconds = expires_at - now + keep_after_expiry
    if math.isnan(seconds):
        seconds = DEFAULT_TTL
    return math.ceil(min(float(MAX_TTL), max(1.0, seconds)))


def _storable(token: Token) -> Token:
    """``token`` with finite times, which ``Token.from_dict`` accepts, and the same
    ``Token.expiring`` at every finite moment (so what a store writes it reads back as the same
    token, and an ``expires_in`` of ``1e999`` does not become a fresh grant on every call):

    - an expiry of +inf never fires, like none: stored as none; -inf and NaN have always fired,
      like the lowest finite float;
    - the issue time only sets the lifetime (expiry minus issue, floored at 0) whose tenth caps
      the margin: +inf or NaN make it 0 (stored as the expiry itself), -inf makes it unbounded
      (stored as the lowest finite float)."""
    lowest = -sys.float_info.max
    expires_at, issued_at = token.expires_at, token.issued_at
    if expires_at is not None and not math.isfinite(expires_at):
        expires_at = None if expires_at == math.inf else lowest
    if not math.isfinite(issued_at):
        if issued_at == -math.inf:
            issued_at = lowest
        else:
            issued_at = expires_at if expires_at is not None else 0.0
    if (expires_at, issued_at) == (token.expires_at, token.issued_at):
        return token
    return attrs.evolve(token, expires_at=expires_at, issued_at=issued_at)


def encode_value(token: Token, cipher: MultiFernet | None) -> bytes:
    """The bytes ``set`` stores for ``token``: compact JSON, encrypted if there is a cipher.
    A token too large to be read back (over ``MAX_VALUE_BYTES``) is a ``DecodeError``: the
    token endpoint sent something no store should hold."""
    data = json.dumps(_storable(token).to_dict(), allow_nan=False, separators=(",", ":"))
    value = data.encode()
    if cipher is not None:
        value = cipher.encrypt(value)
    if len(value) > MAX_VALUE_BYTES:
        raise DecodeError(
            f"the token is {len(value)} bytes stored, over the store's {MAX_VALUE_BYTES}"
        )
    return value


_UNREADABLE: Any = object()


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return _UNREADABLE


def _decrypt(cipher: MultiFernet, raw: bytes) -> bytes | None:
    from cryptography.fernet import InvalidToken

    try:
        return cipher.decrypt(raw)
    except (InvalidToken, TypeError, ValueError):
        return None


def decode_value(raw: bytes, cipher: MultiFernet | None) -> Token:
    """The token in a stored value, or ``DecodeError`` (raised outside any ``except``, so no
    chained exception carries the value either)."""
    if len(raw) > MAX_VALUE_BYTES:
        raise DecodeError(f"the stored value is over {MAX_VALUE_BYTES} bytes")
    if cipher is not None:
        plain = _decrypt(cipher, raw)
        if plain is None:
            raise DecodeError(
                "the stored value cannot be decrypted with the encryption key (another key, "
                "or written without one)"
            )
        raw = plain
    data = _json(raw)
    if data is _UNREADABLE:
        hint = ""
        if cipher is None and raw.startswith(b"gAAAAA"):  # what every Fernet token starts with
            hint = f" (it looks encrypted: set {KEY_ENV})"
        raise DecodeError("the stored value is not JSON" + hint)
    return Token.from_dict(data)


def load_cipher(setting: KeySetting, *, source: str = KEY_ENV) -> MultiFernet | None:
    """The cipher for ``setting``: ``None`` or blank means none (plain JSON). A string holds one
    or more comma-separated Fernet keys, a sequence one key per item; newest first. A key that
    is not a Fernet key, or a key without the ``cryptography`` package, is a
    ``ConfigurationError`` naming ``source`` and the key's position, never the key."""
    if setting is None:
        return None
    if isinstance(setting, str | bytes):
        text = setting.decode("ascii", "replace") if isinstance(setting, bytes) else setting
        if not text.strip():
            return None
        keys: list[Any] = text.split(",")
    elif isinstance(setting, Sequence):
        keys = list(setting)
        if not keys:
            return None
    else:
        raise ConfigurationError(f"{source} must be a string of comma-separated keys or a list")
    try:
        from cryptography.fernet import Fernet, MultiFernet
    except ImportError:
        missing = True
    else:
        missing = False
    if missing:
        raise ConfigurationError(
            f"{source} is set but the cryptography package is missing: "
            "pip install 'vendorkit[redis,encryption]'"
        )
    fernets: list[Fernet] = []
    for position, key in enumerate(keys, 1):
        fernet: Fernet | None
        try:
            fernet = Fernet(key.strip() if isinstance(key, str | bytes) else key)
        except (TypeError, ValueError):  # binascii.Error is a ValueError
            fernet = None
        if fernet is None:
            raise ConfigurationError(
                f"{source}: key {position} of {len(keys)} is not a Fernet key (32 url-safe "
                "base64-encoded bytes; make one with cryptography.fernet.Fernet.generate_key())"
            )
        fernets.append(fernet)
    return MultiFernet(fernets)


def _positive(name: str, value: float, *, zero: bool = False) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    if ok and (math.isfinite(value) and (value > 0 or (zero and value == 0))):
        return float(value)
    raise ConfigurationError(
        f"{name} must be a finite {'non-negative' if zero else 'positive'} number of seconds"
    )


# -- the store ------------------------------------------------------------------------------------


def _url_secrets(url: str) -> tuple[str, ...]:
    """The password (and user) a ``redis://user:password@host`` URL or its query holds."""
    from urllib.parse import parse_qs, urlsplit

    try:
        parts = urlsplit(url)
        found = [parts.password or "", parts.username or ""]
        found += parse_qs(parts.query).get("password", [])
    except ValueError:
        return ()
    return tuple(x for x in found if x)


class RedisTokenStore:
    """``TokenStore`` on Redis. ``url`` is a ``redis://host:port/db`` URL (``rediss://`` for TLS).

    ``lock_timeout``: a crashed holder's lock lapses after this; ``poll``: how often a waiter
    looks; ``lock_wait``: how long a waiter waits before ``TransportError`` (the client passes its
    ``timeout=``); ``default_ttl`` and ``keep_after_expiry``: how long tokens stay stored (see
    the module); ``encryption_key``: Fernet key(s), by default from ``VENDORKIT_REDIS_TOKEN_KEY``
    (``None``: never encrypt).
    """

    def __init__(
        self,
        url: str,
        *,
        lock_timeout: float = 10.0,
        poll: float = 0.02,
        lock_wait: float = DEFAULT_LOCK_WAIT,
        default_ttl: float = DEFAULT_TTL,
        keep_after_expiry: float = KEEP_AFTER_EXPIRY,
        encryption_key: KeySetting = FROM_ENV,
    ) -> None:
        try:
            import redis.asyncio as aioredis
            from redis.exceptions import LockError, RedisError, ResponseError
        except ImportError as exc:  # pragma: no cover - depends on the installation
            raise ConfigurationError(
                "redis_url needs the redis package: pip install 'vendorkit[redis]'"
            ) from exc
        self._lock_timeout = _positive("lock_timeout", lock_timeout)
        self._poll = _positive("poll", poll)
        self._lock_wait = _positive("lock_wait", lock_wait)
        self._default_ttl = _positive("default_ttl", default_ttl)
        self._keep_after_expiry = _positive("keep_after_expiry", keep_after_expiry, zero=True)
        if encryption_key is FROM_ENV:
            self._cipher = load_cipher(os.environ.get(KEY_ENV), source=KEY_ENV)
        else:
            self._cipher = load_cipher(encryption_key, source="encryption_key=")
        # A Redis that accepts connections but never answers costs the client's timeout, not
        # redis-py's own default.
        timeout = self._lock_wait
        try:
            self._redis: Any = aioredis.from_url(
                url, socket_timeout=timeout, socket_connect_timeout=timeout
            )
        except ValueError:
            self._redis = None
        if self._redis is None:  # the URL may hold a password: not in the message
            raise ConfigurationError("redis_url must be a redis://, rediss:// or unix:// URL")
        self._redis_error: type[Exception] = RedisError
        self._response_error: type[Exception] = ResponseError
        self._lock_error: type[Exception] = LockError
        self._closed = False
        # The URL's password, scrubbed from what a redis-py error says.
        self._url_secrets = _url_secrets(url)

    def __repr__(self) -> str:
        return "<RedisTokenStore encrypted>" if self._cipher else "<RedisTokenStore>"

    @property
    def encrypted(self) -> bool:
        """Whether tokens are stored encrypted."""
        return self._cipher is not None

    async def _run(self, key: str, operation: Callable[[], Awaitable[T]]) -> T:
        """``operation()`` with Redis failures as vendorkit errors: described in redacted words
        (the URL's password scrubbed) and not chained. Raised here, after the handler, so that
        no ``__context__`` keeps the redis-py error (a context manager's ``__exit__`` would)."""
        if self._closed:
            raise ClientStateError("the token store is closed")
        error: Exception
        try:
            return await operation()
        except self._lock_error:
            raise
        except self._response_error as exc:
            if "WRONGTYPE" in str(exc):
                error = DecodeError(f"the token stored under {key} is not a Redis string")
            else:
                error = self._failed(exc)
        except self._redis_error as exc:
            error = self._failed(exc)
        raise error

    def _failed(self, exc: BaseException) -> TransportError:
        described = describe_exception(exc, self._url_secrets)
        return SharedStateError(f"the shared token store (Redis) failed: {described}")

    async def get(self, key: str) -> Token | None:
        async def read() -> list[Any]:
            async with self._redis.pipeline(transaction=True) as pipe:
                # At most one byte past the limit: a huge value is refused without reading it.
                pipe.exists(key)
                pipe.getrange(key, 0, MAX_VALUE_BYTES)
                return list(await pipe.execute())

        exists, raw = await self._run(key, read)
        if not exists:
            return None
        try:
            return decode_value(bytes(raw), self._cipher)
        except DecodeError as exc:
            message = f"the token stored under {key} is unreadable: {exc}"
        raise DecodeError(message)

    async def set(self, key: str, token: Token) -> None:
        value = encode_value(token, self._cipher)
        ttl = stored_ttl(
            token,
            time.time(),
            keep_after_expiry=self._keep_after_expiry,
            default_ttl=self._default_ttl,
        )
        await self._run(key, lambda: self._redis.set(key, value, ex=ttl))

    async def delete(self, key: str) -> None:
        await self._run(key, lambda: self._redis.delete(key))

    def _wait_exceeded(self, key: str) -> TransportError:
        return SharedStateError(
            f"waited {self._lock_wait:g}s (the client's timeout) for the token lock of {key}, "
            "held by another process renewing the token; a crashed holder's lock lapses after "
            f"{self._lock_timeout:g}s"
        )

    @contextlib.asynccontextmanager
    async def lock(self, key: str) -> AsyncIterator[None]:
        lock = self._redis.lock(
            key + ":lock",
            timeout=self._lock_timeout,
            sleep=self._poll,
            blocking_timeout=self._lock_wait,
        )
        acquired = await self._run(key, lock.acquire)
        if not acquired:
            raise self._wait_exceeded(key)
        keeper = asyncio.create_task(self._keep(lock))
        try:
            yield
        finally:
            keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keeper
            try:
                await self._run(key, lock.release)
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
        """Close the connections; anything still using the store then raises
        ``ClientStateError`` instead of opening a new one."""
        self._closed = True
        await self._redis.aclose()

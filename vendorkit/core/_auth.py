"""Auth strategies an adapter picks, and where tokens live.

- ``HeaderAuth``: a static ``Authorization: <scheme> <token>`` (``Token X``, ``Bearer X``).
- ``OAuth2``: a token endpoint and a grant (client_credentials with HTTP Basic, password with the
  client in a JSON body, vendor-specific grant fields), with refresh and refresh-token rotation.

What is pure: building the token request (``OAuth2.token_request``) and reading the answer
(``parse_token``). What does I/O: ``authorize``/``on_unauthorized``, which the client calls with a
``send`` function, under a single-flight lock from the ``TokenStore``:

- N concurrent requests on a cold client cause one token request;
- a token is renewed ahead of expiry (``refresh_margin``, at most a tenth of its lifetime);
- a 401 causes one renewal and one replay, and only if the rejected token is still the current
  one: fifty concurrent 401s cause one renewal;
- a rotated refresh token replaces the old one in the same store write; a rejected refresh falls
  back to the original grant, whose credentials the strategy holds.
"""

from __future__ import annotations

import asyncio
import base64
import collections
import contextlib
import hashlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any, Protocol

import attrs
from yarl import URL

from vendorkit.errors import APIError, DecodeError

from ._errors import ErrorInfo, as_messages, error_from_response
from ._redact import SENSITIVE_KEYS
from ._wire import WireRequest, WireResponse

__all__ = [
    "Auth",
    "HeaderAuth",
    "MemoryTokenStore",
    "NoAuth",
    "OAuth2",
    "Token",
    "TokenStore",
    "oauth2_error_parser",
    "parse_token",
]

log = logging.getLogger("vendorkit")

Send = Callable[[WireRequest], Awaitable[WireResponse]]


@attrs.frozen
class Token:
    """An access token and what came with it. Times are wall-clock epoch seconds, so a token can
    be shared between processes through a store."""

    access_token: str = attrs.field(repr=False)
    token_type: str = "Bearer"
    issued_at: float = 0.0
    expires_at: float | None = None
    refresh_token: str | None = attrs.field(default=None, repr=False)
    scope: str | None = None

    def header(self) -> str:
        kind = "Bearer" if self.token_type.lower() == "bearer" else self.token_type
        return f"{kind} {self.access_token}"

    def expiring(self, now: float, margin: float) -> bool:
        """Due for renewal: within ``margin`` seconds of expiry, or within a tenth of its lifetime
        for short-lived tokens (so a 2-second token is not renewed on every request)."""
        if self.expires_at is None:
            return False
        lifetime = max(0.0, self.expires_at - self.issued_at)
        return now >= self.expires_at - min(margin, lifetime / 10)

    def to_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Token:
        kwargs: dict[str, Any] = {k: data[k] for k in attrs.fields_dict(cls) if k in data}
        return cls(**kwargs)


class TokenStore(Protocol):
    """Where tokens live. ``lock(key)`` makes renewal single-flight among everyone sharing the
    store (tasks of one client; with a shared store, processes)."""

    async def get(self, key: str) -> Token | None: ...

    async def set(self, key: str, token: Token) -> None: ...

    async def delete(self, key: str) -> None: ...

    def lock(self, key: str) -> contextlib.AbstractAsyncContextManager[None]: ...


class MemoryTokenStore:
    """The default: tokens in this process, one ``asyncio.Lock`` per key."""

    def __init__(self) -> None:
        self._tokens: dict[str, Token] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    def __repr__(self) -> str:
        return f"<MemoryTokenStore keys={len(self._tokens)}>"

    async def get(self, key: str) -> Token | None:
        return self._tokens.get(key)

    async def set(self, key: str, token: Token) -> None:
        self._tokens[key] = token

    async def delete(self, key: str) -> None:
        self._tokens.pop(key, None)

    @contextlib.asynccontextmanager
    async def lock(self, key: str) -> AsyncIterator[None]:
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            yield


class Auth:
    """Base strategy: adds headers to each request and decides what a 401 means."""

    async def authorize(self, send: Send) -> tuple[dict[str, str], str | None]:
        """Headers for the next request, and an opaque marker of the credential used."""
        return {}, None

    async def on_unauthorized(self, send: Send, used: str | None) -> bool:
        """Called once per request on a 401; True means: replay the request once."""
        return False

    def bind(self, *, base_url: URL, vendor: str, store: TokenStore) -> None:
        """Called by the client once it knows its base URL, vendor name and token store."""

    def secrets(self) -> tuple[str, ...]:
        """Every credential value this strategy holds or has been issued, for redaction: no
        message, log line or repr may contain one of them."""
        return ()


class NoAuth(Auth):
    """No credentials (public endpoints, token endpoints themselves)."""


class HeaderAuth(Auth):
    """``Authorization: <scheme> <token>``. ``set_token`` swaps it (e.g. after a reset)."""

    def __init__(self, token: str, *, scheme: str = "Bearer", header: str = "Authorization"):
        if not token:
            raise ValueError("a token is required")
        self._token = token
        self._previous = ""
        self.scheme = scheme
        self.header = header
        # Names the account for shared quotas (a one-way fingerprint, never the token). Fixed at
        # construction: a token reset (``set_token``) is still the same account.
        self.store_key = "account:" + _fingerprint(token)

    def __repr__(self) -> str:
        return f"<HeaderAuth {self.header}: {self.scheme} ***>"

    @property
    def token(self) -> str:
        return self._token

    def set_token(self, token: str) -> None:
        self._previous = self._token
        self._token = token

    def secrets(self) -> tuple[str, ...]:
        return (self._token, self._previous)

    async def authorize(self, send: Send) -> tuple[dict[str, str], str | None]:
        value = f"{self.scheme} {self._token}" if self.scheme else self._token
        return {self.header: value}, _fingerprint(self._token)

    async def on_unauthorized(self, send: Send, used: str | None) -> bool:
        # Replay only if the token was swapped (set_token) after this request took the old one.
        return used is not None and used != _fingerprint(self._token)


def _fingerprint(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()[:16]


def oauth2_error_parser(status: int, body: Any) -> ErrorInfo:
    """RFC 6749 section 5.2 errors: ``error`` code and ``error_description``."""
    if isinstance(body, dict):
        code = body.get("error") if isinstance(body.get("error"), str) else None
        message = body.get("error_description") or body.get("detail") or body.get("message")
        if not isinstance(message, str):
            message = code or " ".join(as_messages(body))
        return ErrorInfo(message=message, code=code)
    return ErrorInfo(message=" ".join(as_messages(body)))


def parse_token(response: WireResponse, *, now: float, previous: Token | None = None) -> Token:
    """A token endpoint's successful answer as a ``Token``. A response without a new refresh
    token keeps the previous one (servers that do not rotate)."""
    try:
        body = response.json()
    except ValueError:
        raise DecodeError("token endpoint answered with a body that is not JSON") from None
    if not isinstance(body, dict) or not isinstance(body.get("access_token"), str):
        raise DecodeError("token endpoint answer has no access_token")
    expires_in = body.get("expires_in")
    try:
        expires_at = now + float(expires_in) if expires_in is not None else None
    except (TypeError, ValueError):
        expires_at = None
    refresh = body.get("refresh_token")
    if not isinstance(refresh, str):
        refresh = previous.refresh_token if previous else None
    return Token(
        access_token=body["access_token"],
        token_type=str(body.get("token_type") or "Bearer"),
        issued_at=now,
        expires_at=expires_at,
        refresh_token=refresh,
        scope=body.get("scope") if isinstance(body.get("scope"), str) else None,
    )


class OAuth2(Auth):
    """An OAuth2 token endpoint with one grant, plus refresh with rotation.

    ``client_auth="basic"`` sends the client id and secret as HTTP Basic (as some token
    endpoints require); ``"body"`` puts them in the request body. ``encoding`` is ``"form"``
    (RFC 6749) or ``"json"``.
    ``grant`` holds the grant's fields (``{"grant_type": "password", "username": ..., ...}``).
    ``refresh_margin`` (seconds): renew this long before expiry.
    """

    def __init__(
        self,
        *,
        token_path: str,
        client_id: str,
        client_secret: str,
        grant: Mapping[str, Any],
        client_auth: str = "basic",
        encoding: str = "form",
        refresh: bool = True,
        refresh_margin: float = 60.0,
        identity: str = "",
        error_parser: Callable[[int, Any], ErrorInfo] | None = None,
    ) -> None:
        if client_auth not in ("basic", "body"):
            raise ValueError("client_auth must be 'basic' or 'body'")
        if encoding not in ("form", "json"):
            raise ValueError("encoding must be 'form' or 'json'")
        if not client_id or not client_secret:
            raise ValueError("client_id and client_secret are required")
        self.token_path = token_path
        self._client_id = client_id
        self._client_secret = client_secret
        self._grant = dict(grant)
        self.client_auth = client_auth
        self.encoding = encoding
        self.refresh = refresh
        self.refresh_margin = refresh_margin
        self._identity = identity
        # How the token endpoint's error bodies read (RFC 6749 ``error``/``error_description``
        # by default; a vendor whose token endpoint adds field errors passes its own parser).
        self._error_parser = error_parser or oauth2_error_parser
        self._base_url = URL()
        self._vendor = ""
        self._store: TokenStore = MemoryTokenStore()
        self._key = ""
        self._local_lock = asyncio.Lock()
        self.token_requests = 0
        # Tokens issued to this strategy lately: redacted from every message (a hostile server
        # may echo them), bounded so a long-lived client does not collect them forever.
        self._issued: collections.deque[str] = collections.deque(maxlen=8)

    def __repr__(self) -> str:
        return f"<OAuth2 {self._grant.get('grant_type')} client_id={self._client_id!r}>"

    @property
    def grant_type(self) -> str:
        return str(self._grant.get("grant_type", ""))

    def secrets(self) -> tuple[str, ...]:
        raw = f"{self._client_id}:{self._client_secret}".encode()
        grant = [str(v) for k, v in self._grant.items() if k.lower() in SENSITIVE_KEYS]
        return (self._client_secret, base64.b64encode(raw).decode(), *grant, *self._issued)

    def bind(self, *, base_url: URL, vendor: str, store: TokenStore) -> None:
        self._base_url = base_url
        self._vendor = vendor
        self._store = store
        # The key names the account, never a secret: same vendor, endpoint, client and user.
        ident = f"{base_url}|{self.token_path}|{self._client_id}|{self._identity}"
        self._key = f"vendorkit:token:{vendor}:{hashlib.sha256(ident.encode()).hexdigest()[:24]}"

    @property
    def store_key(self) -> str:
        return self._key

    def token_request(self, fields: Mapping[str, Any]) -> WireRequest:
        """The token endpoint request for these grant fields. Pure."""
        body: dict[str, Any] = dict(fields)
        headers = {"Accept": "application/json"}
        if self.client_auth == "basic":
            raw = f"{self._client_id}:{self._client_secret}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(raw).decode()
        else:
            body.setdefault("client_id", self._client_id)
            body.setdefault("client_secret", self._client_secret)
        url = self._base_url.join(URL(self.token_path.lstrip("/")))
        if self.token_path.startswith("/"):
            url = self._base_url.with_path(
                self._base_url.path.rstrip("/") + self.token_path, encoded=False
            )
        # A grant is safe to repeat (each answer is just a new token), so a token request that
        # meets a 502/503/504, a 429 or a dropped connection is retried like a GET.
        if self.encoding == "json":
            return WireRequest("POST", url, headers=headers, json=body, repeatable=True)
        form = {k: str(v) for k, v in body.items()}
        return WireRequest("POST", url, headers=headers, form=form, repeatable=True)

    async def _call(self, send: Send, fields: Mapping[str, Any], previous: Token | None) -> Token:
        self.token_requests += 1
        request = self.token_request(fields)
        response = await send(request)
        if response.status >= 400:
            raise error_from_response(
                response, vendor=self._vendor, method="POST", parser=self._error_parser
            )
        token = parse_token(response, now=time.time(), previous=previous)
        self._issued.append(token.access_token)
        if token.refresh_token:
            self._issued.append(token.refresh_token)
        return token

    async def _obtain(self, send: Send, previous: Token | None) -> Token:
        if self.refresh and previous is not None and previous.refresh_token:
            fields = {"grant_type": "refresh_token", "refresh_token": previous.refresh_token}
            try:
                return await self._call(send, fields, previous)
            except APIError as exc:
                # The refresh token was refused (expired, or rotated by someone else): start over
                # with the original grant, whose credentials we hold. Token endpoints differ in
                # the status they use for that (400 invalid_grant per RFC 6749, 401, 403, 422), so
                # any 4xx but a 429 counts; a 429 or 5xx is the endpoint's trouble, raised as is.
                if not 400 <= exc.status < 500 or exc.status == 429:
                    raise
                log.debug("vendorkit: refresh refused (%s); using the original grant", exc.status)
        return await self._call(send, self._grant, None)

    @staticmethod
    def _still_good(current: Token | None, rejected: str | None, margin: float) -> bool:
        return (
            current is not None
            and current.access_token != rejected
            and not current.expiring(time.time(), margin)
        )

    async def _renew(self, send: Send, rejected: str | None) -> Token:
        # Single flight in two stages: the tasks of this client queue on an in-process lock and
        # look at the store again before taking the store's lock, which (on a shared store) is
        # the cross-process one. So a cold start of N tasks in P processes makes P lock
        # acquisitions and one token request, not N of each.
        async with self._local_lock:
            current = await self._store.get(self._key)
            if self._still_good(current, rejected, self.refresh_margin):
                assert current is not None
                return current  # renewed while we waited
            async with self._store.lock(self._key):
                current = await self._store.get(self._key)
                if self._still_good(current, rejected, self.refresh_margin):
                    assert current is not None
                    return current  # renewed elsewhere while we waited
                token = await self._obtain(send, current)
                await self._store.set(self._key, token)
                return token

    async def current_token(self, send: Send) -> Token:
        token = await self._store.get(self._key)
        if token is None or token.expiring(time.time(), self.refresh_margin):
            token = await self._renew(send, token.access_token if token else None)
        return token

    async def authorize(self, send: Send) -> tuple[dict[str, str], str | None]:
        token = await self.current_token(send)
        if token.access_token not in self._issued:  # issued to another process sharing the store
            self._issued.append(token.access_token)
        return {"Authorization": token.header()}, _fingerprint(token.access_token)

    async def on_unauthorized(self, send: Send, used: str | None) -> bool:
        async with self._local_lock:
            current = await self._store.get(self._key)
            if current is not None and _fingerprint(current.access_token) != used:
                return True  # already replaced: replay with the new one
            async with self._store.lock(self._key):
                current = await self._store.get(self._key)
                if current is not None and _fingerprint(current.access_token) != used:
                    return True  # replaced elsewhere while we waited
                try:
                    token = await self._obtain(send, current)
                except APIError:
                    await self._store.delete(self._key)
                    raise
                await self._store.set(self._key, token)
                return True

    async def revoke_local(self) -> None:
        """Forget the stored token (the next request obtains a new one)."""
        await self._store.delete(self._key)

"""Auth strategies an adapter picks, and where tokens live.

- ``HeaderAuth``: a static ``Authorization: <scheme> <token>`` (``Token X``, ``Bearer X``).
- ``OAuth2``: a token endpoint and a grant (client_credentials with HTTP Basic, password with the
  client in a JSON body, vendor-specific grant fields), with refresh and refresh-token rotation.

What is pure: building the token request (``OAuth2.token_request``), reading the answer
(``parse_token``, ``token_lifetime``) and keeping secrets out of messages (``scrub``). What does
I/O: ``authorize``/``on_unauthorized``, which the client calls with a ``send`` function.

Renewal is single-flight twice over: in one process every task that needs a renewal shares one
run (``SingleFlight``: one task, awaited through ``asyncio.shield`` by all); that run queues on
the ``TokenStore``'s lock, which a shared store makes cross-process, and looks at the store again
before asking for a token. So:

- N concurrent requests on a cold client cause one token request, and if it fails, all N get the
  same error (a wrong secret costs one token request, not N);
- a token is renewed ahead of expiry (``refresh_margin``, at most a tenth of its lifetime); if
  that early renewal fails (5xx after retries, a dropped connection, 4xx from the refresh and
  the original grant), requests go out with the current token while it is still valid (a warning
  is logged); only an expired or rejected token lets the failure surface;
- a 401 causes one renewal and one replay, and only if the rejected token is still the current
  one: fifty concurrent 401s cause one renewal; if it fails, all fifty get its error;
- a failure is remembered only for the callers of that run, and for requests that were already
  on their way (their token was taken before the run landed); a call that starts afterwards tries
  again. Nothing is cached: failures are never replayed to later calls;
- a rotated refresh token replaces the old one in the same store write; a rejected refresh falls
  back to the original grant, whose credentials the strategy holds;
- a stored token that cannot be read (``store.get`` raises ``DecodeError``) counts as no token: a
  warning is logged and a fresh grant overwrites it;
- errors from the token endpoint never carry a secret the strategy knows (client secret,
  password, refresh and access tokens, the Basic header value), even if the endpoint echoes them.
"""

from __future__ import annotations

import asyncio
import base64
import collections
import contextlib
import hashlib
import hmac
import html
import logging
import math
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Mapping
from typing import Any, Protocol

import attrs
from yarl import URL

from vendorkit.errors import (
    APIError,
    ConfigurationError,
    DecodeError,
    TransportError,
    VendorkitError,
)

from ._errors import ErrorInfo, as_messages, error_from_response
from ._flight import SingleFlight
from ._options import encodable
from ._redact import REDACTED, SENSITIVE_KEYS, redact_known
from ._retry import parse_retry_after
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
    "scrub",
    "token_lifetime",
]

log = logging.getLogger("vendorkit")

Send = Callable[[WireRequest], Awaitable[WireResponse]]

#: PBKDF2 rounds of a token's owner verifier: a few milliseconds once per client, enough that a
#: verifier read from a shared store does not make guessing a weak password cheap.
OWNER_ROUNDS = 20_000


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
    # Who may use it: a verifier derived from the credentials of the grant that obtained it (see
    # ``OAuth2._owner``). A token in a shared store is handed only to a client whose credentials
    # derive the same verifier, so knowing an account's user name is not enough to use its token.
    owner: str | None = attrs.field(default=None, repr=False)

    def header(self) -> str:
        kind = "Bearer" if self.token_type.lower() == "bearer" else self.token_type
        return f"{kind} {self.access_token}"

    def expiring(self, now: float, margin: float) -> bool:
        """Due for renewal: within ``margin`` seconds of expiry, or within a tenth of its lifetime
        for short-lived tokens (so a 2-second token is not renewed on every request)."""
        if self.expires_at is None:
            return False
        if math.isnan(self.expires_at):
            return True  # an expiry nobody can read (a damaged store): renew
        lifetime = max(0.0, self.expires_at - self.issued_at)
        return now >= self.expires_at - min(margin, lifetime / 10)

    def to_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)

    @classmethod
    def from_dict(cls, data: object) -> Token:
        """A token as ``to_dict`` wrote it, from a store that others can write to (a shared
        Redis): anything else raises ``DecodeError``. Decided here: ``access_token`` is
        required; every field has its own type (text, or a finite number for the times; JSON
        integers count as numbers, booleans do not); text must be UTF-8 (no lone surrogates),
        and what goes into the ``Authorization`` header (``access_token``, ``token_type``)
        holds no CR, LF or NUL, which would make every request fail or inject a header. Keys
        it does not know are ignored (a newer vendorkit may store more). Messages name the
        field and the type found, never a value: it may be a credential."""
        import math  # here, not at the top: this method is the only user

        if not isinstance(data, Mapping):
            raise DecodeError(f"a stored token must be an object, not {type(data).__name__}")
        if "access_token" not in data:
            raise DecodeError("a stored token has no access_token")
        optional = {"expires_at", "refresh_token", "scope", "owner"}
        times = {"issued_at", "expires_at"}
        in_header = {"access_token", "token_type"}
        kwargs: dict[str, Any] = {}
        for name in attrs.fields_dict(cls):
            if name not in data:
                continue
            value = data[name]
            problem = None
            if value is None and name in optional:
                pass
            elif name in times:
                if isinstance(value, bool) or not isinstance(value, int | float):
                    problem = f"must be a number, not {type(value).__name__}"
                else:
                    try:
                        value = float(value)
                    except OverflowError:  # an integer beyond float range
                        value = math.inf
                    if not math.isfinite(value):
                        problem = "must be a finite number"
            elif not isinstance(value, str):
                problem = f"must be text, not {type(value).__name__}"
            else:
                if not encodable(value):
                    problem = "holds a lone surrogate"
                if problem is None and name in in_header and not _HEADER_SAFE.fullmatch(value):
                    # What a token endpoint's answer is held to (``parse_token``): a stored
                    # token that would make every request fail must read as no token.
                    problem = "holds a character that cannot be sent in a header"
            if problem is not None:
                raise DecodeError(f"stored token field {name!r} {problem}")
            kwargs[name] = value
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
    """No credentials (public endpoints, token endpoints themselves). ``secrets``: values the
    requests carry in their bodies (a login's password), to scrub from whatever is shown."""

    def __init__(self, *, secrets: tuple[str, ...] = ()) -> None:
        self._secrets = tuple(secrets)

    def secrets(self) -> tuple[str, ...]:
        return self._secrets


class HeaderAuth(Auth):
    """``Authorization: <scheme> <token>``. ``set_token`` swaps it (e.g. after a reset)."""

    def __init__(self, token: str, *, scheme: str = "Bearer", header: str = "Authorization"):
        self._token = _credential("the token", token)
        self._previous = ""
        self._sent: tuple[dict[str, str], str] | None = None
        self.scheme = scheme
        self.header = header
        # Names the account for shared quotas (a one-way fingerprint, never the token). Fixed at
        # construction: a token reset (``set_token``) is still the same account.
        self.account_key = "account:" + _fingerprint(token)
        self.store_key = self.account_key

    def __repr__(self) -> str:
        return f"<HeaderAuth {self.header}: {self.scheme} ***>"

    @property
    def token(self) -> str:
        return self._token

    def set_token(self, token: str) -> None:
        token = _credential("the token", token)
        self._previous = self._token
        self._token = token
        self._sent = None

    def secrets(self) -> tuple[str, ...]:
        return (self._token, self._previous)

    async def authorize(self, send: Send) -> tuple[dict[str, str], str | None]:
        # Built once per token, not once per request (a hash on every request adds up).
        if self._sent is None:
            value = f"{self.scheme} {self._token}" if self.scheme else self._token
            self._sent = ({self.header: value}, _fingerprint(self._token))
        headers, marker = self._sent
        return dict(headers), marker

    async def on_unauthorized(self, send: Send, used: str | None) -> bool:
        # Replay only if the token was swapped (set_token) after this request took the old one.
        return used is not None and used != _fingerprint(self._token)


def _credential(what: str, value: Any) -> str:
    """A credential as given, checked: non-empty text that an HTTP header can carry (it goes into
    ``Authorization``), so a wrong type is a ``ConfigurationError`` here, not a bare exception at
    the first call."""
    if not isinstance(value, str) or not value:
        raise ConfigurationError(f"{what} must be non-empty text, not a {type(value).__name__}")
    if not _HEADER_SAFE.fullmatch(value):
        raise ConfigurationError(
            f"{what} has characters an HTTP header cannot carry (spaces, control characters or "
            "non-ASCII)"
        )
    return value


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


#: The longest lifetime believed from ``expires_in`` (a year): a token endpoint that says
#: ``1e999`` or ``10**400`` gets this, so expiries and store TTLs stay finite numbers.
MAX_LIFETIME = 365 * 86400.0

# An access token goes into a header: visible ASCII only (RFC 6750 b64token is narrower still),
# so a hostile answer cannot inject a header or make aiohttp refuse the request.
_HEADER_SAFE = re.compile(r"[\x21-\x7e]+")
# A refresh token goes into a body: RFC 6749 VSCHAR (printable ASCII, space included).
_VSCHAR = re.compile(r"[\x20-\x7e]+")
# A token type is an RFC 7230 token (it is the scheme of the Authorization header).
_TCHAR = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


def token_lifetime(value: Any) -> float | None:
    """``expires_in`` as seconds. A number >= 0 (or a numeric string) is believed up to
    ``MAX_LIFETIME`` (0: the token is due for renewal before its next use); anything else
    (absent, negative, NaN, not a number, a boolean) gives ``None``: the expiry is unknown and
    the token is renewed when the vendor rejects it (401). A negative lifetime is not read as
    "expired": a token endpoint that always says so would cost a token request per call."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        if value < 0:
            return None
        # Compared as an int: float(10**400) would raise OverflowError.
        return MAX_LIFETIME if value >= MAX_LIFETIME else float(value)
    if isinstance(value, float):
        seconds = value
    elif isinstance(value, str):
        try:
            seconds = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    if math.isnan(seconds) or seconds < 0:
        return None
    return min(seconds, MAX_LIFETIME)


def parse_token(response: WireResponse, *, now: float, previous: Token | None = None) -> Token:
    """A token endpoint's successful answer as a ``Token``; ``DecodeError`` for anything else
    (never another exception). A response without a usable new refresh token keeps the previous
    one (servers that do not rotate). Messages never quote the body: it may hold a token."""
    if not 200 <= response.status < 300:
        raise DecodeError(f"token endpoint answered {response.status}, not a token")
    try:
        body = response.json()
    except (ValueError, RecursionError):
        raise DecodeError("token endpoint answered with a body that is not JSON") from None
    if not isinstance(body, dict):
        raise DecodeError("token endpoint answer is not a JSON object")
    access = body.get("access_token")
    if not isinstance(access, str) or not _HEADER_SAFE.fullmatch(access):
        raise DecodeError("token endpoint answer has no usable access_token")
    kind = body.get("token_type")
    if kind is None or kind == "":
        kind = "Bearer"
    if not isinstance(kind, str) or not _TCHAR.fullmatch(kind):
        raise DecodeError("token endpoint answer has an unusable token_type")
    lifetime = token_lifetime(body.get("expires_in"))
    refresh = body.get("refresh_token")
    if not isinstance(refresh, str) or not _VSCHAR.fullmatch(refresh):
        refresh = previous.refresh_token if previous else None
    scope = body.get("scope")
    return Token(
        access_token=access,
        token_type=kind,
        issued_at=now,
        expires_at=None if lifetime is None else now + lifetime,
        refresh_token=refresh,
        scope=scope if isinstance(scope, str) else None,
    )


# -- keeping secrets out of messages ----------------------------------------------------------
# On top of the shared redaction (``_redact.redact_known``: as is, URL-, JSON- and repr-escaped),
# the strategy scrubs the secrets of the token request it made from every part of its error.


def _spellings(secrets: Collection[str]) -> list[str]:
    """The secrets, plus their HTML-escaped forms (an error page from a proxy or a framework)."""
    out: list[str] = []
    for secret in secrets:
        if secret:
            out.append(secret)
            escaped = html.escape(secret)
            if escaped != secret:
                out.append(escaped)
    return out


def scrub(text: str, secrets: Collection[str]) -> str:
    """``text`` with every spelling of every secret replaced by ``***`` (see ``redact_known``:
    values shorter than its minimum length are not credentials and are left alone)."""
    return redact_known(text, _spellings(secrets))


def _scrub_value(value: Any, secrets: Collection[str], depth: int = 0) -> Any:
    """A JSON value (an error body) with secrets scrubbed from every string, keys included."""
    if isinstance(value, str):
        return scrub(value, secrets)
    if depth > 100:
        return REDACTED  # deeper than any real error body: not worth walking
    if isinstance(value, dict):
        return {
            scrub(str(k), secrets): _scrub_value(v, secrets, depth + 1) for k, v in value.items()
        }
    if isinstance(value, list):
        return [_scrub_value(v, secrets, depth + 1) for v in value]
    if isinstance(value, int | float) and not isinstance(value, bool):
        # A numeric secret (a PIN-like password) echoed as a JSON number.
        return REDACTED if scrub(str(value), secrets) != str(value) else value
    return value


def _leaks(exc: BaseException, secrets: Collection[str]) -> bool:
    """Whether ``exc``'s chained causes show a secret in their str or repr."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc.__cause__, exc.__context__]
    while todo:
        link = todo.pop()
        if link is None or id(link) in seen or len(seen) > 20:
            continue
        seen.add(id(link))
        try:
            shown = f"{link!s} {link!r}"
        except Exception:
            return True  # cannot tell: assume the worst
        if scrub(shown, secrets) != shown:
            return True
        todo += [link.__cause__, link.__context__]
    return False


def scrub_error(exc: VendorkitError, secrets: Collection[str]) -> VendorkitError:
    """``exc`` (in place) without the secrets: its message and args, an ``APIError``'s code,
    field and non-field errors, body and trace id; and a chain of causes that shows one is cut
    off (their type and text are gone, the secret with them)."""
    if isinstance(exc, APIError):
        exc.message = scrub(exc.message, secrets)
        exc.code = None if exc.code is None else scrub(exc.code, secrets)
        exc.field_errors = {
            scrub(k, secrets): [scrub(m, secrets) for m in v] for k, v in exc.field_errors.items()
        }
        exc.non_field_errors = [scrub(m, secrets) for m in exc.non_field_errors]
        exc.body = _scrub_value(exc.body, secrets)
        exc.trace_id = None if exc.trace_id is None else scrub(exc.trace_id, secrets)
        exc.url = scrub(exc.url, secrets)
    exc.args = tuple(scrub(a, secrets) if isinstance(a, str) else a for a in exc.args)
    if _leaks(exc, secrets):
        exc.__cause__ = None
        exc.__context__ = None
        exc.__suppress_context__ = True
    return exc


# Renewal failures that leave a still-valid token usable: the vendor's error, no answer, or an
# answer that is not a token. A closed client, bad arguments and cancellation always surface.
_RENEWAL_FAILURES = (APIError, TransportError, DecodeError)


def _marker(token: Token, mark: int) -> str:
    # Which token a request carried, and when it was handed out (a ``SingleFlight`` mark): a
    # 401 on it shares the failure of a renewal that landed while the request was on its way.
    return f"{_fingerprint(token.access_token)}@{mark}"


def _read_marker(used: str | None) -> tuple[str | None, int | None]:
    if not used:
        return None, None
    fingerprint, _, mark = used.partition("@")
    return fingerprint, int(mark) if mark.isdigit() else None


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
            raise ConfigurationError("client_auth must be 'basic' or 'body'")
        if encoding not in ("form", "json"):
            raise ConfigurationError("encoding must be 'form' or 'json'")
        if not client_id or not client_secret:
            raise ConfigurationError("client_id and client_secret are required")
        if not isinstance(client_id, str) or not isinstance(client_secret, str):
            raise ConfigurationError("client_id and client_secret must be strings")
        try:
            f"{client_id}:{client_secret}".encode()
        except UnicodeError:
            raise ConfigurationError("client_id and client_secret must be valid text") from None
        try:
            margin = float(refresh_margin)
        except (TypeError, ValueError):
            raise ConfigurationError("refresh_margin must be a number of seconds") from None
        if not math.isfinite(margin) or margin < 0:
            raise ConfigurationError("refresh_margin must be a finite number of seconds >= 0")
        self.token_path = token_path
        self._client_id = client_id
        self._client_secret = client_secret
        self._grant = dict(grant)
        for field, value in self._grant.items():
            if isinstance(value, str) and not encodable(value):
                raise ConfigurationError(f"the grant's {field} has characters that cannot be sent")
        self.client_auth = client_auth
        self.encoding = encoding
        self.refresh = refresh
        self.refresh_margin = margin
        self._identity = identity
        # How the token endpoint's error bodies read (RFC 6749 ``error``/``error_description``
        # by default; a vendor whose token endpoint adds field errors passes its own parser).
        self._error_parser = error_parser or oauth2_error_parser
        self._base_url = URL()
        self._vendor = ""
        self._store: TokenStore = MemoryTokenStore()
        self._account = ""
        self._key = ""
        self._local_lock = asyncio.Lock()
        self._flight: SingleFlight[Token] = SingleFlight("vendorkit-token-renewal")
        # Fingerprints of tokens a 401 rejected, for the renewal run in (or about to be in) the
        # air: it does not take such a token for a good one, and forgets a dead one on failure.
        self._rejected: set[str] = set()
        self.token_requests = 0
        # Tokens issued to this strategy lately: redacted from every message (a hostile server
        # may echo them), bounded so a long-lived client does not collect them forever.
        self._issued: collections.deque[str] = collections.deque(maxlen=8)
        self._owner_value: str | None = None

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
        # The account: same vendor, endpoint, client and user (never a secret). It names the
        # shared quota; the token's own key adds the owner verifier (see ``store_key``).
        ident = f"{base_url}|{self.token_path}|{self._client_id}|{self._identity}"
        digest = hashlib.sha256(ident.encode("utf-8", "surrogatepass")).hexdigest()[:24]
        self._account = f"vendorkit:token:{vendor}:{digest}"
        self._key = ""
        self._owner_value = None

    @property
    def account_key(self) -> str:
        """Names the vendor account (for its shared quota): the same for every set of
        credentials of that account."""
        return self._account

    @property
    def store_key(self) -> str:
        """Where this strategy's token lives: the account plus a short verifier of the
        credentials. Two sets of valid credentials for one account (a client secret being
        rotated, half the processes on the old one) keep a token each instead of replacing each
        other's on every call; a wrong password finds no token to use."""
        if not self._key:
            self._key = f"{self._account}:{self._owner()[:16]}"
        return self._key

    def _basic(self) -> str:
        raw = f"{self._client_id}:{self._client_secret}".encode()
        return base64.b64encode(raw).decode()

    def token_request(self, fields: Mapping[str, Any]) -> WireRequest:
        """The token endpoint request for these grant fields. Pure. In a form, a field whose
        value is ``None`` is left out (``str(None)`` is no value)."""
        return self._endpoint_request(self.token_path, fields)

    def _endpoint_request(self, path: str, fields: Mapping[str, Any]) -> WireRequest:
        """A request to one of the authorization server's endpoints (token, revocation): the
        client authenticated the configured way, ``fields`` in the configured encoding."""
        body: dict[str, Any] = dict(fields)
        headers = {"Accept": "application/json"}
        if self.client_auth == "basic":
            headers["Authorization"] = "Basic " + self._basic()
        else:
            body.setdefault("client_id", self._client_id)
            body.setdefault("client_secret", self._client_secret)
        url = self._base_url.join(URL(path.lstrip("/")))
        if path.startswith("/"):
            url = self._base_url.with_path(self._base_url.path.rstrip("/") + path, encoded=False)
        # A grant is safe to repeat (each answer is just a new token), so a token request that
        # meets a 502/503/504, a 429 or a dropped connection is retried like a GET.
        if self.encoding == "json":
            return WireRequest("POST", url, headers=headers, json=body, repeatable=True)
        form = {str(k): str(v) for k, v in body.items() if v is not None}
        return WireRequest("POST", url, headers=headers, form=form, repeatable=True)

    def _secrets(self, fields: Mapping[str, Any], previous: Token | None) -> set[str]:
        """Every secret this token request involves, as the strategy knows them."""
        found = {*self.secrets(), f"{self._client_id}:{self._client_secret}"}
        for key, value in fields.items():
            if str(key).lower() in SENSITIVE_KEYS and isinstance(value, str) and value:
                found.add(value)
        if previous is not None:
            found.add(previous.access_token)
            if previous.refresh_token:
                found.add(previous.refresh_token)
        return found

    async def _send_scrubbed(
        self, send: Send, request: WireRequest, secrets: set[str]
    ) -> WireResponse:
        """Send a request to one of the strategy's endpoints (token, revocation); a failure is a
        typed error holding none of ``secrets``, a success the response."""
        try:
            response = await send(request)
        except VendorkitError as exc:
            # A foreign exception's text (aiohttp's, with the request headers) may carry the
            # Basic value or a body field. The shared redaction in core covers every request;
            # here the strategy removes the secrets it knows from its own requests' errors.
            scrub_error(exc, secrets)
            raise
        if not 200 <= response.status < 300:
            # A hostile or careless endpoint may echo the secret, the password or the refresh
            # token in its error body: none of it reaches the error.
            error = error_from_response(
                response,
                vendor=self._vendor,
                method="POST",
                parser=self._error_parser,
                # A 429 from the token endpoint says how long to wait, as any other 429 does.
                retry_after=parse_retry_after(response.headers.get("Retry-After")),
                secrets=secrets,
            )
            raise scrub_error(error, secrets) from None
        return response

    async def _call(self, send: Send, fields: Mapping[str, Any], previous: Token | None) -> Token:
        self.token_requests += 1
        secrets = self._secrets(fields, previous)
        response = await self._send_scrubbed(send, self.token_request(fields), secrets)
        token = attrs.evolve(
            parse_token(response, now=time.time(), previous=previous), owner=self._owner()
        )
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
                log.info("vendorkit: refresh refused (%s); using the original grant", exc.status)
        return await self._call(send, self._grant, None)

    async def _read(self) -> Token | None:
        """The stored token; one that cannot be read (tampered, or written by an incompatible
        version) is no token: the renewal that follows overwrites it."""
        try:
            token = await self._store.get(self.store_key)
        except DecodeError:
            log.warning(
                "vendorkit: %s: the stored token %s cannot be read; obtaining a new one",
                self._vendor,
                self.store_key,
            )
            return None
        if (
            token is not None
            and token.owner is not None
            and not hmac.compare_digest(
                token.owner.encode("utf-8", "surrogatepass"), self._owner().encode()
            )
        ):
            # Obtained with other credentials for this account's name (a wrong password or
            # client secret, or credentials since changed): not ours to use, nor its refresh
            # token. Our own grant decides, and overwrites it only if it succeeds. (A token
            # without an owner, from an older vendorkit or a store that drops the field, is
            # used as before.)
            log.info(
                "vendorkit: %s: the stored token %s was obtained with other credentials; "
                "obtaining one with ours",
                self._vendor,
                self.store_key,
            )
            return None
        return token

    def _owner(self) -> str:
        """A verifier of the credentials this strategy proves (client secret and the grant's
        secret fields, bound to the store key): PBKDF2, so that a verifier read from a shared
        store is no shortcut to guessing a weak password. Computed once."""
        if self._owner_value is None:
            material = "\0".join(
                [self._client_secret]
                + [
                    f"{k}={v}"
                    for k, v in sorted(self._grant.items())
                    if k.lower() in SENSITIVE_KEYS
                ]
            )
            digest = hashlib.pbkdf2_hmac(
                "sha256",
                material.encode("utf-8", "surrogatepass"),
                f"vendorkit-owner|{self._account}".encode(),
                OWNER_ROUNDS,
            )
            self._owner_value = digest.hex()[:32]
        return self._owner_value

    def _good(self, current: Token | None, rejected: Collection[str]) -> Token | None:
        if current is None or _fingerprint(current.access_token) in rejected:
            return None
        if current.expiring(time.time(), self.refresh_margin):
            return None
        return current

    async def _renewal(self, send: Send) -> Token:
        """One renewal run (shared by every caller in the air, see ``SingleFlight``). It looks
        at the store before the store's lock (renewed while the previous run held it?) and again
        under it (renewed by another process?), then asks the token endpoint."""
        seen: frozenset[str] = frozenset()
        try:
            async with self._local_lock:
                seen = frozenset(self._rejected)
                good = self._good(await self._read(), seen)
                if good is not None:
                    return good
                async with self._store.lock(self.store_key):
                    current = await self._read()
                    seen = frozenset(self._rejected)
                    good = self._good(current, seen)
                    if good is not None:
                        return good
                    try:
                        token = await self._obtain(send, current)
                    except VendorkitError:
                        if current is not None and (
                            _fingerprint(current.access_token) in self._rejected
                        ):
                            # The stored token is dead (a 401 said so) and no new one came:
                            # the next call starts over with the original grant.
                            with contextlib.suppress(VendorkitError):
                                await self._store.delete(self.store_key)
                        raise
                    await self._store.set(self.store_key, token)
                    return token
        finally:
            self._rejected.difference_update(seen)

    async def _renewed(self, send: Send, rejected: str | None, since: int | None) -> Token:
        if rejected is not None:
            self._rejected.add(rejected)
        token = await self._flight.run(lambda: self._renewal(send), since=since)
        if rejected is not None and _fingerprint(token.access_token) == rejected:
            # We joined a run that had looked at the store before this rejection was known
            # and took the rejected token for a good one: one more run, knowing it.
            self._rejected.add(rejected)
            token = await self._flight.run(lambda: self._renewal(send))
        return token

    async def current_token(self, send: Send) -> Token:
        since = self._flight.mark()
        token = await self._read()
        if token is not None and not token.expiring(time.time(), self.refresh_margin):
            return token
        try:
            return await self._renewed(send, None, since)
        except _RENEWAL_FAILURES as exc:
            left = _valid_for(token, time.time())
            if token is None or left is None:
                raise
            # An early renewal failed, but the token is still good: use it (the next call that
            # finds it due tries again). Its expiry or a 401 lets the failure surface.
            log.warning(
                "vendorkit: %s: renewing the token ahead of its expiry failed (%s); "
                "using the current one, valid for %.0fs more",
                self._vendor,
                exc,
                left,
            )
            return token

    async def authorize(self, send: Send) -> tuple[dict[str, str], str | None]:
        token = await self.current_token(send)
        if token.access_token not in self._issued:  # issued to another process sharing the store
            self._issued.append(token.access_token)
        return {"Authorization": token.header()}, _marker(token, self._flight.mark())

    async def on_unauthorized(self, send: Send, used: str | None) -> bool:
        rejected, since = _read_marker(used)
        current = await self._read()
        if current is not None and _fingerprint(current.access_token) != rejected:
            return True  # already replaced: replay with the new one
        await self._renewed(send, rejected, since)
        return True

    async def revoke(self, send: Send, path: str) -> bool:
        """Revoke this strategy's current token at the revocation endpoint ``path`` (RFC 7009:
        the client authenticated as for the token endpoint, the token in ``token=``), then forget
        it; False when there is no token of ours to revoke. The token is forgotten only once the
        endpoint says it is revoked: after a failure a second ``revoke`` tries again. Safe to
        repeat (revoking a revoked token changes nothing), so it is retried like a grant."""
        token = await self._read()
        if token is None:
            return False
        if token.access_token not in self._issued:
            self._issued.append(token.access_token)
        request = self._endpoint_request(path, {"token": token.access_token})
        await self._send_scrubbed(send, request, self._secrets({}, token))
        await self._store.delete(self.store_key)
        return True

    async def revoke_local(self) -> None:
        """Forget the stored token (the next request obtains a new one)."""
        await self._store.delete(self.store_key)


def _valid_for(token: Token | None, now: float) -> float | None:
    """Seconds ``token`` is still valid for, or None if it has expired (or has no known
    expiry: such a token is never renewed early, so its renewal is a rejection's)."""
    if token is None or token.expires_at is None or math.isnan(token.expires_at):
        return None
    left = token.expires_at - now
    return left if left > 0 else None

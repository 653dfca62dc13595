"""``BaseClient``: the one module that awaits aiohttp.

Everything else in the core decides; this module does. One seam, ``_send(WireRequest) ->
WireResponse``, holds the only ``session.request``; around it, per attempt: the client-wide pause
after a 429, the client-side quota, auth headers, one 401 renew-and-replay; around the attempts,
tenacity with the pure ``retry_decision``. Foreign exceptions end at the seam: aiohttp's become
``TransportError``; ``asyncio.CancelledError`` passes through untouched.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import inspect
import json
import logging
import os
import ssl as ssl_module
import time
import warnings
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Any, ClassVar, TypeVar

import aiohttp
import attrs
import cattrs
from tenacity import AsyncRetrying, RetryCallState, stop_never
from yarl import URL

from vendorkit._version import __version__
from vendorkit.errors import (
    ClientStateError,
    ConfigurationError,
    DecodeError,
    RateLimitError,
    ReadBackError,
    ResponseTooLargeError,
    TransportError,
    VendorkitError,
)

from ._auth import Auth, MemoryTokenStore, TokenStore
from ._convert import make_converter, structure
from ._envelope import Envelope, RawPage
from ._errors import error_from_response
from ._links import LinkModels, is_url, link_of
from ._options import (
    header_value,
    headers_mapping,
    http_method,
    is_loopback,
    seconds,
    unknown_option,
    whole,
)
from ._pagination import NextLink, Pager, Paginator, ResumePoint, merge_params
from ._ratelimit import Quota, QuotaExhausted, RateLimiter, parse_quotas
from ._redact import REDACTED, SENSITIVE_HEADERS, describe_exception, redact_known
from ._resource import split_pager_args
from ._retry import (
    FailureKind,
    RetryDecision,
    RetryPolicy,
    backoff_delay,
    parse_retry_after,
    retry_decision,
)
from ._spec import VendorSpec
from ._urls import check_params, fill_template, join_path, placeholders
from ._wire import WireRequest, WireResponse, redact_url, same_origin

__all__ = ["DEFAULT", "BaseClient", "Hooks", "RequestInfo"]

log = logging.getLogger("vendorkit")

T = TypeVar("T")

DEFAULT_TIMEOUT = 30.0
DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_MAX_CONNECTIONS = 20
#: Bytes of one response body (after decompression) beyond which it is refused: far above any
#: page a vendor documents, far below what would exhaust memory (a "gzip bomb").
DEFAULT_MAX_RESPONSE_SIZE = 64 * 2**20
#: Seconds a plain call waits at most for a client-side quota slot: two whole minute windows,
#: never the hours a spent daily quota would take (that raises RateLimitError instead).
DEFAULT_MAX_QUOTA_WAIT = 120.0
_MAX_REDIRECTS = 5


class _Default:
    def __repr__(self) -> str:
        return "DEFAULT"


DEFAULT: Any = _Default()
"""Sentinel: "use the vendor's default" (e.g. ``rate_limit=DEFAULT`` is the documented quota)."""


@attrs.frozen
class RequestInfo:
    """What hooks and logs see of a request: method, redacted URL, redacted headers, attempt."""

    method: str
    url: str
    headers: Mapping[str, str]
    attempt: int


Hook = Callable[..., Any]


@attrs.define(kw_only=True)
class Hooks:
    """Callbacks for metrics and tracing; each may be a plain function or a coroutine function.

    - ``on_request(info: RequestInfo)`` before each attempt is sent;
    - ``on_response(info: RequestInfo, status: int, elapsed: float)`` after each answer;
    - ``on_retry(attempt: int, delay: float, cause: BaseException | int)`` before a retry sleep
      (``cause`` is the status code or the exception);
    - ``on_rate_limit(wait: float, reason: str)`` when a request waits for a quota or a 429 pause.

    A hook that raises is logged and ignored: metrics must not break requests.
    """

    on_request: list[Hook] = attrs.field(factory=list)
    on_response: list[Hook] = attrs.field(factory=list)
    on_retry: list[Hook] = attrs.field(factory=list)
    on_rate_limit: list[Hook] = attrs.field(factory=list)

    async def fire(self, name: str, *args: Any) -> None:
        for hook in getattr(self, name):
            try:
                result = hook(*args)
                if inspect.isawaitable(result):
                    await result
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("vendorkit: %s hook %r raised; ignored", name, hook, exc_info=True)


class _Failure(Exception):
    """An attempt that got no usable HTTP answer (inside the retry loop only)."""

    def __init__(self, kind: FailureKind, error: Exception) -> None:
        super().__init__(str(error))
        self.kind = kind
        self.error = error


@attrs.define
class _Exchange:
    """One logical request across its attempts (inside the retry loop only)."""

    attempts: int = 0
    # Whether an attempt may have been applied without our knowing: no complete answer after
    # sending, or a 5xx (a gateway's answer says nothing of what the origin did).
    uncertain: bool = False
    # Where a redirect followed by an earlier attempt led: later attempts go there directly.
    location: URL | None = None


def _single_send() -> Any:
    """A per-request aiohttp middleware that lets a request reach the wire once. aiohttp resends
    an idempotent request by itself when its connection turns out closed (RFC 9112 9.3.1); that
    would make ``max_retries=0`` two sends and ``max_retries=3`` eight. Our retry loop decides
    about every resend, so the second call here raises the first failure again."""
    failed: list[BaseException] = []

    async def middleware(req: Any, handler: Any) -> Any:
        if failed:
            raise failed[0]
        try:
            return await handler(req)
        except (aiohttp.ClientOSError, aiohttp.ServerDisconnectedError) as exc:
            failed.append(exc)
            raise

    return middleware


def _session_middlewares(session: aiohttp.ClientSession) -> tuple[Any, ...]:
    """A borrowed session's own middlewares: a per-request list replaces them, so we pass them
    on (aiohttp has no public accessor for them)."""
    return tuple(getattr(session, "_middlewares", ()) or ())


def _request_body(request: WireRequest, headers: dict[str, str]) -> Any:
    """What aiohttp's ``data=`` gets for ``request`` (setting the JSON Content-Type)."""
    if request.json is not None:
        headers.setdefault("Content-Type", "application/json")
        return dumps(request.json)
    if request.form is not None:
        return dict(request.form)
    return request.content


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dumps(data: Any) -> bytes:
    """JSON with Decimal as strings (never floats) and ISO dates. A string UTF-8 cannot carry (a
    lone surrogate, as JSON may decode one) is sent \\u-escaped, which JSON allows. What cannot
    be JSON at all is a ``ConfigurationError``."""
    try:
        # allow_nan=False: NaN and Infinity are not JSON, and a vendor would refuse the body.
        text = json.dumps(data, default=_json_default, ensure_ascii=False, allow_nan=False)
        try:
            return text.encode()
        except UnicodeEncodeError:
            return json.dumps(
                data, default=_json_default, ensure_ascii=True, allow_nan=False
            ).encode()
    except (TypeError, ValueError, RecursionError) as exc:
        raise ConfigurationError(f"the request body cannot be sent as JSON: {exc}") from None


def _base_url(value: Any, *, allow_http: bool) -> URL:
    """The client's base URL, checked: absolute http(s), no credentials in it, and plain http only
    to this machine unless the caller opts in (credentials would cross the network in clear)."""
    if not isinstance(value, str | URL):
        raise ConfigurationError(f"base_url must be a string, not {value!r}")
    try:
        url = URL(value)
        host = url.host
    except (ValueError, TypeError, UnicodeError):
        raise ConfigurationError(f"base_url is not a valid URL: {redact_url(str(value))}") from None
    if not url.is_absolute() or url.scheme not in ("http", "https") or not host:
        raise ConfigurationError(f"base_url must be an absolute http(s) URL: {redact_url(url)}")
    if url.user is not None or url.password is not None:
        raise ConfigurationError("base_url must not contain credentials")
    if url.scheme == "http" and not allow_http and not is_loopback(host):
        raise ConfigurationError(
            f"base_url {redact_url(url)} is plain http to another machine: credentials would "
            "cross the network unencrypted. Use https, or pass allow_http=True if you mean it"
        )
    return url


def _tls(value: Any) -> ssl_module.SSLContext | bool:
    """What aiohttp's ``ssl=`` gets: an ``SSLContext`` as given, True (verify, the default), or
    False (no certificate verification, said once in the log)."""
    if value is None or value is True:
        return True
    if value is False:
        log.warning(
            "vendorkit: TLS certificate verification is off (ssl=False): anyone on the network "
            "path can read and change this client's requests, credentials included"
        )
        return False
    if isinstance(value, ssl_module.SSLContext):
        return value
    raise ConfigurationError(f"ssl must be an ssl.SSLContext, True or False, not {value!r}")


def _redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {k: (REDACTED if k.lower() in SENSITIVE_HEADERS else v) for k, v in headers.items()}


def _option_names(cls: type) -> list[str]:
    """The keyword options a client class takes (its own and its bases'), for suggestions."""
    names: list[str] = []
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        for name, param in inspect.signature(init).parameters.items():
            if param.kind is inspect.Parameter.KEYWORD_ONLY and name not in names:
                names.append(name)
    return names


class BaseClient:
    """The engine every vendor client subclasses. Subclasses set ``spec`` and build an ``Auth``.

    Safe to share between any number of tasks of one event loop. Use it as ``async with`` or call
    ``aclose()``; a borrowed ``session=`` is never closed by us.
    """

    spec: ClassVar[VendorSpec]
    # (field, required) pairs read by ``from_env`` as VENDORKIT_<VENDOR>_<FIELD>.
    env_fields: ClassVar[tuple[tuple[str, bool], ...]] = ()
    # Hypermedia vendors: the model of each object/list URL, for ``_follow`` (None: plain dicts).
    link_models: ClassVar[LinkModels | None] = None

    def __init__(
        self,
        *,
        auth: Auth,
        base_url: str | None = None,
        session: aiohttp.ClientSession | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        max_retry_wait: float | None = None,
        max_quota_wait: float | None = DEFAULT,
        rate_limit: Any = DEFAULT,
        token_store: TokenStore | None = None,
        redis_url: str | None = None,
        user_agent: str | None = None,
        ssl: ssl_module.SSLContext | bool | None = None,
        allow_http: bool = False,
        max_response_size: int = DEFAULT_MAX_RESPONSE_SIZE,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        hooks: Hooks | None = None,
        on_request: Hook | None = None,
        on_response: Hook | None = None,
        on_retry: Hook | None = None,
        on_rate_limit: Hook | None = None,
        **unknown: Any,
    ) -> None:
        if unknown:
            name = sorted(unknown)[0]
            raise unknown_option(type(self).__name__, name, _option_names(type(self)))
        if not isinstance(auth, Auth):
            raise ConfigurationError(f"auth must be an Auth strategy, not {auth!r}")
        self._base_url = _base_url(base_url or self.spec.base_url, allow_http=allow_http)
        self._origin = self._base_url.with_path("/").with_query(None).with_fragment(None)
        self._timeout = (
            DEFAULT_TIMEOUT if timeout is None else seconds("timeout", timeout, positive=True)
        )
        policy_args: dict[str, Any] = {}
        if max_retries is not None:
            policy_args["max_retries"] = whole("max_retries", max_retries)
        if max_retry_wait is not None:
            policy_args["max_retry_wait"] = seconds("max_retry_wait", max_retry_wait)
        self.retry_policy = RetryPolicy(**policy_args)
        # A client-side quota wait longer than this raises RateLimitError instead of sleeping
        # (None: wait as long as it takes). Bulk jobs raise it to stop cleanly at a daily limit.
        self.max_quota_wait: float | None = (
            DEFAULT_MAX_QUOTA_WAIT
            if max_quota_wait is DEFAULT
            else None
            if max_quota_wait is None
            else seconds("max_quota_wait", max_quota_wait)
        )
        self._user_agent = (
            f"vendorkit/{__version__}"
            if user_agent is None
            else header_value("user_agent", user_agent)
        )
        self._ssl = _tls(ssl)
        self._max_response_size = whole("max_response_size", max_response_size, minimum=1)
        if session is not None and not isinstance(session, aiohttp.ClientSession):
            raise ConfigurationError(f"session must be an aiohttp.ClientSession, not {session!r}")
        self._borrowed = session is not None
        self._session = session
        self._max_connections = whole("max_connections", max_connections, minimum=1)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False
        self._pause_until = 0.0
        if hooks is not None and not isinstance(hooks, Hooks):
            raise ConfigurationError(f"hooks must be a Hooks instance, not {hooks!r}")
        self.hooks = hooks or Hooks()
        for name, hook in (
            ("on_request", on_request),
            ("on_response", on_response),
            ("on_retry", on_retry),
            ("on_rate_limit", on_rate_limit),
        ):
            if hook is not None:
                if not callable(hook):
                    raise ConfigurationError(f"{name} must be callable, not {hook!r}")
                getattr(self.hooks, name).append(hook)
        if redis_url is not None and not isinstance(redis_url, str):
            raise ConfigurationError(
                f"redis_url must be a URL string, not {type(redis_url).__name__}"
            )
        self._redis_url = redis_url
        # What redis_url builds is ours to close; a token_store= or RateLimiter passed in is not.
        self._owns_store = token_store is None and redis_url is not None
        if token_store is None and redis_url is not None:
            from ._redis import RedisTokenStore

            token_store = RedisTokenStore(redis_url, lock_wait=self._timeout)
        self.token_store: TokenStore = token_store or MemoryTokenStore()
        self.auth = auth
        auth.bind(base_url=self._base_url, vendor=self.spec.name, store=self.token_store)
        self.rate_limiter = self._build_rate_limiter(rate_limit, redis_url)
        self._owns_limiter = not isinstance(rate_limit, RateLimiter)
        self.converter: cattrs.Converter = make_converter(
            self.spec.key_style, self.spec.converter_rules
        )
        self._path_vars: dict[str, str] = {}
        # Shared between clients to bound the requests in flight across all of them (bulk jobs).
        self.request_slots: asyncio.Semaphore | None = None
        # Sent with every API request (not the token endpoint): the vendor's own defaults plus
        # what the adapter adds from its options (a language, say). Per call, ``headers=`` wins.
        self.default_headers: dict[str, str] = dict(self.spec.default_headers)
        # Headers for every request made inside ``with client.scoped_headers(...)``, per task.
        self._scoped: contextvars.ContextVar[Mapping[str, str]] = contextvars.ContextVar(
            f"vendorkit_scoped_headers_{id(self)}", default=_NO_HEADERS
        )
        # Limits for every request made inside ``with client.scoped_limits(...)``, per task.
        self._scoped_limits_var: contextvars.ContextVar[Mapping[str, Any]] = contextvars.ContextVar(
            f"vendorkit_scoped_limits_{id(self)}", default=MappingProxyType({})
        )

    @contextlib.contextmanager
    def scoped_headers(self, headers: Mapping[str, str]) -> Iterator[None]:
        """Send ``headers`` with every request this client makes inside the block, in this task
        and the tasks it starts (a pager's prefetch included). Other tasks are unaffected;
        a ``headers=`` argument on a call still wins."""
        token = self._scoped.set({**self._scoped.get(), **headers_mapping(headers)})
        try:
            yield
        finally:
            self._scoped.reset(token)

    # -- scoped limits (h9-adapters): a bulk job bounds a client it shares, in its own tasks ----

    @contextlib.contextmanager
    def scoped_limits(
        self,
        *,
        request_slots: asyncio.Semaphore | _Default | None = DEFAULT,
        max_quota_wait: float | _Default | None = DEFAULT,
    ) -> Iterator[None]:
        """Use these limits for every request this client makes inside the block, in this task
        and the tasks it starts, as ``scoped_headers`` does for headers: ``request_slots`` (a
        semaphore bounding requests in flight, shared by the clients of one bulk job) and
        ``max_quota_wait`` (seconds; None waits as long as the quota takes). A limit left at
        ``DEFAULT`` stays what it is; other tasks, and the client's own attributes, are
        unaffected, so two jobs sharing one client each keep their own bounds."""
        scoped = dict(self._scoped_limits_var.get())
        if not isinstance(request_slots, _Default):
            if request_slots is not None and not isinstance(request_slots, asyncio.Semaphore):
                raise ConfigurationError(
                    f"request_slots must be an asyncio.Semaphore or None, not {request_slots!r}"
                )
            scoped["request_slots"] = request_slots
        if not isinstance(max_quota_wait, _Default):
            scoped["max_quota_wait"] = (
                None if max_quota_wait is None else seconds("max_quota_wait", max_quota_wait)
            )
        token = self._scoped_limits_var.set(scoped)
        try:
            yield
        finally:
            self._scoped_limits_var.reset(token)

    def _limits(self) -> tuple[asyncio.Semaphore | None, float | None]:
        """``(request_slots, max_quota_wait)`` for a request made now: the innermost
        ``scoped_limits`` block's, else the client's own. The one place they are read."""
        scoped = self._scoped_limits_var.get()
        return (
            scoped.get("request_slots", self.request_slots),
            scoped.get("max_quota_wait", self.max_quota_wait),
        )

    # -- end of scoped limits --------------------------------------------------------------------

    @classmethod
    def resource_names(cls) -> list[str]:
        """The names of the resources this client declares, in declaration order."""
        from ._resource import ResourceDescriptor

        names: list[str] = []
        for klass in reversed(cls.__mro__):
            for name, value in vars(klass).items():
                if isinstance(value, ResourceDescriptor) and name not in names:
                    names.append(name)
        return names

    # -- construction helpers -------------------------------------------------------------------

    def _rate_key(self) -> str:
        # The account, never the credentials: every process of one account shares one budget,
        # whichever client secret or password it holds.
        account = getattr(self.auth, "account_key", "") or ""
        return f"vendorkit:quota:{self.spec.name}:{self._origin}:{account}"

    def _build_rate_limiter(self, rate_limit: Any, redis_url: str | None) -> RateLimiter | None:
        if rate_limit is None:
            return None
        if isinstance(rate_limit, RateLimiter):
            return rate_limit
        quotas: Sequence[Quota]
        if rate_limit is DEFAULT:
            quotas = self.spec.quotas
        else:
            try:
                quotas = parse_quotas(rate_limit)
            except (ValueError, TypeError) as exc:
                raise ConfigurationError(f"invalid rate_limit {rate_limit!r}: {exc}") from None
        if not quotas:
            return None
        return RateLimiter(quotas, key=self._rate_key(), storage=redis_url, timeout=self._timeout)

    @classmethod
    def _env(cls, **overrides: Any) -> dict[str, Any]:
        """Constructor arguments from ``VENDORKIT_<VENDOR>_<FIELD>`` variables."""
        prefix = f"VENDORKIT_{cls.spec.name.upper()}_"
        kwargs: dict[str, Any] = {}
        for field, required in (*cls.env_fields, ("base_url", False)):
            if field in overrides:
                continue
            name = prefix + field.upper()
            value = os.environ.get(name)
            if value:
                kwargs[field] = value
            elif required:
                raise ConfigurationError(f"environment variable {name} is not set")
        kwargs.update(overrides)
        return kwargs

    # -- lifecycle ------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return str(self._base_url)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._base_url}>"

    async def __aenter__(self: T) -> T:
        self._bind_loop()  # type: ignore[attr-defined]
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the session we own (a borrowed one is left open) and other connections."""
        if self._closed:
            return
        self._closed = True
        if self._session is not None and not self._borrowed and not self._session.closed:
            await self._session.close()
        closer = getattr(self.token_store, "aclose", None)
        if closer is not None and self._owns_store:
            await closer()
        if self.rate_limiter is not None and self._owns_limiter:
            await self.rate_limiter.aclose()

    @property
    def closed(self) -> bool:
        return self._closed

    def __del__(self) -> None:
        session = getattr(self, "_session", None)
        if (
            session is not None
            and not getattr(self, "_borrowed", True)
            and not session.closed
            and not getattr(self, "_closed", True)
        ):
            warnings.warn(
                f"{type(self).__name__} was not closed: use 'async with' or 'await aclose()'",
                ResourceWarning,
                stacklevel=1,
                source=self,
            )

    def _bind_loop(self) -> None:
        if self._closed:
            raise ClientStateError(f"{type(self).__name__} is closed")
        loop = asyncio.get_running_loop()
        if self._loop is None:
            self._loop = loop
        elif self._loop is not loop:
            raise ClientStateError(
                f"{type(self).__name__} was opened on another event loop; "
                "create one client per event loop"
            )

    def _get_session(self) -> aiohttp.ClientSession:
        # A request that was under way when the client closed must not open a new session.
        if self._closed:
            raise ClientStateError(f"{type(self).__name__} is closed")
        if self._session is None:
            connector = aiohttp.TCPConnector(
                limit=self._max_connections, limit_per_host=self._max_connections, ssl=self._ssl
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=self._client_timeout(),
                headers={"User-Agent": self._user_agent},
            )
        elif self._session.closed:
            raise ClientStateError("the aiohttp session is closed")
        return self._session

    def _client_timeout(self) -> aiohttp.ClientTimeout:
        return aiohttp.ClientTimeout(
            total=self._timeout, connect=min(DEFAULT_CONNECT_TIMEOUT, self._timeout)
        )

    # -- the seam -------------------------------------------------------------------------------

    def _secrets(self) -> tuple[str, ...]:
        """The credential values this client holds, scrubbed from everything it shows."""
        return self.auth.secrets()

    def _describe(self, exc: BaseException) -> str:
        return describe_exception(exc, self._secrets())

    def _shown(self, request: WireRequest) -> str:
        """``request``'s URL as errors, logs and hooks show it: sensitive query keys and user
        info redacted, and the client's own credentials under any name too."""
        return redact_known(request.safe_url, self._secrets())

    async def _send(self, request: WireRequest) -> WireResponse:
        """Send one request and read the whole answer. The only place that touches aiohttp.

        One call, one request on the wire: aiohttp's own resend of an idempotent request on a
        closed connection is turned off (``_single_send``), so ``max_retries`` bounds every send.
        Foreign exceptions end here, described in redacted words and never chained: their reprs
        hold the request's URL and headers, credentials included.
        """
        session = self._get_session()
        headers = {"User-Agent": self._user_agent, **request.headers}
        payload = _request_body(request, headers)
        started = time.monotonic()
        error: Exception
        try:
            async with session.request(
                request.method,
                request.full_url,
                headers=headers,
                data=payload,
                allow_redirects=False,
                # A borrowed session may raise for statuses itself: the answer is ours to read.
                raise_for_status=False,
                timeout=self._client_timeout(),
                ssl=self._ssl,
                middlewares=(*_session_middlewares(session), _single_send()),
            ) as resp:
                body = await self._read_body(request, resp)
                return WireResponse(
                    status=resp.status,
                    headers=resp.headers,
                    body=body,
                    url=resp.url,
                    elapsed=time.monotonic() - started,
                )
        except aiohttp.ClientConnectorCertificateError as exc:
            # Not transient: the same certificate fails the same way on every retry.
            error = TransportError(
                f"TLS verification failed for {redact_url(self._origin)}: {self._describe(exc)}"
            )
        except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as exc:
            error = _Failure(
                FailureKind.CONNECT,
                TransportError(
                    f"could not connect to {redact_url(self._origin)}: {self._describe(exc)}"
                ),
            )
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            if self._closed:
                error = ClientStateError(
                    f"{type(self).__name__} was closed while {request.method} "
                    f"{self._shown(request)} was under way"
                )
            else:
                what = (
                    "timed out"
                    if isinstance(exc, TimeoutError)
                    else f"failed: {self._describe(exc)}"
                )
                error = _Failure(
                    FailureKind.TRANSPORT,
                    TransportError(f"{request.method} {self._shown(request)} {what}"),
                )
        except (ValueError, TypeError, LookupError) as exc:
            # aiohttp would not build the request (a header value with a line break, a URL it
            # cannot encode): what the caller passed cannot be sent.
            error = ConfigurationError(
                f"{request.method} {self._shown(request)} cannot be sent: {self._describe(exc)}"
            )
        # Raised here, outside the handlers, so that no __context__ points at the foreign one.
        raise error

    async def _read_body(self, request: WireRequest, resp: aiohttp.ClientResponse) -> bytes:
        """The whole body, refused once it passes ``max_response_size`` (counted after
        decompression, so a small compressed body that inflates enormously is refused early)."""
        limit = self._max_response_size
        declared = resp.content_length
        if declared is not None and declared > limit:
            raise self._too_large(request, declared)
        chunks: list[bytes] = []
        size = 0
        async for chunk in resp.content.iter_any():
            size += len(chunk)
            if size > limit:
                raise self._too_large(request, size)
            chunks.append(chunk)
        return b"".join(chunks)

    def _too_large(self, request: WireRequest, size: int) -> ResponseTooLargeError:
        return ResponseTooLargeError(
            f"{self.spec.name} {request.method} {self._shown(request)}: the answer has more than "
            f"{self._max_response_size} bytes ({size} so far; max_response_size="
            f"{self._max_response_size})"
        )

    # -- one attempt ----------------------------------------------------------------------------

    def _ensure_open(self, request: WireRequest) -> None:
        if self._closed:
            raise ClientStateError(
                f"{type(self).__name__} was closed while {request.method} {self._shown(request)} "
                "was under way"
            )

    async def _respect_pause(self, request: WireRequest) -> None:
        """Every request waits out a 429's Retry-After, not only the one that got it."""
        while True:
            wait = self._pause_until - time.monotonic()
            if wait <= 0:
                return
            if wait > self.retry_policy.max_retry_wait:
                raise self._not_sent(
                    request,
                    f"{self.spec.name} asked us to pause for {wait:.0f}s, longer than "
                    f"max_retry_wait={self.retry_policy.max_retry_wait:g}s",
                    wait,
                )
            await self.hooks.fire("on_rate_limit", wait, "429 pause")
            await asyncio.sleep(wait)

    async def _on_quota_wait(self, wait: float, reason: str) -> None:
        log.debug("vendorkit: %s waits %.2fs for %s", self.spec.name, wait, reason)
        await self.hooks.fire("on_rate_limit", wait, reason)

    async def _take_slot(self, request: WireRequest) -> bool:
        """One slot of the client-side quota for ``request``; True if that meant waiting."""
        if self.rate_limiter is None:
            return False
        max_wait = self._limits()[1]
        try:
            waited = await self.rate_limiter.acquire(self._on_quota_wait, max_wait)
        except QuotaExhausted as exc:
            wait = exc.wait
        else:
            return waited > 0
        raise self._not_sent(
            request,
            f"{self.spec.name}: client-side quota exhausted; next free slot in "
            f"{wait:.0f}s (max_quota_wait={max_wait:g}s)",
            wait,
        )

    def _not_sent(self, request: WireRequest, message: str, wait: float) -> RateLimitError:
        """The 429-class error of a request refused before sending: it would have waited
        ``wait`` seconds, longer than the client allows."""
        return RateLimitError(
            message,
            status=429,
            vendor=self.spec.name,
            method=request.method,
            url=self._shown(request),
            retry_after=wait,
        )

    async def _attempt(
        self, request: WireRequest, authenticate: bool, exchange: _Exchange
    ) -> tuple[WireResponse, Any]:
        exchange.attempts += 1
        # Every step may have waited (a retry's backoff, a pause, a quota slot): a client closed
        # meanwhile must not reach its token store, its quota storage or the network again.
        self._ensure_open(request)
        await self._respect_pause(request)
        self._ensure_open(request)
        marker: str | None = None
        auth_headers: Mapping[str, str] = {}
        if authenticate:
            # Credentials first, then the quota slot: a token request takes a slot of its own,
            # and a slot held while the token is fetched would count from long before its
            # request reaches the server (which counts arrivals), or could leave the token
            # request itself without a slot.
            auth_headers, marker = await self.auth.authorize(self._token_send)
            self._ensure_open(request)
        if await self._take_slot(request) and authenticate:
            # The token may have been renewed or have expired while we waited.
            self._ensure_open(request)
            auth_headers, marker = await self.auth.authorize(self._token_send)
        if exchange.location is not None:  # an earlier attempt was redirected there
            request = attrs.evolve(request, url=exchange.location, params=())
        current = request.with_headers(auth_headers) if authenticate else request
        response = await self._send_slotted(current, exchange)
        if response.status == 401 and authenticate:
            # A 401 means the request was refused before it was processed: replaying it is safe,
            # writes included. Once only.
            if await self.auth.on_unauthorized(self._token_send, marker):
                await self._take_slot(request)  # the vendor counts the replay too
                auth_headers, marker = await self.auth.authorize(self._token_send)
                current = request.with_headers(auth_headers)
                response = await self._send_slotted(current, exchange)
        redirects = 0
        visited = {str(current.full_url)}
        while (
            response.status in (301, 302, 303, 307, 308)
            and request.method in ("GET", "HEAD")
            and redirects < _MAX_REDIRECTS
            and "Location" in response.headers
        ):
            try:
                target = response.url.join(URL(response.headers["Location"]))
            except (ValueError, TypeError, UnicodeError):
                break  # an unreadable Location: surfaces as the 3xx's APIError
            if not same_origin(self._origin, target):
                break  # never carry credentials to another origin: surfaces as an APIError
            if str(target) in visited:
                break  # a redirect loop: surfaces as the 3xx's APIError, not five more sends
            visited.add(str(target))
            redirects += 1
            current = attrs.evolve(current, url=target, params=())
            await self._take_slot(current)
            response = await self._send_slotted(current, exchange)
            # A retry of this call goes straight to where the redirect led: each hop is sent
            # once per call, not once per attempt.
            exchange.location = target
        if response.status == 429:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            # A pause for every request, not only this one; one longer than max_retry_wait makes
            # them raise at once (never sleep). parse_retry_after bounds it to a day.
            if retry_after is not None:
                self._pause_until = max(self._pause_until, time.monotonic() + retry_after)
                await self.hooks.fire("on_rate_limit", retry_after, "429 Retry-After")
        if not (200 <= response.status < 300) or request.method == "HEAD":
            return response, None
        if not response.body.strip():
            return response, None
        try:
            return response, response.json()
        except ValueError as exc:
            problem = describe_exception(exc)
        # A cut-off body on a read is a transport problem: a retry will likely succeed. The write
        # it answered was applied, so (being uncertain) it is never resent.
        exchange.uncertain = True
        raise _Failure(
            FailureKind.TRANSPORT,
            DecodeError(
                f"{self.spec.name} {request.method} {self._shown(request)}: the {response.status} "
                f"answer is not valid JSON ({problem})"
            ),
        )

    async def _send_slotted(self, request: WireRequest, exchange: _Exchange) -> WireResponse:
        slots = self._limits()[0]
        if slots is None:
            return await self._send_logged(request, exchange)
        async with slots:
            return await self._send_logged(request, exchange)

    async def _send_logged(self, request: WireRequest, exchange: _Exchange) -> WireResponse:
        attempt = exchange.attempts
        info = RequestInfo(
            request.method, self._shown(request), _redact_headers(request.headers), attempt
        )
        await self.hooks.fire("on_request", info)
        try:
            response = await self._send(request)
        except _Failure as failure:
            if failure.kind is FailureKind.TRANSPORT:
                exchange.uncertain = True  # it may have reached the server and been applied
            log.debug(
                "vendorkit: %s %s failed (%s) attempt %d",
                info.method,
                info.url,
                failure.kind.value,
                attempt,
            )
            raise
        if response.status >= 500:
            exchange.uncertain = True  # a gateway's 502/504 says nothing of what the origin did
        log.debug(
            "vendorkit: %s %s -> %d in %.3fs attempt %d",
            info.method,
            info.url,
            response.status,
            response.elapsed,
            attempt,
        )
        await self.hooks.fire("on_response", info, response.status, response.elapsed)
        return response

    async def _token_send(self, request: WireRequest) -> WireResponse:
        response, _ = await self._perform(request, authenticate=False)
        return response

    # -- the retry loop -------------------------------------------------------------------------

    async def _perform(
        self, request: WireRequest, *, authenticate: bool, exchange: _Exchange | None = None
    ) -> tuple[WireResponse, Any]:
        """Send ``request`` with retries; returns the final answer whatever its status."""
        self._bind_loop()
        policy = self.retry_policy
        method = request.method.upper()
        decisions: dict[int, RetryDecision] = {}
        state_of = exchange if exchange is not None else _Exchange()

        def should_retry(state: RetryCallState) -> bool:
            outcome = state.outcome
            assert outcome is not None
            if outcome.failed:
                exc = outcome.exception()
                if isinstance(exc, _Failure):
                    d = retry_decision(
                        method=method,
                        attempt=state.attempt_number,
                        policy=policy,
                        failure=exc.kind,
                        repeatable=request.repeatable,
                    )
                else:
                    d = RetryDecision(False)
            else:
                response, _ = outcome.result()
                d = retry_decision(
                    method=method,
                    attempt=state.attempt_number,
                    policy=policy,
                    status=response.status,
                    retry_after=parse_retry_after(response.headers.get("Retry-After")),
                    repeatable=request.repeatable,
                )
            decisions[state.attempt_number] = d
            return d.retry

        def wait(state: RetryCallState) -> float:
            d = decisions[state.attempt_number]
            return backoff_delay(state.attempt_number, policy, d.retry_after)

        async def before_sleep(state: RetryCallState) -> None:
            outcome = state.outcome
            assert outcome is not None
            delay = state.next_action.sleep if state.next_action else 0.0
            if outcome.failed:
                exc = outcome.exception()
                cause: Any = exc.error if isinstance(exc, _Failure) else exc
            else:
                cause = outcome.result()[0].status
            log.debug(
                "vendorkit: retrying %s %s in %.2fs (attempt %d: %r)",
                method,
                self._shown(request),
                delay,
                state.attempt_number,
                cause,
            )
            await self.hooks.fire("on_retry", state.attempt_number, delay, cause)

        retrying = AsyncRetrying(
            stop=stop_never,
            retry=should_retry,
            wait=wait,
            before_sleep=before_sleep,
            reraise=True,
        )
        try:
            return await retrying(self._attempt, request, authenticate, state_of)
        except _Failure as failure:
            error = failure.error
        raise error  # outside the handler: no __context__ chain to carry anything along

    async def _checked(
        self,
        method: str,
        url: URL,
        *,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        content: bytes | None = None,
    ) -> tuple[WireResponse, Any]:
        """Send with auth and retries; raise the typed error for an error status. ``content``:
        a body sent as these bytes instead of ``json`` (its Content-Type in ``headers``).

        A DELETE answered 404 after an attempt whose outcome is unknown (the connection dropped
        after sending, a timeout, a 5xx) succeeded: that earlier attempt deleted the record."""
        request = WireRequest(
            http_method(method),
            url,
            headers=merge_headers(
                {"Accept": "application/json"},
                self.default_headers,
                self._scoped.get(),
                headers_mapping(headers),
            ),
            json=json,
            content=content,
        )
        exchange = _Exchange()
        response, body = await self._perform(request, authenticate=True, exchange=exchange)
        if response.status == 303 and request.method not in ("GET", "HEAD"):
            return await self._see_other(request, response, headers)
        if response.status == 404 and request.method == "DELETE" and exchange.attempts > 1:
            if exchange.uncertain:
                log.info(
                    "vendorkit: %s DELETE %s answered 404 after an attempt whose outcome was "
                    "unknown: that attempt deleted it",
                    self.spec.name,
                    self._shown(request),
                )
                return response, None
        if not 200 <= response.status < 300:
            # Below 200 too: a final 101 or a status of 000 is no success a caller can build on.
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            raise error_from_response(
                response,
                vendor=self.spec.name,
                method=request.method,
                parser=self.spec.error_parser,
                trace_id_header=self.spec.trace_id_header,
                retry_after=retry_after,
                secrets=self._secrets(),
            )
        return response, body

    async def _see_other(
        self, request: WireRequest, response: WireResponse, headers: Mapping[str, str] | None
    ) -> tuple[WireResponse, Any]:
        """A write answered ``303 See Other``: it was processed, and the ``Location`` (on the
        vendor's origin) holds the result (RFC 9110 15.4.4), which is read with a GET. If that
        read fails, the write still happened: ``ReadBackError`` names the Location, so the
        caller does not write again."""
        location = response.headers.get("Location", "")
        target: URL | None = None
        with contextlib.suppress(ValueError, TypeError, UnicodeError):
            target = response.url.join(URL(location)) if location else None
        if target is None or not same_origin(self._origin, target):
            raise ReadBackError(
                f"{self.spec.name} {request.method} {self._shown(request)}: the write was "
                f"processed, but its 303 names no Location on {redact_url(self._origin)}",
                record_id=None,
                method=request.method,
            )
        try:
            return await self._checked("GET", target, headers=headers)
        except VendorkitError as exc:
            error = ReadBackError(
                f"{self.spec.name} {request.method} {self._shown(request)}: the write was "
                f"processed (see {redact_url(target)}), but reading it failed: {exc}",
                record_id=str(target),
                method=request.method,
            )
            cause = exc
        raise error from cause

    # -- URLs -----------------------------------------------------------------------------------

    async def path_vars(self) -> Mapping[str, str]:
        """Values for ``{placeholders}`` in endpoint paths. Adapters override to discover them
        (for example a partner or account id)."""
        return self._path_vars

    def url_for(self, path: str, params: Mapping[str, Any] | None = None) -> URL:
        """An absolute URL for ``path``: relative to ``base_url`` (sent as written, a ``%2F``
        stays encoded; ``.``/``..`` segments are refused), or an absolute URL on the vendor's own
        origin. Credentials are never sent to another origin."""
        if not isinstance(path, str):
            raise ConfigurationError(f"a path must be a string, not {path!r}")
        if "://" in path:
            try:
                url = URL(path)
            except (ValueError, TypeError, UnicodeError):
                raise ConfigurationError(f"not a valid URL: {redact_url(path)}") from None
            if not same_origin(self._origin, url):
                raise ConfigurationError(
                    f"refusing to send credentials to {redact_url(url)}: "
                    f"not on {redact_url(self._origin)}"
                )
        else:
            url = join_path(self._base_url, path)
        if params is None:
            return url
        check_params(params)
        if params and self.spec.comma_params:
            params = {
                k: ",".join(map(str, v))
                if k in self.spec.comma_params and isinstance(v, list | tuple)
                else v
                for k, v in params.items()
            }
        try:
            return merge_params(url, params)
        except (ValueError, TypeError, UnicodeError):
            raise ConfigurationError(
                f"query parameters that cannot be sent: {sorted(params or {})}"
            ) from None

    async def _resolve(self, template: str, values: dict[str, Any]) -> str:
        """Fill ``{placeholders}``, taking call arguments first, then the client's path vars;
        each value becomes exactly one path segment (see ``_urls.path_segment``). The values
        used are taken out of ``values`` (what remains is the query)."""
        if not isinstance(template, str):
            raise ConfigurationError(f"a path must be a string, not {template!r}")
        if "{" not in template or "://" in template:
            return template  # a URL (a link the vendor sent) is used as is, never a template
        names = placeholders(template)
        if any(n not in values for n in names):
            found = await self.path_vars()
            for n in names:
                if n not in values and n in found:
                    values[n] = found[n]
        filled = fill_template(template, values)
        for n in names:
            values.pop(n, None)
        return filled

    # -- generic access (contract section 3) ----------------------------------------------------

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """Call any endpoint; returns the unwrapped payload (None for an empty answer)."""
        url = self.url_for(await self._resolve(path, {}), params)
        _, body = await self._checked(method, url, json=json, headers=headers)
        return self.spec.envelope.unwrap(body) if body is not None else None

    def paginate(
        self,
        path: str,
        *,
        page_size: int | None = None,
        max_items: int | None = None,
        concurrency: int = 1,
        max_pages: int | None = None,
        resume: ResumePoint | None = None,
        headers: Mapping[str, str] | None = None,
        **params: Any,
    ) -> Pager[Any]:
        """A pager of plain dicts over any list endpoint, in the vendor's pagination style.
        ``headers`` adds request headers to every page (as ``request(headers=)`` and
        ``list(headers=)`` do), never to the query."""
        return self._pager(
            path,
            params,
            transform=_identity,
            page_size=page_size,
            max_items=max_items,
            concurrency=concurrency,
            max_pages=max_pages,
            resume=resume,
            headers=headers,
        )

    def _pager(
        self,
        path: str,
        params: Mapping[str, Any],
        *,
        transform: Callable[[Any], T],
        envelope: Envelope | None = None,
        paginator: Paginator | None = None,
        page_size: int | None = None,
        max_items: int | None = None,
        concurrency: int = 1,
        max_pages: int | None = None,
        resume: ResumePoint | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Pager[T]:
        env = envelope or self.spec.envelope
        values = dict(params)
        resolved: dict[str, str] = {}

        async def fetch(url: URL) -> RawPage:
            _, body = await self._checked("GET", url, headers=headers)
            return env.page(body)

        async def prepare() -> URL:
            if "path" not in resolved:
                resolved["path"] = await self._resolve(path, values)
            return self.url_for(resolved["path"], values)

        return Pager(
            fetch=fetch,
            paginator=paginator or self.spec.paginator,
            url=prepare,
            origin=self._origin,
            transform=transform,
            page_size=page_size,
            max_items=max_items,
            max_pages=max_pages,
            concurrency=concurrency,
            resume=resume,
        )

    # -- helpers for adapters: raw calls, lazy and chained walks, hypermedia ---------------------

    def _structure(self, data: Any, model: type[T]) -> T:
        """``data`` (a JSON object) as a ``model`` record; DecodeError for anything else."""
        if not isinstance(data, Mapping):
            raise DecodeError(
                f"{self.spec.name}: expected a {model.__name__} object, got {data!r:.80}"
            )
        return structure(self.converter, data, model)

    async def _raw(
        self,
        method: str,
        path: str,
        values: Mapping[str, Any] | None = None,
        *,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        content: bytes | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> tuple[WireResponse, Any]:
        """Send to ``path`` (a template filled from ``values`` and the path vars, or a URL on the
        vendor's origin); returns the response and the unwrapped payload (None if empty)."""
        vals = dict(values or {})
        resolved = await self._resolve(path, vals)
        url = self.url_for(resolved, {**vals, **(params or {})})
        response, body = await self._checked(
            method, url, json=json, headers=headers, content=content
        )
        return response, (self.spec.envelope.unwrap(body) if body is not None else None)

    async def _call(
        self,
        method: str,
        path: str,
        values: Mapping[str, Any],
        model: type[T],
        *,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> T:
        """``_raw``, with the answer read as one ``model`` record."""
        _, payload = await self._raw(method, path, values, json=json, headers=headers)
        return self._structure(payload, model)

    def _list_of(self, path: str, model: type[T], params: Mapping[str, Any]) -> Pager[T]:
        """A pager of ``model`` records over a list path no resource declares (a child list);
        ``params`` may hold path values, filters, the walk's options and ``headers``."""
        query = dict(params)
        pager_args, headers = split_pager_args(query)
        return self._pager(
            path,
            query,
            transform=lambda d: self._structure(d, model),
            headers=headers,
            **pager_args,
        )

    def _lazy_pager(
        self,
        url: Callable[[], Awaitable[str | URL]],
        *,
        transform: Callable[[Any], T],
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        paginator: Paginator | None = None,
        fetch: Callable[[URL], Awaitable[RawPage]] | None = None,
        **pager_args: Any,
    ) -> Pager[T]:
        """A pager whose first URL is known only when the walk starts: ``url()`` returns a path
        or URL on the vendor's origin (a link read from a record), or an absolute ``URL`` used as
        is. ``fetch`` replaces the plain GET + envelope (for a vendor's odd list); ``paginator``
        replaces the spec's (e.g. a ``Chained`` walk)."""
        env = self.spec.envelope

        async def first() -> URL:
            target = await url()
            if isinstance(target, URL):
                return target
            return self.url_for(target, params)

        async def get_page(target: URL) -> RawPage:
            _, body = await self._checked("GET", target, headers=headers)
            return env.page(body)

        return Pager(
            fetch=fetch or get_page,
            paginator=paginator or self.spec.paginator,
            url=first,
            origin=self._origin,
            transform=transform,
            **pager_args,
        )

    async def _get_all(self, url: str, headers: Mapping[str, str] | None = None) -> Any:
        """GET ``url`` and return the unwrapped payload; a list is read to its last page by the
        walk every list uses (a ``Pager`` along the envelope's next links, ``NextLink``): next
        links on the vendor's origin only, a URL fetched twice or a page repeating an earlier one
        is a ``PaginationError``, ``EMPTY_PAGE_LIMIT`` empty pages in a row end it, and URLs in
        its errors are redacted. So a link-following read always ends."""
        target = self.url_for(url)
        _, body = await self._checked("GET", target, headers=headers)
        env = self.spec.envelope
        payload = env.unwrap(body) if body is not None else None
        if not isinstance(payload, list):
            return payload
        # The walk starts from the page already read (its records as unwrapped), not a new GET.
        first: RawPage | None = attrs.evolve(env.page(body), records=payload)

        async def fetch(page_url: URL) -> RawPage:
            nonlocal first
            if first is not None:
                page, first = first, None
                return page
            _, page_body = await self._checked("GET", page_url, headers=headers)
            return env.page(page_body)

        pager = Pager(
            fetch=fetch, paginator=NextLink(), url=target, origin=self._origin, transform=_identity
        )
        return await pager.all()

    async def _follow(
        self,
        ref: Any,
        *,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> Any:
        """Fetch what a link points to. ``ref`` is a URL on the vendor's origin or a path, or a
        record or dict with a ``url``. Returns a ``link_models`` record for an object URL, a list
        of them for a list URL (every page), plain dicts (or the payload) otherwise. A URL on
        another origin raises ``ConfigurationError`` before anything is sent."""
        url = link_of(ref)
        if not isinstance(url, str) or not (is_url(url) or url.startswith("/")):
            raise ConfigurationError(f"{self.spec.name}: cannot follow {ref!r}: not a URL")
        target = self.url_for(url, params)
        model = self._model_for(target)
        payload = await self._get_all(str(target), headers)
        if model is None:
            return payload
        if isinstance(payload, list):
            return [self._structure(r, model) if isinstance(r, Mapping) else r for r in payload]
        if isinstance(payload, Mapping):
            return self._structure(payload, model)
        return payload

    def _model_for(self, url: URL) -> type[Any] | None:
        """The model ``link_models`` gives ``url``'s path (relative to the base URL's path)."""
        if self.link_models is None:
            return None
        path = url.path
        base = self._base_url.path.rstrip("/")
        if base and path.startswith(base):
            path = path[len(base) :]
        return self.link_models.model_for(path)


_NO_HEADERS: Mapping[str, str] = MappingProxyType({})


def merge_headers(*layers: Mapping[str, str]) -> dict[str, str]:
    """Later layers win, whatever the case of the names (``accept-language`` replaces
    ``Accept-Language``), so one request never carries a header twice."""
    merged: dict[str, str] = {}
    names: dict[str, str] = {}
    for layer in layers:
        for name, value in layer.items():
            old = names.pop(name.lower(), None)
            if old is not None:
                del merged[old]
            names[name.lower()] = name
            merged[name] = value
    return merged


def _identity(x: Any) -> Any:
    return x

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
    PaginationError,
    RateLimitError,
    TransportError,
)

from ._auth import Auth, MemoryTokenStore, TokenStore
from ._convert import make_converter, structure
from ._envelope import Envelope, RawPage
from ._errors import error_from_response
from ._links import LinkModels, is_url, link_of
from ._pagination import Pager, Paginator, ResumePoint, merge_params
from ._ratelimit import Quota, QuotaExhausted, RateLimiter, parse_quotas
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
from ._wire import WireRequest, WireResponse, redact_url, same_origin

__all__ = ["DEFAULT", "BaseClient", "Hooks", "RequestInfo"]

log = logging.getLogger("vendorkit")

T = TypeVar("T")

DEFAULT_TIMEOUT = 30.0
DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_MAX_CONNECTIONS = 20
_MAX_REDIRECTS = 5


class _Default:
    def __repr__(self) -> str:
        return "DEFAULT"


DEFAULT: Any = _Default()
"""Sentinel: "use the vendor's default" (e.g. ``rate_limit=DEFAULT`` is the documented quota)."""

_REDACTED_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "x-api-key"})


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


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dumps(data: Any) -> bytes:
    """JSON with Decimal as strings (never floats) and ISO dates."""
    return json.dumps(data, default=_json_default, ensure_ascii=False).encode()


def _redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {k: ("***" if k.lower() in _REDACTED_HEADERS else v) for k, v in headers.items()}


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
        rate_limit: Any = DEFAULT,
        token_store: TokenStore | None = None,
        redis_url: str | None = None,
        user_agent: str | None = None,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        hooks: Hooks | None = None,
        on_request: Hook | None = None,
        on_response: Hook | None = None,
        on_retry: Hook | None = None,
        on_rate_limit: Hook | None = None,
    ) -> None:
        self._base_url = URL(base_url or self.spec.base_url)
        if not self._base_url.is_absolute() or self._base_url.scheme not in ("http", "https"):
            raise ConfigurationError(f"base_url must be an absolute http(s) URL: {base_url!r}")
        if self._base_url.user is not None or self._base_url.password is not None:
            raise ConfigurationError("base_url must not contain credentials")
        self._origin = self._base_url.with_path("/").with_query(None).with_fragment(None)
        self._timeout = DEFAULT_TIMEOUT if timeout is None else float(timeout)
        if self._timeout <= 0:
            raise ConfigurationError("timeout must be positive (seconds)")
        policy_args: dict[str, Any] = {}
        if max_retries is not None:
            policy_args["max_retries"] = max_retries
        if max_retry_wait is not None:
            policy_args["max_retry_wait"] = float(max_retry_wait)
        try:
            self.retry_policy = RetryPolicy(**policy_args)
        except ValueError as exc:
            raise ConfigurationError(str(exc)) from None
        self._user_agent = user_agent or f"vendorkit/{__version__}"
        self._borrowed = session is not None
        self._session = session
        self._max_connections = max_connections
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False
        self._pause_until = 0.0
        self.hooks = hooks or Hooks()
        for name, hook in (
            ("on_request", on_request),
            ("on_response", on_response),
            ("on_retry", on_retry),
            ("on_rate_limit", on_rate_limit),
        ):
            if hook is not None:
                getattr(self.hooks, name).append(hook)
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
        self.converter: cattrs.Converter = make_converter(self.spec.key_style)
        self._path_vars: dict[str, str] = {}
        # Shared between clients to bound the requests in flight across all of them (bulk jobs).
        self.request_slots: asyncio.Semaphore | None = None
        # A client-side quota wait longer than this raises RateLimitError instead of sleeping
        # (None: wait as long as it takes). Bulk jobs set it to stop cleanly at a daily limit.
        self.max_quota_wait: float | None = None
        # Sent with every API request (not the token endpoint): the vendor's own defaults plus
        # what the adapter adds from its options (a language, say). Per call, ``headers=`` wins.
        self.default_headers: dict[str, str] = dict(self.spec.default_headers)
        # Headers for every request made inside ``with client.scoped_headers(...)``, per task.
        self._scoped: contextvars.ContextVar[Mapping[str, str]] = contextvars.ContextVar(
            f"vendorkit_scoped_headers_{id(self)}", default=_NO_HEADERS
        )

    @contextlib.contextmanager
    def scoped_headers(self, headers: Mapping[str, str]) -> Iterator[None]:
        """Send ``headers`` with every request this client makes inside the block, in this task
        and the tasks it starts (a pager's prefetch included). Other tasks are unaffected;
        a ``headers=`` argument on a call still wins."""
        token = self._scoped.set({**self._scoped.get(), **headers})
        try:
            yield
        finally:
            self._scoped.reset(token)

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
        store_key = getattr(self.auth, "store_key", "") or ""
        return f"vendorkit:quota:{self.spec.name}:{self._origin}:{store_key}"

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
        return RateLimiter(quotas, key=self._rate_key(), storage=redis_url)

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
        if self._session is None:
            connector = aiohttp.TCPConnector(
                limit=self._max_connections, limit_per_host=self._max_connections
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

    async def _send(self, request: WireRequest) -> WireResponse:
        """Send one request and read the whole answer. The only place that touches aiohttp."""
        session = self._get_session()
        headers = {"User-Agent": self._user_agent, **request.headers}
        body: bytes | None = None
        data: Any = None
        if request.json is not None:
            body = dumps(request.json)
            headers.setdefault("Content-Type", "application/json")
        elif request.form is not None:
            data = dict(request.form)
        elif request.content is not None:
            body = request.content
        started = time.monotonic()
        try:
            async with session.request(
                request.method,
                request.full_url,
                headers=headers,
                data=body if body is not None else data,
                allow_redirects=False,
                timeout=self._client_timeout(),
            ) as resp:
                payload = await resp.read()
                return WireResponse(
                    status=resp.status,
                    headers=resp.headers,
                    body=payload,
                    url=resp.url,
                    elapsed=time.monotonic() - started,
                )
        except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as exc:
            raise _Failure(
                FailureKind.CONNECT,
                TransportError(f"could not connect to {redact_url(self._origin)}: {exc}"),
            ) from exc
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            what = "timed out" if isinstance(exc, TimeoutError) else f"failed: {exc!r}"
            raise _Failure(
                FailureKind.TRANSPORT,
                TransportError(f"{request.method} {request.safe_url} {what}"),
            ) from exc

    # -- one attempt ----------------------------------------------------------------------------

    async def _respect_pause(self, request: WireRequest) -> None:
        """Every request waits out a 429's Retry-After, not only the one that got it."""
        while True:
            wait = self._pause_until - time.monotonic()
            if wait <= 0:
                return
            if wait > self.retry_policy.max_retry_wait:
                raise RateLimitError(
                    f"{self.spec.name} asked us to pause for {wait:.0f}s, longer than "
                    f"max_retry_wait={self.retry_policy.max_retry_wait:g}s",
                    status=429,
                    vendor=self.spec.name,
                    method=request.method,
                    url=request.safe_url,
                    retry_after=wait,
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
        try:
            waited = await self.rate_limiter.acquire(self._on_quota_wait, self.max_quota_wait)
        except QuotaExhausted as exc:
            raise RateLimitError(
                f"{self.spec.name}: client-side quota exhausted; next free slot in "
                f"{exc.wait:.0f}s (max_quota_wait={self.max_quota_wait:g}s)",
                status=429,
                vendor=self.spec.name,
                method=request.method,
                url=request.safe_url,
                retry_after=exc.wait,
            ) from None
        return waited > 0

    async def _attempt(
        self, request: WireRequest, authenticate: bool, attempt_box: list[int]
    ) -> tuple[WireResponse, Any]:
        attempt_box[0] += 1
        attempt = attempt_box[0]
        await self._respect_pause(request)
        marker: str | None = None
        auth_headers: Mapping[str, str] = {}
        if authenticate:
            # Credentials first, then the quota slot: a token request takes a slot of its own,
            # and a slot held while the token is fetched would count from long before its
            # request reaches the server (which counts arrivals), or could leave the token
            # request itself without a slot.
            auth_headers, marker = await self.auth.authorize(self._token_send)
        if await self._take_slot(request) and authenticate:
            # The token may have been renewed or have expired while we waited.
            auth_headers, marker = await self.auth.authorize(self._token_send)
        current = request.with_headers(auth_headers) if authenticate else request
        response = await self._send_slotted(current, attempt)
        if response.status == 401 and authenticate:
            # A 401 means the request was refused before it was processed: replaying it is safe,
            # writes included. Once only.
            if await self.auth.on_unauthorized(self._token_send, marker):
                await self._take_slot(request)  # the vendor counts the replay too
                auth_headers, marker = await self.auth.authorize(self._token_send)
                current = request.with_headers(auth_headers)
                response = await self._send_slotted(current, attempt)
        redirects = 0
        while (
            response.status in (301, 302, 303, 307, 308)
            and request.method in ("GET", "HEAD")
            and redirects < _MAX_REDIRECTS
            and "Location" in response.headers
        ):
            target = response.url.join(URL(response.headers["Location"]))
            if not same_origin(self._origin, target):
                break  # never carry credentials to another origin: surfaces as an APIError
            redirects += 1
            current = attrs.evolve(current, url=target, params=())
            await self._take_slot(current)
            response = await self._send_slotted(current, attempt)
        if response.status == 429:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            if retry_after is not None:
                self._pause_until = max(self._pause_until, time.monotonic() + retry_after)
                await self.hooks.fire("on_rate_limit", retry_after, "429 Retry-After")
        body: Any = None
        if 200 <= response.status < 300 and response.body.strip() and request.method != "HEAD":
            try:
                body = response.json()
            except ValueError as exc:
                error = DecodeError(
                    f"{self.spec.name} {request.method} {request.safe_url}: the {response.status} "
                    f"answer is not valid JSON ({exc})"
                )
                # A cut-off body on a read is a transport problem: a retry will likely succeed.
                raise _Failure(FailureKind.TRANSPORT, error) from exc
        return response, body

    async def _send_slotted(self, request: WireRequest, attempt: int) -> WireResponse:
        if self.request_slots is None:
            return await self._send_logged(request, attempt)
        async with self.request_slots:
            return await self._send_logged(request, attempt)

    async def _send_logged(self, request: WireRequest, attempt: int) -> WireResponse:
        info = RequestInfo(
            request.method, request.safe_url, _redact_headers(request.headers), attempt
        )
        await self.hooks.fire("on_request", info)
        try:
            response = await self._send(request)
        except _Failure as failure:
            log.debug(
                "vendorkit: %s %s failed (%s) attempt %d",
                info.method,
                info.url,
                failure.kind.value,
                attempt,
            )
            raise
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
        self, request: WireRequest, *, authenticate: bool
    ) -> tuple[WireResponse, Any]:
        """Send ``request`` with retries; returns the final answer whatever its status."""
        self._bind_loop()
        policy = self.retry_policy
        method = request.method.upper()
        decisions: dict[int, RetryDecision] = {}

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
                request.safe_url,
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
        attempts = [0]
        try:
            return await retrying(self._attempt, request, authenticate, attempts)
        except _Failure as failure:
            raise failure.error from failure.__cause__

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
        a body sent as these bytes instead of ``json`` (its Content-Type in ``headers``)."""
        request = WireRequest(
            method.upper(),
            url,
            headers=merge_headers(
                {"Accept": "application/json"},
                self.default_headers,
                self._scoped.get(),
                headers or {},
            ),
            json=json,
            content=content,
        )
        response, body = await self._perform(request, authenticate=True)
        if response.status >= 300:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            raise error_from_response(
                response,
                vendor=self.spec.name,
                method=request.method,
                parser=self.spec.error_parser,
                trace_id_header=self.spec.trace_id_header,
                retry_after=retry_after,
            )
        return response, body

    # -- URLs -----------------------------------------------------------------------------------

    async def path_vars(self) -> Mapping[str, str]:
        """Values for ``{placeholders}`` in endpoint paths. Adapters override to discover them
        (for example a partner or account id)."""
        return self._path_vars

    def url_for(self, path: str, params: Mapping[str, Any] | None = None) -> URL:
        """An absolute URL for ``path``: relative to ``base_url``, or an absolute URL on the
        vendor's own origin. Credentials are never sent to another origin."""
        if "://" in path:
            url = URL(path)
            if not same_origin(self._origin, url):
                raise ConfigurationError(
                    f"refusing to send credentials to {redact_url(url)}: "
                    f"not on {redact_url(self._origin)}"
                )
        else:
            if not path.startswith("/"):
                path = "/" + path
            rel = URL(path)
            url = self._base_url.with_path(
                self._base_url.path.rstrip("/") + rel.path, encoded=False
            ).with_query(rel.query)
        if params and self.spec.comma_params:
            params = {
                k: ",".join(map(str, v))
                if k in self.spec.comma_params and isinstance(v, list | tuple)
                else v
                for k, v in params.items()
            }
        return merge_params(url, params)

    async def _resolve(self, template: str, values: dict[str, Any]) -> str:
        """Fill ``{placeholders}``, taking call arguments first, then the client's path vars."""
        if "{" not in template:
            return template
        names = _placeholders(template)
        missing = [n for n in names if n not in values]
        if missing:
            found = await self.path_vars()
            for n in missing:
                if n in found:
                    values[n] = found[n]
        still = [n for n in names if n not in values]
        if still:
            raise ConfigurationError(f"missing path argument(s) {', '.join(still)} for {template}")
        from urllib.parse import quote

        return template.format(**{n: quote(str(values.pop(n)), safe="") for n in names})

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
        """GET ``url`` and return the unwrapped payload; a list is read to its last page by
        following the envelope's next links (same origin only, loops refused)."""
        target = self.url_for(url)
        _, body = await self._checked("GET", target, headers=headers)
        env = self.spec.envelope
        payload = env.unwrap(body) if body is not None else None
        if not isinstance(payload, list):
            return payload
        rows = list(payload)
        seen = {str(target)}
        nxt = env.page(body).next
        while isinstance(nxt, str) and nxt:
            target = target.join(URL(nxt))
            if str(target) in seen:
                raise PaginationError(f"pagination loop at {target}")
            seen.add(str(target))
            if not same_origin(self._origin, target):
                raise PaginationError(
                    f"{self.spec.name}: refusing a next link on another origin: "
                    f"{redact_url(target)}"
                )
            _, body = await self._checked("GET", target, headers=headers)
            page = env.page(body)
            rows.extend(page.records)
            nxt = page.next
        return rows

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


def _placeholders(template: str) -> list[str]:
    import string

    return [name for _, name, _, _ in string.Formatter().parse(template) if name]

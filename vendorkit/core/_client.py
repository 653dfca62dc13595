"""``BaseClient``: the public face of the core. Its configuration, its lifecycle, and the
public verbs ``request``/``paginate``; the protected API adapters build on is its base,
``_api.ClientAPI``.

The client wires the layers below it, each a small module that calls only downward
(``docs/architecture.md`` draws them):

- ``_call.send_checked``: one logical call; its final answer judged (typed errors, 303, DELETE);
- ``_retryloop.send_retrying``: tenacity around the attempts, with the pure ``retry_decision``;
- ``_attempt.Attempts.send_once``: one attempt (pause, credentials, quota, 401 replay,
  redirects, the 429 pause, JSON decoding), its rules pure in ``_attempt_rules``/``_redirects``;
- ``_transport.Transport.send``: the one aiohttp call.

Beside them: ``_config`` (options checked), ``_hooks``, ``_lifecycle``, ``_urls`` (URL building),
``_walks`` (the one Pager of every walk).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import ssl as ssl_module
import time
import warnings
from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal, Self, TypedDict, TypeVar, overload

import aiohttp
import attrs
import cattrs

from vendorkit._version import __version__
from vendorkit.errors import ConfigurationError

from ._api import ClientAPI
from ._attempt import Attempts, Limits
from ._auth import Auth, MemoryTokenStore, TokenStore
from ._config import (
    DEFAULT,
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_RESPONSE_SIZE,
    DEFAULT_TIMEOUT,
    _Default,
    base_url_option,
    option_names,
    quota_wait_option,
    rate_limiter_option,
    retry_policy_option,
    tls_option,
)
from ._convert import make_converter
from ._hooks import HOOK_NAMES, Hook, Hooks, RequestInfo
from ._lifecycle import Lifecycle
from ._options import header_value, headers_mapping, seconds, unknown_option, whole
from ._pagination import Pager, ResumePoint
from ._query import checked_query
from ._ratelimit import RateLimiter
from ._redact import remember_secrets
from ._resource import ResourceDescriptor
from ._response import Response
from ._transport import Transport
from ._walks import identity
from ._wire import merge_headers

__all__ = ["DEFAULT", "BaseClient", "ClientOptions", "Hooks", "RequestInfo"]

T = TypeVar("T")

_NO_HEADERS: Mapping[str, str] = MappingProxyType({})
_NO_OPTIONS: Mapping[str, Any] = MappingProxyType({})

#: The options ``with_options`` takes (contract section 8).
VIEW_OPTIONS = ("timeout", "max_retries", "max_retry_wait", "max_quota_wait", "headers")
# What a view holds itself; every other attribute is its client's (``BaseClient.__getattr__``).
_VIEW_OWN = frozenset(
    {"_root", "_options", "_option_headers", "_call_timeout", "_lifecycle", "_attempts"}
)


class ClientOptions(TypedDict, total=False):
    """The options every client's constructor takes besides its credentials (contract section
    2; ``BaseClient`` checks each): a misspelt one is a type error as well as a
    ``ConfigurationError``."""

    base_url: str | None
    session: aiohttp.ClientSession | None
    timeout: float | None
    max_retries: int | None
    max_retry_wait: float | None
    max_quota_wait: float | None
    rate_limit: Any
    token_store: TokenStore | None
    redis_url: str | None
    user_agent: str | None
    ssl: ssl_module.SSLContext | bool | None
    allow_http: bool
    max_response_size: int
    max_connections: int
    hooks: Hooks | None
    on_request: Hook | None
    on_response: Hook | None
    on_retry: Hook | None
    on_rate_limit: Hook | None


class BaseClient(ClientAPI):
    """The engine every vendor client subclasses. Subclasses set ``spec`` and build an ``Auth``.

    Safe to share between any number of tasks of one event loop. Use it as ``async with`` or call
    ``aclose()``; a borrowed ``session=`` is never closed by us.

    For adapters (the protected API, inherited from ``_api.ClientAPI``; adapters call nothing
    private): ``send_json``, ``call``, ``call_record``, ``record``, ``url_for``, ``fill_path``,
    ``relative_path``, ``walk``, ``list_of``, ``read_all``, ``follow_link``,
    ``send_unauthenticated`` and the class method ``options_from_env``; ``path_vars`` is the
    override point for discovered ``{placeholders}``. Class attributes an adapter sets: ``spec``,
    ``env_fields``, ``link_models``.
    """

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
            raise unknown_option(type(self).__name__, name, option_names(type(self)))
        if not isinstance(auth, Auth):
            raise ConfigurationError(f"auth must be an Auth strategy, not {auth!r}")
        self._base_url = base_url_option(base_url or self.spec.base_url, allow_http=allow_http)
        self._origin = self._base_url.with_path("/").with_query(None).with_fragment(None)
        timeout_s = (
            DEFAULT_TIMEOUT if timeout is None else seconds("timeout", timeout, positive=True)
        )
        self.retry_policy = retry_policy_option(max_retries, max_retry_wait)
        # A client-side quota wait longer than this raises RateLimitError instead of sleeping
        # (None: wait as long as it takes). Bulk jobs raise it to stop cleanly at a daily limit.
        self.max_quota_wait: float | None = quota_wait_option(max_quota_wait)
        agent = (
            f"vendorkit/{__version__}"
            if user_agent is None
            else header_value("user_agent", user_agent)
        )
        tls = tls_option(ssl)
        response_limit = whole("max_response_size", max_response_size, minimum=1)
        if session is not None and not isinstance(session, aiohttp.ClientSession):
            raise ConfigurationError(f"session must be an aiohttp.ClientSession, not {session!r}")
        connections = whole("max_connections", max_connections, minimum=1)
        self._lifecycle = Lifecycle(type(self).__name__)
        if hooks is not None and not isinstance(hooks, Hooks):
            raise ConfigurationError(f"hooks must be a Hooks instance, not {hooks!r}")
        self.hooks = hooks or Hooks()
        for name, hook in zip(
            HOOK_NAMES, (on_request, on_response, on_retry, on_rate_limit), strict=True
        ):
            if hook is not None:
                if not callable(hook):
                    raise ConfigurationError(f"{name} must be callable, not {hook!r}")
                getattr(self.hooks, name).append(hook)
        if redis_url is not None and not isinstance(redis_url, str):
            raise ConfigurationError(
                f"redis_url must be a URL string, not {type(redis_url).__name__}"
            )
        # What redis_url builds is ours to close; a token_store= or RateLimiter passed in is not.
        self._owns_store = token_store is None and redis_url is not None
        if token_store is None and redis_url is not None:
            from ._redis import RedisTokenStore

            token_store = RedisTokenStore(redis_url, lock_wait=timeout_s)
        if token_store is not None and not all(
            callable(getattr(token_store, name, None)) for name in ("get", "set", "delete", "lock")
        ):
            raise ConfigurationError(
                f"token_store must be a TokenStore (get, set, delete, lock), not a "
                f"{type(token_store).__name__}; for Redis pass redis_url= instead"
            )
        self.token_store: TokenStore = token_store or MemoryTokenStore()
        self.auth = auth
        auth.bind(base_url=self._base_url, vendor=self.spec.name, store=self.token_store)
        remember_secrets(auth)  # scrubbed from every line of the VENDORKIT_LOG handler
        self.rate_limiter: RateLimiter | None = rate_limiter_option(
            rate_limit,
            quotas=self.spec.quotas,
            key=self._rate_key(),
            redis_url=redis_url,
            timeout=timeout_s,
        )
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
        # A view's own options (``with_options``): none on the client itself.
        self._options: Mapping[str, Any] = _NO_OPTIONS
        self._option_headers: Mapping[str, str] = _NO_HEADERS
        self._call_timeout: float | None = None
        # Headers for every request made inside ``with client.scoped_headers(...)``, per task.
        self._scoped: contextvars.ContextVar[Mapping[str, str]] = contextvars.ContextVar(
            f"vendorkit_scoped_headers_{id(self)}", default=_NO_HEADERS
        )
        # Limits for every request made inside ``with client.scoped_limits(...)``, per task.
        self._scoped_limits_var: contextvars.ContextVar[Mapping[str, Any]] = contextvars.ContextVar(
            f"vendorkit_scoped_limits_{id(self)}", default=MappingProxyType({})
        )
        self._transport = Transport(
            vendor=self.spec.name,
            origin=self._origin,
            lifecycle=self._lifecycle,
            secrets=self.auth.secrets,
            session=session,
            ssl=tls,
            timeout=timeout_s,
            user_agent=agent,
            max_response_size=response_limit,
            max_connections=connections,
        )
        self._attempts = Attempts(
            self, self._transport, self._lifecycle, self._origin, limits=self._limits
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

    # -- scoped limits: a bulk job bounds a client it shares, in its own tasks ------------------

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

    def _limits(self) -> Limits:
        """``(request_slots, max_quota_wait)`` for a request made now: the innermost
        ``scoped_limits`` block's, else the client's own. The one place they are read (the
        attempt pipeline calls it where it takes a request slot and bounds a quota wait)."""
        scoped = self._scoped_limits_var.get()
        # A view's own max_quota_wait is the caller's choice for these very calls: it wins over
        # an ambient ``scoped_limits`` block, as a call's ``headers=`` wins over scoped headers.
        own_wait = "max_quota_wait" in self._options
        return (
            scoped.get("request_slots", self.request_slots),
            self.max_quota_wait if own_wait else scoped.get("max_quota_wait", self.max_quota_wait),
        )

    # -- views: per-call options (contract section 8) -------------------------------------------

    if TYPE_CHECKING:

        def with_options(
            self,
            *,
            timeout: float | None = ...,
            max_retries: int | None = ...,
            max_retry_wait: float | None = ...,
            max_quota_wait: float | None = ...,
            headers: Mapping[str, str] | None = ...,
        ) -> Self: ...

    else:

        def with_options(self, **options):
            """A view of this client with other per-call options (see ``_with_options``)."""
            return self._with_options(options)

    def _with_options(self, options: Mapping[str, Any]) -> Self:
        """``client.with_options(timeout=, max_retries=, max_retry_wait=, max_quota_wait=,
        headers=)``: a client of the same class that is a *view* of this one. It shares the
        session, the token and auth state, the client-side quota, the 429 pause, the adapter's
        state (a discovered partner, say) and the lifecycle; only the options given differ, and
        every request made through it (resources, ``request``, ``paginate``, list walks, token
        requests it starts) uses them. ``timeout`` (seconds, per attempt), ``max_retries``,
        ``max_retry_wait`` (seconds) and ``max_quota_wait`` (seconds; None: as long as the
        quota takes) replace the client's; ``headers`` are merged over the client's own (names
        case-insensitive, the view's winning; a call's ``headers=`` still wins). An option
        omitted (or None, except ``max_quota_wait``) stays the client's, live. Views stack:
        ``view.with_options(...)`` starts from the view's options.

        Closing the client closes its views (a call on one then raises ``ClientStateError``);
        closing a view (``aclose()``, ``async with``) ends only the view: the shared session
        stays the client's. Any other keyword, or a bad value, is a ``ConfigurationError``
        before anything is sent."""
        where = f"{type(self).__name__}.with_options"
        checked: dict[str, Any] = dict(self._options)
        for name in sorted(options):
            if name not in VIEW_OPTIONS:
                raise unknown_option(where, name, VIEW_OPTIONS)
        value = options.get("timeout")
        if value is not None:
            checked["timeout"] = seconds("timeout", value, positive=True)
        value = options.get("max_retries")
        if value is not None:
            checked["max_retries"] = whole("max_retries", value)
        value = options.get("max_retry_wait")
        if value is not None:
            checked["max_retry_wait"] = seconds("max_retry_wait", value)
        value = options.get("max_quota_wait", DEFAULT)
        if not isinstance(value, _Default):
            checked["max_quota_wait"] = None if value is None else seconds("max_quota_wait", value)
        headers = merge_headers(self._option_headers, headers_mapping(options.get("headers")))
        root: BaseClient = self.__dict__.get("_root") or self
        view = object.__new__(type(self))
        own = view.__dict__  # set directly: a view's attribute writes go to its client
        own["_root"] = root
        own["_options"] = MappingProxyType(checked)
        own["_option_headers"] = MappingProxyType(headers) if headers else _NO_HEADERS
        own["_call_timeout"] = checked.get("timeout")
        policy_changes = {k: checked[k] for k in ("max_retries", "max_retry_wait") if k in checked}
        if policy_changes:
            own["retry_policy"] = attrs.evolve(root.retry_policy, **policy_changes)
        if "max_quota_wait" in checked:
            own["max_quota_wait"] = checked["max_quota_wait"]
        own["_lifecycle"] = self._lifecycle.view()
        own["_resources"] = {}  # resources bound to the view (``ResourceDescriptor``)
        own["_attempts"] = Attempts(
            view,
            root._transport,
            own["_lifecycle"],
            root._origin,
            limits=view._limits,
            pause=root._attempts.pause,
        )
        return view

    if not TYPE_CHECKING:
        # A view holds only its options (``_VIEW_OWN``); everything else is its client's, read
        # and written through, so the two never drift apart. (Runtime only: to mypy a client
        # has exactly the attributes it declares.)

        def __getattr__(self, name):
            root = self.__dict__.get("_root")
            if root is None:
                raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
            return getattr(root, name)

        def __setattr__(self, name, value):
            root = self.__dict__.get("_root")
            if root is None or name in self.__dict__ or name in _VIEW_OWN:
                object.__setattr__(self, name, value)
            else:
                setattr(root, name, value)

    @property
    def is_view(self) -> bool:
        """Whether this client is a view made by ``with_options``."""
        return self.__dict__.get("_root") is not None

    @classmethod
    def resource_names(cls) -> list[str]:
        """The names of the resources this client declares, in declaration order."""
        names: list[str] = []
        for klass in reversed(cls.__mro__):
            for name, value in vars(klass).items():
                if isinstance(value, ResourceDescriptor) and name not in names:
                    names.append(name)
        return names

    def _rate_key(self) -> str:
        # The account, never the credentials: every process of one account shares one budget,
        # whichever client secret or password it holds.
        account = getattr(self.auth, "account_key", "") or ""
        return f"vendorkit:quota:{self.spec.name}:{self._origin}:{account}"

    # -- lifecycle ------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return str(self._base_url)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._base_url}{self._view_repr()}>"

    def _view_repr(self) -> str:
        """`` with_options(...)`` for a view (header names only: values may be credentials)."""
        if not self.is_view:
            return ""
        shown = [f"{k}={v!r}" for k, v in self._options.items()]
        if self._option_headers:
            shown.append(f"headers={sorted(self._option_headers)!r}")
        return f" with_options({', '.join(shown)})"

    async def __aenter__(self: T) -> T:
        self._lifecycle.bind()  # type: ignore[attr-defined]
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the session we own (a borrowed one is left open) and other connections. A
        view's ``aclose()`` ends only the view: what it shares stays its client's."""
        if not self._lifecycle.close() or self.is_view:
            return
        await self._transport.aclose()
        closer = getattr(self.token_store, "aclose", None)
        if closer is not None and self._owns_store:
            await closer()
        if self.rate_limiter is not None and self._owns_limiter:
            await self.rate_limiter.aclose()

    @property
    def closed(self) -> bool:
        return self._lifecycle.closed

    def __del__(self) -> None:
        if "_root" in self.__dict__:  # a view: its client owns the session (and warns)
            return
        transport = getattr(self, "_transport", None)
        lifecycle = getattr(self, "_lifecycle", None)
        if (
            transport is not None
            and lifecycle is not None
            and transport.open_own_session
            and not lifecycle.closed
        ):
            warnings.warn(
                f"{type(self).__name__} was not closed: use 'async with' or 'await aclose()'",
                ResourceWarning,
                stacklevel=1,
                source=self,
            )

    # -- generic access (contract section 3) ----------------------------------------------------

    @overload
    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        raw: Literal[False] = False,
    ) -> Any: ...
    @overload
    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        raw: Literal[True],
    ) -> Response: ...
    @overload  # raw= decided at run time (a plain bool): either answer
    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        raw: bool = False,
    ) -> Any: ...
    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        raw: bool = False,
    ) -> Any:
        """Call any endpoint; returns the unwrapped payload (None for an empty answer). With
        ``raw=True``, a ``vendorkit.Response`` instead (status, headers, trace id, elapsed,
        attempts, ``json()``); an error status raises its typed error either way."""
        url = self.url_for(await self.fill_path(path, {}), params)
        if raw is True:
            started = time.monotonic()
            answer, exchange = await self.send_exchange(method, url, json=json, headers=headers)
            return Response.of(
                answer,
                method=method.upper(),
                attempts=exchange.attempts,
                elapsed=time.monotonic() - started,
                trace_id_header=self.spec.trace_id_header,
                secrets=self.auth.secrets(),
            )
        if raw is not False:
            raise ConfigurationError(f"raw must be True or False, not {raw!r}")
        _, body = await self.send_json(method, url, json=json, headers=headers)
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
        params: Mapping[str, Any] | None = None,
        **query: Any,
    ) -> Pager[Any]:
        """A pager of plain dicts over any list endpoint, in the vendor's pagination style.
        ``headers`` adds request headers to every page (as ``request(headers=)`` and
        ``list(headers=)`` do), never to the query. Query parameters are keywords (``path`` is
        no resource: nothing checks their names) or ``params={...}``, as ``list()`` takes."""
        return self.walk(
            path,
            checked_query("paginate()", query, params, accepted=frozenset(query), options=()),
            transform=identity,
            page_size=page_size,
            max_items=max_items,
            concurrency=concurrency,
            max_pages=max_pages,
            resume=resume,
            headers=headers,
        )

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
import warnings
from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Any, TypedDict, TypeVar

import aiohttp
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
from ._resource import ResourceDescriptor
from ._transport import Transport
from ._walks import identity

__all__ = ["DEFAULT", "BaseClient", "ClientOptions", "Hooks", "RequestInfo"]

T = TypeVar("T")

_NO_HEADERS: Mapping[str, str] = MappingProxyType({})


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
        return (
            scoped.get("request_slots", self.request_slots),
            scoped.get("max_quota_wait", self.max_quota_wait),
        )

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
        return f"<{type(self).__name__} {self._base_url}>"

    async def __aenter__(self: T) -> T:
        self._lifecycle.bind()  # type: ignore[attr-defined]
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the session we own (a borrowed one is left open) and other connections."""
        if not self._lifecycle.close():
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
        url = self.url_for(await self.fill_path(path, {}), params)
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

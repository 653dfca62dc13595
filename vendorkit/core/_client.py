"""``BaseClient``: the public face of the core, and the protected API adapters build on.

The client holds its configuration and wires the layers below it, each a small module that calls
only downward (``docs/architecture.md`` draws them):

- ``_call.send_checked``: one logical call; its final answer judged (typed errors, 303, DELETE);
- ``_retryloop.send_retrying``: tenacity around the attempts, with the pure ``retry_decision``;
- ``_attempt.Attempts.send_once``: one attempt (pause, credentials, quota, 401 replay,
  redirects, the 429 pause, JSON decoding), its rules pure in ``_attempt_rules``/``_redirects``;
- ``_transport.Transport.send``: the one aiohttp call.

Beside them: ``_config`` (options checked), ``_hooks``, ``_lifecycle``, ``_urls`` (URL building),
``_walks`` (the one Pager of every walk). Public verbs: ``request``, ``paginate``; for adapters,
the protected API of ``_api.ClientAPI`` and the methods listed in ``BaseClient``'s docstring.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import ssl as ssl_module
import warnings
from collections.abc import Awaitable, Callable, Iterator, Mapping
from types import MappingProxyType
from typing import Any, ClassVar, TypeVar

import aiohttp
import cattrs
from yarl import URL

from vendorkit._version import __version__
from vendorkit.errors import ConfigurationError, DecodeError

from ._api import WalkSource
from ._attempt import Attempts
from ._auth import Auth, MemoryTokenStore, TokenStore
from ._call import build_request, send_checked
from ._config import (
    DEFAULT,
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_RESPONSE_SIZE,
    DEFAULT_TIMEOUT,
    base_url_option,
    env_options,
    option_names,
    quota_wait_option,
    rate_limiter_option,
    retry_policy_option,
    tls_option,
)
from ._convert import make_converter, structure
from ._envelope import Envelope
from ._hooks import HOOK_NAMES, Hook, Hooks, RequestInfo
from ._lifecycle import Lifecycle
from ._links import LinkModels, is_url, link_of
from ._options import header_value, headers_mapping, seconds, unknown_option, whole
from ._pagination import Fetch, Pager, Paginator, ResumePoint
from ._ratelimit import RateLimiter
from ._resource import ResourceDescriptor
from ._retryloop import send_unauthenticated
from ._spec import VendorSpec
from ._transport import Transport
from ._urls import build_url, fill_template, placeholders
from ._walks import identity, read_all, split_pager_args, walk
from ._wire import WireRequest, WireResponse

__all__ = ["DEFAULT", "BaseClient", "Hooks", "RequestInfo"]

T = TypeVar("T")

_NO_HEADERS: Mapping[str, str] = MappingProxyType({})


class BaseClient:
    """The engine every vendor client subclasses. Subclasses set ``spec`` and build an ``Auth``.

    Safe to share between any number of tasks of one event loop. Use it as ``async with`` or call
    ``aclose()``; a borrowed ``session=`` is never closed by us.

    For adapters (the protected API, see ``_api``; adapters call nothing private):
    ``send_json``, ``call``, ``call_record``, ``record``, ``fill_path``, ``walk``, ``list_of``,
    ``read_all``, ``follow_link``, ``relative_path``, ``send_unauthenticated`` and the class
    method ``options_from_env``; ``path_vars`` is the override point for discovered
    ``{placeholders}``.
    """

    spec: ClassVar[VendorSpec]
    # (field, required) pairs read by ``from_env`` as VENDORKIT_<VENDOR>_<FIELD>.
    env_fields: ClassVar[tuple[tuple[str, bool], ...]] = ()
    # Hypermedia vendors: the model of each object/list URL, for ``follow_link`` (None: dicts).
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
        self.converter: cattrs.Converter = make_converter(self.spec.key_style)
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
        self._attempts = Attempts(self, self._transport, self._lifecycle, self._origin)

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

    @classmethod
    def options_from_env(cls, **overrides: Any) -> dict[str, Any]:
        """For adapters: constructor options from ``VENDORKIT_<VENDOR>_<FIELD>`` variables (the
        class's ``env_fields`` and ``base_url``), ``overrides`` winning."""
        return env_options(cls.spec.name, cls.env_fields, overrides)

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

    # -- URLs -----------------------------------------------------------------------------------

    async def path_vars(self) -> Mapping[str, str]:
        """Values for ``{placeholders}`` in endpoint paths. Adapters override to discover them
        (for example a partner or account id), adding to ``await super().path_vars()``."""
        return self._path_vars

    def url_for(self, path: str, params: Mapping[str, Any] | None = None) -> URL:
        """An absolute URL for ``path``: relative to ``base_url`` (sent as written, a ``%2F``
        stays encoded; ``.``/``..`` segments are refused), or an absolute URL on the vendor's own
        origin. Credentials are never sent to another origin."""
        return build_url(
            base=self._base_url,
            origin=self._origin,
            path=path,
            params=params,
            comma_params=self.spec.comma_params,
        )

    async def fill_path(self, template: str, values: dict[str, Any]) -> str:
        """For adapters: fill ``{placeholders}``, taking call arguments first, then the client's
        path vars; each value becomes exactly one path segment (see ``_urls.path_segment``). The
        values used are taken out of ``values`` (what remains is the query). A URL (a link the
        vendor sent) is returned as is, never read as a template."""
        if not isinstance(template, str):
            raise ConfigurationError(f"a path must be a string, not {template!r}")
        if "{" not in template or "://" in template:
            return template
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

    def relative_path(self, url: URL) -> str:
        """For adapters: ``url``'s path relative to the base URL's path (what endpoint
        templates are written against)."""
        path = url.path
        base = self._base_url.path.rstrip("/")
        if base and path.startswith(base):
            path = path[len(base) :]
        return path

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
        **params: Any,
    ) -> Pager[Any]:
        """A pager of plain dicts over any list endpoint, in the vendor's pagination style.
        ``headers`` adds request headers to every page (as ``request(headers=)`` and
        ``list(headers=)`` do), never to the query."""
        return self.walk(
            path,
            params,
            transform=identity,
            page_size=page_size,
            max_items=max_items,
            concurrency=concurrency,
            max_pages=max_pages,
            resume=resume,
            headers=headers,
        )

    # -- the protected API: calls ---------------------------------------------------------------

    async def send_json(
        self,
        method: str,
        url: URL,
        *,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        content: bytes | None = None,
    ) -> tuple[WireResponse, Any]:
        """For adapters: one call to ``url`` with credentials and retries; raises the typed error
        for an error status. Returns the response and its decoded JSON body (not unwrapped;
        None if empty). ``content``: a body sent as these bytes instead of ``json`` (its
        Content-Type in ``headers``).

        A DELETE answered 404 after an attempt whose outcome is unknown (the connection dropped
        after sending, a timeout, a 5xx) succeeded: that earlier attempt deleted the record."""
        request = build_request(
            method,
            url,
            headers=(self.default_headers, self._scoped.get(), headers_mapping(headers)),
            json=json,
            content=content,
        )
        answer = await send_checked(self._attempts, request)
        return answer.response, answer.body

    async def send_unauthenticated(self, request: WireRequest) -> WireResponse:
        """For adapters and auth strategies: ``request`` with retries but no credentials (a
        token grant or revoke); the answer whatever its status."""
        return await send_unauthenticated(self._attempts, request)

    async def call(
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
        """For adapters: ``send_json`` to ``path`` (a template filled from ``values`` and the path
        vars, or a URL on the vendor's origin); returns the response and the unwrapped payload
        (None if empty). What ``values`` the template does not use goes into the query."""
        vals = dict(values or {})
        resolved = await self.fill_path(path, vals)
        url = self.url_for(resolved, {**vals, **(params or {})})
        response, body = await self.send_json(
            method, url, json=json, headers=headers, content=content
        )
        return response, (self.spec.envelope.unwrap(body) if body is not None else None)

    async def call_record(
        self,
        method: str,
        path: str,
        values: Mapping[str, Any],
        model: type[T],
        *,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> T:
        """For adapters: ``call``, with the answer read as one ``model`` record."""
        _, payload = await self.call(method, path, values, json=json, headers=headers)
        return self.record(payload, model)

    def record(self, data: Any, model: type[T]) -> T:
        """For adapters: ``data`` (a JSON object) as a ``model`` record; DecodeError for
        anything else."""
        if not isinstance(data, Mapping):
            raise DecodeError(
                f"{self.spec.name}: expected a {model.__name__} object, got {data!r:.80}"
            )
        return structure(self.converter, data, model)

    # -- the protected API: walks and links -----------------------------------------------------

    async def _get_body(self, url: URL, headers: Mapping[str, str] | None) -> Any:
        _, body = await self.send_json("GET", url, headers=headers)
        return body

    def walk(
        self,
        source: WalkSource,
        params: Mapping[str, Any] | None = None,
        *,
        transform: Callable[[Any], T],
        envelope: Envelope | None = None,
        paginator: Paginator | None = None,
        fetch: Fetch | None = None,
        headers: Mapping[str, str] | None = None,
        page_size: int | None = None,
        max_items: int | None = None,
        concurrency: int = 1,
        max_pages: int | None = None,
        resume: ResumePoint | None = None,
    ) -> Pager[T]:
        """For adapters: the one Pager of every walk (see ``_walks``). ``source`` is a path
        template (filled from ``params`` and the path vars when the walk starts; the rest of
        ``params`` is the query), or a coroutine function returning, when the walk starts, a path
        or URL on the vendor's origin (a link read from a record; ``params`` is its query) or an
        absolute ``URL`` used as is. ``envelope``/``paginator`` replace the spec's (e.g. a
        ``Chained`` walk); ``fetch`` replaces the plain GET + envelope (for a vendor's odd list).
        """
        values = dict(params or {})
        first: Callable[[], Awaitable[URL]]
        if callable(source):
            found = source

            async def first_of_link() -> URL:
                target = await found()
                if isinstance(target, URL):
                    return target
                return self.url_for(target, params)

            first = first_of_link
        else:
            # A path template (anything else is refused by ``fill_path`` when the walk starts).
            template = source
            resolved: dict[str, str] = {}

            async def first_of_template() -> URL:
                if "path" not in resolved:
                    resolved["path"] = await self.fill_path(template, values)
                return self.url_for(resolved["path"], values)

            first = first_of_template
        return walk(
            get=self._get_body,
            url=first,
            origin=self._origin,
            envelope=envelope or self.spec.envelope,
            paginator=paginator or self.spec.paginator,
            transform=transform,
            headers=headers,
            fetch=fetch,
            page_size=page_size,
            max_items=max_items,
            concurrency=concurrency,
            max_pages=max_pages,
            resume=resume,
        )

    def list_of(self, path: str, model: type[T], params: Mapping[str, Any]) -> Pager[T]:
        """For adapters: a pager of ``model`` records over a list path no resource declares (a
        child list); ``params`` may hold path values, filters, the walk's options and
        ``headers``."""
        query = dict(params)
        pager_args, headers = split_pager_args(query)
        return self.walk(
            path,
            query,
            transform=lambda d: self.record(d, model),
            headers=headers,
            **pager_args,
        )

    async def read_all(self, url: str, headers: Mapping[str, str] | None = None) -> Any:
        """For adapters: GET ``url`` and return the unwrapped payload; a list is read to its last
        page by the walk every list uses (a ``Pager`` along the envelope's next links,
        ``NextLink``): next links on the vendor's origin only, a URL fetched twice or a page
        repeating an earlier one is a ``PaginationError``, ``EMPTY_PAGE_LIMIT`` empty pages in a
        row end it, and URLs in its errors are redacted. So a link-following read always ends."""
        return await read_all(
            get=self._get_body,
            url=self.url_for(url),
            origin=self._origin,
            envelope=self.spec.envelope,
            headers=headers,
        )

    async def follow_link(
        self,
        ref: Any,
        *,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> Any:
        """For adapters: fetch what a link points to. ``ref`` is a URL on the vendor's origin or a
        path, or a record or dict with a ``url``. Returns a ``link_models`` record for an object
        URL, a list of them for a list URL (every page), plain dicts (or the payload) otherwise.
        A URL on another origin raises ``ConfigurationError`` before anything is sent."""
        url = link_of(ref)
        if not isinstance(url, str) or not (is_url(url) or url.startswith("/")):
            raise ConfigurationError(f"{self.spec.name}: cannot follow {ref!r}: not a URL")
        target = self.url_for(url, params)
        model = self._model_for(target)
        payload = await self.read_all(str(target), headers)
        if model is None:
            return payload
        if isinstance(payload, list):
            return [self.record(r, model) if isinstance(r, Mapping) else r for r in payload]
        if isinstance(payload, Mapping):
            return self.record(payload, model)
        return payload

    def _model_for(self, url: URL) -> type[Any] | None:
        """The model ``link_models`` gives ``url``'s path (relative to the base URL's path)."""
        if self.link_models is None:
            return None
        return self.link_models.model_for(self.relative_path(url))

"""The protected API: what resources and adapters may call on a client, and nothing else.

``ClientAPI`` is the base of ``BaseClient`` and holds the methods below; ``Resource`` and the
vendor adapters are typed against it (or their own client class), so none of them reaches into
the client's private layers (``tests/unit/test_core_layers.py`` checks it). Each method is a thin
entry into one layer below:

- ``send_json(method, url)``: one checked call (``_call``): credentials, retries, typed errors;
  returns the response and the decoded JSON body (not unwrapped).
- ``call(method, path, values)``: the same for a path template or a URL on the vendor's origin,
  with the payload unwrapped from the vendor's envelope; ``call_record`` reads it as a model.
- ``record(data, model)``: a JSON object as a model record (``DecodeError`` otherwise).
- ``url_for(path, params)``, ``fill_path(template, values)`` (a path template filled from call
  values and ``path_vars``, the override point for discovered values), ``relative_path(url)``.
- ``walk(source, params)``: the one Pager (``_walks``) over a path template or a URL known only
  when the walk starts; ``list_of`` for a child list of model records.
- ``read_all(url)``: a GET whose list is read to its last page; ``follow_link(ref)``: what a
  hypermedia link points to, as its ``link_models`` record(s).
- ``send_unauthenticated(request)``: a request with retries but no credentials (a token revoke).
- ``options_from_env(**overrides)``: constructor options from ``VENDORKIT_<VENDOR>_*``.
"""

from __future__ import annotations

import contextvars
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, ClassVar, TypeVar, Unpack

import cattrs
from yarl import URL

from vendorkit.errors import ConfigurationError, DecodeError

from ._attempt import Attempts, Exchange
from ._attempt_rules import Answer
from ._call import build_request, send_checked
from ._config import env_options
from ._convert import structure
from ._envelope import Envelope
from ._links import LinkModels, is_url, link_of
from ._options import headers_mapping
from ._pagination import Fetch, Pager, Paginator
from ._retryloop import send_unauthenticated
from ._spec import VendorSpec
from ._urls import build_url, fill_template, placeholders
from ._walks import WalkOptions, checked_list_call, read_all, walk
from ._wire import WireRequest, WireResponse

__all__ = ["ClientAPI", "WalkSource"]

T = TypeVar("T")

WalkSource = str | Callable[[], Awaitable[str | URL]]
"""Where a walk starts: a path template, or (known only when the walk starts) a coroutine
function returning a path or URL on the vendor's origin, or an absolute ``URL`` used as is."""


class ClientAPI:
    """The protected API of every client (see the module docstring): for resources and adapters.

    ``BaseClient`` sets the state it reads (its configuration and its layers).
    """

    spec: ClassVar[VendorSpec]
    # (field, required) pairs read by ``from_env`` as VENDORKIT_<VENDOR>_<FIELD>.
    env_fields: ClassVar[tuple[tuple[str, bool], ...]] = ()
    # Hypermedia vendors: the model of each object/list URL, for ``follow_link`` (None: dicts).
    link_models: ClassVar[LinkModels | None] = None

    converter: cattrs.Converter
    default_headers: dict[str, str]
    _base_url: URL
    _origin: URL
    _path_vars: dict[str, str]
    _scoped: contextvars.ContextVar[Mapping[str, str]]
    _attempts: Attempts
    # A view's options (``BaseClient.with_options``): headers over the client's, and seconds per
    # attempt (None: the client's own timeout).
    _option_headers: Mapping[str, str]
    _call_timeout: float | None

    @classmethod
    def options_from_env(cls, **overrides: Any) -> dict[str, Any]:
        """For adapters: constructor options from ``VENDORKIT_<VENDOR>_<FIELD>`` variables (the
        class's ``env_fields`` and ``base_url``), ``overrides`` winning."""
        return env_options(cls.spec.name, cls.env_fields, overrides)

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
        answer = await send_checked(
            self._attempts, self._build(method, url, json=json, headers=headers, content=content)
        )
        return answer.response, answer.body

    def _build(
        self,
        method: str,
        url: URL,
        *,
        json: Any,
        headers: Mapping[str, str] | None,
        content: bytes | None = None,
    ) -> WireRequest:
        """A call's request: the client's headers, then a ``scoped_headers`` block's, then a
        view's, then the call's own (later winning); a view's timeout."""
        return build_request(
            method,
            url,
            headers=(
                self.default_headers,
                self._scoped.get(),
                self._option_headers,
                headers_mapping(headers),
            ),
            json=json,
            content=content,
            timeout=self._call_timeout,
        )

    async def send_exchange(
        self,
        method: str,
        url: URL,
        *,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[Answer, Exchange]:
        """``send_json``, also returning the call's ``Exchange`` (how many attempts it took):
        what a raw response (``request(raw=True)``) is made of."""
        exchange = Exchange()
        request = self._build(method, url, json=json, headers=headers)
        answer = await send_checked(self._attempts, request, exchange)
        return answer, exchange

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
        **options: Unpack[WalkOptions],
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
            **options,
        )

    def list_of(
        self,
        path: str,
        model: type[T],
        params: Mapping[str, Any],
        *,
        filters: Iterable[str] = (),
        name: str = "list",
    ) -> Pager[T]:
        """For adapters: a pager of ``model`` records over a list path no resource declares (a
        child list); ``params`` may hold path values, the walk's options, ``headers``,
        ``params=`` (sent as given) and ``filters`` (the query parameters the vendor documents
        for it: any other keyword is a ``ConfigurationError`` naming the closest, ``name`` saying
        which call it was)."""
        query, pager_args, headers = checked_list_call(
            f"{self.spec.name} {name}()",
            params,
            filters={*filters, *placeholders(path)},
            paginator=self.spec.paginator,
        )
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

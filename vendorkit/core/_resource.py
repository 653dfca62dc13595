"""Resources: ``list``/``get``/``create``/``update``/``delete`` written once, offered per endpoint.

A resource sits above its client and uses only the client's protected API (``_api.ClientAPI``):
``fill_path``, ``url_for``, ``relative_path``, ``send_json``, ``walk`` (a list's walk built as its
``Endpoint`` declares, by ``_list_walks.list_pager``).

A resource object has exactly the methods its ``Endpoint.actions`` allow (``hasattr(ml.currencies,
"delete")`` is False), built from small mixins. Records come back as the endpoint's attrs model
(``record.raw`` is what the vendor sent) or as plain dicts when no model is declared.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar, Unpack, overload

from yarl import URL

from vendorkit.errors import ConfigurationError, DecodeError, ReadBackError, VendorkitError

from ._api import ClientAPI
from ._convert import Record, changed_fields, structurer, to_wire
from ._links import is_url, link_of, template_regex
from ._list_walks import list_pager
from ._pagination import Pager, ResumePoint
from ._query import GET_OPTIONS, LIST_OPTIONS, NoFilters, checked_query, paginator_params
from ._spec import Endpoint
from ._structuring import lenient_structure
from ._urls import check_path, placeholders
from ._walks import split_pager_args
from ._wire import redact_url

__all__ = [
    "CreateMixin",
    "CrudResource",
    "DeleteMixin",
    "GetMixin",
    "ListMixin",
    "ListResource",
    "ReadOnlyResource",
    "Resource",
    "ResourceDescriptor",
    "UpdateMixin",
    "resource",
    "resource_class",
    "split_pager_args",
]

T = TypeVar("T")


class Resource(Generic[T]):
    """One vendor resource bound to a client. Subclasses mix in the allowed actions."""

    def __init__(self, client: ClientAPI, endpoint: Endpoint, name: str = "") -> None:
        self._client = client
        self._endpoint = endpoint
        self.name = name
        self._structure: Callable[[Any], Any] | None = None  # the model's, built on first use
        self._keywords: dict[str, frozenset[str]] = {}  # per action, built on first use

    def __repr__(self) -> str:
        return f"<{self._client.spec.name}.{self.name} {sorted(self._endpoint.actions)}>"

    @property
    def endpoint(self) -> Endpoint:
        return self._endpoint

    # -- shared helpers -------------------------------------------------------------------------

    def accepted_filters(self, action: str) -> frozenset[str]:
        """The filter keywords ``list()`` (``action="list"``) or ``get()`` takes: the endpoint's
        declared filters, its path's placeholders and, for a list, its chain parameter and the
        paginator's own query parameters."""
        names = self._keywords.get(action)
        if names is None:
            ep = self._endpoint
            if action == "list":
                paginator = ep.paginator or self._client.spec.paginator
                chain = {ep.chain.param} if ep.chain is not None else set()
                names = frozenset(
                    {*ep.filters, *placeholders(ep.path), *chain, *ep.list_params}
                    | (paginator_params(paginator) - set(LIST_OPTIONS))
                )
            else:
                names = frozenset({*ep.get_filters, *placeholders(ep.item)} - {"id"})
            self._keywords[action] = names
        return names

    def _query(self, action: str, filters: Mapping[str, Any], params: Any) -> dict[str, Any]:
        """``filters`` checked against what the vendor documents, plus ``params`` as given."""
        if not filters and params is None:
            return {}
        return checked_query(
            f"{self._client.spec.name} {self.name}.{action}()",
            filters,
            params,
            accepted=self.accepted_filters(action),
            options=LIST_OPTIONS if action == "list" else GET_OPTIONS,
        )

    def _write_query(self, action: str, keywords: Mapping[str, Any], params: Any) -> dict[str, Any]:
        """A write's path values and query: its keywords must name placeholders of its path (a
        parent's ``{client}``) or, for a create or update, which answer the record as ``get``
        does, ``get()``'s documented filters (a ``select``); any other
        (``max_retries=0``, ``header=``) would reach the vendor as a query parameter the caller
        never meant. ``params`` sends query parameters as given."""
        ep = self._endpoint
        template = ep.path if action == "create" else ep.item
        shaping = ep.get_filters if action != "delete" else frozenset()
        return checked_query(
            f"{self._client.spec.name} {self.name}.{action}()",
            keywords,
            params,
            accepted=frozenset({*placeholders(template), *shaping}) - {"id"},
            options=GET_OPTIONS,
        )

    def _item(self, data: Any) -> Any:
        """A list item as a JSON object: a bare value becomes ``{scalar_field: value}`` where
        the endpoint declares one."""
        field = self._endpoint.scalar_field
        if field is not None and not isinstance(data, Mapping):
            return {field: data}
        return data

    def _record(self, data: Any) -> T:
        data = self._item(data)
        model = self._endpoint.model
        if model is None:
            return data  # type: ignore[no-any-return]
        if self._client.spec.lenient:
            return lenient_structure(self._client.converter, data, model)  # type: ignore[no-any-return]
        if self._structure is None:
            self._structure = structurer(self._client.converter, model)
        return self._structure(data)  # type: ignore[no-any-return]

    def _wire(self, data: Any, *, changes_only: bool = False) -> Any:
        if isinstance(data, Record):
            if changes_only:
                read = lenient_structure if self._client.spec.lenient else None
                return changed_fields(self._client.converter, data, read)
            return to_wire(self._client.converter, data)
        if isinstance(data, dict):
            return data
        raise ConfigurationError(f"expected a dict or a model instance, got {type(data).__name__}")

    async def _item_url_parts(self, id: Any, params: dict[str, Any]) -> str:
        id_field = self._client.spec.link_ids
        if id_field is not None:
            id = link_of(id, id_field)
            if is_url(id):
                return self._item_link(str(id))
        values = {**params, "id": id}
        path = await self._client.fill_path(self._endpoint.item, values)
        params.clear()
        params.update({k: v for k, v in values.items() if k != "id"})
        return path

    def _item_link(self, url: str) -> str:
        """An object URL given where an id goes (``VendorSpec.link_ids``), checked: it must name
        a record of this very resource (``documents.delete(doc.client)`` must not delete a
        client), on the vendor's origin, with no ``.``/``..`` segments (which would be resolved
        before sending)."""
        vendor = f"{self._client.spec.name} {self.name}"
        try:
            raw = URL(url, encoded=True)
        except (ValueError, TypeError, UnicodeError):
            raise ConfigurationError(f"{vendor}: not a valid URL") from None
        check_path(raw.raw_path)
        target = self._client.url_for(url)  # the origin check
        path = self._client.relative_path(target)
        if not template_regex(self._endpoint.item).match(path):
            raise ConfigurationError(
                f"{vendor}: {redact_url(target)} is not the URL of one of its records"
            )
        return url

    def _unwrap(self, body: Any) -> Any:
        env = self._endpoint.envelope or self._client.spec.envelope
        return env.unwrap(body)

    async def _fetch_one(
        self, id: Any, params: dict[str, Any], headers: Mapping[str, str] | None = None
    ) -> T:
        path = await self._item_url_parts(id, params)
        url = self._client.url_for(path, params)
        _, body = await self._client.send_json("GET", url, headers=headers)
        if body is None:
            raise DecodeError(f"{self._client.spec.name} {self.name} {id}: empty answer")
        return self._record(self._unwrap(body))

    async def _read_back(
        self, id: Any, params: dict[str, Any], headers: Mapping[str, str] | None, method: str
    ) -> T:
        """The record just written, read with a GET. The write was applied whatever happens
        here, so a failed read is a ``ReadBackError`` carrying the record's id: a caller who
        retried the write instead would create a second record."""
        try:
            return await self._fetch_one(id, params, headers)
        except VendorkitError as exc:
            error = ReadBackError(
                f"{self._client.spec.name} {self.name}: the {method} was applied (record id "
                f"{id!r}) but reading the record back failed: {exc}",
                record_id=id,
                method=method,
            )
            cause = exc
        raise error from cause

    def _created_id(self, payload: Any) -> Any:
        """Where the vendor answers a create with only ``{"id": N}``, the id to GET."""
        if isinstance(payload, dict) and set(payload) <= {"id", "_links"} and "id" in payload:
            return payload["id"]
        return None


class ListMixin(Resource[T]):
    def list(
        self,
        *,
        page_size: int | None = None,
        max_items: int | None = None,
        max_pages: int | None = None,
        concurrency: int = 1,
        resume: ResumePoint | None = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
        **filters: Unpack[NoFilters],
    ) -> Pager[T]:
        """Every record, across all pages (nothing is fetched until iterated). ``filters`` are
        the ones the vendor documents, under its own names (anything else raises
        ``ConfigurationError`` at once); ``params`` sends other query parameters as given;
        ``page_size``, ``max_items``, ``max_pages``, ``concurrency`` and ``resume`` shape the
        walk; ``headers`` go with every page."""
        return self._list_pager(
            self._query("list", filters, params),
            self._record,
            headers,
            page_size=page_size,
            max_items=max_items,
            max_pages=max_pages,
            concurrency=concurrency,
            resume=resume,
        )

    def list_raw(
        self,
        *,
        page_size: int | None = None,
        max_items: int | None = None,
        max_pages: int | None = None,
        concurrency: int = 1,
        resume: ResumePoint | None = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
        **filters: Unpack[NoFilters],
    ) -> Pager[dict[str, Any]]:
        """Like ``list`` but yields the vendor's JSON objects as plain dicts, skipping model
        conversion: the fast path for bulk exports."""
        return self._list_pager(
            self._query("list", filters, params),
            lambda data: _as_dict(self._item(data)),
            headers,
            page_size=page_size,
            max_items=max_items,
            max_pages=max_pages,
            concurrency=concurrency,
            resume=resume,
        )

    def _list_pager(
        self,
        query: dict[str, Any],
        transform: Any,
        headers: Mapping[str, str] | None,
        **pager_args: Any,
    ) -> Pager[Any]:
        merged = {**self._endpoint.list_params, **query}
        return list_pager(
            self._client,
            self._endpoint,
            merged,
            transform=transform,
            headers=headers,
            pager_args=pager_args,
        )


def _as_dict(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise DecodeError(f"expected a JSON object in a list, got {type(data).__name__}")
    return data


class GetMixin(Resource[T]):
    async def get(
        self,
        id: Any,
        *,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
        **filters: Unpack[NoFilters],
    ) -> T:
        """One record by its id. ``filters`` are the query parameters the vendor documents for
        it (``expand``, ``select``; anything else raises ``ConfigurationError`` at once),
        ``params`` sends others as given; ``headers`` adds request headers for this call."""
        return await self._fetch_one(id, self._query("get", filters, params), headers)


class CreateMixin(Resource[T]):
    async def create(
        self,
        data: Any,
        *,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
        **path_values: Any,
    ) -> T:
        """Create a record from a model instance or a dict (sent as given); returns it.
        ``path_values`` fill the path's placeholders (any other keyword is a
        ``ConfigurationError``); ``params`` sends query parameters as given."""
        params = self._write_query("create", path_values, params)
        original = dict(params)
        path = await self._client.fill_path(self._endpoint.path, params)
        url = self._client.url_for(path, params)
        _, body = await self._client.send_json("POST", url, json=self._wire(data), headers=headers)
        payload = self._unwrap(body) if body is not None else None
        new_id = self._created_id(payload)
        if new_id is not None and "get" in self._endpoint.actions:
            return await self._read_back(new_id, original, headers, "POST")
        if payload is None:
            raise DecodeError(f"{self._client.spec.name} {self.name}: create answered no record")
        return self._record(payload)


class UpdateMixin(Resource[T]):
    async def update(
        self,
        id: Any,
        data: Any,
        *,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
        **path_values: Any,
    ) -> T:
        """Partial update the vendor's way (PATCH, or a sparse PUT). A model instance sends only
        the fields that differ from what was read; a dict is sent as given. Returns the record
        (read back with a GET where the vendor answers 204). ``path_values`` and ``params``
        as for ``create``."""
        params = self._write_query("update", path_values, params)
        query = dict(params)
        path = await self._item_url_parts(id, query)
        url = self._client.url_for(path, query)
        method = self._endpoint.update_method
        payload_out = self._wire(data, changes_only=True)
        _, body = await self._client.send_json(method, url, json=payload_out, headers=headers)
        payload = self._unwrap(body) if body is not None else None
        if (payload is None or self._created_id(payload) is not None) and (
            "get" in self._endpoint.actions
        ):
            return await self._read_back(id, dict(params), headers, method)
        if payload is None:
            raise DecodeError(f"{self._client.spec.name} {self.name}: update answered no record")
        return self._record(payload)


class DeleteMixin(Resource[T]):
    async def delete(
        self,
        id: Any,
        *,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
        **path_values: Any,
    ) -> None:
        """Delete a record. Returns None. ``path_values`` and ``params`` as for ``create``."""
        query = self._write_query("delete", path_values, params)
        path = await self._item_url_parts(id, query)
        await self._client.send_json("DELETE", self._client.url_for(path, query), headers=headers)


_MIXINS: dict[str, type[Resource[Any]]] = {
    "list": ListMixin,
    "get": GetMixin,
    "create": CreateMixin,
    "update": UpdateMixin,
    "delete": DeleteMixin,
}
_CLASSES: dict[frozenset[str], type[Resource[Any]]] = {}


def resource_class(actions: frozenset[str]) -> type[Resource[Any]]:
    """The resource class offering exactly ``actions`` (cached per set)."""
    cls = _CLASSES.get(actions)
    if cls is None:
        order = ("list", "get", "create", "update", "delete")
        bases = tuple(_MIXINS[a] for a in order if a in actions)
        name = "Resource_" + "_".join(sorted(actions))
        cls = type(name, bases or (Resource,), {})
        _CLASSES[actions] = cls
    return cls


R = TypeVar("R")


class ResourceDescriptor(Generic[R]):
    """Declares a resource on a client class; the attribute is created once per client."""

    def __init__(self, endpoint: Endpoint, cls: type[Any] | None = None) -> None:
        self.endpoint = endpoint
        self.cls: type[Any] = cls or resource_class(endpoint.actions)
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, obj: None, owner: type) -> ResourceDescriptor[R]: ...
    @overload
    def __get__(self, obj: object, owner: type) -> R: ...
    def __get__(self, obj: object | None, owner: type) -> Any:
        if obj is None:
            return self
        cache: dict[str, Any] = obj.__dict__.setdefault("_resources", {})
        res = cache.get(self.name)
        if res is None:
            res = self.cls(obj, self.endpoint, self.name)  # obj is the BaseClient
            cache[self.name] = res
        return res


def resource(endpoint: Endpoint, cls: type[Any] | None = None) -> Any:
    """Declare a resource attribute: ``documents: Documents = resource(Endpoint(...))``."""
    return ResourceDescriptor[Any](endpoint, cls)


class ListResource(ListMixin[T]):
    """list only."""


class ReadOnlyResource(ListMixin[T], GetMixin[T]):
    """list and get."""


class CrudResource(ListMixin[T], GetMixin[T], CreateMixin[T], UpdateMixin[T], DeleteMixin[T]):
    """list, get, create, update, delete."""

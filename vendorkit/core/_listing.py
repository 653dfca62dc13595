"""How an endpoint's list is fetched, where it is more than one GET per page.

Two variations an ``Endpoint`` may declare, each a pure value with its decision, and
``list_pager``, the thin step that builds the walk from them (the requests themselves go through
the client as every other request does):

- ``MethodFallback``: the list is read with the first method; a status in ``statuses`` (405:
  "not that method here") makes the walk ask with the next one, and keep it for its later pages.
- ``ChainOver``: without a value for ``param``, the list is walked once per value in ``values``,
  one after the other, as one walk (``Chained``); a list answered with a status in ``none_here``
  (say, a category this account does not have) has no records, instead of ending the walk.
  Each list's total is dropped: it counts one list, not the walk.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import attrs
from yarl import URL

from vendorkit.errors import APIError, ConfigurationError

from ._envelope import RawPage
from ._pagination import Chained, Pager

if TYPE_CHECKING:
    from ._client import BaseClient
    from ._spec import Endpoint

__all__ = ["ChainOver", "MethodFallback", "list_pager"]

T = TypeVar("T")


def _methods(value: Any) -> tuple[str, ...]:
    methods = tuple(value)
    if not methods or not all(isinstance(m, str) and m.isupper() for m in methods):
        raise ConfigurationError(f"methods must be upper-case HTTP methods, not {value!r}")
    return methods


@attrs.frozen
class MethodFallback:
    """``MethodFallback(("GET", "OPTIONS"))``: read with GET; a 405 means ask with OPTIONS."""

    methods: tuple[str, ...] = attrs.field(converter=_methods)
    statuses: frozenset[int] = frozenset({405})

    def after(self, method: str, status: int) -> str | None:
        """The method to try once ``method`` was answered ``status``; None: that answer stands
        (a status not in ``statuses``, or no method left)."""
        if status not in self.statuses or method not in self.methods:
            return None
        i = self.methods.index(method)
        return self.methods[i + 1] if i + 1 < len(self.methods) else None


def _values(value: Any) -> tuple[Any, ...]:
    values = tuple(value)
    if not values:
        raise ConfigurationError("ChainOver needs at least one value")
    return values


@attrs.frozen
class ChainOver:
    """``ChainOver("document_type", ("invoice", "quote"), none_here=frozenset({400, 404}))``:
    a list call that names no ``document_type`` lists every one of them in turn."""

    param: str
    values: tuple[Any, ...] = attrs.field(converter=_values)
    none_here: frozenset[int] = frozenset()

    def values_for(self, query: Mapping[str, Any]) -> tuple[Any, ...] | None:
        """The values to walk for ``query``; None when the query names one itself (a plain
        list of that one)."""
        if query.get(self.param) is not None:
            return None
        return self.values

    def is_none_here(self, error: APIError) -> bool:
        """Whether ``error`` answering one of the lists means it has no records."""
        return error.status in self.none_here


def _empty_page() -> RawPage:
    return RawPage(records=[], total=None, next=None, next_declared=True)


def list_pager(
    client: BaseClient,
    endpoint: Endpoint,
    query: Mapping[str, Any],
    *,
    transform: Callable[[Any], T],
    headers: Mapping[str, str] | None,
    pager_args: Mapping[str, Any],
) -> Pager[T]:
    """The pager over ``endpoint``'s list for ``query`` (filters and path values), as its
    declaration says: a plain walk, or one with a ``MethodFallback`` and/or a ``ChainOver``."""
    chain = endpoint.chain
    values = chain.values_for(query) if chain is not None else None
    fallback = endpoint.list_fallback
    if values is None and fallback is None:
        return client._pager(
            endpoint.path,
            query,
            transform=transform,
            envelope=endpoint.envelope,
            paginator=endpoint.paginator,
            headers=headers,
            **pager_args,
        )
    env = endpoint.envelope or client.spec.envelope
    paginator = endpoint.paginator or client.spec.paginator
    # Per walk: the method that worked is the one its later pages use.
    method = [fallback.methods[0] if fallback is not None else "GET"]

    async def get(target: URL) -> Any:
        while True:
            try:
                _, body = await client._checked(method[0], target, headers=headers)
            except APIError as exc:
                nxt = fallback.after(method[0], exc.status) if fallback is not None else None
                if nxt is None:
                    raise
                method[0] = nxt
                continue
            return body

    if chain is None or values is None:
        base = dict(query)
        resolved: dict[str, str] = {}

        async def first() -> URL:
            if "path" not in resolved:
                resolved["path"] = await client._resolve(endpoint.path, base)
            return client.url_for(resolved["path"], base)

        async def fetch(target: URL) -> RawPage:
            return env.page(await get(target))

        return client._lazy_pager(
            first, transform=transform, fetch=fetch, paginator=paginator, **pager_args
        )

    walk = Chained(paginator)
    rest = {k: v for k, v in query.items() if k != chain.param}

    async def chained_first() -> URL:
        walk.urls = []
        for value in values:
            each = {**rest, chain.param: value}
            resolved_path = await client._resolve(endpoint.path, each)
            walk.urls.append(client.url_for(resolved_path, each))
        return walk.urls[0]

    async def chained_fetch(target: URL) -> RawPage:
        try:
            body = await get(target)
        except APIError as exc:
            if not chain.is_none_here(exc):
                raise
            return _empty_page()
        return attrs.evolve(env.page(body), total=None)

    return client._lazy_pager(
        chained_first, transform=transform, fetch=chained_fetch, paginator=walk, **pager_args
    )

"""How an endpoint's list is fetched, where it is more than one GET per page.

Two variations an ``Endpoint`` may declare, each a pure value with its decision (the thin step
that builds the walk from them is ``_list_walks.list_pager``, a layer above: it needs the
client's protected API, and ``_spec`` needs these values, so they live apart):

- ``MethodFallback``: the list is read with the first method; a status in ``statuses`` (405:
  "not that method here") makes the walk ask with the next one, and keep it for its later pages.
- ``ChainOver``: without a value for ``param``, the list is walked once per value in ``values``,
  one after the other, as one walk (``Chained``); a list answered with a status in ``none_here``
  (say, a category this account does not have) has no records, instead of ending the walk.
  Each list's total is dropped: it counts one list, not the walk.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from vendorkit.errors import APIError, ConfigurationError

__all__ = ["ChainOver", "MethodFallback"]


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

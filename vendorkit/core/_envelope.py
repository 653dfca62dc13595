"""Where a vendor puts the records, the total, the next link and a single object. Pure: no I/O.

An ``Envelope`` is a declaration of dotted paths (``"meta.next"``), each a tuple of alternatives
tried in order (a vendor may send ``_meta.total`` or ``_meta.count``). ``None`` for ``records`` or
``item`` means the body itself is the list or the object.
"""

from __future__ import annotations

from typing import Any

import attrs

from vendorkit.errors import PaginationError

__all__ = ["Envelope", "RawPage", "select"]

_MISSING = object()


def _paths(value: str | tuple[str, ...] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def select(body: Any, path: str) -> Any:
    """The value at a dotted path, or ``None`` when any step is missing."""
    cur = body
    for part in path.split("."):
        if isinstance(cur, dict):
            cur = cur.get(part, _MISSING)
            if cur is _MISSING:
                return None
        else:
            return None
    return cur


@attrs.frozen
class RawPage:
    """One page as the envelope reads it: plain dict records, total if known, next link/cursor."""

    records: list[Any]
    total: int | None = None
    next: str | None = None
    # Whether this envelope declares a next link at all: then its absence is the end signal.
    next_declared: bool = False


@attrs.frozen(kw_only=True)
class Envelope:
    records: str | None = None
    total: tuple[str, ...] = attrs.field(default=(), converter=_paths)
    next: tuple[str, ...] = attrs.field(default=(), converter=_paths)
    item: str | None = None

    def _first(self, body: Any, paths: tuple[str, ...]) -> Any:
        for p in paths:
            v = select(body, p)
            if v is not None:
                return v
        return None

    def page(self, body: Any) -> RawPage:
        """Read a list response; raises ``PaginationError`` when it is not a page."""
        records = body if self.records is None else select(body, self.records)
        if not isinstance(records, list):
            where = self.records or "the body"
            raise PaginationError(f"malformed page: {where} is not a list")
        total_raw = self._first(body, self.total)
        total: int | None
        try:
            total = None if total_raw is None else int(total_raw)
        except (TypeError, ValueError):
            raise PaginationError(f"malformed page: total {total_raw!r} is not a number") from None
        nxt = self._first(body, self.next)
        if nxt is not None and not isinstance(nxt, str | int):
            raise PaginationError(f"malformed page: next link {nxt!r} is not a string")
        return RawPage(
            records=records,
            total=total,
            next=None if nxt in ("", None) else str(nxt),
            next_declared=self._declares_next(body),
        )

    def _declares_next(self, body: Any) -> bool:
        """Whether this page has a place for a next link (``_links`` for ``_links.next``, the
        body itself for ``next``): then its absence ends the walk. A page that leaves the whole
        container out says nothing about what follows."""
        for path in self.next:
            parent = path.rpartition(".")[0]
            if isinstance(body if not parent else select(body, parent), dict):
                return True
        return False

    def unwrap(self, body: Any) -> Any:
        """A single object (or any non-list payload) out of its wrapper."""
        if self.item is None or not isinstance(body, dict):
            return body
        inner = select(body, self.item)
        return body if inner is None and self.item not in body else inner

"""Where a vendor puts the records, the total, the next link and a single object. Pure: no I/O.

An ``Envelope`` is a declaration of dotted paths (``"meta.next"``), each a tuple of alternatives
tried in order (a vendor may send ``_meta.total`` or ``_meta.count``). ``None`` for ``records`` or
``item`` means the body itself is the list or the object.

Reading is total: ``Envelope.page(body)`` returns a ``RawPage`` or raises ``PaginationError`` for
any JSON value whatsoever (a total of ``Infinity``, ``-3`` or ``true``, a next link that is a
number of 5,000 digits or an object), and ``Envelope.unwrap(body)`` always returns a value.
"""

from __future__ import annotations

import math
import reprlib
from typing import Any

import attrs

from vendorkit.errors import PaginationError

__all__ = ["Envelope", "RawPage", "parse_total", "select", "show_value"]

_MISSING = object()
# ASCII whitespace only: ``str.strip()`` would also eat characters a link may legitimately hold.
_SPACE = " \t\r\n\f\v"


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


_short = reprlib.Repr()
_short.maxstring = 60
_short.maxother = 60


def show_value(value: Any) -> str:
    """A short, safe description of a foreign value for an error message: never raises (a
    5,000-digit integer has no ``repr`` in Python 3.11+), never long."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
        return f"an integer of {value.bit_length()} bits"
    try:
        return _short.repr(value)
    except (ValueError, RecursionError):
        return f"a {type(value).__name__}"


def parse_total(value: Any) -> int | None:
    """A page's total as a count. ``None`` (absent) stays ``None``; a non-negative integer, an
    integral finite float (``25.0``) or a string of ASCII digits (``"25"``) is the count; anything
    else (a negative number, ``true``, ``NaN``, ``Infinity``/``1e400``, ``12.5``, ``"many"``, a
    list) raises ``PaginationError``. A huge but well-formed total (``10**30``) is accepted here:
    the pager bounds what it fetches by what the pages contain, not by what the total claims."""
    if value is None:
        return None
    count: int | None = None
    if isinstance(value, bool):
        count = None
    elif isinstance(value, int):
        count = value
    elif isinstance(value, float):
        if math.isfinite(value) and value.is_integer():
            count = int(value)
    elif isinstance(value, str):
        text = value.strip(_SPACE)
        if text.isascii() and text.isdigit():
            try:
                count = int(text)
            except ValueError:  # more digits than Python converts (sys.get_int_max_str_digits)
                count = None
    if count is None or count < 0:
        raise PaginationError(f"malformed page: total {show_value(value)} is not a count")
    return count


def _next_value(value: Any) -> str | None:
    """The next link or cursor as text: a string (surrounding ASCII whitespace dropped; empty
    means none) or an integer cursor; ``None`` or ``""`` means there is no next page."""
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip(_SPACE) or None
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            return str(value)
        except ValueError:  # more digits than Python converts
            pass
    raise PaginationError(f"malformed page: next link {show_value(value)} is not a string")


@attrs.frozen
class RawPage:
    """One page as the envelope reads it: plain dict records, total if known, next link/cursor."""

    records: list[Any]
    total: int | None = None
    next: str | None = None
    # Whether this envelope declares a next link at all: then its absence is the end signal.
    next_declared: bool = False
    # The body says the list is not paginated (the envelope's ``paged_by`` block is absent, or a
    # bare array where an envelope was expected): this page is the whole list.
    unpaged: bool = False


@attrs.frozen(kw_only=True)
class Envelope:
    # Where the records are: a dotted path, or alternatives (the first that holds a list).
    records: str | tuple[str, ...] | None = None
    total: tuple[str, ...] = attrs.field(default=(), converter=_paths)
    next: tuple[str, ...] = attrs.field(default=(), converter=_paths)
    item: str | None = None
    # A dotted path to the block a paginated list carries (such as ``pagination``). Declared,
    # a list body without it (or with a non-object there) is one complete page: the vendor
    # paginates only some endpoints, and walking an unpaginated one by offset would read the
    # same records again and again.
    paged_by: str | None = None
    # A list endpoint that answers a bare JSON array where the envelope is expected (pagination
    # switched off, say) has sent one complete page, not a malformed one.
    bare_list: bool = False

    def _first(self, body: Any, paths: tuple[str, ...]) -> Any:
        for p in paths:
            v = select(body, p)
            if v is not None:
                return v
        return None

    def page(self, body: Any) -> RawPage:
        """Read a list response; raises ``PaginationError`` when it is not a page."""
        if self.bare_list and self.records is not None and isinstance(body, list):
            return RawPage(records=body, next_declared=True, unpaged=True)
        records = body if self.records is None else self._records(body)
        if not isinstance(records, list):
            where = _paths(self.records)[0] if self.records else "the body"
            raise PaginationError(f"malformed page: {where} is not a list")
        return RawPage(
            records=records,
            total=parse_total(self._first(body, self.total)),
            next=_next_value(self._first(body, self.next)),
            next_declared=self._declares_next(body),
            unpaged=self.paged_by is not None and not isinstance(select(body, self.paged_by), dict),
        )

    def _records(self, body: Any) -> Any:
        """The value at the first records path that holds a list (else at the first path)."""
        paths = _paths(self.records)
        for path in paths:
            value = select(body, path)
            if isinstance(value, list):
                return value
        return select(body, paths[0])

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

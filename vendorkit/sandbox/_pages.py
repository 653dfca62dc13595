"""Server-side pagination: the four styles the vendors document, as pure window arithmetic.

- page numbers (MakeLeaps ``?page=N`` with ``meta.next`` links; LeadDesk ``page``/``per_page``
  with HAL ``_links``): ``page_window``;
- offset and limit (LeanLaw ``pagination.{limit, offset, total}``): ``offset_window``;
- an opaque position cursor (Leady, DRF's ``CursorPagination``): ``cursor_window``, stable while
  records are created or deleted during a walk.

Each answers which slice of an ordered id list a request gets and how to name its neighbours;
the vendor's renderer wraps that slice in its envelope. ``int_params`` reads the numeric query
parameters they share. No I/O.
"""

from __future__ import annotations

import base64
import binascii
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import parse_qs, urlencode

import attrs

__all__ = ["Window", "cursor_window", "int_params", "offset_window", "page_window"]


@attrs.frozen
class Window:
    """``ids[start:end]`` is the page; ``prev``/``next`` name the neighbours (a page number, an
    offset or a cursor), ``None`` at either end."""

    start: int
    end: int
    prev: Any = None
    next: Any = None


def int_params(
    query: Mapping[str, str], defaults: Mapping[str, int]
) -> tuple[dict[str, int], list[str]]:
    """The integer query parameters named in ``defaults`` (absent or empty: the default), and
    the names of those that are not integers, in ``defaults`` order."""
    values: dict[str, int] = {}
    bad: list[str] = []
    for name, default in defaults.items():
        raw = query.get(name)
        if raw is None or raw == "":
            values[name] = default
            continue
        try:
            values[name] = int(raw)
        except ValueError:
            bad.append(name)
    return values, bad


def page_window(page: int, size: int, total: int) -> Window:
    """Page ``page`` (from 1) of ``size`` records."""
    start = (page - 1) * size
    end = min(total, start + size)
    return Window(
        start, end, page - 1 if page > 1 else None, page + 1 if start + size < total else None
    )


def offset_window(offset: int, limit: int, total: int) -> Window:
    end = min(total, offset + limit)
    prev = max(0, offset - limit) if offset > 0 else None
    return Window(offset, max(offset, end), prev, end if end < total else None)


def encode_cursor(reverse: bool, position: Any) -> str:
    fields = {"r": "1", "p": str(position)} if reverse else {"p": str(position)}
    return base64.b64encode(urlencode(fields).encode()).decode()


def decode_cursor(cursor: str, kind: Callable[[str], Any]) -> tuple[bool, Any]:
    """``(reverse, position)``; ``ValueError`` for a cursor this server did not make."""
    try:
        text = base64.b64decode(cursor.encode(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise ValueError("invalid cursor") from None
    fields = parse_qs(text, keep_blank_values=True)
    if "p" not in fields or set(fields) - {"p", "r"}:
        raise ValueError("invalid cursor")
    return fields.get("r", ["0"])[0] == "1", kind(fields["p"][0])


def cursor_window(ids: Sequence[Any], size: int, cursor: str | None) -> Window:
    """The page after (or, for a reverse cursor, before) the cursor's position in the sorted
    ``ids``; ``prev``/``next`` are cursors. ``ValueError`` for a malformed cursor."""
    reverse, position = False, None
    if cursor is not None:
        reverse, position = decode_cursor(cursor, type(ids[0]) if ids else int)
    if reverse:
        end = bisect_left(ids, position) if position is not None else len(ids)
        begin = max(0, end - size)
    else:
        begin = bisect_right(ids, position) if position is not None else 0
        end = min(len(ids), begin + size)
    has = begin < end
    nxt = encode_cursor(False, ids[end - 1]) if has and end < len(ids) else None
    prev = encode_cursor(True, ids[begin]) if has and begin > 0 else None
    return Window(begin, end, prev, nxt)

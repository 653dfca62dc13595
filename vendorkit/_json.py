"""Fast JSON in and out (msgspec), with the standard library's exact behaviour where msgspec
would differ. Pure: no I/O.

msgspec reads and writes JSON several times faster than ``json``, and keeps integers of any
size exact (orjson reads one beyond 64 bits as a float without a word, which is why msgspec was
chosen). Where it refuses something the standard library accepts, the standard library does the
work, so nothing a vendor sent is lost to the fast path:

- reading: ``NaN`` and ``Infinity`` (not JSON, but ``json`` reads them), a lone surrogate escape
  (``"\\ud800"``), UTF-16 or a BOM, nesting deeper than msgspec follows;
- writing: a lone surrogate (no UTF-8 form), a non-finite float (msgspec would write ``null``:
  a number read as ``NaN`` is written back as ``NaN``, as ``json`` does), keys that are not
  strings, values that are not JSON types.
"""

from __future__ import annotations

import json
from typing import Any

import msgspec

__all__ = ["NonFinite", "dumps_fast", "dumps_lines_fast", "dumps_sorted", "loads"]


class NonFinite(float):
    """``NaN``, ``Infinity`` or ``-Infinity`` as read from a body (a ``float`` in every way).
    Its own type tells the fast writer to leave it to ``json``, which writes it back as read."""

    __slots__ = ()


def _refuse(value: Any) -> Any:
    raise TypeError(f"{type(value).__name__} is left to the standard library")


_DECODER = msgspec.json.Decoder()
_ENCODER = msgspec.json.Encoder(enc_hook=_refuse)
_SORTED = msgspec.json.Encoder(enc_hook=_refuse, order="sorted")
_SLOW_WRITE = (TypeError, ValueError, UnicodeEncodeError, OverflowError)


def loads(body: bytes | str) -> Any:
    """``body`` as JSON, as ``json.loads`` reads it (``NaN`` as a ``NonFinite``). Raises
    ``ValueError`` (``json.JSONDecodeError``) or ``RecursionError`` as ``json.loads`` does."""
    try:
        return _DECODER.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError):
        pass
    return json.loads(body, parse_constant=lambda name: NonFinite(name))


def dumps_fast(value: Any) -> bytes | None:
    """``value`` as compact UTF-8 JSON in its own key order, or None where msgspec would not
    write what ``json.dumps`` writes (the caller then uses ``json``, with its own rules for a
    surrogate or an odd value)."""
    try:
        return _ENCODER.encode(value)
    except _SLOW_WRITE:
        return None


def dumps_lines_fast(values: Any) -> bytes | None:
    """``values`` as JSON lines (each followed by a line break) in one msgspec call, or None
    where one of them is not written as ``json.dumps`` would write it (see ``dumps_fast``)."""
    try:
        return _ENCODER.encode_lines(values)
    except _SLOW_WRITE:
        return None


def dumps_sorted(value: Any) -> bytes:
    """``value`` as canonical JSON (keys sorted), for comparing values rather than for sending:
    equal values give equal bytes. Raises what ``json.dumps(sort_keys=True)`` raises."""
    try:
        return _SORTED.encode(value)
    except _SLOW_WRITE:
        text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=repr)
        return text.encode("utf-8", "backslashreplace")

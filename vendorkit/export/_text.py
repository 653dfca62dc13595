"""How a record becomes a JSON line, and a value a CSV cell. Pure: no I/O.

**JSON lines.** UTF-8, with non-ASCII text as is (Japanese stays readable). Two kinds of
characters are written as ``\\u`` escapes instead:

- U+0085, U+2028 and U+2029, which JSON leaves alone but ``str.splitlines()`` and some JSONL
  readers take for line breaks: escaped, a record stays on one line;
- lone surrogates (``"\\ud800"`` in the vendor's JSON parses to one): they have no UTF-8 form, so
  written as is they would make the page unwritable; escaped, ``json.loads`` gives back the very
  same string. (A high surrogate followed by a low one, as two code points, cannot come out of
  a JSON parser; ``json.loads`` reads such an escaped pair as the one character it spells.)

**CSV columns.** A nested field is the column ``a.b``: its keys joined by dots. So that no two
fields share a column (a key ``"a.b"`` and the field ``b`` of ``a`` would), a dot or a backslash
*inside* a key is written with a backslash before it: ``{"a.b": 1, "a": {"b": 2}}`` gives the
columns ``a\\.b`` and ``a.b``. Keys without either character (nearly all) are unchanged.
``column_keys(name)`` gives back the keys a column stands for, exactly (lone surrogates, which
a column name holds as ``\\udXXX``, included): names and key paths correspond one to one.

**CSV cells** (OWASP "CSV injection"). A spreadsheet runs a cell that starts with ``=``, ``+``,
``-`` or ``@`` as a formula, and one starting with a tab, a carriage return or a line feed can
hide one. Beyond OWASP's list, two assumptions, because spreadsheets differ and an importer may
be set to trim: a sign after leading white space or invisible format characters (``" =1+1"``,
``"\u200b=1"``: Google Sheets and LibreOffice's "trim spaces" import drop them) and the
full-width signs ``＝ ＋ － ＠`` (a Japanese input method turns them into formulas) count too.
Such a text cell is *neutralised*: a single quote is put before it. A text cell that already starts
with a single quote gets one too, so that the rule can be undone exactly: ``restore_cell``
removes one leading quote, and ``restore_cell(neutralise_cell(s)) == s`` for every string.

Not neutralised, because nothing in them can run: JSON numbers (``-5`` in the JSON is the number
-5, written as ``-5``), and text that is exactly a decimal number (``"-1200.50"``, an amount as
MakeLeaps sends it: quoting it would turn every negative amount into text in a spreadsheet).
Column names are cells too and get the same treatment. CSV cannot carry a lone surrogate: in a
cell it is written as the six characters ``\\udXXX`` (the JSONL output keeps the exact value).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from vendorkit._json import dumps_fast, dumps_lines_fast

__all__ = [
    "FORMULA_STARTS",
    "column_keys",
    "column_name",
    "csv_cell",
    "dumps_line",
    "encode_lines",
    "escape_surrogates",
    "flat_names",
    "flatten",
    "json_line",
    "neutralise_cell",
    "restore_cell",
]

_LINE_BREAKS = str.maketrans({"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"})
_SURROGATE = re.compile("[\ud800-\udfff]")

#: What a cell may not start with unless neutralised (OWASP), plus the quote that marks one.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
#: Signs that start a formula, ASCII and full-width, wherever the cell's leading white space ends.
FORMULA_SIGNS = frozenset("=+-@\uff1d\uff0b\uff0d\uff20")
#: What may come before a sign and still leave it the first thing a spreadsheet reads: white
#: space (Unicode's, including U+3000) and the invisible format characters (zero-width spaces
#: and joiners, direction marks and overrides, the BOM).
_LEADING = re.compile(
    "[\\s\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\u061c\u180e\ufeff]*"
)
QUOTE = "'"
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def _escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def escape_surrogates(text: str) -> str:
    """``text`` with every lone surrogate written as its ``\\uXXXX`` escape."""
    return _SURROGATE.sub(_escape, text)


def json_line(record: Any) -> str:
    """One record as one line of JSON (no line break at the end); lone surrogates are left as
    they are (``encode_lines`` escapes them, only when there are any)."""
    text = json.dumps(record, ensure_ascii=False, separators=(",", ":"), default=str)
    # C-speed scans first: translating every record character by character would cost far more.
    if "\u2028" in text or "\u2029" in text or "\x85" in text:
        text = text.translate(_LINE_BREAKS)
    return text


def dumps_line(record: Any) -> str:
    """One record as one line of JSON (no line break at the end), encodable as UTF-8."""
    text = json_line(record)
    if _SURROGATE.search(text):
        # Outside strings, JSON text is ASCII: every surrogate here sits inside a string.
        text = escape_surrogates(text)
    return text


# The UTF-8 forms of the characters ``_LINE_BREAKS`` escapes.
_LINE_BREAK_BYTES = ("\u2028".encode(), "\u2029".encode(), "\x85".encode())


def _fast(data: bytes | None) -> bytes | None:
    """msgspec's JSON where it is what ``dumps_line`` means (no line break character left raw)."""
    if data is None:
        return None
    # ASCII (most pages) holds none of them, and ``isascii`` is far cheaper than three searches.
    if not data.isascii() and any(b in data for b in _LINE_BREAK_BYTES):
        return None
    return data


def encode_lines(records: Sequence[Any]) -> bytes:
    """Records as JSON lines, in UTF-8. The page is written by msgspec (``vendorkit._json``) in
    one call where that gives what ``dumps_line`` would give in meaning; in the rare page it
    cannot (a line break character, a lone surrogate), each record is written on its own, by
    msgspec where it can be and by ``dumps_line`` where not."""
    page = _fast(dumps_lines_fast(records))
    if page is not None:
        return page
    return b"".join(
        (_fast(dumps_fast(r)) or dumps_line(r).encode("utf-8")) + b"\n" for r in records
    )


def _escape_key(key: Any) -> str:
    text = key if isinstance(key, str) else str(key)
    if "\\" in text or "." in text:  # rare: a C-speed test first
        return text.replace("\\", "\\\\").replace(".", "\\.")
    return text


@functools.lru_cache(maxsize=4096)
def _column(base: str, key: str) -> str:
    """``base`` + the escaped ``key``: records share their keys, so each is escaped once."""
    return base + _escape_key(key)


# One token of a column name: an escaped backslash or dot, an escaped lone surrogate, a
# separator, a run of plain text, or a backslash that escapes nothing (kept as it is).
_TOKEN = re.compile(r"\\\\|\\\.|\\ud[89a-f][0-9a-f]{2}|\.|[^\\.]+|\\")


def column_name(keys: Iterable[str]) -> str:
    """The column a field at the path ``keys`` is written to (before ``csv_cell``)."""
    return ".".join(_escape_key(k) for k in keys)


def column_keys(name: str) -> tuple[str, ...]:
    """The path of keys a CSV column name stands for: ``column_keys(r"a\\.b.c") == ("a.b",
    "c")``. The inverse of the flattening, for every record: take ``restore_cell`` of a header
    cell first if the file was neutralised."""
    keys: list[str] = []
    current: list[str] = []
    for match in _TOKEN.finditer(name):
        token = match.group()
        if token == ".":
            keys.append("".join(current))
            current = []
        elif token in ("\\\\", "\\."):
            current.append(token[1])
        elif len(token) == 6 and token.startswith("\\u"):
            current.append(chr(int(token[2:], 16)))
        else:
            current.append(token)
    keys.append("".join(current))
    return tuple(keys)


# Types that are never a mapping: no ABC check for them.
_FLAT = frozenset({str, int, float, bool, list, type(None)})


def flat_names(record: Mapping[str, Any], names: dict[str, None]) -> None:
    """Add to ``names`` (in order of first appearance) the columns ``flatten(record)`` has,
    without working out their values: what the first of a CSV's two passes needs. The walk is
    ``flatten``'s, written out again on purpose: one shared generator of (name, value) pairs
    measured 20% slower for the whole CSV assembly. A property test keeps the two equal
    (``tests/unit/test_fast_json.py``)."""
    stack = [("", iter(record.items()))]
    while stack:
        base, items = stack[-1]
        for key, value in items:
            name = _column(base, key) if type(key) is str else f"{base}{_escape_key(key)}"
            # ``type() is dict`` first: the ABC check costs more than the rest for a string.
            if value and (
                type(value) is dict or (type(value) not in _FLAT and isinstance(value, Mapping))
            ):
                stack.append((name + ".", iter(value.items())))
                break
            names.setdefault(name, None)
        else:
            stack.pop()


def flatten(record: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested objects become ``a.b`` columns (an empty one the text ``{}``), a dot or a backslash
    inside a key escaped with a backslash (``column_keys`` reads a name back); lists are kept as
    JSON text, ``null`` is an empty cell, booleans are ``true``/``false``; numbers and strings
    stay as they are. No two fields share a column. Iterative, so a deeply nested record cannot
    exhaust the stack."""
    out: dict[str, Any] = {}
    stack = [(prefix, iter(record.items()))]
    while stack:
        base, items = stack[-1]
        for key, value in items:
            name = _column(base, key) if type(key) is str else f"{base}{_escape_key(key)}"
            kind = type(value)
            if kind is str or kind is int or kind is float:  # nearly every value: no more tests
                out[name] = value
            elif kind is dict or (kind is not list and isinstance(value, Mapping)):
                if value:
                    stack.append((name + ".", iter(value.items())))
                    break
                out[name] = "{}"
            elif isinstance(value, list):
                out[name] = dumps_line(value)
            elif value is None:
                out[name] = ""
            elif isinstance(value, bool):
                out[name] = "true" if value else "false"
            else:
                out[name] = value
        else:
            stack.pop()
    return out


def _runs(text: str) -> bool:
    """Whether a spreadsheet could read ``text`` as a formula (see the module's docstring)."""
    if text.startswith(FORMULA_STARTS) or text[0] in FORMULA_SIGNS:
        return not _NUMBER.fullmatch(text)
    lead = _LEADING.match(text)
    end = lead.end() if lead else 0
    return 0 < end < len(text) and text[end] in FORMULA_SIGNS


def neutralise_cell(text: str) -> str:
    """``text`` made safe to open in a spreadsheet (see the module's docstring)."""
    if not text:
        return text
    if text.startswith(QUOTE) or _runs(text):
        return QUOTE + text
    return text


def restore_cell(text: str) -> str:
    """The value a neutralised cell was made from: ``restore_cell(neutralise_cell(s)) == s``."""
    return text[1:] if text.startswith(QUOTE) else text


def csv_cell(value: Any, *, neutralise: bool = True) -> Any:
    """What the CSV writer gets for one flattened value: text escaped (and neutralised unless
    ``neutralise=False``), numbers as they are."""
    if isinstance(value, str):
        if value.isascii():  # a C-speed test: ASCII holds no surrogate
            text = value
        else:
            text = escape_surrogates(value) if _SURROGATE.search(value) else value
        if not neutralise or not text:
            return text
        first = text[0]
        if first.isascii() and first.isalnum():
            # Starts with a letter or a digit: no formula sign, no leading space before one.
            return text
        return neutralise_cell(text)
    if isinstance(value, int | float):
        return value
    return csv_cell(str(value), neutralise=neutralise)

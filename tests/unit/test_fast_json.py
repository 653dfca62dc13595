"""The fast paths give what the slow ones would: JSON read and written by msgspec
(``vendorkit._json``) as the standard library would (property tests over generated JSON values
and arbitrary bytes, plus the cases where msgspec alone would differ: integers beyond 64 bits,
NaN, lone surrogates, line breaks), and CSV cells and columns by their shortcuts."""

from __future__ import annotations

import json
import math
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from vendorkit import _json
from vendorkit.core._wire import loads_json
from vendorkit.export._text import encode_lines, json_line

big_ints = st.integers(min_value=-(10**40), max_value=10**40)
texts = st.text(st.characters(codec=None), max_size=12)  # surrogates and line breaks included
scalars = st.none() | st.booleans() | big_ints | st.floats(allow_nan=False) | texts
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=20,
)
# What a JSON parser hands over: a non-finite number only as ``NaN``/``Infinity`` read from a body
# (a ``NonFinite``), which ``test_non_finite_numbers_...`` covers.
finite_scalars = (
    st.none() | st.booleans() | big_ints | st.floats(allow_infinity=False, allow_nan=False) | texts
)
decoded_values = st.recursive(
    finite_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=20,
)


def same(a: Any, b: Any) -> bool:
    """Equal as JSON values, NaN equal to NaN, and an int never equal to a float."""
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or a == b
    if type(a) is not type(b) and not (isinstance(a, float) and isinstance(b, float)):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    return bool(a == b)


@given(json_values)
def test_reading_matches_the_standard_library(value: Any) -> None:
    body = json.dumps(value).encode()  # ASCII with \\u escapes: lone surrogates survive
    assert same(_json.loads(body), json.loads(body))


@given(st.binary(max_size=64))
def test_arbitrary_bytes_read_as_the_standard_library_reads_them(body: bytes) -> None:
    try:
        expected: Any = json.loads(body)
    except (ValueError, RecursionError) as exc:
        expected = type(exc)
    try:
        got: Any = _json.loads(body)
    except (ValueError, RecursionError) as exc:
        got = type(exc)
    if isinstance(expected, type):
        assert isinstance(got, type) and issubclass(got, ValueError | RecursionError)
    else:
        assert same(got, expected)


def test_integers_beyond_64_bits_stay_exact() -> None:
    body = b'{"n": 18446744073709551617, "m": -9223372036854775809, "k": 1' + b"0" * 40 + b"}"
    assert loads_json(body) == {"n": 18446744073709551617, "m": -9223372036854775809, "k": 10**40}


def test_non_finite_numbers_are_read_and_written_back_as_read() -> None:
    value = loads_json(b'{"x": NaN, "y": [Infinity, -Infinity]}')
    assert math.isnan(value["x"]) and value["y"] == [math.inf, -math.inf]
    assert encode_lines([value]) == b'{"x":NaN,"y":[Infinity,-Infinity]}\n'


def test_empty_and_blank_bodies_are_none() -> None:
    assert loads_json(b"") is None
    assert loads_json(b" \r\n\t") is None


@given(st.lists(st.dictionaries(texts, decoded_values, max_size=4), max_size=5))
def test_export_lines_are_one_line_each_and_read_back_exactly(records: list[Any]) -> None:
    data = encode_lines(records)
    text = data.decode("utf-8")  # always valid UTF-8, lone surrogates escaped
    lines = text.split("\n")
    assert lines[-1] == ""
    assert len(lines) - 1 == len(records)
    for line, record in zip(lines, records, strict=False):
        assert len(line.splitlines()) == 1  # no U+2028, U+2029 or U+0085 left raw
        assert same(json.loads(line), record)
        if line.isascii() or all(not 0xD800 <= ord(c) <= 0xDFFF for c in json_line(record)):
            assert same(json.loads(json_line(record)), record)


@given(json_values)
def test_canonical_form_is_equal_for_equal_values(value: Any) -> None:
    copy = json.loads(json.dumps(value))
    if isinstance(value, dict):
        copy = dict(reversed(list(copy.items())))  # other key order, same value
    assert _json.dumps_sorted(value) == _json.dumps_sorted(copy)


@given(texts)
def test_a_csv_cell_is_the_escaped_neutralised_text(text: str) -> None:
    from vendorkit.export._text import csv_cell, escape_surrogates, neutralise_cell

    assert csv_cell(text) == neutralise_cell(escape_surrogates(text))
    assert csv_cell(text, neutralise=False) == escape_surrogates(text)


@given(st.dictionaries(texts, decoded_values, max_size=5))
def test_the_first_csv_pass_finds_the_columns_flatten_gives(record: dict[str, Any]) -> None:
    from vendorkit.export._text import flat_names, flatten

    names: dict[str, None] = {}
    flat_names(record, names)
    assert list(names) == list(flatten(record))

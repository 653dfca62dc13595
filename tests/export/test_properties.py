"""Property tests of the export's pure decisions: checkpoint reading is total, CSV neutralisation
is undone exactly, JSON lines give back every record (lone surrogates, U+2028, U+0085
included), and a job name either stays inside ``out=`` or is refused."""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vendorkit.errors import ConfigurationError, VendorkitError
from vendorkit.export import (
    Checkpoint,
    CheckpointError,
    CsvSink,
    JsonlSink,
    flatten,
    neutralise_cell,
    restore_cell,
)
from vendorkit.export._engine import _paths
from vendorkit.export._names import check_name
from vendorkit.export._position import FilePosition
from vendorkit.export._text import (
    FORMULA_STARTS,
    column_keys,
    column_name,
    csv_cell,
    dumps_line,
    encode_lines,
)

from .conftest import resealed

# Every code point, lone surrogates included, with the troublesome ones drawn often.
TRICKY = st.sampled_from(
    ["\u2028", "\u2029", "\x85", "\ud800", "\udfff", "\r", "\n", "\t", "=", "+", "-", "@", "'"]
) | st.sampled_from(["1", "0", ".", "e"])
CHARS = st.one_of(st.characters(codec=None), TRICKY)
TEXT = st.text(CHARS, max_size=20)


def as_parsed(value: Any) -> Any:
    """``value`` as a JSON parser would hand it over: a high surrogate followed by a low one, as
    two code points, becomes the character they spell (no parser yields the pair)."""
    return json.loads(json.dumps(value))


JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | TEXT
)
JSON = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=20,
)
RECORDS = st.dictionaries(TEXT, JSON, max_size=6).map(as_parsed)


# -- checkpoints -------------------------------------------------------------------------------


def valid_checkpoint() -> dict[str, Any]:
    return Checkpoint(
        job="leanlaw/clients",
        fingerprint="{}",
        partition=[],
        partition_args={},
        resume={"offset": 20},
        page_size=10,
        partition_start={"offset": 0},
        partition_records=20,
        partition_pages=2,
        sink_position=FilePosition(3394, 20, "0" * 64).to_json(),
        records=20,
        pages=2,
        bytes=3394,
        total=40,
    ).to_json()


@given(JSON)
def test_any_json_is_a_checkpoint_or_a_checkpoint_error(data: Any) -> None:
    try:
        ck = Checkpoint.from_json(data)
    except CheckpointError:
        return
    assert isinstance(ck, Checkpoint)


@given(st.sampled_from(sorted(valid_checkpoint())), JSON, st.booleans())
def test_any_field_replaced_by_any_json_is_checked(field: str, value: Any, sealed: bool) -> None:
    data = {**valid_checkpoint(), field: value}
    if sealed:  # sealed again: the checks behind the seal decide
        data = resealed(data)
    try:
        ck = Checkpoint.from_json(data)
    except CheckpointError:
        return
    # Accepted: then every field has the type the engine relies on.
    assert isinstance(ck.records, int) and ck.records >= 0
    assert ck.partition is None or all(isinstance(level, dict) for level in ck.partition)
    assert ck.resume is None or isinstance(ck.resume, dict)
    assert isinstance(ck.done, bool) and isinstance(ck.committing, bool)
    # ...and, unless it is the seal's own field or an unknown one, only sealed again.
    assert sealed or field == "seal" or value == valid_checkpoint()[field]


def test_a_valid_checkpoint_is_accepted_and_any_edit_breaks_its_seal() -> None:
    data = valid_checkpoint()
    assert Checkpoint.from_json(data) == Checkpoint.from_json(resealed(data))
    for field, value in [("resume", {"offset": 30}), ("records", 21), ("error", "x")]:
        with pytest.raises(CheckpointError, match="seal does not match"):
            Checkpoint.from_json({**data, field: value})
    with pytest.raises(CheckpointError, match="'seal'"):
        Checkpoint.from_json({k: v for k, v in data.items() if k != "seal"})


def walk_checkpoint(resume: dict[str, Any] | None, start: dict[str, Any] | None, **kw: Any) -> Any:
    fields = {
        "partition_records": 20,
        "partition_pages": 2,
        "records": 50,
        "pages": 5,
        **kw,
    }
    ck = {**valid_checkpoint(), "resume": resume, "partition_start": start, **fields}
    return resealed(ck)


@given(
    st.integers(1, 10**6),
    st.integers(0, 50),
    st.integers(0, 10**6 + 60),
    st.sampled_from([None, 0, 1]),
    st.sampled_from([None, 0, 1]),
)
def test_a_resume_page_is_accepted_only_where_the_pages_written_lead(
    first: int, pages: int, resume: int, chain: int | None, start_chain: int | None
) -> None:
    """Page numbers move one per page handed over: the resume page is the partition's first
    page plus its pages written, or the checkpoint is refused, sealed or not. (Across lists of
    a chained walk, numbering starts again: nothing to compare.)"""
    start_point: dict[str, Any] = {"page": first}
    point: dict[str, Any] = {"page": resume}
    if start_chain is not None:
        start_point["chain"] = start_chain
    if chain is not None:
        point["chain"] = chain
    data = walk_checkpoint(point, start_point, partition_pages=pages, pages=max(pages, 1))
    agrees = resume == first + pages and pages > 0
    try:
        Checkpoint.from_json(data)
    except CheckpointError:
        assert not agrees
        return
    assert agrees or (chain != start_chain and pages > 0)


@given(st.integers(0, 10**6), st.integers(0, 100), st.integers(0, 10**6 + 200))
def test_a_resume_offset_behind_the_records_written_is_refused(
    first: int, records: int, resume: int
) -> None:
    """An offset resume point behind the partition's first offset plus its records written
    would export records twice: refused, sealed or not."""
    data = walk_checkpoint(
        {"offset": resume}, {"offset": first}, partition_records=records, records=records + 5
    )
    try:
        Checkpoint.from_json(data)
    except CheckpointError:
        assert resume - first < records
        return
    assert resume - first >= records


@pytest.mark.parametrize(
    "changes",
    [
        {"resume": None},  # pages of the partition written, and it would start over
        {"partition_start": None},
        {"partition_pages": 0},  # a resume point in a partition with nothing written
        {"partition_done": True},  # complete, with a resume point
        {"partition_records": 51},  # more than the job's
        {"partition_pages": 6},
        {"skipped_parents": ["x"]},  # named and not counted
        {"skipped_parents": "x", "skipped_parents_count": 1},
    ],
    ids=str,
)
def test_a_walk_position_that_disagrees_with_its_counts_is_refused(
    changes: dict[str, Any],
) -> None:
    data = walk_checkpoint({"url": "https://x.example/?cursor=c2"}, {"url": "https://x.example/"})
    Checkpoint.from_json(data)  # as written
    with pytest.raises(CheckpointError):
        Checkpoint.from_json(resealed({**data, **changes}))


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=200)
@given(st.one_of(st.binary(max_size=200), JSON.map(lambda v: json.dumps(v).encode())))
def test_loading_any_file_gives_a_checkpoint_none_or_a_typed_error(content: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "ck.json"
        path.write_bytes(content)
        try:
            result = Checkpoint.load(path)
        except VendorkitError:
            return
        assert result is None or isinstance(result, Checkpoint)


def test_a_saved_checkpoint_loads_back_equal(tmp_path: Path) -> None:
    ck = Checkpoint.from_json(valid_checkpoint())
    ck.partition_args = {"resource": "\ud800 \u2028 東京"}
    ck.save(tmp_path / "ck.json")
    assert Checkpoint.load(tmp_path / "ck.json") == ck


@given(JSON)
def test_any_sink_position_is_a_position_or_a_checkpoint_error(value: Any) -> None:
    try:
        position = FilePosition.from_json(value)
    except CheckpointError:
        return
    assert FilePosition.from_json(position.to_json()) == position


# -- CSV neutralisation ------------------------------------------------------------------------


@given(TEXT)
def test_neutralising_a_cell_is_undone_exactly(text: str) -> None:
    cell = neutralise_cell(text)
    assert restore_cell(cell) == text
    if cell.startswith(FORMULA_STARTS):  # only a plain number may still start like a formula
        float(cell)


LEADS = st.sampled_from([" ", "\t", "\n", "\xa0", "\u3000", "\u200b", "\ufeff", "\u202e"])
SIGNS = st.sampled_from(["=", "+", "-", "@", "\uff1d", "\uff0b", "\uff0d", "\uff20"])
LEADING_SIGN = st.tuples(st.text(LEADS, max_size=3), SIGNS, TEXT).map("".join)


@given(LEADING_SIGN | TEXT)
def test_no_cell_starts_a_formula_past_its_leading_white_space(text: str) -> None:
    """Whatever white space or invisible characters come first, a sign (ASCII or full-width)
    after them is neutralised, unless the cell is exactly a plain number; and undone exactly."""
    cell = neutralise_cell(text)
    assert restore_cell(cell) == text
    if cell.startswith("'"):
        return
    rest = cell.lstrip(" \t\n\r\xa0\u3000\u200b\ufeff\u202e")
    if rest[:1] in ("=", "+", "-", "@", "\uff1d", "\uff0b", "\uff0d", "\uff20"):
        assert rest == cell
        float(cell)  # exactly a plain number


@given(RECORDS)
def test_flattened_csv_cells_give_back_every_value(record: dict[str, Any]) -> None:
    flat = flatten(record)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    names = list(flat)
    writer.writerow([csv_cell(n) for n in names])
    writer.writerow([csv_cell(flat[n]) for n in names])
    header, row = list(csv.reader(io.StringIO(buffer.getvalue())))
    assert [restore_cell(h) for h in header] == [csv_cell(n, neutralise=False) for n in names]
    assert [restore_cell(c) for c in row] == [
        str(csv_cell(flat[n], neutralise=False)) for n in names
    ]
    for cell in [*header, *row]:
        if cell.startswith(FORMULA_STARTS):
            float(cell)  # nothing a spreadsheet would run


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=60)
@given(st.lists(RECORDS, min_size=1, max_size=5))
async def test_a_csv_file_gives_back_every_neutralised_value(records: list[dict[str, Any]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        sink = CsvSink(Path(folder) / "out.csv")
        await sink.open(None)
        await sink.write(records)
        await sink.commit()
        with open(Path(folder) / "out.csv", newline="", encoding="utf-8") as fh:
            header, *rows = list(csv.reader(fh))
    columns: dict[str, None] = {}
    for record in records:
        columns.update(dict.fromkeys(flatten(record)))
    assert [restore_cell(h) for h in header] == [csv_cell(c, neutralise=False) for c in columns]
    for record, row in zip(records, rows, strict=True):
        flat = flatten(record)
        expected = [str(csv_cell(flat.get(c, ""), neutralise=False)) for c in columns]
        assert [restore_cell(c) for c in row] == expected


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=40)
@given(st.lists(RECORDS, min_size=2, max_size=6), st.integers(min_value=1, max_value=5))
async def test_a_resumed_csv_has_the_columns_of_one_written_at_once(
    records: list[dict[str, Any]], cut: int
) -> None:
    """The columns are gathered as records are written (one read of the part file at commit);
    after a resume, records of the earlier run are not known, so commit reads the part twice.
    Either way the header is the same."""
    cut = min(cut, len(records) - 1)
    with tempfile.TemporaryDirectory() as folder:
        once = CsvSink(Path(folder) / "once.csv")
        await once.open(None)
        await once.write(records)
        await once.commit()
        first = CsvSink(Path(folder) / "twice.csv")
        await first.open(None)
        await first.write(records[:cut])
        position = first.position()
        await first.close()
        second = CsvSink(Path(folder) / "twice.csv")
        await second.open(position)
        await second.write(records[cut:])
        await second.commit()
        assert (Path(folder) / "twice.csv").read_bytes() == (Path(folder) / "once.csv").read_bytes()


# -- CSV columns: one per field, named reversibly ------------------------------------------------

# Keys full of what a column name uses: dots, backslashes, "u" + hex (a surrogate's escape).
KEYS = st.text(
    st.sampled_from([".", "\\", "u", "d", "8", "0", "a", "\ud800", "="]) | CHARS, max_size=5
)
NESTED = st.recursive(
    JSON_SCALARS, lambda inner: st.dictionaries(KEYS, inner, max_size=4), max_leaves=12
)
DOTTED_RECORDS = st.dictionaries(KEYS, NESTED | JSON, max_size=5).map(as_parsed)


def leaves(record: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every field of a record by its path of keys, as ``flatten`` writes it (an empty object
    is a field whose value is ``{}``)."""
    for key, value in record.items():
        here = (*path, key)
        if isinstance(value, dict) and value:
            yield from leaves(value, here)
        elif isinstance(value, dict):
            yield here, "{}"
        elif isinstance(value, list):
            yield here, dumps_line(value)
        elif value is None:
            yield here, ""
        elif isinstance(value, bool):
            yield here, "true" if value else "false"
        else:
            yield here, value


@given(DOTTED_RECORDS)
def test_flattening_gives_every_field_its_own_column_and_loses_no_value(
    record: dict[str, Any],
) -> None:
    flat = flatten(record)
    expected = dict(leaves(record))
    assert len(flat) == len(expected)  # no two fields share a column
    assert {column_keys(name): value for name, value in flat.items()} == expected
    for path in expected:
        assert column_keys(column_name(path)) == path
    for name in flat:  # and as the header writes it: surrogates escaped, neutralised
        assert column_keys(restore_cell(csv_cell(name))) == column_keys(name)


def test_a_dotted_key_and_a_nested_field_get_columns_of_their_own() -> None:
    flat = flatten({"a.b": 1, "a": {"b": 2, "c\\": {".": 3}}})
    assert flat == {"a\\.b": 1, "a.b": 2, "a.c\\\\.\\.": 3}
    assert [column_keys(n) for n in flat] == [("a.b",), ("a", "b"), ("a", "c\\", ".")]


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=60)
@given(st.lists(DOTTED_RECORDS, min_size=1, max_size=4))
async def test_a_csv_file_holds_every_field_of_every_record(records: list[dict[str, Any]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        sink = CsvSink(Path(folder) / "out.csv")
        await sink.open(None)
        await sink.write(records)
        await sink.commit()
        with open(Path(folder) / "out.csv", newline="", encoding="utf-8") as fh:
            header, *rows = list(csv.reader(fh))
    paths = [column_keys(restore_cell(h)) for h in header]
    assert len(set(paths)) == len(paths)
    assert set(paths) == {path for record in records for path, _ in leaves(record)}
    for record, row in zip(records, rows, strict=True):
        cells = dict(zip(paths, row, strict=True))
        for path, value in leaves(record):
            assert restore_cell(cells[path]) == str(csv_cell(value, neutralise=False))


# -- JSON lines --------------------------------------------------------------------------------


@given(RECORDS)
def test_a_json_line_gives_back_any_record(record: dict[str, Any]) -> None:
    line = dumps_line(record)
    data = line.encode("utf-8")  # always encodable: no lone surrogate left raw
    assert json.loads(data.decode("utf-8")) == record
    assert len((line + "\n").splitlines()) == 1  # one line, for every line-splitting reader
    assert "\n" not in line and "\r" not in line


@given(st.lists(RECORDS, max_size=5))
def test_a_page_of_json_lines_gives_back_every_record(records: list[dict[str, Any]]) -> None:
    lines = encode_lines(records).decode("utf-8").splitlines()
    assert [json.loads(line) for line in lines] == records


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=60)
@given(st.lists(st.lists(RECORDS, max_size=4), min_size=1, max_size=4))
async def test_a_jsonl_file_gives_back_every_record_and_resumes_at_its_position(
    pages: list[list[dict[str, Any]]],
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "out.jsonl"
        sink = JsonlSink(path)
        await sink.open(None)
        for page in pages[:-1]:
            await sink.write(page)
        position = sink.position()
        await sink.write(pages[-1])  # written after the "checkpoint": cut off on resume
        await sink.close()
        again = JsonlSink(path)
        await again.open(position)
        await again.write(pages[-1])
        await again.commit()
        lines = path.read_bytes().decode("utf-8").splitlines()
        assert os.stat(path).st_mode & 0o777 == 0o600
    assert [json.loads(line) for line in lines] == [r for page in pages for r in page]


# -- names -------------------------------------------------------------------------------------

NAME_CHARS = st.one_of(st.characters(codec=None), st.sampled_from(["/", ".", "\\", ":", " "]))


@given(st.text(NAME_CHARS, max_size=30))
def test_a_job_name_stays_inside_out_or_is_refused(name: str) -> None:
    out = Path("/srv/export/out")
    try:
        segments = check_name(name)
    except ConfigurationError:
        return
    for fmt in ("jsonl", "csv"):
        for path in _paths(out, segments, fmt):
            assert os.path.normpath(path) == str(path)  # nothing for the OS to resolve
            assert path.is_relative_to(out) and path != out
            assert ".." not in path.parts and "\\" not in str(path) and "\x00" not in str(path)
    assert _paths(out, segments, "jsonl")[1].is_relative_to(out / ".checkpoints")
    assert not _paths(out, segments, "jsonl")[0].is_relative_to(out / ".checkpoints")

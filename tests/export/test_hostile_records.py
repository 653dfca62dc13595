"""Records a vendor may send that break naive writers, from a hand-made server that sends its JSON
exactly as written: lone surrogates (``"\\ud800"``), line separators, and text a spreadsheet
would run as a formula (OWASP CSV injection)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from vendorkit import LeanLaw
from vendorkit.export import CsvSink, Job, export, restore_cell

from .conftest import API_KEY

# Each record as the vendor's JSON text. json.loads of each is what the export must keep.
SURROGATES = [
    r'{"id":"a","name":"\ud800"}',  # a lone high surrogate
    r'{"id":"b","name":"x\udfff y"}',  # a lone low surrogate
    r'{"id":"c","\ud83d":"a key that is a lone surrogate"}',
    r'{"id":"d","name":"\ud83d\ude00"}',  # a proper pair: one character
    r'{"id":"e","tags":["\udc80",{"deep":"\udbff"}]}',
    r'{"id":"f","name":"\u2028\u0085\u2029 and \r\n"}',
]


def leanlaw(url: str, **options: Any) -> LeanLaw:
    return LeanLaw(api_key=API_KEY, base_url=url, max_retries=0, **options)


def read_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    with open(path, newline="", encoding="utf-8") as fh:
        header, *rows = list(csv.reader(fh))
    return header, rows


async def test_lone_surrogates_are_exported_escaped_in_jsonl_and_csv(
    tmp_path: Path, raw_records: Any
) -> None:
    server = await raw_records({"clients": SURROGATES})
    async with leanlaw(server.url) as ll:
        for fmt in ("jsonl", "csv"):
            result = await export(
                [Job(client=ll, resource="clients")], out=tmp_path, format=fmt, page_size=4
            )
            assert result.ok, result.jobs  # never a permanent job failure
            assert result.records == len(SURROGATES)

    raw = (tmp_path / "leanlaw" / "clients.jsonl").read_bytes()
    text = raw.decode("utf-8")  # strict: the file is valid UTF-8
    lines = text.splitlines()
    assert len(lines) == len(SURROGATES)  # even str.splitlines() sees one record per line
    assert [json.loads(line) for line in lines] == [json.loads(t) for t in SURROGATES]
    assert "\\ud800" in lines[0]  # escaped, not dropped or replaced

    header, rows = read_rows(tmp_path / "leanlaw" / "clients.csv")
    by_id = {row[header.index("id")]: dict(zip(header, row, strict=True)) for row in rows}
    assert by_id["a"]["name"] == "\\ud800"  # CSV has no way to carry it: its escape, as text
    assert by_id["b"]["name"] == "x\\udfff y"
    assert "\\ud83d" in header
    assert by_id["d"]["name"] == "\U0001f600"
    assert json.loads(by_id["e"]["tags"]) == ["\udc80", {"deep": "\udbff"}]  # lists: JSON text
    assert by_id["f"]["name"] == "\u2028\u0085\u2029 and \r\n"


FORMULAS = {
    "id": "1",
    "equals": "=1+2",
    "plus": "+81 3 1234 5678",
    "minus": "-2+3+cmd|' /C calc'!A0",
    "at": "@SUM(A1:A9)",
    "tab": "\t=1",
    "cr": "\r=1",
    "quote": "'already quoted",
    "negative_text": "-5",
    "amount": "-1200.50",
    "exponent": "+1.5e3",
    "number": -5,
    "fraction": -2.5,
    "plain": "hello",
    "dash_only": "-",
    '=HYPERLINK("http://x.invalid","click")': "a column name is a cell too",
}

NEUTRALISED = {
    "id": "1",
    "equals": "'=1+2",
    "plus": "'+81 3 1234 5678",
    "minus": "'-2+3+cmd|' /C calc'!A0",
    "at": "'@SUM(A1:A9)",
    "tab": "'\t=1",
    "cr": "'\r=1",
    "quote": "''already quoted",
    "negative_text": "-5",  # exactly a number: nothing to run, and kept a number
    "amount": "-1200.50",
    "exponent": "+1.5e3",
    "number": "-5",  # a JSON number is a number, not a formula
    "fraction": "-2.5",
    "plain": "hello",
    "dash_only": "'-",
    '\'=HYPERLINK("http://x.invalid","click")': "a column name is a cell too",
}


async def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(
    tmp_path: Path, raw_records: Any
) -> None:
    server = await raw_records({"clients": [json.dumps(FORMULAS)]})
    async with leanlaw(server.url) as ll:
        result = await export([Job(client=ll, resource="clients")], out=tmp_path, format="csv")
        assert result.ok
        header, rows = read_rows(tmp_path / "leanlaw" / "clients.csv")
        assert dict(zip(header, rows[0], strict=True)) == NEUTRALISED
        # Every neutralised cell gives its original value back.
        originals = {restore_cell(k): restore_cell(v) for k, v in zip(header, rows[0], strict=True)}
        assert originals == {k: str(v) for k, v in FORMULAS.items()}

        # Overridable: a loader that is not a spreadsheet gets the values as they are.
        raw_out = tmp_path / "raw"
        result = await export(
            [Job(client=ll, resource="clients")],
            out=raw_out,
            format="csv",
            sink_factory=lambda path: CsvSink(path, neutralise=False),
        )
        assert result.ok
        header, rows = read_rows(raw_out / "leanlaw" / "clients.csv")
        assert dict(zip(header, rows[0], strict=True)) == {k: str(v) for k, v in FORMULAS.items()}

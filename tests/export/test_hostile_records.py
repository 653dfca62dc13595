"""Records a vendor may send that break naive writers, from a hand-made server that sends its JSON
exactly as written: lone surrogates (``"\\ud800"``), line separators, and text a spreadsheet
would run as a formula (OWASP CSV injection)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from aiohttp import web

from vendorkit import Leady, LeanLaw
from vendorkit.export import (
    Checkpoint,
    CsvSink,
    Job,
    Progress,
    column_keys,
    export,
    restore_cell,
)

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
    # Beyond OWASP's list: a sign after leading white space or invisible characters, and the
    # full-width signs (see docs/export.md, CSV injection); also a leading line feed (OWASP's
    # newer list).
    "space_equals": " =1+1",
    "spaces_at": "   @SUM(A1:A9)",
    "nbsp_minus": "\xa0-2+3",
    "ideographic_space_plus": "\u3000+1",
    "zero_width_equals": "\u200b=1+1",
    "bom_equals": "\ufeff=1+1",
    "fullwidth_equals": "\uff1d1+1",
    "fullwidth_plus": "\uff0b81",
    "fullwidth_minus": "\uff0d5",
    "fullwidth_at": "\uff20SUM(A1)",
    "line_feed": "\n=1",
    "space_number": " -5",
    "space_text": " hello",
    "inner_equals": "a=b",
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
    # The dot inside the key is escaped: it is not a nested field's (see column_keys).
    '\'=HYPERLINK("http://x\\.invalid","click")': "a column name is a cell too",
    "space_equals": "' =1+1",
    "spaces_at": "'   @SUM(A1:A9)",
    "nbsp_minus": "'\xa0-2+3",
    "ideographic_space_plus": "'\u3000+1",
    "zero_width_equals": "'\u200b=1+1",
    "bom_equals": "'\ufeff=1+1",
    "fullwidth_equals": "'\uff1d1+1",
    "fullwidth_plus": "'\uff0b81",
    "fullwidth_minus": "'\uff0d5",
    "fullwidth_at": "'\uff20SUM(A1)",
    "line_feed": "'\n=1",
    "space_number": "' -5",  # text with a space: not exactly a number, so quoted
    "space_text": " hello",  # white space before anything else is harmless
    "inner_equals": "a=b",
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
        originals = {
            column_keys(restore_cell(k)): restore_cell(v)
            for k, v in zip(header, rows[0], strict=True)
        }
        assert originals == {(k,): str(v) for k, v in FORMULAS.items()}

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
        assert {column_keys(k): v for k, v in zip(header, rows[0], strict=True)} == {
            (k,): str(v) for k, v in FORMULAS.items()
        }


# -- parents whose key no URL can carry --------------------------------------------------------


async def test_one_unsendable_parent_does_not_fail_the_child_export_for_good(
    serve: Any, tmp_path: Path
) -> None:
    """(From the review of issue 8.) A website whose domain holds a lone surrogate made the whole
    sessions job fail as a ``ConfigurationError``, at every resume, and the sessions of every
    website after it were never exported. It is skipped and named; the rest is exported; the
    job says it is incomplete, never ``done``."""

    async def resources(request: web.Request) -> web.Response:
        text = (
            '{"next": null, "previous": null, "results": [{"domain": "a.example"}, '
            '{"domain": "b\\ud800.example"}, {"domain": "c.example"}]}'
        )
        return web.Response(text=text, content_type="application/json")

    async def sessions(request: web.Request) -> web.Response:
        domain = request.match_info["domain"]
        return web.json_response({"next": None, "previous": None, "results": [{"id": domain}]})

    server = await serve(
        {"GET /resources/": resources, "GET /resources/{domain}/sessions/": sessions}
    )
    events: list[Progress] = []
    async with Leady(token="leady-token-1234", base_url=server.url) as leady:
        job = Job(client=leady, resource="sessions")
        first = await export([job], out=tmp_path, on_progress=events.append)
        requests = len(server.seen)
        again = await export([job], out=tmp_path, resume=True, on_progress=events.append)
        assert len(server.seen) == requests  # complete: the resume fetches nothing
    output = tmp_path / "leady" / "sessions.jsonl"
    ids = (
        [json.loads(line)["id"] for line in output.read_text().splitlines()]
        if output.exists()
        else []
    )
    statuses = [first.jobs[0].status, again.jobs[0].status]
    assert "c.example" in ids, f"statuses {statuses}, errors {first.jobs[0].error!r}; got {ids}"
    assert ids == ["a.example", "c.example"]
    # Not silently: incomplete, in the result, the progress, the checkpoint, at every resume.
    assert statuses == ["incomplete", "incomplete"] and not first.ok and not again.ok
    for result in (first, again):
        (skipped,) = result.jobs[0].skipped_parents
        assert "domain='b\\ud800.example'" in skipped and "resources" in skipped
        assert (result.jobs[0].error or "").startswith("1 parent record(s) skipped")
        assert "b\\ud800.example" in (result.jobs[0].error or "")
    assert [e.event for e in events if e.event not in ("start", "page")] == ["incomplete"] * 2
    ck = Checkpoint.load(tmp_path / ".checkpoints" / "leady" / "sessions.jsonl.json")
    assert ck is not None and ck.done and ck.skipped_parents_count == 1
    assert ck.skipped_parents == first.jobs[0].skipped_parents


async def test_unsendable_parents_at_any_level_are_counted_once_across_a_stop_and_resume(
    serve: Any, tmp_path: Path
) -> None:
    """Actions per session per website: a website no URL can carry (its sessions, and their
    actions, cannot be listed) and a session id ``..`` (a path segment that is not one) are both
    skipped, and counted once although the job stops between them and resumes."""
    sessions_of = {"a.example": ["s1", "..", "s2"], "c.example": ["s3"]}

    async def resources(request: web.Request) -> web.Response:
        text = (
            '{"next": null, "previous": null, "results": [{"domain": "a.example"}, '
            '{"domain": "b\\udfff.example"}, {"domain": "c.example"}]}'
        )
        return web.Response(text=text, content_type="application/json")

    async def sessions(request: web.Request) -> web.Response:
        ids = sessions_of[request.match_info["domain"]]
        results = [{"id": i} for i in ids]
        return web.json_response({"next": None, "previous": None, "results": results})

    async def actions(request: web.Request) -> web.Response:
        results = [{"id": request.match_info["session"] + "-act"}]
        return web.json_response({"next": None, "previous": None, "results": results})

    server = await serve(
        {
            "GET /resources/": resources,
            "GET /resources/{domain}/sessions/": sessions,
            "GET /sessions/{session}/actions/": actions,
        }
    )
    # Requests: websites, sessions of a, actions of s1, of s2, [stop] sessions of c, actions of s3.
    async with Leady(token="leady-token-1234", base_url=server.url, rate_limit="4/day") as ld:
        stopped = await export([Job(client=ld, resource="actions")], out=tmp_path, max_quota_wait=1)
    assert stopped.jobs[0].status == "stopped", stopped.jobs
    saved = Checkpoint.load(tmp_path / ".checkpoints" / "leady" / "actions.jsonl.json")
    assert saved is not None and saved.skipped_parents_count == 1  # the session; not yet b
    async with Leady(token="leady-token-1234", base_url=server.url) as ld:
        result = await export([Job(client=ld, resource="actions")], out=tmp_path, resume=True)
    job = result.jobs[0]
    assert job.status == "incomplete", job
    ids = [json.loads(line)["id"] for line in (tmp_path / "leady" / "actions.jsonl").open()]
    assert ids == ["s1-act", "s2-act", "s3-act"]
    assert len(job.skipped_parents) == 2, job.skipped_parents
    assert any("id='..'" in s and "a.example" in s for s in job.skipped_parents)
    assert any("b\\udfff.example" in s for s in job.skipped_parents)
    assert (job.error or "").startswith("2 parent record(s) skipped")
    assert server.hits("GET", "/sessions/../actions/") == 0  # never sent


async def test_a_dotted_key_and_a_nested_field_of_the_same_name_both_survive(
    tmp_path: Path,
) -> None:
    """(From the review of issue 8.) ``{"a.b": 1, "a": {"b": 2}}`` was one column ``a.b``
    holding 2: the 1 was gone, without a warning."""
    sink = CsvSink(tmp_path / "x.csv")
    await sink.open(None)
    await sink.write([{"id": "r1", "a.b": "top-level value", "a": {"b": "nested value"}}])
    await sink.commit()
    with open(tmp_path / "x.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    cells = [cell for row in rows for cell in row]
    assert "top-level value" in cells and "nested value" in cells, rows
    header, row = rows
    assert header == ["id", "a\\.b", "a.b"]
    by_path = {column_keys(h): v for h, v in zip(header, row, strict=True)}
    assert by_path == {("id",): "r1", ("a.b",): "top-level value", ("a", "b"): "nested value"}


async def test_many_and_huge_unsendable_parents_are_counted_and_named_within_bounds(
    serve: Any, tmp_path: Path
) -> None:
    """150 websites whose domain cannot be sent, each 100 KB long: all counted, the first 100
    named, each name bounded, so the checkpoint stays a small file that loads."""
    bad = [{"domain": "x" * 100_000 + f"\ud800{i}"} for i in range(150)]

    async def resources(request: web.Request) -> web.Response:
        results = [*bad, {"domain": "ok.example"}]
        body = json.dumps({"next": None, "previous": None, "results": results})
        return web.Response(text=body, content_type="application/json")

    async def sessions(request: web.Request) -> web.Response:
        results = [{"id": request.match_info["domain"]}]
        return web.json_response({"next": None, "previous": None, "results": results})

    server = await serve(
        {"GET /resources/": resources, "GET /resources/{domain}/sessions/": sessions}
    )
    async with Leady(token="leady-token-1234", base_url=server.url) as leady:
        result = await export([Job(client=leady, resource="sessions")], out=tmp_path)
    job = result.jobs[0]
    assert job.status == "incomplete" and job.records == 1
    assert len(job.skipped_parents) == 100
    assert all(len(s) < 400 for s in job.skipped_parents)
    assert (job.error or "").startswith("150 parent record(s) skipped") and len(job.error) < 2000
    ck_path = tmp_path / ".checkpoints" / "leady" / "sessions.jsonl.json"
    assert ck_path.stat().st_size < 100_000
    ck = Checkpoint.load(ck_path)
    assert ck is not None and ck.skipped_parents_count == 150

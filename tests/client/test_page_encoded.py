"""``Page.encoded``: the page's records as JSON lines, as the walk's repeat check wrote them, so an
export does not encode each page twice. It is set only where it is exactly those records (the
very objects received): never on a page cut short by ``max_items``, or a page whose leading
records were dropped as a repeat of the page before (a list that grew while walked); and an
export's file is the same bytes whichever way each page was encoded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiohttp import web

from vendorkit import _json
from vendorkit.export import Job, export
from vendorkit.export._text import encode_lines

from .conftest import OffsetClient, page

ROWS = [{"id": i, "name": f"n{i}", "note": "é" if i % 3 else "\u2028"} for i in range(45)]


def offset_rows(rows: list[dict[str, Any]], grow_at: int | None = None) -> Any:
    """``?offset&limit`` over ``rows``; with ``grow_at``, two records are put at the head of the
    list (and the total rises) once that offset is asked for: the next page overlaps."""
    state = {"rows": list(rows)}

    async def handler(request: web.Request) -> web.StreamResponse:
        offset = int(request.query.get("offset", 0))
        limit = int(request.query.get("limit", 10))
        if grow_at is not None and offset == grow_at and len(state["rows"]) == len(rows):
            state["rows"] = [{"id": -1}, {"id": -2}, *state["rows"]]
        current = state["rows"]
        return page(current[offset : offset + limit], total=len(current))

    return handler


async def test_raw_pages_carry_their_records_as_json_lines(serve: Any, make: Any) -> None:
    server = await serve({"GET /items": offset_rows(ROWS)})
    client = make(OffsetClient, server)
    pages = [p async for p in client.paginate("/items", page_size=10).pages()]
    assert [r for p in pages for r in p.records] == ROWS
    for p in pages:
        assert p.encoded == _json.dumps_lines_fast(p.records)


async def test_no_encoding_where_the_records_are_not_the_ones_received(
    serve: Any, make: Any
) -> None:
    server = await serve({"GET /items": offset_rows(ROWS, grow_at=20)})
    client = make(OffsetClient, server)
    pages = [p async for p in client.paginate("/items", page_size=10).pages()]
    assert [r["id"] for r in pages[2].records][:2] == [20, 21]  # 18 and 19 came again: dropped
    assert pages[2].encoded is None and pages[1].encoded is not None
    for p in pages:
        assert p.encoded is None or p.encoded == _json.dumps_lines_fast(p.records)

    cut = [p async for p in client.paginate("/items", page_size=10, max_items=15).pages()]
    assert cut[0].encoded is not None and cut[-1].encoded is None  # cut to 5 of its 10


async def test_an_export_writes_the_same_bytes_as_encoding_each_page(
    serve: Any, make: Any, tmp_path: Path
) -> None:
    server = await serve({"GET /items": offset_rows(ROWS, grow_at=20)})
    client = make(OffsetClient, server)
    result = await export(
        [Job(client=client, resource="items")], out=tmp_path, page_size=10, concurrency=4
    )
    assert result.ok, result.jobs
    assert result.jobs[0].path is not None
    written = result.jobs[0].path.read_bytes()
    expected = [{"id": -1}, {"id": -2}, *ROWS][2:]  # the grown head comes after the walk passed
    assert written == b"".join(encode_lines([r]) for r in expected)

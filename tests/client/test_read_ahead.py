"""Read ahead, decode in turn (``vendorkit/core/_readahead.py``): a fanned-out walk keeps its
requests in flight but decodes each page's body only when the walk reaches it, and nothing the
attempt layer promises is lost on the way: a cut-off body read ahead is still retried, and a
token renewed by a read ahead is never held back by that read ahead's turn."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp import web

import vendorkit.core._wire as wire
from vendorkit.core import OffsetLimit
from vendorkit.core._readahead import read_ahead, take_turn

from .conftest import ENVELOPE_TOTAL, OAuthClient, OffsetClient, make_spec, page

SIZE = 10
TOTAL = 200


def offset_rows(delay: float = 0.0) -> Any:
    async def handler(request: web.Request) -> web.StreamResponse:
        offset = int(request.query.get("offset", 0))
        limit = int(request.query.get("limit", SIZE))
        if delay:
            await asyncio.sleep(delay)
        rows = [{"id": i} for i in range(offset, min(offset + limit, TOTAL))]
        return page(rows, total=TOTAL)

    return handler


async def test_pages_read_ahead_are_decoded_only_when_the_walk_reaches_them(
    serve: Any, make: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    consumed: list[int] = []
    decoded_while: list[tuple[int, int]] = []  # (first id of the page decoded, records consumed)
    real = wire.loads_json

    def spy(body: bytes) -> Any:
        value = real(body)
        if isinstance(value, dict) and value.get("data"):
            decoded_while.append((value["data"][0]["id"], len(consumed)))
        return value

    monkeypatch.setattr(wire, "loads_json", spy)
    server = await serve({"GET /items": offset_rows(delay=0.02)})
    client = make(OffsetClient, server)
    async for record in client.paginate("/items", page_size=SIZE, concurrency=8):
        consumed.append(record["id"])
    assert consumed == list(range(TOTAL))
    assert server.max_in_flight >= 4, "the walk still keeps several requests in flight"
    # Page k (first id 10k) is decoded once the walk has handed over every page before k - 1:
    # at most the page being consumed and the next one exist as Python objects.
    for first, seen in decoded_while:
        assert seen >= first - SIZE, (first, seen)


async def test_a_cut_off_body_read_ahead_is_retried(serve: Any, make: Any) -> None:
    cut = {"done": False}
    inner = offset_rows()

    async def handler(request: web.Request) -> web.StreamResponse:
        if request.query.get("offset") == "120" and not cut["done"]:
            cut["done"] = True
            return web.Response(
                body=b'{"data": [{"id": 120}, {"id"', content_type="application/json"
            )
        return await inner(request)

    server = await serve({"GET /items": handler})
    client = make(OffsetClient, server)
    got = [r["id"] async for r in client.paginate("/items", page_size=SIZE, concurrency=8)]
    assert got == list(range(TOTAL))
    assert [s.query.get("offset") for s in server.seen].count("120") == 2


class OffsetOAuthClient(OAuthClient):
    """OAuth2 client credentials over an offset/limit list with a total (it fans out)."""

    spec = make_spec(name="oauthoffset", envelope=ENVELOPE_TOTAL, paginator=OffsetLimit())


async def test_a_token_renewed_by_a_read_ahead_is_not_held_by_its_turn(
    serve: Any, make: Any
) -> None:
    """The server stops honouring the first token from offset 100 on. The read aheads beyond
    100 meet the 401 first (the one at 100 is answered late), so one of them renews the token
    while the walk's next page waits for that renewal. Had the renewal inherited the read
    ahead's turn, its answer would wait for a turn that comes only after the page waiting on
    it: the walk would hang."""
    issued: list[str] = []

    async def token(request: web.Request) -> web.StreamResponse:
        issued.append(f"tok-{len(issued) + 1}")
        return web.json_response(
            {"access_token": issued[-1], "token_type": "bearer", "expires_in": 3600}
        )

    rows = offset_rows()

    async def items(request: web.Request) -> web.StreamResponse:
        offset = int(request.query.get("offset", 0))
        presented = request.headers.get("Authorization", "")
        if offset >= 100 and presented == "Bearer tok-1":
            if offset == 100:
                await asyncio.sleep(0.2)
            return web.json_response({"error": "expired"}, status=401)
        if presented not in {f"Bearer {t}" for t in issued}:
            return web.json_response({"error": "unknown token"}, status=401)
        return await rows(request)

    server = await serve({"POST /oauth/token": token, "GET /items": items})
    client = make(OffsetOAuthClient, server)

    async def walk() -> list[int]:
        return [r["id"] async for r in client.paginate("/items", page_size=SIZE, concurrency=8)]

    got = await asyncio.wait_for(walk(), timeout=20)
    assert got == list(range(TOTAL))
    assert len(issued) == 2, issued


async def test_a_turn_is_taken_once_and_not_inherited() -> None:
    turn = asyncio.Event()
    seen: dict[str, Any] = {}

    async def call() -> None:
        seen["taken"] = take_turn()
        seen["again"] = take_turn()
        child = asyncio.ensure_future(asyncio.sleep(0, result=None))
        await child

        async def inner() -> asyncio.Event | None:
            return take_turn()

        seen["child"] = await asyncio.ensure_future(inner())

    await read_ahead(turn, call)
    assert seen == {"taken": turn, "again": None, "child": None}
    assert take_turn() is None, "the caller's own context never had a turn"

"""Issue 10, change 2 (``_RepeatGuard``/``_digest``): the page digest is now the JSON in the keys'
own order, so a server that loops back to pages it already sent, but writes the records' keys
in another order the second time round, is no longer recognised.

Realistic server: a cursor list behind a cache that re-serialises records from an unordered
store (a Redis hash, a map) and whose cursors never repeat (each carries a fresh token), so the
walk's "URL already fetched" check never fires either. Before 616326e the digest was the sorted
dump (key order irrelevant): the third page, page A again, raised ``PaginationError``. Now the
walk hands over the same records again and again, for ever (bounded here by ``max_items``).
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp import web

from vendorkit.errors import PaginationError

from .conftest import TokenClient, page

A = [{"id": 1, "name": "alpha", "amount": "10.00"}, {"id": 2, "name": "beta", "amount": "20.00"}]
B = [{"id": 3, "name": "gamma", "amount": "30.00"}, {"id": 4, "name": "delta", "amount": "40.00"}]


def _reordered(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [dict(reversed(list(r.items()))) for r in records]


async def looping(request: web.Request) -> web.StreamResponse:
    n = int(request.query.get("cursor", 0))
    records = A if n % 2 == 0 else B
    if (n // 2) % 2 == 1:  # every second lap comes out of the cache with its keys reordered
        records = _reordered(records)
    # A fresh cursor each time: never a URL the walk already fetched.
    return page(records, next=f"{request.url.with_query({'cursor': str(n + 1)})}")


async def test_a_loop_served_with_reordered_keys_is_still_a_repeat(serve: Any, make: Any) -> None:
    server = await serve({"GET /items": looping})
    client = make(TokenClient, server)

    async def walk() -> list[Any]:
        return [r["id"] async for r in client.paginate("/items", max_items=200)]

    with pytest.raises(PaginationError, match="repeats records"):
        got = await asyncio.wait_for(walk(), timeout=20)
        # Reached only on the defect: the same four records handed over 50 times.
        pytest.fail(f"records handed over again and again: {got[:12]}... ({len(got)} records)")
    assert server.hits() <= 4, "the loop is caught at the first page that repeats (page 3)"


async def test_a_page_repeated_two_pages_later_with_its_keys_reordered_is_refused(
    serve: Any, make: Any
) -> None:
    """The smallest case: pages A, B, A' (A with its keys in another order), then the end. Every
    record of A' was already handed over; the walk must refuse, as it does for A, B, A."""

    async def handler(request: web.Request) -> web.StreamResponse:
        n = int(request.query.get("cursor", 0))
        nxt = f"{request.url.with_query({'cursor': str(n + 1)})}" if n < 2 else None
        records = [A, B, _reordered(A)][n]
        return page(records, next=nxt)

    server = await serve({"GET /items": handler})
    client = make(TokenClient, server)
    with pytest.raises(PaginationError, match="repeats records"):
        got = [r["id"] async for r in client.paginate("/items")]
        pytest.fail(f"records 1 and 2 handed over twice: {got}")

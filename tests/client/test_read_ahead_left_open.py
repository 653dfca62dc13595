"""Issue 10, change 1 (read ahead, decode in turn): a page fetched ahead now *waits* for its turn
inside its task. A walk that is left open (its generator kept, never exhausted nor closed: a
caller that peeks at the first page, or stops reading on an error of its own) used to leave
nothing running: its fetches ahead ended by themselves once answered. Now they stay pending for
ever, each holding its page's bytes, even after ``client.aclose()``; at the end of the program
asyncio reports "Task was destroyed but it is pending!" once per page fetched ahead (8 with
``concurrency=8``; measured with a ``run_until_complete`` + ``loop.close()`` program: 8 warnings
on main, 0 on f8145b5).

Suggested fix: the client's lifecycle keeps the turns of its walks' read aheads (a WeakSet);
``aclose()`` sets them all, so every read ahead decodes (or is refused as closed) and ends. Or
the walk's ``finally`` is not the only place that ends them: a read ahead waits for its turn
with the walk's generator held weakly (``weakref.finalize`` on the pager sets the turns).
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp import web

from .conftest import OffsetClient, page


async def rows(request: web.Request) -> web.StreamResponse:
    offset = int(request.query.get("offset", 0))
    limit = int(request.query.get("limit", 10))
    return page([{"id": i} for i in range(offset, min(offset + limit, 1000))], total=1000)


def _ours() -> list[asyncio.Task[Any]]:
    """Tasks of the client side still running (the test server's own handlers left out)."""
    return [
        t
        for t in asyncio.all_tasks()
        if t is not asyncio.current_task() and "web_protocol" not in repr(t) and not t.done()
    ]


@pytest.mark.parametrize("through", ["client", "view"])
async def test_a_walk_left_open_leaves_no_task_pending_once_the_client_is_closed(
    serve: Any, make: Any, through: str
) -> None:
    """Also for a walk made through ``with_options``: closing the client it is a view of
    releases its read aheads too."""
    server = await serve({"GET /items": rows})
    client = make(OffsetClient, server)
    walker = client if through == "client" else client.with_options(timeout=30)
    pages = walker.paginate("/items", page_size=10, concurrency=8).pages()
    try:
        first = await pages.__anext__()
        assert [r["id"] for r in first.records] == list(range(10))
        await asyncio.sleep(0.3)  # every fetch ahead has been answered by now
        await client.aclose()
        await asyncio.sleep(0.1)
        left = _ours()
        assert not left, f"{len(left)} task(s) pending after aclose(): {left[:2]}"
    finally:
        await pages.aclose()

"""``client.scoped_headers(...)``: headers for every request inside a block, per task."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from .conftest import TokenClient, ok


async def _echo(request: web.Request) -> web.StreamResponse:
    return ok({"lang": request.headers.get("Accept-Language")})


async def test_scoped_headers_apply_inside_the_block_only(serve: Any) -> None:
    server = await serve({"GET /x": _echo})
    async with TokenClient(base_url=server.url) as client:
        with client.scoped_headers({"Accept-Language": "ja"}):
            assert await client.request("GET", "/x") == {"lang": "ja"}
            child = asyncio.create_task(client.request("GET", "/x"))
            assert await child == {"lang": "ja"}  # tasks started inside inherit it
            explicit = await client.request("GET", "/x", headers={"Accept-Language": "fi"})
            assert explicit == {"lang": "fi"}  # a per-call header wins
        assert await client.request("GET", "/x") == {"lang": None}


async def test_scoped_headers_do_not_leak_into_other_tasks(serve: Any) -> None:
    server = await serve({"GET /x": _echo})
    async with TokenClient(base_url=server.url) as client:
        inside = asyncio.Event()
        release = asyncio.Event()

        async def scoped() -> Any:
            with client.scoped_headers({"Accept-Language": "ja"}):
                inside.set()
                await release.wait()
                return await client.request("GET", "/x")

        task = asyncio.create_task(scoped())
        await inside.wait()
        assert await client.request("GET", "/x") == {"lang": None}
        release.set()
        assert await task == {"lang": "ja"}

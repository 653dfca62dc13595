"""Two exports at once over one client: each bounds its own jobs' requests and counts its own
jobs' retries (``scoped_limits`` and per-export progress hooks), and the client keeps its own
settings while they run and after."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import attrs
from aiohttp import web

from vendorkit import LeanLaw
from vendorkit.export import Job, export


async def test_two_exports_sharing_a_client_count_only_their_own_retries(
    serve: Any, tmp_path: Path
) -> None:
    calls = {"clients": 0}
    in_flight = {"matters": 0, "max": 0}

    async def clients(request: web.Request) -> web.Response:
        calls["clients"] += 1
        if calls["clients"] <= 2:  # two 503s, then the page
            return web.json_response({"message": "busy"}, status=503, headers={"Retry-After": "0"})
        return web.json_response(
            {"data": [{"id": "C1"}], "pagination": {"limit": 100, "offset": 0, "total": 1}}
        )

    async def matters(request: web.Request) -> web.Response:
        in_flight["matters"] += 1
        in_flight["max"] = max(in_flight["max"], in_flight["matters"])
        await asyncio.sleep(0.05)
        in_flight["matters"] -= 1
        offset = int(request.query.get("offset", "0"))
        rows = [{"id": f"M{offset + i}"} for i in range(2)] if offset < 8 else []
        return web.json_response(
            {"data": rows, "pagination": {"limit": 2, "offset": offset, "total": 8}}
        )

    server = await serve({"GET /v2/clients": clients, "GET /v2/matters": matters})
    async with LeanLaw(api_key="ll-key-123456789", base_url=server.url, max_retries=3) as ll:
        ll.retry_policy = attrs.evolve(ll.retry_policy, backoff_base=0.01, backoff_max=0.02)
        first, second = await asyncio.gather(
            export([Job(client=ll, resource="clients")], out=tmp_path / "a", concurrency=1),
            export(
                [Job(client=ll, resource="matters")],
                out=tmp_path / "b",
                concurrency=1,
                page_size=2,
            ),
        )
        assert first.ok and second.ok
        assert first.jobs[0].retries == 2
        assert second.jobs[0].retries == 0  # the other export's retries are not counted here
        assert in_flight["max"] == 1  # the second export's bound of one request held
        assert ll.request_slots is None
        assert not ll.hooks.on_retry and not ll.hooks.on_rate_limit

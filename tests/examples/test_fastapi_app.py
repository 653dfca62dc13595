"""examples/fastapi_app served by uvicorn on a real port (in this process, as ``uvicorn
examples.fastapi_app.app:app`` would serve it), against the sandbox, asked over real HTTP."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
import uvicorn

from examples.fastapi_app.app import make_app
from tests.examples._common import (
    World,
    check_a_caller_going_away_cancels_the_vendor_call,
    check_the_app,
    world,
)


@pytest.fixture
async def served() -> AsyncIterator[tuple[str, World]]:
    async with world() as w:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        config = uvicorn.Config(make_app(w.tenants), lifespan="on", log_level="warning")
        server = uvicorn.Server(config)
        serving: asyncio.Task[Any] = asyncio.ensure_future(server.serve(sockets=[sock]))
        try:
            for _ in range(400):  # started: the lifespan has opened the clients
                if server.started or serving.done():
                    break
                await asyncio.sleep(0.025)
            assert server.started, "uvicorn did not start"
            yield f"http://127.0.0.1:{port}", w
        finally:
            server.should_exit = True
            await asyncio.wait_for(serving, 30)
            sock.close()


async def test_the_fastapi_app_serves_each_customer_their_own_records(
    served: tuple[str, World],
) -> None:
    base, w = served
    await check_the_app(base, w)


async def test_a_caller_going_away_cancels_the_fastapi_apps_vendor_call(
    served: tuple[str, World],
) -> None:
    base, w = served
    await check_a_caller_going_away_cancels_the_vendor_call(base, w)

"""One aiohttp app served on a free port of 127.0.0.1, for tests that need a real server by URL
(a hand-made vendor, an example app): ``async with serving(app) as url``."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web


@contextlib.asynccontextmanager
async def serving(app: web.Application, **runner_options: Any) -> AsyncIterator[str]:
    """``app`` served until the block ends; its base URL. ``runner_options`` go to
    ``web.AppRunner`` (``handler_cancellation=True``, ``shutdown_timeout=1.0``, ...)."""
    runner = web.AppRunner(app, **runner_options)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()

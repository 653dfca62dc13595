"""vendorkit clients in an aiohttp ``web.Application``: ``cleanup_ctx``.

``app.cleanup_ctx.append(cleanup_ctx(CLIENTS, makeleaps=...))`` opens the clients when the app
starts and closes them when it stops, storing them under a typed ``web.AppKey``. The clients
share the app's ``ClientSession`` when the app keeps one under ``SESSION`` (set it in an earlier
cleanup context), else one session of their own.

A browser that goes away: aiohttp cancels a handler whose client disconnected only with
``handler_cancellation=True`` (``web.run_app(app, handler_cancellation=True)``, or
``web.AppRunner(app, handler_cancellation=True)``); without it the handler, and the vendor calls
it awaits, run to the end. With it, a cancelled handler cancels the vendor call it awaits, which
closes that request's connection (docs/web-apps.md).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
from aiohttp import web

from ._clients import ClientFactory, _checked, open_clients

__all__ = ["SESSION", "cleanup_ctx"]

SESSION: web.AppKey[aiohttp.ClientSession] = web.AppKey("vendorkit.session", aiohttp.ClientSession)
"""Where an app keeps its own ``ClientSession`` for vendorkit's clients to share (optional)."""


def cleanup_ctx(
    key: web.AppKey[dict[str, Any]], /, **factories: ClientFactory
) -> Callable[[web.Application], AsyncIterator[None]]:
    """A cleanup context that opens ``{name: factory(session)}`` at start-up into
    ``app[key]`` and closes them at shut-down (``open_clients``)."""
    checked = _checked(factories)

    async def context(app: web.Application) -> AsyncIterator[None]:
        async with open_clients(app.get(SESSION), **checked) as clients:
            app[key] = clients
            yield

    return context

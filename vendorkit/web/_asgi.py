"""A browser that goes away cancels the request's vendor calls: ``CancelOnDisconnect``.

ASGI servers (uvicorn, hypercorn) tell an app that its client left by an ``http.disconnect``
message on ``receive``, which a plain endpoint never reads: Starlette and FastAPI run it to the
end, vendor calls and all, for nobody. This middleware reads ``receive`` on the app's behalf and,
when the client disconnects before the response is complete, cancels the app's task, so the
vendor call it awaits is cancelled and its connection closed (vendorkit clients release a
cancelled request's connection; nothing of it is left running).

Pure ASGI (no framework imported): ``app = CancelOnDisconnect(FastAPI(...))``, or in
Starlette/FastAPI ``app.add_middleware(CancelOnDisconnect)``. Streaming responses keep working:
messages other than the disconnect reach the app unchanged, in order. Lifespan and websocket
scopes pass straight through.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

__all__ = ["CancelOnDisconnect"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class CancelOnDisconnect:
    """Cancel an HTTP request's handling when its client disconnects before the answer ends."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("type") != "http":
            await self.app(scope, receive, send)
            return
        inbox: asyncio.Queue[Message] = asyncio.Queue()
        done = False

        async def relayed_send(message: Message) -> None:
            nonlocal done
            await send(message)
            if message.get("type") == "http.response.body" and not message.get("more_body"):
                done = True

        handling = asyncio.ensure_future(self.app(scope, inbox.get, relayed_send))

        async def watch() -> None:
            # Every message is relayed; a disconnect before the answer ended cancels the app.
            while True:
                message = await receive()
                await inbox.put(message)
                if message.get("type") == "http.disconnect":
                    if not done:
                        handling.cancel()
                    return

        watcher = asyncio.ensure_future(watch())
        try:
            await handling
        except asyncio.CancelledError:
            if _cancelling():  # this task itself is cancelled (the server shutting down)
                raise
            # The watcher cancelled the app: the client left, nobody is there to answer.
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher


def _cancelling() -> bool:
    """Whether the task running this middleware is itself being cancelled (the server
    shutting down), as opposed to the app's task cancelled by a disconnect."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0

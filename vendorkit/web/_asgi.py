"""A browser that goes away cancels the request's vendor calls: ``CancelOnDisconnect``.

ASGI servers (uvicorn, hypercorn) tell an app that its client left by an ``http.disconnect``
message on ``receive``, which a plain endpoint never reads: Starlette and FastAPI run it to the
end, vendor calls and all, for nobody. This middleware reads ``receive`` on the app's behalf and,
when the client disconnects before the response is complete, cancels the app's task, so the
vendor call it awaits is cancelled and its connection closed (vendorkit clients release a
cancelled request's connection; nothing of it is left running).

Pure ASGI (no framework imported): ``app = CancelOnDisconnect(FastAPI(...))``, or in
Starlette/FastAPI ``app.add_middleware(CancelOnDisconnect)``. Streaming responses keep working:
every message reaches the app unchanged, in order. Lifespan and websocket scopes pass straight
through.

What it reads ahead: at most one message, so the server's flow control still paces an upload
(an app busy in a vendor call does not make it hold the body in memory). The disconnect is
seen once the app has taken the body in (at once for a request without one, as a GET); while an
app leaves a large upload unread, it is seen when the app reads on. A request that waits for
"100 Continue" is not read before the app first asks: the server answers it then.
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
        # At most one message read ahead of the app: the server's flow control (uvicorn stops
        # reading the socket at 64 KiB for an app that does not read) must keep working, or an
        # app busy in a vendor call would hold an upload of any size in memory.
        inbox: asyncio.Queue[Message] = asyncio.Queue(maxsize=1)
        asked = asyncio.Event()
        done = False
        gone: Message | None = None  # the disconnect, once the server said it

        async def app_receive() -> Message:
            asked.set()
            if gone is not None and inbox.empty():
                return gone  # as a server does: every receive after it says it again
            return await inbox.get()

        async def relayed_send(message: Message) -> None:
            nonlocal done
            await send(message)
            if message.get("type") == "http.response.body" and not message.get("more_body"):
                done = True

        handling = asyncio.ensure_future(self.app(scope, app_receive, relayed_send))

        async def watch() -> None:
            nonlocal gone
            if _expects_continue(scope):
                # The server answers "100 Continue" on the first receive: that is the app's to
                # decide (it may refuse the upload), so nothing is read before it asks.
                await asked.wait()
            while True:
                message = await receive()
                if message.get("type") == "http.disconnect":
                    gone = message
                    if not done:
                        handling.cancel()
                    await inbox.put(message)  # for an app already waiting on receive
                    return
                # Blocks while the app has not taken the one before: the body arrives at the
                # app's pace. Once it is all in, ``receive`` only returns at the disconnect.
                await inbox.put(message)

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


def _expects_continue(scope: Scope) -> bool:
    """Whether the client waits for "100 Continue" before sending its body."""
    return any(
        name.lower() == b"expect" and value.strip().lower() == b"100-continue"
        for name, value in scope.get("headers") or ()
    )


def _cancelling() -> bool:
    """Whether the task running this middleware is itself being cancelled (the server
    shutting down), as opposed to the app's task cancelled by a disconnect."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0

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

What it reads ahead: at most ``read_ahead`` bytes of body (64 KiB) that the app has not taken
yet, so the server's flow control still paces a large upload (an app busy in a vendor call does
not make it hold the body in memory). The disconnect is seen as soon as the body is in, whether
the app took it or not (at once for a request without one, a GET); only an app that leaves more
than ``read_ahead`` of an upload unread learns of it when it reads on. A request sent with
``Expect: 100-continue`` is read like any other: servers answer "100 Continue" on the first
read, which RFC 9110 allows at any time, and waiting for the app instead would let any client
switch cancellation off with that one header.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from vendorkit.errors import ConfigurationError

__all__ = ["CancelOnDisconnect"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class CancelOnDisconnect:
    """Cancel an HTTP request's handling when its client disconnects before the answer ends."""

    def __init__(self, app: ASGIApp, *, read_ahead: int = 64 * 1024) -> None:
        if isinstance(read_ahead, bool) or not isinstance(read_ahead, int) or read_ahead < 1:
            raise ConfigurationError(
                f"read_ahead must be a whole number of bytes >= 1, not {read_ahead!r}"
            )
        self.app = app
        self.read_ahead = read_ahead

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("type") != "http":
            await self.app(scope, receive, send)
            return
        inbox = _Inbox(self.read_ahead)
        done = False

        async def relayed_send(message: Message) -> None:
            nonlocal done
            await send(message)
            if message.get("type") == "http.response.body" and not message.get("more_body"):
                done = True

        handling = asyncio.ensure_future(self.app(scope, inbox.get, relayed_send))

        async def watch() -> None:
            while True:
                # Paced by the app past ``read_ahead`` unread bytes; once the body is all in,
                # ``receive`` only returns at the disconnect.
                await inbox.room()
                message = await receive()
                if message.get("type") == "http.disconnect":
                    if not done:
                        handling.cancel()
                    await inbox.gone(message)
                    return
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


class _Inbox:
    """The messages read ahead of the app, in order, and the disconnect once it came: every
    ``get`` after it (however many wait at once) returns it, as a server's ``receive`` does."""

    def __init__(self, budget: int) -> None:
        self._messages: collections.deque[Message] = collections.deque()
        self._unread = 0  # body bytes read ahead and not yet taken
        self._budget = budget
        self._gone: Message | None = None
        self._changed = asyncio.Condition()

    async def put(self, message: Message) -> None:
        async with self._changed:
            self._messages.append(message)
            self._unread += len(message.get("body") or b"")
            self._changed.notify_all()

    async def gone(self, message: Message) -> None:
        async with self._changed:
            self._gone = message
            self._changed.notify_all()

    async def get(self) -> Message:
        async with self._changed:
            await self._changed.wait_for(lambda: bool(self._messages) or self._gone is not None)
            if self._messages:
                message = self._messages.popleft()
                self._unread -= len(message.get("body") or b"")
                self._changed.notify_all()  # room for the watcher again
                return message
            assert self._gone is not None
            return self._gone

    async def room(self) -> None:
        async with self._changed:
            await self._changed.wait_for(lambda: self._unread < self._budget)


def _cancelling() -> bool:
    """Whether the task running this middleware is itself being cancelled (the server
    shutting down), as opposed to the app's task cancelled by a disconnect."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0

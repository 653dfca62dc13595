"""``CancelOnDisconnect`` under a real ASGI server (uvicorn, in this process, on a real port,
clients over real sockets): its flow control still paces an upload the app has not read yet (the
first review: read ahead without bound, a 64 MiB upload reached memory whole while the app was
busy in a vendor call), and a client that leaves still cancels an endpoint that never reads its
body, whatever shape the body came in (the second review: reading one message ahead, a chunked
body or an ``Expect: 100-continue`` header hid the disconnect)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import uvicorn
from fastapi import FastAPI

from vendorkit.web import CancelOnDisconnect

MB = 1024 * 1024
SENT_MB = 64


@contextlib.asynccontextmanager
async def uvicorn_serving(app: Any) -> AsyncIterator[int]:
    """uvicorn serving ``app`` on a free port of 127.0.0.1: the port."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, lifespan="off", log_level="error"))
    serving = asyncio.ensure_future(server.serve(sockets=[sock]))
    try:
        for _ in range(3000):  # uvicorn has no event for it
            if server.started:
                break
            await asyncio.sleep(0.01)
        assert server.started, "uvicorn did not start"
        yield sock.getsockname()[1]
    finally:
        server.should_exit = True
        await asyncio.wait_for(serving, 30)
        sock.close()


async def _pulled_while_busy(wrapped: bool) -> int:
    """Bytes the server handed the app's side while the app, busy, had not read any."""
    pulled = 0
    busy, release = asyncio.Event(), asyncio.Event()

    async def endpoint(scope: Any, receive: Any, send: Any) -> None:
        busy.set()
        await release.wait()  # a vendor call before the body is read
        size = 0
        while True:
            message = await receive()
            size += len(message.get("body", b""))
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": str(size).encode()})

    inner = CancelOnDisconnect(endpoint) if wrapped else endpoint

    async def counting(scope: Any, receive: Any, send: Any) -> None:
        async def counted() -> Any:
            nonlocal pulled
            message = await receive()
            pulled += len(message.get("body", b""))
            return message

        await inner(scope, counted, send)

    async def upload() -> AsyncIterator[bytes]:
        for _ in range(SENT_MB):
            yield b"x" * MB

    async with uvicorn_serving(counting) as port, aiohttp.ClientSession() as session:
        posting = asyncio.ensure_future(session.post(f"http://127.0.0.1:{port}/", data=upload()))
        await asyncio.wait_for(busy.wait(), 30)
        # Until a quarter of the upload is pulled (which the unbounded code did in well under
        # a second) or two seconds pass: either way, what was pulled by then is the figure.
        for _ in range(200):
            if pulled >= SENT_MB * MB // 4:
                break
            await asyncio.sleep(0.01)
        seen = pulled
        release.set()
        async with await asyncio.wait_for(posting, 60) as answer:
            assert answer.status == 200
            assert int(await answer.text()) == SENT_MB * MB  # nothing lost either way
    return seen


async def test_uvicorns_flow_control_still_paces_an_unread_upload() -> None:
    without = await _pulled_while_busy(wrapped=False)
    with_it = await _pulled_while_busy(wrapped=True)
    # uvicorn stops reading at 64 KiB buffered for an app that does not read; the middleware
    # holds at most its read-ahead (64 KiB) and one message more.
    assert without < 2 * MB, without
    assert with_it < 2 * MB, f"{with_it / MB:.1f} MiB pulled for an app that read none"


REQUESTS = {
    "content-length": [b"POST /run HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"],
    "chunked": [  # two ASGI messages: the chunk, then the end
        b"POST /run HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
        b"5\r\nhello\r\n",
        b"0\r\n\r\n",
    ],
    "get-expect-100": [b"GET /run HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n\r\n"],
    "post-expect-100": [
        b"POST /run HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n",
        b"hello",
    ],
}


@pytest.mark.parametrize("shape", list(REQUESTS))
async def test_a_client_that_left_cancels_an_endpoint_that_never_read_its_body(
    shape: str,
) -> None:
    started, cancelled = asyncio.Event(), asyncio.Event()
    app = FastAPI()

    @app.api_route("/run", methods=["GET", "POST"])
    async def run() -> dict[str, bool]:  # no body parameter: FastAPI reads none
        started.set()
        try:
            await asyncio.sleep(3600)  # a vendor call that would never end
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return {"ok": True}

    async with uvicorn_serving(CancelOnDisconnect(app)) as port:
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        for part in REQUESTS[shape]:
            writer.write(part)
            await writer.drain()
            await asyncio.sleep(0.05)  # separate reads on the server's side
        await asyncio.wait_for(started.wait(), 30)
        writer.close()  # the browser goes away
        await asyncio.wait_for(cancelled.wait(), 30)

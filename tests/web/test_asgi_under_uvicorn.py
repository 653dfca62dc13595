"""``CancelOnDisconnect`` under a real ASGI server (uvicorn, in this process, on a real port):
its flow control still paces an upload the app has not read yet. (From the review: read ahead
without bound, a 64 MiB upload reached memory whole while the app was busy in a vendor call.)"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import uvicorn

from vendorkit.web import CancelOnDisconnect

MB = 1024 * 1024
SENT_MB = 64


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
        if scope["type"] != "http":
            return

        async def counted() -> Any:
            nonlocal pulled
            message = await receive()
            pulled += len(message.get("body", b""))
            return message

        await inner(scope, counted, send)

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(counting, lifespan="off", log_level="error"))
    serving = asyncio.ensure_future(server.serve(sockets=[sock]))

    async def upload() -> AsyncIterator[bytes]:
        for _ in range(SENT_MB):
            yield b"x" * MB

    try:
        for _ in range(3000):  # uvicorn has no event for it
            if server.started:
                break
            await asyncio.sleep(0.01)
        async with aiohttp.ClientSession() as session:
            posting = asyncio.ensure_future(
                session.post(f"http://127.0.0.1:{port}/", data=upload())
            )
            await asyncio.wait_for(busy.wait(), 30)
            # Until a quarter of the upload is pulled (which the old code did in well under a
            # second) or two seconds pass: either way, what was pulled by then is the figure.
            for _ in range(200):
                if pulled >= SENT_MB * MB // 4:
                    break
                await asyncio.sleep(0.01)
            seen = pulled
            release.set()
            async with await asyncio.wait_for(posting, 60) as answer:
                assert answer.status == 200
                assert int(await answer.text()) == SENT_MB * MB  # nothing lost either way
    finally:
        server.should_exit = True
        await asyncio.wait_for(serving, 30)
        sock.close()
    return seen


async def test_uvicorns_flow_control_still_paces_an_unread_upload() -> None:
    without = await _pulled_while_busy(wrapped=False)
    with_it = await _pulled_while_busy(wrapped=True)
    # uvicorn stops reading at 64 KiB buffered for an app that does not read; one message more
    # is what the middleware may hold.
    assert without < 2 * MB, without
    assert with_it < 2 * MB, f"{with_it / MB:.1f} MiB pulled for an app that read none"

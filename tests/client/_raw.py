"""A raw TCP peer for what no well-behaved HTTP server sends: malformed status lines, over-long or
invalid headers, bodies that lie about their length, connections dropped at chosen moments.

``raw_server(answer)`` starts an ``asyncio`` server on 127.0.0.1; ``answer(request_bytes, n)``
(``n``: the 0-based number of the request on the whole server) returns the bytes to send back,
``(bytes, "close")`` to close the connection after them, or None to drop the connection without
answering. Every request's head and body are recorded.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

Answer = Callable[[bytes, int], bytes | tuple[bytes, str] | None]


class RawServer:
    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.requests: list[bytes] = []
        self.server: asyncio.AbstractServer | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                body = await reader.readexactly(length) if length else b""
                n = len(self.requests)
                self.requests.append(head + body)
                out = self.answer(head + body, n)
                if out is None:
                    return  # drop: close without a word
                close = isinstance(out, tuple)
                writer.write(out[0] if isinstance(out, tuple) else out)
                await writer.drain()
                if close:
                    return
        except ConnectionError:
            return
        finally:
            writer.close()

    def paths(self) -> list[str]:
        return [r.split(b"\r\n", 1)[0].decode("latin-1") for r in self.requests]


@pytest.fixture
async def raw_server() -> AsyncIterator[Callable[[Answer], Any]]:
    started: list[RawServer] = []

    async def start(answer: Answer) -> RawServer:
        srv = RawServer(answer)
        srv.server = await asyncio.start_server(srv._handle, "127.0.0.1", 0)
        srv.port = srv.server.sockets[0].getsockname()[1]
        started.append(srv)
        return srv

    yield start
    for srv in started:
        assert srv.server is not None
        srv.server.close()
        await srv.server.wait_closed()


def http(status: str, body: bytes = b"", headers: dict[str, str] | None = None) -> bytes:
    """A response: ``status`` is the whole status line after the version (``"200 OK"``)."""
    lines = [f"HTTP/1.1 {status}"]
    hdrs = {"Content-Type": "application/json", "Content-Length": str(len(body))}
    hdrs.update(headers or {})
    lines += [f"{k}: {v}" for k, v in hdrs.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body

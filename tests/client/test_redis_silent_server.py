"""A Redis that accepts connections and then never answers, or answers with an error that names
the connection: the token store's wait is bounded by its ``lock_wait`` (the client's timeout),
and its errors are vendorkit's ``TransportError`` without the URL's password or a chained
redis-py exception.

Found in review 2: the store was built with redis-py's defaults (no socket timeout), so a
Redis behind a stalled proxy hung every token read for ever.
"""

from __future__ import annotations

import asyncio
import time
import traceback
from collections.abc import AsyncIterator

import pytest

from vendorkit.core._redis import RedisTokenStore
from vendorkit.errors import TransportError

PASSWORD = "redis-pass-s3cr3t-Xq9"


@pytest.fixture
async def silent_port() -> AsyncIterator[int]:
    """A TCP server that accepts, reads whatever comes and never writes a byte."""
    held: list[asyncio.StreamWriter] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)
        while await reader.read(65536):
            pass

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield port
    finally:
        for writer in held:
            writer.close()
        server.close()
        await server.wait_closed()


@pytest.fixture
async def refusing_port() -> AsyncIterator[int]:
    """A TCP server that closes every connection at once."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield port
    finally:
        server.close()
        await server.wait_closed()


def _no_password_anywhere(exc: BaseException) -> None:
    text = "".join(traceback.format_exception(exc))
    assert PASSWORD not in text
    assert PASSWORD not in repr(exc.args)
    assert exc.__cause__ is None
    assert exc.__context__ is None or "redis" not in type(exc.__context__).__module__


async def test_a_redis_that_never_answers_costs_at_most_lock_wait(silent_port: int) -> None:
    store = RedisTokenStore(
        f"redis://:{PASSWORD}@127.0.0.1:{silent_port}/0", lock_wait=1.0, encryption_key=None
    )
    started = time.monotonic()
    try:
        with pytest.raises(TransportError) as caught:
            # The outer bound only keeps a regression from hanging the suite.
            await asyncio.wait_for(store.get("vendorkit:token:x"), timeout=60)
    finally:
        await store.aclose()
    # Generous: the bound is one second, a busy machine may add a few.
    assert time.monotonic() - started < 30
    _no_password_anywhere(caught.value)


async def test_a_redis_that_hangs_up_is_a_transport_error_without_the_password(
    refusing_port: int,
) -> None:
    store = RedisTokenStore(
        f"redis://:{PASSWORD}@127.0.0.1:{refusing_port}/0", lock_wait=1.0, encryption_key=None
    )
    try:
        with pytest.raises(TransportError) as caught:
            await asyncio.wait_for(store.get("vendorkit:token:x"), timeout=60)
    finally:
        await store.aclose()
    _no_password_anywhere(caught.value)

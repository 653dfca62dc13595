"""The benchmark harness still works: a tiny walk (a few hundred records, one scenario) by every
client ``python -m bench`` measures, each checked to deliver every record exactly once. No speed
is asserted: figures live in ``bench/`` and ``docs/performance.md``, never in the tests."""

from __future__ import annotations

import asyncio
import inspect
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp import web

from bench._clients import CLIENTS, Target
from bench._records import STYLES, render
from bench._server import make_app
from bench._verify import ExactlyOnceError, exactly_once

TOTAL = 350  # not a multiple of the page size: the last page is short


@pytest.fixture(scope="module")
def root() -> Iterator[str]:
    """The data server on its own event loop in a thread (dlt's client is synchronous)."""
    loop = asyncio.new_event_loop()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    runner = web.AppRunner(make_app())
    started = threading.Event()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(runner.setup())
        loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", port).start())
        started.set()
        loop.run_forever()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert started.wait(10)
    yield f"http://127.0.0.1:{port}"
    asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("client", list(CLIENTS))
def test_every_client_gets_every_record_once(
    root: str, style: str, client: str, tmp_path: Path
) -> None:
    target = Target(style, root, 0, TOTAL, 100)
    run = CLIENTS[client].run
    ids_of = (
        asyncio.run(run(target, tmp_path))
        if inspect.iscoroutinefunction(run)
        else run(target, tmp_path)
    )
    exactly_once(style, ids_of(), TOTAL, client)


def test_the_check_fails_loudly() -> None:
    with pytest.raises(ExactlyOnceError, match="1 missing, 1 repeated"):
        exactly_once("page", [0, 1, 1], 3, "a broken client")


def test_rendered_records_are_json_of_the_stated_size() -> None:
    import orjson

    for style in STYLES:
        records = orjson.loads(b"[" + render(style, 10, 20) + b"]")
        assert len(records) == 10
        assert 500 < len(render(style, 1000, 1001)) < 700

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


def _scaleout_case(workers: int, seconds: float, throttled: int) -> dict[str, object]:
    return {
        "workers": workers,
        "concurrency": 4,
        "records": 96_000,
        "seconds": seconds,
        "records_per_second": 96_000 / seconds,
        "requests": 4_800 + throttled,
        "throttled_429": throttled,
        "quota_used": 4_800 / (seconds * 240),
        "cpu_share_of_cores": 0.4,
        "machine_busy": 0.7,
        "sandbox_loop_lag": {"p50_ms": 1.0, "p99_ms": 25.0, "max_ms": 40.0},
    }


def test_the_scaleout_section_renders_and_says_when_a_target_is_missed() -> None:
    """The scale-out section itself needs Redis and Celery worker processes (the Celery engine's
    own test runs real workers); its page and its targets are checked here from figures."""
    from bench._report import markdown, targets

    section = {
        "accounts": 12,
        "quota_per_second": 20,
        "latency_ms": 20,
        "records_per_account": 8000,
        "page_size": 20,
        "concurrency": 4,
        "cases": [_scaleout_case(1, 60.0, 0), _scaleout_case(3, 25.0, 60)],
        "speedup": 2.4,
    }
    machine = {k: "?" for k in ("cores", "python", "platform", "date", "vendorkit", "commit")}
    results = {"machine": {**machine, "command": "python -m bench"}, "scaleout": section}
    page = markdown(results)
    assert "## Scale-out" in page and "**x2.40**" in page
    assert "**Target missed: a speed-up of x2.40 (target x2.5) and 0.80" in page
    assert [row[-1] for row in targets(results)] == ["**no**", "**no**"]
    section["speedup"] = 2.9
    section["cases"] = [_scaleout_case(1, 60.0, 0), _scaleout_case(3, 20.5, 0)]
    assert "Target missed" not in markdown(results)
    assert [row[-1] for row in targets(results)] == ["yes", "yes"]


def test_the_scaleout_check_fails_loudly(tmp_path: Path) -> None:
    from types import SimpleNamespace

    from bench._scaleout import _verify

    emu = SimpleNamespace(store={"clients": {"a": {}, "b": {}, "c": {}}})
    (tmp_path / "acct").mkdir()
    (tmp_path / "acct" / "clients.jsonl").write_text('{"id": "a"}\n{"id": "b"}\n{"id": "b"}\n')
    with pytest.raises(AssertionError, match="3 records for 3: 1 missing, 1 repeated"):
        _verify(tmp_path, {"acct": emu})
    (tmp_path / "acct" / "clients.jsonl").write_text('{"id": "c"}\n{"id": "a"}\n{"id": "b"}\n')
    assert _verify(tmp_path, {"acct": emu}) == 3

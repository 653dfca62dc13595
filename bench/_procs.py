"""Processes: the data server, and one measurement per fresh interpreter (so every client starts
from the same cold state and its peak RSS is its own)."""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from typing import Any

ROOT_ENV = {"PYTHONHASHSEED": "0"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, proc: subprocess.Popen[Any], seconds: float = 20.0) -> None:
    """Block until something listens on ``port`` (or the process died: then raise)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args!r} exited with {proc.returncode} before listening")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port} after {seconds}s")


@contextlib.contextmanager
def process(argv: Sequence[str], port: int) -> Iterator[subprocess.Popen[Any]]:
    """A server subprocess listening on ``port`` for the duration of the block."""
    proc = subprocess.Popen(list(argv))
    try:
        wait_for_port(port, proc)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


@contextlib.contextmanager
def data_server(quota: int | None = None) -> Iterator[str]:
    """The data server (``bench._server``) in its own process; yields its root URL."""
    port = free_port()
    argv = [sys.executable, "-m", "bench._server", str(port)]
    if quota:
        argv += ["--quota", str(quota)]
    with process(argv, port):
        yield f"http://127.0.0.1:{port}"


def run_worker(module: str, spec: dict[str, Any], timeout: float = 900) -> dict[str, Any]:
    """Run ``python -m <module> <spec as JSON>`` and return the JSON object on its last stdout
    line. A failing worker (an exactly-once check included) raises with its stderr."""
    done = subprocess.run(
        [sys.executable, "-m", module, json.dumps(spec)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"{module} {spec} failed (exit {done.returncode}):\n{done.stderr[-4000:]}"
        )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))

"""``python -m bench [--quick]``: export throughput per pagination style (sequential vs concurrent,
against a plain-aiohttp baseline), peak memory at 10,000 vs 1,000,000 records, and the sandbox's
requests per second. Everything runs on 127.0.0.1, bounded in time."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def server(records: int) -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "bench._server", str(port), str(records)])
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                break
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)


def worker(style: str, base: str, concurrency: int, page_size: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as out:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "bench._export_worker",
                style,
                base,
                out,
                str(concurrency),
                str(page_size),
            ],
            check=True,
            capture_output=True,
            text=True,
            timeout=600,
        )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


async def baseline(base: str, page_size: int) -> dict[str, Any]:
    """The same walk with plain aiohttp: fetch, parse, write a line per record. No vendorkit."""
    records = 0
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as out, open(Path(out) / "b.jsonl", "w") as fh:
        async with aiohttp.ClientSession() as session:
            offset = 0
            while True:
                url = f"{base}/v2/clients?offset={offset}&limit={page_size}"
                async with session.get(url, headers={"Authorization": "Bearer x"}) as resp:
                    body = json.loads(await resp.read())
                data = body["data"]
                for r in data:
                    fh.write(json.dumps(r, separators=(",", ":")) + "\n")
                records += len(data)
                offset += len(data)
                if not data or offset >= body["pagination"]["total"]:
                    break
    return {"records": records, "seconds": time.perf_counter() - started}


def rate(r: dict[str, Any]) -> float:
    return float(r["records"]) / float(r["seconds"])


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true", help="smaller sizes (a smoke run)")
    args = parser.parse_args()
    n = 20_000 if args.quick else 100_000
    big = 100_000 if args.quick else 1_000_000
    small = 10_000
    os.environ.setdefault("PYTHONHASHSEED", "0")
    print(f"# vendorkit benchmarks on {os.cpu_count()} cores, python {sys.version.split()[0]}")

    print(f"\n## export throughput, {n:,} records (page size 500)")
    with server(n) as base:
        base_r = rate(asyncio.run(baseline(base, 500)))
        print(f"baseline (plain aiohttp, sequential, offset style): {base_r:,.0f} records/s")
        for style in ("offset", "page", "cursor"):
            seq = rate(worker(style, base, 1, 500))
            conc = rate(worker(style, base, 8, 500))
            print(
                f"{style:>6}: sequential {seq:>9,.0f}/s ({seq / base_r:.2f}x baseline)  "
                f"concurrency=8 {conc:>9,.0f}/s ({conc / base_r:.2f}x baseline, "
                f"{conc / seq:.2f}x sequential)"
            )

    print("\n## peak memory of an export process (offset style, page 1000, concurrency 8)")
    peaks = {}
    for size in (small, big):
        with server(size) as base:
            r = worker("offset", base, 8, 1000)
        peaks[size] = r["peak_mib"]
        print(f"{size:>9,} records: peak RSS {r['peak_mib']:.1f} MiB, {rate(r):,.0f} records/s")
    print(f"ratio {big:,} / {small:,}: {peaks[big] / peaks[small]:.2f}x (flat means ~1.0)")

    with contextlib.suppress(ImportError):
        from bench import sandbox_rps

        print("\n## sandbox emulator throughput")
        sandbox_rps.main()


if __name__ == "__main__":
    main()

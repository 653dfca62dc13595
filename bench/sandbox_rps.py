"""List pages per second each sandbox emulator serves (pages of 20 records: MakeLeaps' fixed page
size; MakeLeaps documents are the heaviest records), against a trivial aiohttp server answering
20 small records (the ceiling) under the same load. The emulator runs in its own process
(``vendorkit sandbox serve --no-throttle``), so the load generator does not steal its CPU; both
share this machine's cores. ``python -m bench --only sandbox`` runs it; so does
``python -m bench.sandbox_rps``."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from typing import Any

import aiohttp

from bench._procs import free_port, wait_for_port

CONCURRENCY = 16
SERVE = [sys.executable, "-m", "vendorkit", "sandbox", "serve"]


@contextlib.contextmanager
def serve(vendor: str) -> Iterator[tuple[str, dict[str, Any]]]:
    proc = subprocess.Popen(
        [*SERVE, "--vendor", vendor, "--records", "1000", "--no-throttle"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        match = re.search(r"(http://\S+)\s+credentials: (\{.*?\})", line)
        if not match:
            raise RuntimeError(f"unexpected sandbox output: {line!r}")
        yield match.group(1), json.loads(match.group(2))
    finally:
        proc.terminate()
        proc.wait(10)


@contextlib.contextmanager
def trivial(body: bytes | None = None) -> Iterator[str]:
    """A trivial aiohttp server in its own process: 20 tiny records, or ``body`` as it is (the
    same bytes an emulator's page is, to see what the page's size alone costs)."""
    code = (
        "import sys\nfrom aiohttp import web\n"
        "body = open(sys.argv[2], 'rb').read() if len(sys.argv) > 2 else None\n"
        "async def h(r):\n"
        "    if body is not None: return web.Response(body=body, content_type='application/json')\n"
        "    return web.json_response({'results': [{'id': i} for i in range(20)]})\n"
        "app = web.Application(); app.router.add_get('/', h)\n"
        "web.run_app(app, host='127.0.0.1', port=int(sys.argv[1]), print=None)\n"
    )
    port = free_port()
    with tempfile.NamedTemporaryFile(suffix=".json") as fh:
        argv = [sys.executable, "-c", code, str(port)]
        if body is not None:
            fh.write(body)
            fh.flush()
            argv.append(fh.name)
        proc = subprocess.Popen(argv)
        try:
            wait_for_port(port, proc)
            yield f"http://127.0.0.1:{port}/"
        finally:
            proc.terminate()
            proc.wait(10)


async def prepare(vendor: str, base: str, creds: dict[str, Any]) -> tuple[str, dict[str, str]]:
    """The URL of a list page and the headers that authorise it, using the vendor's auth flow."""
    async with aiohttp.ClientSession() as s:
        if vendor == "leanlaw":
            headers = {"Authorization": f"Bearer {creds['api_key']}"}
            return base + "/v2/time-entries?limit=20", headers
        if vendor == "leady":
            return base + "/companies/?page_size=20", {"Authorization": f"Token {creds['token']}"}
        if vendor == "leaddesk":
            body = {
                "grant_type": "password",
                "client_id": creds["client_id"],
                "client_secret": creds["client_secret"],
                "username": creds["username"],
                "password": creds["password"],
            }
            async with s.post(base + "/oauth/access-token", json=body) as r:
                token = (await r.json())["access_token"]
            return base + "/contacts?per_page=20", {"Authorization": f"Bearer {token}"}
        basic = base64.b64encode(f"{creds['client_id']}:{creds['client_secret']}".encode())
        async with s.post(
            base + "/user/oauth2/token/",
            data={"grant_type": "client_credentials"},
            headers={"Authorization": "Basic " + basic.decode()},
        ) as r:
            token = (await r.json())["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        async with s.get(base + "/api/partner/", headers=headers) as r:
            mid = (await r.json())["response"][0]["mid"]
        return f"{base}/api/partner/{mid}/document/", headers


async def load(url: str, headers: dict[str, str], duration: float) -> float:
    """Pages per second with ``CONCURRENCY`` requests in flight for ``duration`` seconds."""
    count = 0
    deadline = time.perf_counter() + duration
    async with aiohttp.ClientSession() as s:

        async def one() -> None:
            nonlocal count
            while time.perf_counter() < deadline:
                async with s.get(url, headers=headers) as r:
                    await r.read()
                    if r.status != 200:
                        raise RuntimeError(f"{url}: {r.status}")
                count += 1

        started = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(CONCURRENCY)))
        return count / (time.perf_counter() - started)


async def one_page(url: str, headers: dict[str, str]) -> bytes:
    async with aiohttp.ClientSession() as s, s.get(url, headers=headers) as r:
        return await r.read()


VENDORS = ("makeleaps", "leady", "leaddesk", "leanlaw")
ROUNDS = 3


def measure(duration: float = 3.0, rounds: int = ROUNDS) -> dict[str, Any]:
    """Each emulator against the trivial server, measured in turn (trivial, emulator, ... for
    ``rounds`` rounds: on a shared machine a ceiling measured once drifts), ratios as medians of
    the rounds. Also against a trivial server sending the emulator's own page bytes, which
    shows what the page's size costs the load generator, apart from the emulator."""
    vendors: dict[str, dict[str, float]] = {}
    ceilings: list[float] = []
    with trivial() as tiny_url:
        for vendor in VENDORS:
            with serve(vendor) as (base, creds):
                page_url, headers = asyncio.run(prepare(vendor, base, creds))
                body = asyncio.run(one_page(page_url, headers))
                with trivial(body) as same_url:
                    ratios, same_ratios, rates = [], [], []
                    for _ in range(rounds):
                        tiny = asyncio.run(load(tiny_url, {}, duration))
                        rps = asyncio.run(load(page_url, headers, duration))
                        same = asyncio.run(load(same_url, {}, duration))
                        ceilings.append(tiny)
                        rates.append(rps)
                        ratios.append(rps / tiny)
                        same_ratios.append(rps / same)
            vendors[vendor] = {
                "pages_per_second": statistics.median(rates),
                "ratio": statistics.median(ratios),
                "ratio_same_bytes": statistics.median(same_ratios),
                "page_bytes": len(body),
            }
            v = vendors[vendor]
            print(
                f"  {vendor:>10}: {v['pages_per_second']:>7,.0f} list pages/s of "
                f"{len(body):,} bytes ({v['ratio']:.2f}x the trivial server, "
                f"{v['ratio_same_bytes']:.2f}x one sending the same bytes)"
            )
    return {
        "ceiling": statistics.median(ceilings),
        "concurrency": CONCURRENCY,
        "duration": duration,
        "rounds": rounds,
        "vendors": vendors,
    }


def main() -> None:
    measure()


if __name__ == "__main__":
    main()

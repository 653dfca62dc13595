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
import subprocess
import sys
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
def trivial() -> Iterator[str]:
    code = (
        "import sys\nfrom aiohttp import web\n"
        "async def h(r): return web.json_response({'results': [{'id': i} for i in range(20)]})\n"
        "app = web.Application(); app.router.add_get('/', h)\n"
        "web.run_app(app, host='127.0.0.1', port=int(sys.argv[1]), print=None)\n"
    )
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-c", code, str(port)])
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


VENDORS = ("makeleaps", "leady", "leaddesk", "leanlaw")


def measure(duration: float = 3.0) -> dict[str, Any]:
    """The ceiling, then each emulator; ratios to the ceiling."""
    with trivial() as url:
        ceiling = asyncio.run(load(url, {}, duration))
    print(f"  trivial aiohttp server (ceiling): {ceiling:,.0f} pages/s, concurrency {CONCURRENCY}")
    vendors: dict[str, dict[str, float]] = {}
    for vendor in VENDORS:
        with serve(vendor) as (base, creds):
            page_url, headers = asyncio.run(prepare(vendor, base, creds))
            rps = asyncio.run(load(page_url, headers, duration))
        vendors[vendor] = {"pages_per_second": rps, "ratio": rps / ceiling}
        print(f"  {vendor:>10}: {rps:>7,.0f} list pages/s ({rps / ceiling:.2f}x ceiling)")
    return {
        "ceiling": ceiling,
        "concurrency": CONCURRENCY,
        "duration": duration,
        "vendors": vendors,
    }


def main() -> None:
    measure()


if __name__ == "__main__":
    main()

"""Per-request cost of vendorkit's engine when nothing goes wrong, and the latency the Redis rate
limiter adds, each measured in a fresh process: ``python -m bench._engine_cost '<JSON spec>'``.

Sequential requests to the data server's trivial endpoint (``{"data": {"ok": true}}``), so the
client's own work is all there is to see. Modes:

- ``bare``: ``aiohttp`` ``session.get`` + ``orjson.loads``, the floor;
- ``vk``: ``await LeanLaw(...).request("GET", path)``, client-side quota off (``rate_limit=None``);
- ``vk-quota``: the same with an in-memory quota too large to ever wait (the default shape of a
  client: a limiter on every request);
- ``vk-redis``: that quota kept in Redis (``redis_url=``), for the limiter's added latency.

Prints CPU seconds (``time.process_time``) and wall seconds per request.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

import aiohttp
import orjson

PATH = "/v2/ping"
BIG_QUOTA = "1000000/second"
WARMUP = 200


async def bare(base: str, count: int) -> tuple[float, float]:
    headers = {"Authorization": "Bearer bench"}
    async with aiohttp.ClientSession() as session:

        async def one() -> None:
            async with session.get(base + PATH, headers=headers) as resp:
                resp.raise_for_status()
                orjson.loads(await resp.read())

        for _ in range(WARMUP):
            await one()
        cpu0, wall0 = time.process_time(), time.perf_counter()
        for _ in range(count):
            await one()
        return time.process_time() - cpu0, time.perf_counter() - wall0


async def with_vendorkit(base: str, count: int, mode: str, redis_url: str) -> tuple[float, float]:
    import vendorkit

    options: dict[str, Any] = {"rate_limit": None}
    if mode in ("vk-quota", "vk-redis"):
        options = {"rate_limit": BIG_QUOTA}
    if mode == "vk-redis":
        options["redis_url"] = redis_url
    async with vendorkit.LeanLaw(api_key=f"bench-{mode}", base_url=base, **options) as client:
        for _ in range(WARMUP):
            await client.request("GET", PATH)
        cpu0, wall0 = time.process_time(), time.perf_counter()
        for _ in range(count):
            await client.request("GET", PATH)
        return time.process_time() - cpu0, time.perf_counter() - wall0


def main() -> None:
    spec = json.loads(sys.argv[1])
    base, count, mode = spec["base"], int(spec["count"]), spec["mode"]
    if mode == "bare":
        cpu, wall = asyncio.run(bare(base, count))
    else:
        cpu, wall = asyncio.run(with_vendorkit(base, count, mode, spec["redis_url"]))
    print(json.dumps({"mode": mode, "count": count, "cpu": cpu / count, "wall": wall / count}))


if __name__ == "__main__":
    main()

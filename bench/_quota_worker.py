"""One process spending a LeanLaw quota for a fixed time: ``python -m bench._quota_worker SPEC``.

Starts at the wall-clock instant the spec names (so several processes begin together), runs
``TASKS`` concurrent request loops against the quota-enforcing server until the deadline, and
prints when each request completed (wall clock, comparable across processes). The quota is the
client's own, ``rate_limit=``, in memory or shared through ``redis_url=``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from typing import Any

TASKS = 8


async def spend(spec: dict[str, Any]) -> list[float]:
    import vendorkit

    options: dict[str, Any] = {"rate_limit": spec["rate_limit"]}
    if spec.get("redis_url"):
        options["redis_url"] = spec["redis_url"]
    done: list[float] = []
    async with vendorkit.LeanLaw(api_key="quota-bench", base_url=spec["base"], **options) as client:
        await asyncio.sleep(max(0.0, spec["start_at"] - time.time()))
        deadline = time.monotonic() + spec["seconds"]

        async def loop() -> None:
            while True:
                await client.request("GET", "/v2/ping")
                if time.monotonic() > deadline:
                    return
                done.append(time.time())

        tasks = [asyncio.create_task(loop()) for _ in range(TASKS)]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*tasks), spec["seconds"] + 0.01)
    return done


def main() -> None:
    spec = json.loads(sys.argv[1])
    print(json.dumps({"done_at": asyncio.run(spend(spec))}))


if __name__ == "__main__":
    main()

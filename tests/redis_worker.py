"""A worker process for ``tests/test_redis_multiprocess.py``: one vendorkit client in its own
process, driven over stdin, reporting over stdout (one JSON object per line).

    python tests/redis_worker.py '{"vendor": "leaddesk", "client": {...}, "path": "/users"}'

``client`` holds the constructor keyword arguments (credentials, ``base_url``, ``redis_url``,
``rate_limit``); ``path`` is what every request GETs; ``max_quota_wait`` (optional) sets the
client's ``max_quota_wait``; ``guard`` (optional, seconds) replaces the client's quota by one
with the same quotas and key and this guard. Once the client is built the worker prints
``{"event": "ready", "vendorkit": ...}`` (the ``vendorkit`` module file it imported, so the tests
can check that their workers run the code under test), then obeys one command per line:

- ``burst N``: N concurrent requests; prints ``{"event": "burst", "ok": .., "errors": {..},
  "token_requests": ..}`` (``errors``: exception class name -> count; ``token_requests``: how many
  token requests this process's client has made so far);
- ``quit``: closes the client and exits.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections import Counter
from typing import Any

import vendorkit
from vendorkit.core import RateLimiter
from vendorkit.errors import VendorkitError

CLASSES = {"makeleaps": "MakeLeaps", "leady": "Leady", "leaddesk": "LeadDesk", "leanlaw": "LeanLaw"}


def emit(event: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


async def main(config: dict[str, Any]) -> None:
    cls = getattr(vendorkit, CLASSES[config["vendor"]])
    path = config["path"]
    async with cls(**config["client"]) as client:
        client.max_quota_wait = config.get("max_quota_wait")
        if config.get("guard") is not None and client.rate_limiter is not None:
            built = client.rate_limiter
            client.rate_limiter = RateLimiter(
                built.quotas,
                key=client._rate_key(),
                storage=config["client"]["redis_url"],
                guard=config["guard"],
            )
            await built.aclose()
        emit({"event": "ready", "vendorkit": vendorkit.__file__})
        while True:
            line = (await asyncio.to_thread(sys.stdin.readline)).strip()
            if not line or line == "quit":
                break
            command, _, arg = line.partition(" ")
            if command != "burst":
                raise SystemExit(f"unknown command {line!r}")
            errors: Counter[str] = Counter()

            async def one(errors: Counter[str] = errors) -> bool:
                try:
                    await client.request("GET", path)
                except VendorkitError as exc:
                    errors[type(exc).__name__] += 1
                    return False
                return True

            results = await asyncio.gather(*(one() for _ in range(int(arg))))
            emit(
                {
                    "event": "burst",
                    "ok": sum(results),
                    "errors": dict(errors),
                    "token_requests": getattr(client.auth, "token_requests", 0),
                }
            )


if __name__ == "__main__":
    asyncio.run(main(json.loads(sys.argv[1])))

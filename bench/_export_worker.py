"""One export in a fresh process, so its peak memory (ru_maxrss) is its own.

``python -m bench._export_worker STYLE BASE_URL OUT CONCURRENCY PAGE_SIZE`` prints one JSON line:
records, seconds, peak RSS in MiB.
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import time
from typing import Any


def client_for(style: str, base: str) -> Any:
    import vendorkit

    if style == "offset":
        return vendorkit.LeanLaw(api_key="bench", base_url=base, rate_limit=None), "clients"
    if style == "page":
        client = vendorkit.LeadDesk(
            client_id="b",
            client_secret="b",
            username="u",
            password="p",
            base_url=base + "/stable",
            rate_limit=None,
        )
        return client, "users"
    return vendorkit.Leady(token="bench", base_url=base + "/v1", rate_limit=None), "companies"


async def main(style: str, base: str, out: str, concurrency: int, page_size: int) -> None:
    from vendorkit.export import Job, export

    client, resource_name = client_for(style, base)
    async with client:
        started = time.perf_counter()
        result = await export(
            [Job(client=client, resource=resource_name)],
            out=out,
            concurrency=concurrency,
            page_size=page_size,
        )
        seconds = time.perf_counter() - started
    assert result.ok, result.jobs
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"records": result.records, "seconds": seconds, "peak_mib": peak}))


if __name__ == "__main__":
    s, b, o, c, p = sys.argv[1:6]
    asyncio.run(main(s, b, o, int(c), int(p)))

"""One measurement in a fresh interpreter: ``python -m bench._worker '<JSON spec>'``.

The spec names a client (``bench._clients.CLIENTS``) and a target collection. The worker imports
what the client needs, starts the clock, lets the client walk the whole collection, stops the
clock, then checks every id arrived exactly once (a failure exits non-zero). It prints one JSON
line: records, wall seconds, CPU seconds of this process, and its peak RSS (ru_maxrss) as it
was when the walk ended, before the check.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import json
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench._clients import CLIENTS, VENDOR_MODULES, Target
from bench._verify import exactly_once


def peak_rss_mib() -> float:
    """This process's peak resident set (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(name: str, target: Target) -> dict[str, Any]:
    client = CLIENTS[name]
    for module in client.imports:
        importlib.import_module(module)
    if "vendorkit" in client.imports or "vendorkit.export" in client.imports:
        # ``import vendorkit`` loads a client when it is first named; that import is start-up,
        # not walking, so it happens here, before the clock, as the others' imports do.
        importlib.import_module(VENDOR_MODULES[target.style])
    with tempfile.TemporaryDirectory(prefix="vk-bench-") as tmp:
        workdir = Path(tmp)
        cpu0, wall0 = time.process_time(), time.perf_counter()
        if inspect.iscoroutinefunction(client.run):
            ids_of = asyncio.run(client.run(target, workdir))
        else:
            ids_of = client.run(target, workdir)
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        # Before the check: reading an export's ids back is the harness's memory, not the
        # client's (ru_maxrss only ever grows).
        peak = peak_rss_mib()
        ids = ids_of()
    exactly_once(target.style, ids, target.total, f"{name} on {target}")
    return {
        "client": name,
        "records": len(ids),
        "seconds": wall,
        "cpu": cpu,
        "peak_rss_mib": peak,
    }


def main() -> None:
    spec = json.loads(sys.argv[1])
    print(json.dumps(measure(spec["client"], Target(**spec["target"]))))


if __name__ == "__main__":
    main()

"""The sections beside throughput: per-request engine cost, quota use (one process, and four
sharing a quota through Redis), the Redis limiter's added latency, peak memory of an export, and
the sandbox's serving rate. Each returns a JSON-able dict for ``bench/results.json``."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
import urllib.request
from dataclasses import asdict
from typing import Any

from bench import sandbox_rps
from bench._clients import Target
from bench._procs import data_server, run_worker

REDIS_URL = "redis://127.0.0.1:6379/14"  # the bench's own database: the only one it flushes
QUOTA = 50


def _cost_run(mode: str, base: str, count: int) -> dict[str, float]:
    r = run_worker(
        "bench._engine_cost", {"mode": mode, "base": base, "count": count, "redis_url": REDIS_URL}
    )
    return {"cpu_us": r["cpu"] * 1e6, "wall_us": r["wall"] * 1e6}


def engine_cost(quick: bool) -> dict[str, Any]:
    """CPU per request of ``client.request`` minus bare aiohttp + orjson; the Redis limiter's
    added wall time per request against the in-memory one. Modes interleave, medians of 3."""
    count, repeats = (1000, 1) if quick else (5000, 3)
    _flush_redis()
    modes = ("bare", "vk", "vk-quota", "vk-redis")
    with data_server() as root:
        base = f"{root}/0/0"
        runs: dict[str, list[dict[str, float]]] = {m: [] for m in modes}
        for _ in range(repeats):
            for mode in modes:
                runs[mode].append(_cost_run(mode, base, count))
    med = {
        m: {k: statistics.median(r[k] for r in rs) for k in ("cpu_us", "wall_us")}
        for m, rs in runs.items()
    }
    return {
        "requests": count,
        "repeats": repeats,
        "per_request": med,
        "engine_cpu_us": med["vk"]["cpu_us"] - med["bare"]["cpu_us"],
        "engine_cpu_us_with_quota": med["vk-quota"]["cpu_us"] - med["bare"]["cpu_us"],
        "redis_added_latency_us": med["vk-redis"]["wall_us"] - med["vk-quota"]["wall_us"],
    }


def _flush_redis() -> None:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.flushdb()
    finally:
        client.close()


def _quota_case(processes: int, redis: bool, seconds: float) -> dict[str, Any]:
    """``processes`` LeanLaw clients with ``rate_limit="50/second"`` against a server enforcing
    50 requests in any one-second window, for ``seconds``; the quota used and the 429s seen."""
    if redis:
        _flush_redis()
    with data_server(quota=QUOTA) as root:
        spec = {
            "base": f"{root}/0/0",
            "rate_limit": f"{QUOTA}/second",
            "redis_url": REDIS_URL if redis else None,
            "seconds": seconds,
            "start_at": time.time() + 3.0,
        }
        argv = [sys.executable, "-m", "bench._quota_worker"]
        procs = [
            subprocess.Popen([*argv, json.dumps(spec)], stdout=subprocess.PIPE, text=True)
            for _ in range(processes)
        ]
        done = sorted(t for p in procs for t in _last_json(p)["done_at"])
        stats = _get_json(root + "/stats")
    return {
        "processes": processes,
        "storage": "redis" if redis else "memory",
        "seconds": seconds,
        "requests": len(done),
        "used": len(done) / (QUOTA * seconds),
        "sustained": _sustained(done),
        "throttled_429": stats["throttled"],
    }


def _sustained(done: list[float]) -> float:
    """The rate after the first window, as a fraction of the quota. A moving window lets a whole
    window's quota go at once at the start, so requests over the run's length overstate what a
    long run gets; from the first completion to the last, less the first window's burst, does
    not."""
    if len(done) <= QUOTA:
        return 0.0
    return (len(done) - QUOTA) / (done[-1] - done[0]) / QUOTA


def quota(quick: bool) -> dict[str, Any]:
    seconds = 2.0 if quick else 5.0
    cases = [(1, False), (1, True), (4, True)]
    return {
        "quota_per_second": QUOTA,
        "cases": [_quota_case(n, redis, seconds) for n, redis in cases],
    }


def memory(quick: bool) -> dict[str, Any]:
    """Peak RSS of a fresh process exporting the offset collection (page 1000) to JSONL:
    vendorkit's export against the hand-written export loop, at growing sizes."""
    sizes = (10_000, 100_000) if quick else (10_000, 100_000, 1_000_000)
    rows = []
    with data_server() as root:
        for total in sizes:
            target = Target("offset", root, 0, total, 1000)
            row: dict[str, Any] = {"records": total}
            for client in ("hand-jsonl", "vk-jsonl"):
                r = run_worker("bench._worker", {"client": client, "target": asdict(target)})
                row[client] = {"peak_rss_mib": r["peak_rss_mib"], "seconds": r["seconds"]}
            row["ratio"] = row["vk-jsonl"]["peak_rss_mib"] / row["hand-jsonl"]["peak_rss_mib"]
            print(
                f"  {total:>9,} records: hand {row['hand-jsonl']['peak_rss_mib']:.1f} MiB, "
                f"vendorkit {row['vk-jsonl']['peak_rss_mib']:.1f} MiB ({row['ratio']:.2f}x)",
                flush=True,
            )
            rows.append(row)
    return {"rows": rows}


def sandbox(quick: bool) -> dict[str, Any]:
    return sandbox_rps.measure(duration=1.5 if quick else 3.0)


def _last_json(proc: subprocess.Popen[str]) -> dict[str, Any]:
    out, _ = proc.communicate(timeout=120)
    if proc.returncode != 0:
        raise RuntimeError(f"quota worker failed with exit {proc.returncode}")
    return dict(json.loads(out.strip().splitlines()[-1]))


def _get_json(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=10) as resp:
        return dict(json.loads(resp.read()))

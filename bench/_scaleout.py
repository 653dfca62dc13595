"""Scale-out: 12 accounts exported on the Celery engine by 1 worker, then by 3.

Each account is a LeanLaw sandbox of its own, in this process, enforcing 20 requests in any
one-second window (429 beyond it) and answering every request 20 ms late (the sandbox's "slow"
fault at rate 1.0: a sleep before the normal answer, nothing else changes); each account's
``rate_limit="20/second"`` gives its client the same quota, shared through Redis by every worker
process. One resource per account (``clients``), so one unit per account: 12 units.

Both cases run the same workers (``celery -A vendorkit.export.celery worker --concurrency 4``,
prefork): 4 units at once per worker, so 1 worker keeps 4 of the 12 quotas busy and 3 workers
keep all 12 (3 x 4 = 12, one pool process per unit). The workers are started and answer a ping
before the clock starts; the clock covers ``export_accounts_celery`` end to end (sending the
tasks, every unit, the last result). Every account's file is checked to hold every record of its
emulator exactly once, so a fast but wrong run cannot count.

CPU is measured beside the wall time (this process: the 12 sandboxes and the submitter; the
workers' process groups from /proc; Redis from its INFO; the whole machine from /proc/stat), so
a case that the machine's 2 cores, not the quotas, held back shows it.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

REDIS_URL = "redis://127.0.0.1:6379/10"  # this section's own database: the only one it flushes
ACCOUNTS = 12
QUOTA = 20  # requests per second, per account: the emulator's and the client's
LATENCY = 0.020  # seconds before every answer
CONCURRENCY = 4  # per worker: 3 workers x 4 = 12 units at once, one per account
RESOURCE = "clients"
ROOT = Path(__file__).resolve().parent.parent
CLK_TCK = os.sysconf("SC_CLK_TCK")


def _sizes(quick: bool) -> tuple[int, int]:
    """(records per account, page size). Full: 8000 records in pages of 20, 400 requests per
    account, about 20 s at 20 requests/s once every account runs; quick: 30 requests each."""
    return (600, 20) if quick else (8000, 20)


def _flush_redis() -> None:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.flushdb()
    finally:
        client.close()


def _redis_cpu() -> float:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        info = client.info("cpu")
    finally:
        client.close()
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


def _machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields) - idle) / CLK_TCK, sum(fields) / CLK_TCK


def _group_cpu(pgid: int) -> float:
    """CPU seconds (user + system) of the live processes of a process group, from /proc."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        rest = stat[stat.rindex(")") + 2 :].split()  # fields from the state (field 3) on
        if int(rest[2]) == pgid:  # field 5: pgrp
            total += int(rest[11]) + int(rest[12])  # fields 14, 15: utime, stime
    return total / CLK_TCK


def _self_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


class _Worker:
    def __init__(self, name: str, env: dict[str, str], logs: Path) -> None:
        self.name = name
        self.log = logs / f"{name}.log"
        with self.log.open("wb") as handle:
            self.proc = subprocess.Popen(
                [
                    *(sys.executable, "-m", "celery", "-A", "vendorkit.export.celery", "worker"),
                    *("--concurrency", str(CONCURRENCY), "--pool", "prefork"),
                    *("-n", f"{name}@%h", "--loglevel", "WARNING"),
                    *("--without-gossip", "--without-mingle", "--without-heartbeat"),
                ],
                stdout=handle,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,  # a process group of its own: measured and killed as one
            )

    @property
    def hostname(self) -> str:
        return f"{self.name}@{socket.gethostname()}"

    def cpu(self) -> float:
        return _group_cpu(self.proc.pid)

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""

    def stop(self) -> None:
        """SIGTERM the whole group (a warm shutdown: nothing runs by now), SIGKILL if it lingers."""
        for sig, wait in ((signal.SIGTERM, 15.0), (signal.SIGKILL, 10.0)):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, sig)
            try:
                self.proc.wait(wait)
            except subprocess.TimeoutExpired:
                continue
            with contextlib.suppress(ProcessLookupError):  # pool children left behind
                os.killpg(self.proc.pid, signal.SIGKILL)
            return


def _worker_env(credentials: dict[str, str]) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("VENDORKIT_")}
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    return {
        **base,
        **credentials,
        "PYTHONPATH": path,
        "VENDORKIT_BROKER_URL": REDIS_URL,
        "VENDORKIT_REDIS_URL": REDIS_URL,
    }


async def _wait_for_workers(workers: list[_Worker], seconds: float = 90.0) -> float:
    """Block until every worker answers a ping (raise if one died or none did in time); the
    seconds it took."""
    from vendorkit.export.celery import make_app

    app = make_app(REDIS_URL)
    wanted = {w.hostname for w in workers}
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        for w in workers:
            if w.proc.poll() is not None:
                raise RuntimeError(f"worker {w.name} exited ({w.proc.returncode}):\n{w.output()}")
        replies = await asyncio.to_thread(app.control.ping, list(wanted), timeout=1.0)
        if wanted <= {name for reply in replies for name in reply}:
            return time.monotonic() - started
    raise RuntimeError(f"workers did not answer a ping in {seconds:.0f} s: {wanted}")


class _LoopLag:
    """How late this process's event loop wakes a 10 ms sleep: the sandboxes answer on this
    loop, so its lateness is how much later than sent a request is counted by its emulator."""

    def __init__(self) -> None:
        self.lags: list[float] = []
        self._task: asyncio.Task[None] | None = None

    async def _watch(self) -> None:
        while True:
            before = time.monotonic()
            await asyncio.sleep(0.01)
            self.lags.append(time.monotonic() - before - 0.01)

    def __enter__(self) -> _LoopLag:
        self._task = asyncio.ensure_future(self._watch())
        return self

    def __exit__(self, *exc: object) -> None:
        if self._task is not None:
            self._task.cancel()

    def summary(self) -> dict[str, float]:
        lags = sorted(self.lags) or [0.0]
        return {
            "p50_ms": lags[len(lags) // 2] * 1000,
            "p99_ms": lags[int(len(lags) * 0.99)] * 1000,
            "max_ms": lags[-1] * 1000,
        }


def _read_ids(path: Path) -> Counter[Any]:
    import orjson

    with path.open("rb") as handle:
        return Counter(orjson.loads(line)["id"] for line in handle if line.strip())


def _verify(out: Path, emulators: dict[str, Any]) -> int:
    """Every account's file holds every record of its emulator exactly once: the records."""
    total = 0
    for name, emu in emulators.items():
        want = Counter(list(emu.store[RESOURCE]))
        got = _read_ids(out / name / f"{RESOURCE}.jsonl")
        if got != want:
            extra, missing = got - want, want - got
            raise AssertionError(
                f"scaleout: {name}: {sum(got.values())} records for {len(want)}: "
                f"{sum(missing.values())} missing, {sum(extra.values())} repeated or unknown"
            )
        total += len(want)
    return total


async def _case(
    workers_n: int,
    accounts: list[Any],
    emulators: dict[str, Any],
    credentials: dict[str, str],
    page_size: int,
    tmp: Path,
) -> dict[str, Any]:
    from vendorkit.export.celery import export_accounts_celery

    _flush_redis()
    for emu in emulators.values():  # the same cold emulators for both cases
        emu.counters.clear()
        emu.pages.clear()
        emu.views.clear()
    logs = tmp / f"logs-{workers_n}"
    logs.mkdir()
    env = _worker_env(credentials)
    workers: list[_Worker] = []
    try:
        for i in range(workers_n):
            workers.append(_Worker(f"scale{workers_n}-w{i + 1}", env, logs))
        boot = await _wait_for_workers(workers)
        await asyncio.sleep(1.5)  # the emulators' one-second windows are empty again
        out = tmp / f"out-{workers_n}"
        cpu0 = (_self_cpu(), sum(w.cpu() for w in workers), _redis_cpu(), _machine_cpu())
        started = time.monotonic()
        with _LoopLag() as lag:
            result = await export_accounts_celery(
                accounts, out=out, page_size=page_size, broker_url=REDIS_URL
            )
        seconds = time.monotonic() - started
        self_cpu, worker_cpu = _self_cpu() - cpu0[0], sum(w.cpu() for w in workers) - cpu0[1]
        redis_cpu = _redis_cpu() - cpu0[2]
        busy1, all1 = _machine_cpu()
        machine_busy = (busy1 - cpu0[3][0]) / (all1 - cpu0[3][1])
        if not result.ok:
            bad = [f"{j.job}: {j.status} {j.error}" for j in result.jobs if j.status != "ok"]
            raise RuntimeError(
                f"scaleout: {workers_n} worker(s): {bad}\n" + "\n".join(w.output() for w in workers)
            )
    finally:
        for w in workers:
            w.stop()
    records = _verify(out, emulators)
    requests = sum(e.counters.total_requests for e in emulators.values())
    throttled = sum(e.counters.throttled for e in emulators.values())
    answered = requests - throttled
    summed = seconds * ACCOUNTS * QUOTA
    cores = os.cpu_count() or 1
    case = {
        "workers": workers_n,
        "concurrency": CONCURRENCY,
        "boot_seconds": round(boot, 2),
        "records": records,
        "seconds": seconds,
        "records_per_second": records / seconds,
        "requests": requests,
        "throttled_429": throttled,
        "quota_used": answered / summed,
        "cpu_seconds": {
            "bench_process": self_cpu,
            "workers": worker_cpu,
            "redis": redis_cpu,
        },
        "cpu_share_of_cores": (self_cpu + worker_cpu + redis_cpu) / (seconds * cores),
        "machine_busy": machine_busy,
        "sandbox_loop_lag": lag.summary(),
    }
    print(
        f"  {workers_n} worker(s) x {CONCURRENCY}: {records:,} records in {seconds:.1f} s "
        f"({case['records_per_second']:,.0f}/s), {requests:,} requests, {throttled} 429s, "
        f"quota used {case['quota_used']:.2f}; CPU: bench {self_cpu:.1f} s, workers "
        f"{worker_cpu:.1f} s, redis {redis_cpu:.1f} s = {case['cpu_share_of_cores']:.2f} of "
        f"{cores} cores; machine busy {machine_busy:.2f}; sandbox loop lag "
        f"p99 {lag.summary()['p99_ms']:.0f} ms, max {lag.summary()['max_ms']:.0f} ms",
        flush=True,
    )
    return case


async def _run(quick: bool) -> dict[str, Any]:
    from vendorkit.export import Account
    from vendorkit.sandbox import Sandbox
    from vendorkit.sandbox._faults import FaultProfile

    records, page_size = _sizes(quick)
    slow = FaultProfile(rate=1.0, kinds=("slow",), slow_seconds=LATENCY)
    seeded = time.monotonic()
    async with contextlib.AsyncExitStack() as stack:
        accounts, emulators, credentials = [], {}, {}
        for i in range(ACCOUNTS):
            name, prefix = f"acct-{i + 1:02d}", f"SCALE_{i + 1:02d}_"
            sb = await stack.enter_async_context(
                Sandbox(
                    vendors=["leanlaw"],
                    records=records,
                    seed=i,
                    quotas={"leanlaw": f"{QUOTA}/second"},
                    faults=slow,
                )
            )
            accounts.append(
                Account(
                    name=name,
                    vendor="leanlaw",
                    env_prefix=prefix,
                    resources=(RESOURCE,),
                    rate_limit=f"{QUOTA}/second",
                )
            )
            creds = sb.credentials("leanlaw")
            credentials.update(
                {f"{prefix}{k.upper()}": str(v) for k, v in creds.items() if isinstance(v, str)}
            )
            emulators[name] = sb.emulator("leanlaw")
        # The seeded stores live as long as the run: out of the collector's way, so that a full
        # collection over millions of records does not stall the emulators' loop mid-run.
        gc.collect()
        gc.freeze()
        print(f"  12 sandboxes seeded in {time.monotonic() - seeded:.0f} s", flush=True)
        with tempfile.TemporaryDirectory(prefix="vk-scaleout-") as tmp:
            cases = [
                await _case(n, accounts, emulators, credentials, page_size, Path(tmp))
                for n in (1, 3)
            ]
    gc.unfreeze()
    _flush_redis()
    one, three = cases
    return {
        "accounts": ACCOUNTS,
        "quota_per_second": QUOTA,
        "latency_ms": round(LATENCY * 1000),
        "records_per_account": records,
        "page_size": page_size,
        "concurrency": CONCURRENCY,
        "cases": cases,
        "speedup": three["records_per_second"] / one["records_per_second"],
    }


def run(quick: bool) -> dict[str, Any]:
    return asyncio.run(_run(quick))

"""The Celery engine with real workers: three ``celery -A vendorkit.export.celery worker``
processes (prefork, concurrency 1, each in a process group of its own) on the test Redis
(``VENDORKIT_TEST_REDIS_URL``, the broker, the result backend and the shared token and quota
store at once), and six accounts of all four vendors on sandboxes running in this process, with
the vendors' real quotas.

One run shows it all, so the workers boot once: every record exactly once by id; a worker
killed with SIGKILL (its whole process group) in the middle of a unit, and that unit redelivered
to another worker, resumed and complete without a duplicate; no 429; one token request per OAuth
account across all workers; no credential in any key the run left in Redis; and an account
whose variables no worker has failing with a clear reason while the others succeed.

Timing: the workers get a visibility timeout and a lease of 5 s (``VENDORKIT_CELERY_*``), so the
killed unit comes back after about 5-7 s; every wait is for an event, with generous timeouts."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis

import vendorkit
from tests._redis_lease import LEASE, database_lease
from tests._redis_url import REDIS_URL
from vendorkit.export import Account, Progress
from vendorkit.export._celery_config import _digest, progress_key
from vendorkit.export.celery import export_accounts_celery
from vendorkit.sandbox import Sandbox
from vendorkit.sandbox._faults import FaultProfile

from ..conftest import output_ids, store_ids

SOURCE_ROOT = str(Path(vendorkit.__file__).resolve().parent.parent)
WORKERS = 3
RUN_TIMEOUT = 150.0  # the whole export, workers' boot included: only a hang gets near it
# The static credentials no message may carry (access tokens live in the token store by design).
SECRET_FIELDS = ("client_secret", "api_key", "password", "token")
# Keys that hold an access token by design: the shared token store (docs/clients.md, Redis).
TOKEN_STORE = b"vendorkit:token:"

PLAN = [
    ("acme-ml", "makeleaps", 0, ("clients", "documents")),
    ("beta-leady", "leady", 1, ("resources", "sessions")),
    ("gamma-ld", "leaddesk", 2, ("campaigns", "contacts")),
    ("delta-ll", "leanlaw", 3, ("clients", "matters")),
    ("eps-ll", "leanlaw", 4, ("clients",)),
    ("zeta-ll", "leanlaw", 5, ("clients",)),  # no worker has its variables
]
# Its pages are slow (0.8 s each; 60 records, 20 pages of 3: the first alone, then waves of 8 at
# once, done after about 3.2 s); its worker is killed once its second page is written (about
# 1.6 s in): by then the engine has stored a checkpoint (at most CHECKPOINT_INTERVAL, 1 s, apart)
# and the unit is far from complete.
VICTIM = "delta-ll/clients"
KILL_AFTER_PAGES = 2
NO_VARIABLES = "zeta-ll"


async def _empty_all_but_lease(r: aioredis.Redis) -> None:
    """Empty this suite's database (Celery's keys, ours), keeping the suites' lease."""
    keys = [k async for k in r.scan_iter("*") if k != LEASE.encode()]
    if keys:
        await r.delete(*keys)


@pytest.fixture
async def redis_db() -> AsyncIterator[aioredis.Redis]:
    r = aioredis.from_url(REDIS_URL)
    try:
        async with database_lease(r):
            await _empty_all_but_lease(r)
            yield r
            await _empty_all_but_lease(r)
    finally:
        await r.aclose()


class Worker:
    def __init__(self, name: str, proc: asyncio.subprocess.Process, log: Path) -> None:
        self.name, self.proc, self.log = name, proc, log

    @property
    def hostname(self) -> str:
        return f"{self.name}@{socket.gethostname()}"

    def kill(self) -> None:
        """SIGKILL the whole worker: its main process and its pool's children."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:] if self.log.exists() else ""


async def start_worker(name: str, env: dict[str, str], logs: Path, concurrency: int = 1) -> Worker:
    log = logs / f"{name}.log"
    handle = log.open("wb")
    proc = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "celery", "-A", "vendorkit.export.celery", "worker"),
        *("--concurrency", str(concurrency), "--pool", "prefork", "-n", f"{name}@%h"),
        *("--loglevel", "INFO"),
        *("--without-gossip", "--without-mingle", "--without-heartbeat"),
        stdout=handle,
        stderr=asyncio.subprocess.STDOUT,
        env=env,
        start_new_session=True,  # a process group of its own: killed as one
    )
    handle.close()
    return Worker(name, proc, log)


@contextlib.asynccontextmanager
async def killed_at_exit(workers: list[Worker]) -> AsyncIterator[None]:
    """Every worker killed at the end, and waited for: a worker of one test still polling the
    broker when the next test starts would take that test's units."""
    try:
        yield
    finally:
        for w in workers:
            w.kill()
        for w in workers:
            with contextlib.suppress(ProcessLookupError, TimeoutError):
                await asyncio.wait_for(w.proc.wait(), 30)


def env_for(prefix: str, sb: Sandbox, vendor: str) -> dict[str, str]:
    creds = sb.credentials(vendor)
    return {f"{prefix}{k.upper()}": str(v) for k, v in creds.items() if isinstance(v, str)}


def worker_env(credentials: dict[str, str]) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("VENDORKIT_")}
    path = os.pathsep.join(p for p in (SOURCE_ROOT, os.environ.get("PYTHONPATH")) if p)
    return {
        **base,
        **credentials,
        "PYTHONPATH": path,
        "VENDORKIT_BROKER_URL": REDIS_URL,
        "VENDORKIT_CELERY_VISIBILITY_TIMEOUT": "5",
        "VENDORKIT_CELERY_LEASE_TTL": "5",
    }


def texts(value: bytes) -> list[bytes]:
    """A stored value, and the body of a kombu message inside it (base64 in its JSON)."""
    found = [value]
    with contextlib.suppress(ValueError, TypeError, AttributeError, KeyError, IndexError):
        message = json.loads(value)
        if isinstance(message, list):  # kombu's unacked hash: [message, exchange, routing key]
            message = message[0]
        body = message["body"]
        found.append(body.encode())
        if message.get("properties", {}).get("body_encoding") == "base64":
            found.append(base64.b64decode(body))
    return found


async def stored_values(r: aioredis.Redis) -> dict[bytes, list[bytes]]:
    """Every value of every key in the database, whatever its type."""
    out: dict[bytes, list[bytes]] = {}
    async for key in r.scan_iter("*"):
        kind = (await r.type(key)).decode()
        if kind == "string":
            values = [await r.get(key)]
        elif kind == "list":
            values = await r.lrange(key, 0, -1)
        elif kind == "hash":
            values = [v for kv in (await r.hgetall(key)).items() for v in kv]
        elif kind == "set":
            values = list(await r.smembers(key))
        elif kind == "zset":
            values = [m for m, _ in await r.zrange(key, 0, -1, withscores=True)]
        else:
            values = [kind.encode()]
        out[key] = [t for v in values if v is not None for t in texts(v)]
    return out


@contextlib.asynccontextmanager
async def sandboxes() -> AsyncIterator[tuple[list[Account], dict[str, dict[str, str]], Any]]:
    async with contextlib.AsyncExitStack() as stack:
        accounts, env, emulators = [], {}, {}
        for name, vendor, seed, resources in PLAN:
            faults = None
            if name == VICTIM.split("/")[0]:
                faults = FaultProfile(rate=1.0, kinds=("slow",), slow_seconds=0.8, paths="clients")
            sb = await stack.enter_async_context(
                Sandbox(vendors=[vendor], records=60 if faults else 12, seed=seed, faults=faults)
            )
            prefix = name.upper().replace("-", "_") + "_"
            accounts.append(
                Account(name=name, vendor=vendor, env_prefix=prefix, resources=resources)
            )
            env[name] = env_for(prefix, sb, vendor)
            emulators[name] = sb.emulator(vendor)
        yield accounts, env, emulators


async def test_workers_export_every_account_once_through_a_killed_worker(
    tmp_path: Path, redis_db: aioredis.Redis
) -> None:
    out = tmp_path / "out"
    async with sandboxes() as (accounts, env, emulators):
        credentials = {
            k: v for name, e in env.items() if name != NO_VARIABLES for k, v in e.items()
        }
        workers: list[Worker] = []
        async with killed_at_exit(workers):
            for i in range(WORKERS):
                workers.append(await start_worker(f"w{i + 1}", worker_env(credentials), tmp_path))
            events: list[Progress] = []
            victim_paged = asyncio.Event()

            def on_progress(event: Progress) -> None:
                events.append(event)
                if event.job == VICTIM and event.event == "page":
                    if event.pages >= KILL_AFTER_PAGES:
                        victim_paged.set()

            run = asyncio.ensure_future(
                export_accounts_celery(
                    accounts, out=out, page_size=3, on_progress=on_progress, broker_url=REDIS_URL
                )
            )
            try:
                # The victim's first page is written: kill the worker running it.
                waiter = asyncio.ensure_future(victim_paged.wait())
                await asyncio.wait(
                    [waiter, run], timeout=RUN_TIMEOUT, return_when=asyncio.FIRST_COMPLETED
                )
                assert victim_paged.is_set(), (
                    run.done() and run.exception(),
                    [w.output() for w in workers],
                )
                marker = [
                    k
                    async for k in redis_db.scan_iter(
                        f"vendorkit:celery:started:*:{_digest(VICTIM)}"
                    )
                ]
                assert len(marker) == 1, marker
                holder = (await redis_db.get(marker[0])).decode()
                (victim,) = [w for w in workers if w.hostname == holder]
                victim.kill()
                await asyncio.wait_for(victim.proc.wait(), 30)
                # Killed mid-unit: its output appears only when the unit completes.
                assert not (out / "delta-ll" / "clients.jsonl").exists()
                # What the broker holds now: the killed worker's unacknowledged unit at least.
                during = await stored_values(redis_db)
                killed_at = len(events)
                result = await asyncio.wait_for(run, RUN_TIMEOUT)
            finally:
                run.cancel()
            logs = "\n".join(w.output() for w in workers)
            survivors = [w for w in workers if w is not victim]
            assert all(w.proc.returncode is None for w in survivors), logs

        # The same summary as the local engine: every unit, its account named.
        by_job = {j.job: j for j in result.jobs}
        assert {(j.account, j.resource) for j in result.jobs} == {
            (a.name, r) for a in accounts for r in a.resources or ()
        }
        missing = by_job[f"{NO_VARIABLES}/clients"]
        assert missing.status == "failed" and not result.ok
        assert "ZETA_LL_API_KEY (zeta-ll)" in (missing.error or ""), missing.error
        assert "environment variable is not set" in (missing.error or "")
        ok = {j.job: (j.status, j.error) for j in result.jobs if j.account != NO_VARIABLES}
        assert set(ok.values()) == {("done", None)}, (ok, logs)
        assert by_job[VICTIM].path == out / "delta-ll" / "clients.jsonl"

        # Every record exactly once, the victim's included.
        for account in accounts:
            if account.name == NO_VARIABLES:
                continue
            for resource in account.resources or ():
                got = output_ids(out / account.name / f"{resource}.jsonl")
                assert got == store_ids(emulators[account.name], resource), (account, resource)
                assert max(got.values()) == 1
        # Live progress came from the workers, the victim's resumed unit included.
        assert {e.job for e in events if e.event == "done"} == set(ok)
        assert [e.records for e in events if e.job == VICTIM and e.event == "done"] == [60]
        # The redelivered unit resumed from the checkpoint (no --resume asked): its first event
        # counts the pages written before the kill.
        resumed = [e for e in events[killed_at:] if e.job == VICTIM]
        assert resumed and resumed[0].records >= 3 * KILL_AFTER_PAGES, resumed[:2]

        # The real quotas were never exceeded; one token per OAuth account between all workers.
        for name, emu in emulators.items():
            assert emu.counters.throttled == 0, name
        assert sum(emulators["acme-ml"].counters.token_requests.values()) == 1
        assert sum(emulators["gamma-ld"].counters.token_requests.values()) == 1

        # No credential anywhere in what the run left in Redis: messages, results, markers,
        # progress, leases (the token store holds access tokens, and no credential either).
        secrets = {
            v.encode()
            for e in env.values()
            for k, v in e.items()
            if k.lower().endswith(SECRET_FIELDS)
        }
        assert len(secrets) >= 6
        after = await stored_values(redis_db)
        # The scan reads the messages' bodies: the units' accounts are there, by declaration.
        assert any(b'"env_prefix": "DELTA_LL_"' in v for vs in during.values() for v in vs)
        stored = {**{k + b" (during the run)": v for k, v in during.items()}, **after}
        assert any(k.startswith(b"celery-task-meta-") for k in stored), sorted(stored)
        assert any(k.startswith(TOKEN_STORE) for k in stored), sorted(stored)
        leaks = [
            (key, secret)
            for key, values in stored.items()
            for value in values
            for secret in secrets
            if secret in value
        ]
        assert leaks == []


async def test_cancelling_the_submitter_stops_the_units_resumably(
    tmp_path: Path, redis_db: aioredis.Redis
) -> None:
    """Cancelled after the slow unit's first page: the running unit stops with its checkpoint,
    the queued ones (one worker, concurrency 1) never start; ``resume=True`` then finishes
    every unit, each record once."""
    out = tmp_path / "out"
    faults = FaultProfile(rate=1.0, kinds=("slow",), slow_seconds=0.8, paths="clients")
    async with (
        Sandbox(vendors=["leanlaw"], records=60, seed=3, faults=faults) as slow,
        Sandbox(vendors=["leady"], records=12, seed=1) as queued,
    ):
        accounts = [
            Account(name="slow-ll", vendor="leanlaw", env_prefix="SLOW_", resources=("clients",)),
            Account(name="queued", vendor="leady", env_prefix="Q_", resources=("resources",)),
        ]
        env = {**env_for("SLOW_", slow, "leanlaw"), **env_for("Q_", queued, "leady")}
        workers = [await start_worker("c1", worker_env(env), tmp_path)]
        async with killed_at_exit(workers):
            paged = asyncio.Event()

            def on_progress(event: Progress) -> None:
                if event.job == "slow-ll/clients" and event.event == "page":
                    paged.set()

            run = asyncio.ensure_future(
                export_accounts_celery(
                    accounts, out=out, page_size=3, on_progress=on_progress, broker_url=REDIS_URL
                )
            )
            waiter = asyncio.ensure_future(paged.wait())
            await asyncio.wait([waiter, run], timeout=RUN_TIMEOUT, return_when="FIRST_COMPLETED")
            assert paged.is_set(), workers[0].output()
            run.cancel()
            with pytest.raises(asyncio.CancelledError):
                await run
            # The running unit notices the run's cancel flag and stops with its checkpoint;
            # its result comes on the run's progress list (the submitter no longer reads it).
            (flag,) = [k async for k in redis_db.scan_iter("vendorkit:celery:cancel:*")]
            channel = progress_key(flag.decode().rsplit(":", 1)[1])
            stopped: dict[str, Any] = {}
            async with asyncio.timeout(60):
                while stopped.get("job") != "slow-ll/clients":
                    item = await redis_db.blpop([channel], timeout=1)
                    message = json.loads(item[1]) if item else {}
                    if message.get("type") == "finished":
                        stopped = message["result"]
            assert stopped["status"] == "stopped", stopped
            assert not (out / "slow-ll" / "clients.jsonl").exists()
            assert list((out / ".checkpoints" / "slow-ll").iterdir())
            assert queued.emulator("leady").counters.total_requests == 0

            again = await asyncio.wait_for(
                export_accounts_celery(
                    accounts, out=out, page_size=3, resume=True, broker_url=REDIS_URL
                ),
                RUN_TIMEOUT,
            )
        assert again.ok, [(j.job, j.status, j.error) for j in again.jobs]
        got = output_ids(out / "slow-ll" / "clients.jsonl")
        assert got == store_ids(slow.emulator("leanlaw"), "clients")
        assert max(got.values()) == 1
        got = output_ids(out / "queued" / "resources.jsonl")
        assert got == store_ids(queued.emulator("leady"), "resources")


SHARED_RESOURCES = ("clients", "documents", "contacts", "catalog_items", "history", "inbox")
SHARED_QUOTA = 4  # per second, the account's own (rate_limit); the emulator allows 5


async def test_nine_worker_processes_on_one_account_share_its_quota_and_its_token(
    tmp_path: Path, redis_db: aioredis.Redis
) -> None:
    """Three workers of three processes each export six resources of ONE MakeLeaps account at
    once. The account allows 4 requests a second (``rate_limit``; the emulator answers 429 above
    5): nine processes that each kept their own count would send up to 36. Between them they
    send none too many (no 429), take at least as long as the quota says, and make one token
    request."""
    out = tmp_path / "out"
    async with Sandbox(
        vendors=["makeleaps"], records=60, seed=7, quotas={"makeleaps": "5/second"}
    ) as sb:
        account = Account(
            name="shared-ml",
            vendor="makeleaps",
            env_prefix="SHARED_ML_",
            resources=SHARED_RESOURCES,
            rate_limit=f"{SHARED_QUOTA}/second",
        )
        emu = sb.emulator("makeleaps")
        env = worker_env(env_for("SHARED_ML_", sb, "makeleaps"))
        workers: list[Worker] = []
        async with killed_at_exit(workers):
            for i in range(3):
                workers.append(await start_worker(f"q{i + 1}", env, tmp_path, concurrency=3))
            started: list[float] = []

            def on_progress(event: Progress) -> None:
                if event.event == "start" and not started:
                    started.append(asyncio.get_running_loop().time())

            run = export_accounts_celery(
                [account], out=out, on_progress=on_progress, broker_url=REDIS_URL
            )
            result = await asyncio.wait_for(run, RUN_TIMEOUT)
            finished = asyncio.get_running_loop().time()
            logs = "\n".join(w.output() for w in workers)
            holders = {
                (await redis_db.get(k)).decode()
                async for k in redis_db.scan_iter("vendorkit:celery:started:*")
            }
        bad = [(j.job, j.status, j.error) for j in result.jobs if j.status != "done"]
        assert not bad, bad
        for resource in SHARED_RESOURCES:
            got = output_ids(out / account.name / f"{resource}.jsonl")
            assert got == store_ids(emu, resource), resource
        # The units ran on several workers at once, yet the account's quota held between them.
        assert len(holders) >= 2, holders
        assert emu.counters.throttled == 0, logs
        assert sum(emu.counters.token_requests.values()) == 1
        # No faster than the quota allows: n requests take at least (n - 2q) / q seconds (the
        # first q go at once; a busy machine only makes it slower). MakeLeaps pages hold 20.
        sent = emu.counters.total_requests
        assert sent > 4 * SHARED_QUOTA
        assert started and finished - started[0] >= (sent - 2 * SHARED_QUOTA) / SHARED_QUOTA, (
            sent,
            finished - started[0],
        )

"""A unit's lease while Redis stalls: a real worker whose Redis (``VENDORKIT_REDIS_URL``) is
reached through a TCP relay in this process that can stop passing bytes (a partition: the
connections stay open, nothing arrives, redis-py has no read timeout). The broker is the test
Redis itself, so the unit's retry still travels.

Once the lease may lapse, the worker must have stopped writing the unit's file (another worker
could take the lease and write it too); when Redis is back, the unit is retried, resumes from
its checkpoint and ends complete, every record once."""

from __future__ import annotations

import asyncio
import contextlib
import os
from pathlib import Path

import redis.asyncio as aioredis

from tests._redis_relay import Relay
from tests._redis_url import REDIS_URL
from vendorkit.export import Account, Progress
from vendorkit.export.celery import export_accounts_celery
from vendorkit.sandbox import Sandbox
from vendorkit.sandbox._faults import FaultProfile

from ..conftest import output_ids, store_ids
from .test_engine import RUN_TIMEOUT, env_for, killed_at_exit, redis_db, start_worker, worker_env

__all__ = ["redis_db"]

LEASE_TTL = 3


def _files(folder: Path) -> dict[str, int]:
    """The folder's files and their sizes (one renamed meanwhile: gone)."""
    found = {}
    for entry in os.scandir(folder):
        with contextlib.suppress(FileNotFoundError):
            found[entry.name] = entry.stat().st_size
    return found


async def test_a_worker_whose_redis_stalls_stops_writing_before_its_lease_can_lapse(
    tmp_path: Path, redis_db: aioredis.Redis
) -> None:
    out = tmp_path / "out"
    # 240 records in pages of 3, 0.5 s each, 8 at a time: about 15 s of writing.
    faults = FaultProfile(rate=1.0, kinds=("slow",), slow_seconds=0.5, paths="clients")
    relay = Relay()
    async with (
        Sandbox(vendors=["leanlaw"], records=240, seed=7, faults=faults) as sb,
        relay.running() as relayed,
    ):
        # No client-side quota (it would share its state through the stalled Redis too).
        account = Account(
            name="ll", vendor="leanlaw", env_prefix="LL_", resources=("clients",), rate_limit="none"
        )
        env = worker_env(env_for("LL_", sb, "leanlaw"))
        env["VENDORKIT_REDIS_URL"] = relayed
        env["VENDORKIT_CELERY_LEASE_TTL"] = str(LEASE_TTL)
        workers = [await start_worker("s1", env, tmp_path)]
        async with killed_at_exit(workers):
            pages = 0
            paged = asyncio.Event()

            def on_progress(event: Progress) -> None:
                nonlocal pages
                if event.event == "page":
                    pages += 1
                    if pages >= 3:
                        paged.set()

            run = asyncio.ensure_future(
                export_accounts_celery(
                    [account], out=out, page_size=3, on_progress=on_progress, broker_url=REDIS_URL
                )
            )
            waiter = asyncio.ensure_future(paged.wait())
            await asyncio.wait([waiter, run], timeout=RUN_TIMEOUT, return_when="FIRST_COMPLETED")
            assert paged.is_set(), workers[0].output()
            relay.flowing.clear()
            # The lease lapses (its holder can no longer renew it)...
            async with asyncio.timeout(60):
                while True:
                    if not [k async for k in redis_db.scan_iter("vendorkit:celery:lease:*")]:
                        break
                    await asyncio.sleep(0.1)
            # ... by then its holder has stopped writing: another worker may take the file.
            written = _files(out / "ll")
            await asyncio.sleep(2.0)  # four page times: a writer still running would show
            assert _files(out / "ll") == written, workers[0].output()
            assert not run.done()
            relay.flowing.set()
            result = await asyncio.wait_for(run, RUN_TIMEOUT)
        assert result.ok, ([(j.job, j.status, j.error) for j in result.jobs], workers[0].output())
        got = output_ids(out / "ll" / "clients.jsonl")
        assert got == store_ids(sb.emulator("leanlaw"), "clients")
        assert max(got.values()) == 1

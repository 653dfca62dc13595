"""A worker's unit body (``_celery_worker.run_unit``) run in this process, against the sandbox
and the test Redis: the redeliveries a real broker makes, replayed on purpose."""

from __future__ import annotations

from pathlib import Path

import pytest
import redis.asyncio as aioredis

from tests._redis_url import REDIS_URL
from vendorkit.export import Account
from vendorkit.export import _celery_worker as worker
from vendorkit.export._celery_config import Unit, finished_key, started_key
from vendorkit.sandbox import Sandbox

from ..conftest import output_ids, store_ids
from .test_engine import redis_db

__all__ = ["redis_db"]


async def test_a_unit_complete_when_redelivered_in_its_run_is_done_not_skipped(
    tmp_path: Path, redis_db: aioredis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first delivery wrote the whole file and was lost before it answered (its result
    never stored): the next delivery in that run finds the file complete. That run did the
    unit, so it is ``done`` with every record, not "already complete" from an earlier run."""
    monkeypatch.setattr(worker, "PROCESS", worker._Process())
    monkeypatch.setenv("VENDORKIT_BROKER_URL", REDIS_URL)
    async with Sandbox(vendors=["leanlaw"], records=7, seed=4) as sb:
        creds = sb.credentials("leanlaw")
        monkeypatch.setenv("FIRM_API_KEY", creds["api_key"])
        monkeypatch.setenv("FIRM_BASE_URL", creds["base_url"])
        account = Account(name="firm", vendor="leanlaw", env_prefix="FIRM_")
        unit = Unit(
            account=account,
            resource="clients",
            out=str(tmp_path),
            format="jsonl",
            resume=False,
            run_id="r1",
            page_size=3,
        )
        try:
            first = await worker.run_unit(unit.as_kwargs(), "w1")
            assert first["status"] == "done" and first["records"] == 7
            assert await redis_db.exists(started_key(unit))
            await redis_db.delete(finished_key(unit))  # the answer was lost
            again = await worker.run_unit(unit.as_kwargs(), "w2")
        finally:
            await worker.PROCESS._close()
        assert (again["status"], again["records"]) == ("done", 7)
        got = output_ids(tmp_path / "firm" / "clients.jsonl")
        assert got == store_ids(sb.emulator("leanlaw"), "clients")

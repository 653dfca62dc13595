"""What the submitter reads back from Redis is not trusted: anything on a run's progress list that
is not a message a worker wrote (not JSON, another run's unit, a result of the wrong shape) is
ignored; it neither ends the run with a traceback nor counts as one of its units. No worker runs
here: the test itself writes the list, on the test Redis."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis

from tests._redis_url import REDIS_URL
from vendorkit.export import Account, JobResult
from vendorkit.export._celery_config import progress_key, result_from_json, result_to_json
from vendorkit.export.celery import export_accounts_celery

from .test_engine import redis_db

__all__ = ["redis_db"]

ML = Account(name="acme", vendor="makeleaps", env_prefix="ACME_", resources=("clients",))


async def _run_id(r: aioredis.Redis, run: asyncio.Future[Any]) -> str:
    """The run's id, read from its unit's message once it is on the broker's queue."""
    try:
        async with asyncio.timeout(60):
            while True:
                if run.done():
                    run.result()  # the submitter's own error, if it ended
                    raise AssertionError("the run ended before its unit was queued")
                for raw in await r.lrange("celery", 0, -1):
                    task_id = json.loads(raw)["headers"]["id"]  # vendorkit-<run>-<index>
                    return str(task_id.split("-")[1])
                await asyncio.sleep(0.05)
    except TimeoutError:
        keys = sorted([k async for k in r.scan_iter("*")])
        stack = run.get_stack() if isinstance(run, asyncio.Task) else []
        frames = [f"{f.f_code.co_filename}:{f.f_lineno}" for f in stack]
        raise AssertionError(
            f"no unit queued in 60 s; keys {keys}; submitter at {frames}"
        ) from None


async def test_malformed_or_foreign_messages_on_the_progress_list_are_ignored(
    tmp_path: Path, redis_db: aioredis.Redis
) -> None:
    run = asyncio.ensure_future(
        export_accounts_celery([ML], out=tmp_path, broker_url=REDIS_URL, environ={})
    )
    try:
        channel = progress_key(await _run_id(redis_db, run))
        good = result_to_json(
            JobResult(job="acme/clients", vendor="makeleaps", resource="clients", status="done")
        )
        for message in [
            b"\xff not json",
            json.dumps([1, 2]),
            json.dumps({"type": "finished", "unit": "acme/clients", "result": "done"}),
            json.dumps({"type": "finished", "unit": "acme/clients", "result": {"status": "done"}}),
            json.dumps(
                {"type": "finished", "unit": "acme/clients", "result": {**good, "records": "9"}}
            ),
            json.dumps(
                {"type": "finished", "unit": "acme/clients", "result": {**good, "job": "x/y"}}
            ),
            json.dumps({"type": "finished", "unit": "other/clients", "result": good}),
            json.dumps({"type": "finished", "unit": ["acme/clients"], "result": good}),
            json.dumps({"type": "progress", "unit": "acme/clients", "progress": {"job": 1}}),
        ]:
            await redis_db.rpush(channel, message)
        await asyncio.sleep(0)
        # None of them finished the run.
        await asyncio.wait({run}, timeout=3)
        assert not run.done()
        await redis_db.rpush(
            channel, json.dumps({"type": "finished", "unit": "acme/clients", "result": good})
        )
        result = await asyncio.wait_for(run, 60)
    finally:
        run.cancel()
    (job,) = result.jobs
    assert (job.job, job.status, job.records, job.account) == ("acme/clients", "done", 0, "acme")


def test_a_result_of_the_wrong_shape_is_a_value_error() -> None:
    good = result_to_json(JobResult(job="a/b", vendor="leady", resource="b", status="done"))
    assert result_from_json(good) == result_from_json(json.loads(json.dumps(good)))
    for bad in [
        "done",
        None,
        {"job": "a/b"},
        {**good, "pages": True},
        {**good, "path": 3},
        {**good, "skipped_parents": [1]},
        {**good, "seconds": "1"},
    ]:
        with pytest.raises(ValueError):
            result_from_json(bad)

"""What the submitter reads back from Redis is not trusted: anything on a run's progress list that
is not a message a worker wrote (not JSON, another run's unit, a result of the wrong shape) is
ignored; it neither ends the run with a traceback nor counts as one of its units. No worker runs
here: the test itself writes the list, on the test Redis."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from tests._redis_url import REDIS_URL
from vendorkit.export import Account, JobResult
from vendorkit.export._celery_config import progress_key, result_from_json, result_to_json
from vendorkit.export.celery import export_accounts_celery

from .test_engine import redis_db

__all__ = ["redis_db"]

ML = Account(name="acme", vendor="makeleaps", env_prefix="ACME_", resources=("clients",))


class _KnownRun:
    """``uuid.uuid4()`` as the submitter calls it, giving a run id the test knows (the test
    needs the run's progress list, and no worker runs here to reveal it)."""

    hex = "knownrun0123"


async def test_malformed_or_foreign_messages_on_the_progress_list_are_ignored(
    tmp_path: Path, redis_db: aioredis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    from vendorkit.export import _celery_submit

    monkeypatch.setattr(_celery_submit.uuid, "uuid4", lambda: _KnownRun())
    run = asyncio.ensure_future(
        export_accounts_celery([ML], out=tmp_path, broker_url=REDIS_URL, environ={})
    )
    try:
        # Pushed at once: the run's list keeps them until the submitter pops them.
        channel = progress_key(_KnownRun.hex)
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

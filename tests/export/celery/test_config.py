"""The Celery engine's pure parts: settings from the environment, what crosses the broker, and
the submitter's checks (no worker, no Redis)."""

from __future__ import annotations

from pathlib import Path

import pytest

from vendorkit.errors import ConfigurationError
from vendorkit.export import Account, JobResult
from vendorkit.export._celery_config import (
    Unit,
    celery_config,
    lease_key,
    result_from_json,
    result_to_json,
    settings,
    started_key,
)
from vendorkit.export._celery_submit import plan_units

ML = Account(name="acme", vendor="makeleaps", env_prefix="ACME_", resources=("clients",))


def test_settings_default_to_the_broker_and_the_documented_timeouts() -> None:
    s = settings({})
    assert (s.broker_url, s.result_backend, s.redis_url) == ("redis://127.0.0.1:6379/0",) * 3
    assert (s.visibility_timeout, s.lease_ttl) == (3600.0, 30.0)
    s = settings({"VENDORKIT_CELERY_VISIBILITY_TIMEOUT": "20", "VENDORKIT_REDIS_URL": "redis://r"})
    conf = celery_config(s)
    assert conf["broker_transport_options"]["visibility_timeout"] == 20
    assert conf["accept_content"] == ["json"] and conf["task_serializer"] == "json"
    assert conf["task_acks_late"] and conf["task_reject_on_worker_lost"]
    assert conf["worker_prefetch_multiplier"] == 1 and s.redis_url == "redis://r"
    with pytest.raises(ConfigurationError, match="VENDORKIT_CELERY_LEASE_TTL"):
        settings({"VENDORKIT_CELERY_LEASE_TTL": "soon"})
    with pytest.raises(ConfigurationError, match="at least"):
        settings({"VENDORKIT_CELERY_VISIBILITY_TIMEOUT": "0"})


def test_a_unit_carries_the_declaration_only_and_round_trips(tmp_path: Path) -> None:
    (unit,) = plan_units(
        [ML], out=tmp_path, format="jsonl", resume=False, page_size=None, run_id="r1"
    )
    kwargs = unit.as_kwargs()
    assert kwargs["account"] == ML.as_dict() and kwargs["out"] == str(tmp_path)
    assert Unit.from_kwargs(kwargs) == unit
    # The lease names the file (any run), the marker the run.
    other = Unit.from_kwargs({**kwargs, "run_id": "r2"})
    assert lease_key(other) == lease_key(unit) and started_key(other) != started_key(unit)
    result = JobResult(job="acme/clients", vendor="makeleaps", resource="clients", path=tmp_path)
    assert result_from_json(result_to_json(result)) == result


def test_the_submitter_refuses_bad_input_before_sending(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    for kwargs, message in [
        ({"out": tmp_path / "file"}, "not a folder"),
        ({"format": "xml"}, "format"),
        ({"page_size": 0}, "page_size"),
    ]:
        options = {"out": tmp_path, "format": "jsonl", "page_size": None, **kwargs}
        with pytest.raises(ConfigurationError, match=message):
            plan_units([ML], resume=False, run_id="r", **options)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="listed twice"):
        plan_units([ML, ML], out=tmp_path, format="jsonl", resume=False, page_size=None, run_id="r")

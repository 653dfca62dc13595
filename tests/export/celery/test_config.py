"""The Celery engine's pure parts: settings from the environment, what crosses the broker, and
the submitter's checks (no worker, no Redis)."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import pytest

from tests._redis_url import REDIS_URL
from vendorkit.errors import ConfigurationError, TransportError
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
from vendorkit.export.celery import export_accounts_celery

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
    for out in ("relative/out", "", None, 3):
        with pytest.raises(ConfigurationError, match="absolute path on the worker"):
            Unit.from_kwargs({**kwargs, "out": out})
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


def test_a_url_celery_or_redis_cannot_use_is_a_configuration_error_naming_its_variable() -> None:
    for env, where in [
        ({"VENDORKIT_BROKER_URL": "nonsense"}, "VENDORKIT_BROKER_URL is not a broker URL"),
        ({"VENDORKIT_BROKER_URL": "foo://h"}, "VENDORKIT_BROKER_URL is not a broker URL"),
        # Not Redis, so the shared Redis must be named.
        ({"VENDORKIT_BROKER_URL": "amqp://h//"}, "default of VENDORKIT_REDIS_URL"),
        ({"VENDORKIT_REDIS_URL": "http://h"}, "VENDORKIT_REDIS_URL is not a Redis URL"),
        # redis-py ignores it; Celery's backend raised a bare ValueError at the first send.
        ({"VENDORKIT_BROKER_URL": "redis://:hunter2@h/abc"}, "database must be a number"),
    ]:
        with pytest.raises(ConfigurationError, match=where) as caught:
            settings(env)
        assert "hunter2" not in str(caught.value)
    s = settings({"VENDORKIT_BROKER_URL": "amqp://h//", "VENDORKIT_REDIS_URL": "rediss://r:1/2"})
    assert (s.broker_url, s.redis_url) == ("amqp://h//", "rediss://r:1/2")
    assert settings(
        {"VENDORKIT_BROKER_URL": "redis+socket:///s", "VENDORKIT_REDIS_URL": "unix:///s"}
    )


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port  # nothing listens there now: a connection is refused


async def test_an_unreachable_redis_or_broker_is_one_clear_error_before_anything_is_sent(
    tmp_path: Path,
) -> None:
    dead = f"redis://:hunter2@127.0.0.1:{_closed_port()}/11"
    for environ, message in [
        ({}, "cannot reach Redis"),
        ({"VENDORKIT_REDIS_URL": REDIS_URL}, r"cannot reach the broker \(VENDORKIT_BROKER_URL\)"),
    ]:
        with pytest.raises(TransportError, match=message) as caught:
            await asyncio.wait_for(
                export_accounts_celery([ML], out=tmp_path, environ=environ, broker_url=dead), 90
            )
        assert "hunter2" not in str(caught.value)


def test_a_worker_scrubs_credentials_not_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """A grant type or a language is a setting: scrubbing it would garble every message that
    mentions it ("invalid username or ***")."""
    from vendorkit.export._celery_worker import _secrets

    ld = Account(name="ld", vendor="leaddesk", env_prefix="LD_")
    for name, value in {
        "LD_CLIENT_ID": "cid-123456",
        "LD_CLIENT_SECRET": "csecret-123456",
        "LD_PASSWORD": "hunter2-123456",
        "LD_GRANT_TYPE": "password",
        "LD_BASE_URL": "http://127.0.0.1:1/",
    }.items():
        monkeypatch.setenv(name, value)
    assert sorted(_secrets(ld, None)) == ["cid-123456", "csecret-123456", "hunter2-123456"]
    monkeypatch.setenv("ML_CLIENT_ID", "mid-123456")
    monkeypatch.setenv("ML_ACCEPT_LANGUAGE", "en-US")
    ml = Account(name="ml", vendor="makeleaps", env_prefix="ML_")
    assert _secrets(ml, None) == ["mid-123456"]

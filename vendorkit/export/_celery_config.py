"""The Celery engine's pure decisions: settings read from the environment, the Redis keys a run
uses, and the JSON shapes of what crosses the broker (a unit, a progress event, a result).

Nothing here opens a connection; ``_celery_worker`` and ``_celery_submit`` do the I/O.

What crosses the broker and the result backend is only ever an account's declaration
(``Account.as_dict()``: name, vendor, env_prefix, resources), never a credential: workers read
the credentials from their own environment."""

from __future__ import annotations

import hashlib
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import attrs

from vendorkit.core import redact_text
from vendorkit.errors import ConfigurationError

from ._accounts import Account, parse_accounts
from ._engine import JobResult, Progress

#: The task's registered name (what the broker message names).
TASK_NAME = "vendorkit.export_unit"

BROKER_ENV = "VENDORKIT_BROKER_URL"
DEFAULT_BROKER = "redis://127.0.0.1:6379/0"
BACKEND_ENV = "VENDORKIT_RESULT_BACKEND"
REDIS_ENV = "VENDORKIT_REDIS_URL"
#: Seconds a delivered but unacknowledged unit stays invisible before the Redis broker hands it
#: to another worker (a worker killed mid-task). The default, an hour, is longer than one
#: (account, resource) export takes at a vendor's usual quota; a unit running longer is delivered
#: a second time, and that delivery finds the unit's lease held and waits (so it costs nothing
#: but a retry). Lower it to recover a killed worker's unit sooner.
VISIBILITY_ENV = "VENDORKIT_CELERY_VISIBILITY_TIMEOUT"
DEFAULT_VISIBILITY = 3600.0
#: Seconds a unit's lease outlives its holder's last renewal (renewed every third of it): how
#: long a unit whose worker vanished waits before another worker may write its file.
LEASE_ENV = "VENDORKIT_CELERY_LEASE_TTL"
DEFAULT_LEASE = 30.0
#: How long a run's keys (progress list, markers, results) stay in Redis.
RUN_KEYS_TTL = 7 * 24 * 3600

PREFIX = "vendorkit:celery"


def _seconds(env: Mapping[str, str], name: str, default: float, minimum: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be a number of seconds, not {raw!r}") from None
    if not math.isfinite(value) or value < minimum:
        raise ConfigurationError(f"{name} must be at least {minimum:g} seconds, not {raw!r}")
    return value


@attrs.frozen(kw_only=True)
class Settings:
    broker_url: str
    result_backend: str
    redis_url: str
    visibility_timeout: float
    lease_ttl: float

    @property
    def restore_interval(self) -> float:
        """How often a worker looks for units whose visibility timeout passed: often enough that
        a killed worker's unit waits about its visibility timeout, not ten times more (kombu's
        default sweep is every 10 s x 10 calls)."""
        return max(1.0, min(60.0, self.visibility_timeout / 4))


def _check_broker(url: str, where: str) -> None:
    """A broker URL Celery can use: its transport known (kombu would raise a bare KeyError, or
    take a word without ``://`` for a host name, when it first connects)."""
    from kombu.transport import resolve_transport

    scheme = url.partition("://")[0] if "://" in url else ""
    try:
        resolve_transport(scheme.partition("+")[0] or "?")  # redis+socket:// is redis
    except (KeyError, ImportError, ValueError):
        raise ConfigurationError(
            f"{where} is not a broker URL Celery can use (redis://host:6379/0)"
        ) from None


def _check_redis(url: str, where: str) -> None:
    """A Redis URL redis-py can open (it would raise a bare ValueError when first used). The
    message never repeats the URL: it may hold a password."""
    from redis.connection import parse_url

    try:
        parse_url(url)  # type: ignore[no-untyped-call]
        # redis-py ignores a database that is not a number; Celery's backend and kombu do not.
        database = urlsplit(url).path.strip("/") if not url.startswith("unix:") else ""
        if database and not database.isdigit():
            raise ValueError(f"the database must be a number, not {database!r}")
    except ValueError as exc:
        raise ConfigurationError(
            f"{where} is not a Redis URL (redis://host:6379/0): {redact_text(str(exc))}"
        ) from None


def settings(env: Mapping[str, str] | None = None, broker_url: str | None = None) -> Settings:
    """The engine's settings from the environment (``broker_url`` winning over it); a URL that
    cannot be used is a ``ConfigurationError`` naming its variable."""
    env = os.environ if env is None else env
    broker = broker_url or env.get(BROKER_ENV) or DEFAULT_BROKER
    broker_where = "broker_url=" if broker_url else BROKER_ENV
    _check_broker(broker, broker_where)
    redis_url = env.get(REDIS_ENV) or broker
    # Tokens, quotas, leases and progress need Redis itself, whatever the broker.
    _check_redis(
        redis_url,
        REDIS_ENV if env.get(REDIS_ENV) else f"{broker_where} (the default of {REDIS_ENV})",
    )
    return Settings(
        broker_url=broker,
        result_backend=env.get(BACKEND_ENV) or broker,
        redis_url=redis_url,
        visibility_timeout=_seconds(env, VISIBILITY_ENV, DEFAULT_VISIBILITY, 1.0),
        lease_ttl=_seconds(env, LEASE_ENV, DEFAULT_LEASE, 1.0),
    )


def celery_config(s: Settings) -> dict[str, Any]:
    """The Celery configuration (why each setting: docs/dependencies.md, Celery)."""
    transport = {
        "visibility_timeout": math.ceil(s.visibility_timeout),
        # kombu >= 5.6: sweep for abandoned units as often as the timeout calls for.
        "unacked_restore_interval": s.restore_interval,
        "unacked_restore_throttle": 1,
    }
    return {
        "broker_url": s.broker_url,
        "result_backend": s.result_backend,
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        "result_accept_content": ["json"],
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "broker_transport_options": transport,
        "result_backend_transport_options": {"visibility_timeout": transport["visibility_timeout"]},
        "result_expires": RUN_KEYS_TTL,
        "task_track_started": True,
        "broker_connection_retry_on_startup": True,
        "worker_hijack_root_logger": False,
    }


# -- units --------------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class Unit:
    """One task: one resource of one account, in one run. Only non-secret JSON."""

    account: Account
    resource: str
    out: str
    format: str
    resume: bool
    run_id: str
    page_size: int | None

    @property
    def key(self) -> str:
        return f"{self.account.name}/{self.resource}"

    def as_kwargs(self) -> dict[str, Any]:
        return {
            "account": self.account.as_dict(),
            "resource": self.resource,
            "out": self.out,
            "format": self.format,
            "resume": self.resume,
            "run_id": self.run_id,
            "page_size": self.page_size,
        }

    @classmethod
    def from_kwargs(cls, kwargs: Mapping[str, Any]) -> Unit:
        """A unit from a task's arguments, checked as an accounts file is."""
        (account,) = parse_accounts({"account": [dict(kwargs["account"])]}, "task")
        resource = kwargs["resource"]
        if account.resources is not None and resource not in account.resources:
            raise ConfigurationError(f"account {account.name!r} does not export {resource!r}")
        page_size = kwargs.get("page_size")
        out = kwargs["out"]
        # The submitter sends an absolute path; anything else would land in the worker's cwd.
        if not isinstance(out, str) or not os.path.isabs(out):
            raise ConfigurationError(f"out must be an absolute path on the worker, not {out!r}")
        return cls(
            account=account,
            resource=str(resource),
            out=out,
            format=str(kwargs.get("format", "jsonl")),
            resume=bool(kwargs.get("resume", False)),
            run_id=str(kwargs["run_id"]),
            page_size=None if page_size is None else int(page_size),
        )


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:24]


def lease_key(unit: Unit) -> str:
    """The lease on a unit's output file: the same for every run writing that file."""
    return f"{PREFIX}:lease:{_digest(unit.out, unit.format, unit.key)}"


def started_key(unit: Unit) -> str:
    """Set when a run first starts a unit: a later delivery in that run resumes."""
    return f"{PREFIX}:started:{unit.run_id}:{_digest(unit.key)}"


def finished_key(unit: Unit) -> str:
    """The unit's result, once it finished in that run: a later delivery returns it."""
    return f"{PREFIX}:finished:{unit.run_id}:{_digest(unit.key)}"


def progress_key(run_id: str) -> str:
    """The run's progress channel: a Redis list of JSON events, workers push, the submitter
    pops."""
    return f"{PREFIX}:progress:{run_id}"


def cancel_key(run_id: str) -> str:
    """Set when the submitter is cancelled: units stop with a checkpoint."""
    return f"{PREFIX}:cancel:{run_id}"


# -- what crosses the wire ----------------------------------------------------------------------


def result_to_json(result: JobResult) -> dict[str, Any]:
    out = attrs.asdict(result)
    out["path"] = None if result.path is None else str(result.path)
    return out


#: What each field of a ``JobResult`` may be in JSON (None where the field is optional).
_RESULT_TYPES: dict[str, tuple[type, ...]] = {
    "job": (str,),
    "vendor": (str,),
    "resource": (str,),
    "status": (str,),
    "records": (int,),
    "pages": (int,),
    "bytes": (int,),
    "retries": (int,),
    "waited": (int, float),
    "seconds": (int, float),
    "total": (int, type(None)),
    "path": (str, type(None)),
    "error": (str, type(None)),
    "skipped_parents": (list,),
    "account": (str, type(None)),
}


def result_from_json(data: Any) -> JobResult:
    """A ``JobResult`` from what a worker stored; ``ValueError`` for anything else (a message in
    Redis is not ours until it has the shape we write: the summary sums and prints it)."""
    if not isinstance(data, Mapping):
        raise ValueError(f"a unit's result is an object, not {type(data).__name__}")
    kwargs = {k: v for k, v in data.items() if k in _RESULT_TYPES}
    for key in ("job", "vendor", "resource"):
        if key not in kwargs:
            raise ValueError(f"a unit's result has no {key!r}")
    for key, value in kwargs.items():
        if not isinstance(value, _RESULT_TYPES[key]) or isinstance(value, bool):
            raise ValueError(f"a unit's result has a bad {key!r}")
    if not all(isinstance(p, str) for p in kwargs.get("skipped_parents", [])):
        raise ValueError("a unit's result has a bad 'skipped_parents'")
    if kwargs.get("path") is not None:
        kwargs["path"] = Path(kwargs["path"])
    return JobResult(**kwargs)


def progress_to_json(event: Progress) -> dict[str, Any]:
    return attrs.asdict(event)


def progress_from_json(data: Mapping[str, Any]) -> Progress:
    known = {f.name for f in attrs.fields(Progress)}
    return Progress(**{k: v for k, v in data.items() if k in known})


def failed_result(unit_key: str, vendor: str, resource: str, account: str, error: str) -> JobResult:
    """A unit that could not run at all (no credentials on that worker, a bad message)."""
    return JobResult(
        job=unit_key,
        vendor=vendor,
        resource=resource,
        status="failed",
        error=error,
        account=account,
    )

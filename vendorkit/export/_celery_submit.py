"""The Celery engine, submitting side: send one task per (account, resource), relay the workers'
progress, wait for every unit, and answer as the local engine does (an ``ExportResult`` whose
``JobResult``s name their account).

The submitter needs no credential (the workers read theirs); it checks what it can without them:
the accounts themselves, the options, and that ``out`` is not a file. Workers push progress and
each unit's result to a Redis list of the run (``_celery_config.progress_key``); the submitter
pops it (``BLPOP``, so the loop never blocks) and, when the list is quiet, asks the result
backend whether a unit failed outside the engine (a task that raised). Cancelling it sets the
run's cancel flag (running units stop with their checkpoint) and revokes every unfinished unit.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import logging
import os
import time
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from vendorkit.core import checked_whole, describe_exception, redact_text
from vendorkit.errors import ConfigurationError, TransportError

from ._accounts import Account, _exportable
from ._celery_config import (
    BROKER_ENV,
    REDIS_ENV,
    RUN_KEYS_TTL,
    TASK_NAME,
    Unit,
    cancel_key,
    failed_result,
    progress_from_json,
    progress_key,
    result_from_json,
    settings,
)
from ._engine import ExportResult, JobResult, OnProgress

__all__ = ["export_accounts_celery"]

log = logging.getLogger("vendorkit")

#: Seconds the submitter waits on the progress list before it asks the result backend.
POLL = 1
#: Asking the result backend at most this often (seconds).
BACKEND_CHECK = 3.0
#: Seconds a connection to Redis or the broker may take to open.
CONNECT_TIMEOUT = 10.0


def plan_units(
    accounts: Sequence[Account],
    *,
    out: str | Path,
    format: str,
    resume: bool,
    page_size: int | None,
    run_id: str,
) -> list[Unit]:
    """The run's units, checked: ``ConfigurationError`` for a bad option or account list."""
    accounts = list(accounts)
    if not accounts:
        raise ConfigurationError("no account to export")
    names: set[str] = set()
    for account in accounts:
        if not isinstance(account, Account):
            raise ConfigurationError(
                f"accounts must be Account values, not {type(account).__name__}"
            )
        if account.name in names:
            raise ConfigurationError(f"account {account.name!r} is listed twice")
        names.add(account.name)
    if not isinstance(out, str | os.PathLike) or str(out) == "":
        raise ConfigurationError(f"out= must be a folder's path, not {out!r}")
    if format not in ("jsonl", "csv"):
        raise ConfigurationError(f"format must be 'jsonl' or 'csv', not {format!r}")
    if not isinstance(resume, bool):
        raise ConfigurationError(f"resume must be True or False, not {resume!r}")
    if page_size is not None:
        checked_whole("page_size", page_size, minimum=1)
    root = Path(os.path.abspath(out))  # workers may run elsewhere: never relative to their cwd
    if root.exists() and not root.is_dir():
        raise ConfigurationError(f"out= {root} is not a folder")
    return [
        Unit(
            account=account,
            resource=resource,
            out=str(root),
            format=format,
            resume=resume,
            run_id=run_id,
            page_size=page_size,
        )
        for account in accounts
        for resource in (account.resources or _exportable(account.vendor))
    ]


def _task_id(run_id: str, index: int) -> str:
    return f"vendorkit-{run_id}-{index}"


async def export_accounts_celery(
    accounts: Sequence[Account],
    *,
    out: str | Path,
    format: str = "jsonl",
    resume: bool = False,
    page_size: int | None = None,
    on_progress: OnProgress | None = None,
    environ: Mapping[str, str] | None = None,
    broker_url: str | None = None,
) -> ExportResult:
    """Export every account's resources on Celery workers: one task per (account, resource).
    ``on_progress`` gets the workers' ``Progress`` events as the local engine's would; the result
    is the local engine's (``ExportResult``, each ``JobResult.account`` set). Cancelling this
    coroutine stops the running units with their checkpoints, revokes the queued ones, and
    re-raises."""
    if on_progress is not None and not callable(on_progress):
        raise ConfigurationError(f"on_progress must be callable, not {type(on_progress).__name__}")
    run_id = uuid.uuid4().hex
    units = plan_units(
        accounts, out=out, format=format, resume=resume, page_size=page_size, run_id=run_id
    )
    env = os.environ if environ is None else environ
    s = settings(env, broker_url)
    from .celery import app as default_app
    from .celery import make_app

    celery_app = (
        default_app if default_app.conf.broker_url == s.broker_url else make_app(s.broker_url)
    )
    ids = {unit.key: _task_id(run_id, i) for i, unit in enumerate(units)}
    started = time.monotonic()

    import redis.asyncio as aioredis

    # A server that never answers a connect must not hang the submitter (progress pops have a
    # short timeout of their own, but the connect has none by default).
    r = aioredis.from_url(s.redis_url, socket_connect_timeout=CONNECT_TIMEOUT)
    results: dict[str, JobResult] = {}
    callbacks: set[asyncio.Future[Any]] = set()
    try:
        await _reachable(r, celery_app)

        def send() -> None:
            for unit in units:
                celery_app.send_task(TASK_NAME, kwargs=unit.as_kwargs(), task_id=ids[unit.key])

        await asyncio.to_thread(send)
        checked = time.monotonic()
        while len(results) < len(units):
            item = await _pop(r, progress_key(run_id))
            if item is not None:
                _take(item[1], ids, results, on_progress, callbacks)
            elif time.monotonic() - checked >= BACKEND_CHECK:
                checked = time.monotonic()
                pending = [u for u in units if u.key not in results]
                for unit, failed in await asyncio.to_thread(_failures, celery_app, pending, ids):
                    results.setdefault(unit.key, failed)
    except BaseException:
        # Ctrl-C or a cancelled task: stop what runs (with its checkpoint), drop what is queued.
        unfinished = [ids[u.key] for u in units if u.key not in results]
        with contextlib.suppress(Exception):
            await asyncio.shield(r.set(cancel_key(run_id), "1", ex=RUN_KEYS_TTL))
        if unfinished:
            with contextlib.suppress(Exception):
                await asyncio.shield(asyncio.to_thread(celery_app.control.revoke, unfinished))
        raise
    finally:
        if callbacks:
            await asyncio.wait(set(callbacks))
        with contextlib.suppress(Exception):
            await r.delete(progress_key(run_id))
        await r.aclose()
    jobs = [results[u.key] for u in units]
    for unit, job in zip(units, jobs, strict=True):
        job.account = unit.account.name
    return ExportResult(jobs, Path(units[0].out), time.monotonic() - started)


async def _reachable(r: Any, celery_app: Any) -> None:
    """``TransportError`` in one line if Redis or the broker cannot be reached, before anything
    is sent: kombu and Celery's result backend would otherwise retry for half a minute and end
    with a ``RuntimeError`` that names neither. The messages name the variables, never the URLs
    (they may hold a password)."""
    from redis.exceptions import RedisError

    try:
        await r.ping()
    except (OSError, RedisError) as exc:
        raise TransportError(
            f"cannot reach Redis ({REDIS_ENV}, default {BROKER_ENV}): {_reason(exc)}"
        ) from None

    def connect() -> None:
        with celery_app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, timeout=CONNECT_TIMEOUT)

    try:
        await asyncio.to_thread(connect)
    except Exception as exc:  # kombu's OperationalError, or the transport's own
        raise TransportError(f"cannot reach the broker ({BROKER_ENV}): {_reason(exc)}") from None


def _reason(exc: BaseException) -> str:
    return redact_text(" ".join(str(exc).split()) or type(exc).__name__)


async def _pop(r: Any, key: str) -> Any:
    """``BLPOP`` of the progress list, cancellable: redis-py may finish a read that a
    cancellation interrupted and swallow the cancellation, so the pop runs in a task of its own
    and this coroutine only waits for it (a cancellation always reaches it)."""
    pop = asyncio.ensure_future(r.blpop([key], timeout=POLL))
    try:
        await asyncio.wait({pop})
    finally:
        if not pop.done():
            pop.cancel()
            with contextlib.suppress(BaseException):
                await asyncio.wait({pop})
    return pop.result()


def _take(
    raw: bytes,
    units: Mapping[str, str],
    results: dict[str, JobResult],
    on_progress: OnProgress | None,
    callbacks: set[asyncio.Future[Any]],
) -> None:
    """One message of the progress list: a progress event to relay, or a unit's result. Anything
    else in the list (not JSON, another run's unit, a result of the wrong shape) is ignored with
    a warning: it must neither end the run nor count as one of its units."""
    try:
        message = json.loads(raw)
    except ValueError:
        message = None
    if not isinstance(message, dict):
        log.warning("vendorkit: a message of the run's progress list is not ours; ignored")
        return
    if message.get("type") == "finished":
        unit = message.get("unit")
        if not isinstance(unit, str) or unit not in units:
            log.warning("vendorkit: a result for a unit not in this run; ignored")
            return
        try:
            result = result_from_json(message.get("result"))
            if result.job != unit:
                raise ValueError(f"the result of {result.job!r}")
        except ValueError as exc:
            log.warning(
                "vendorkit: %s: a malformed result ignored (%s)", unit, redact_text(str(exc))
            )
            return
        # A unit delivered twice reports twice, with one answer: the first is kept.
        results.setdefault(unit, result)
    elif message.get("type") == "progress" and on_progress is not None:
        try:
            outcome = on_progress(progress_from_json(message["progress"]))
            if inspect.isawaitable(outcome):
                task = asyncio.ensure_future(outcome)
                callbacks.add(task)
                task.add_done_callback(callbacks.discard)
        except Exception as exc:
            log.warning("vendorkit: progress callback raised %s; ignored", describe_exception(exc))


def _failures(
    celery_app: Any, pending: list[Unit], ids: Mapping[str, str]
) -> list[tuple[Unit, JobResult]]:
    """The pending units whose task failed outside the engine (it raised, or was revoked)."""
    found = []
    for unit in pending:
        outcome = celery_app.AsyncResult(ids[unit.key])
        state = outcome.state
        if state in ("FAILURE", "REVOKED"):
            error = redact_text(f"the task {state.lower()}: {outcome.result!s}")
            result = failed_result(
                unit.key, unit.account.vendor, unit.resource, unit.account.name, error
            )
            found.append((unit, result))
    return found

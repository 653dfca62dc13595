"""The Celery engine, worker side: what one task (one account's resource) does in a worker
process.

- One event loop per worker process, created on its first task and kept for its life, and one
  client per account on it (opened once, shared by every task of that process): the aiohttp
  session, the token and the client-side quota live as long as the process. Each client has
  ``redis_url=``: every process of every host shares the account's token (one token request
  between them) and its quota.
- A unit writes its file only under a lease (a ``redis.asyncio.lock.Lock``: SET NX PX with a
  random token, released by compare-and-delete), renewed every third of its TTL while the export
  runs. A delivery that finds the lease held raises ``LeaseHeld`` (the task retries later);
  a holder that vanished stops renewing, and its lease lapses after the TTL.
- A marker per (run, unit) says the run already started the unit: a second delivery (the
  first worker was killed) resumes from the checkpoint even without ``resume``. The unit's
  result, once finished, is kept per (run, unit): a delivery after that returns it unchanged.
- Progress events go, in order, to the run's Redis list; the submitter relays them.
- The submitter's cancel flag stops a running unit (the engine leaves its checkpoint) and keeps
  a queued one from starting.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Iterable
from typing import Any

from vendorkit.core import BaseClient, describe_exception, redact_text
from vendorkit.errors import ConfigurationError

from ._accounts import Account, account_client, check_environment
from ._celery_config import (
    RUN_KEYS_TTL,
    Settings,
    Unit,
    cancel_key,
    failed_result,
    finished_key,
    lease_key,
    progress_key,
    progress_to_json,
    result_from_json,
    result_to_json,
    settings,
    started_key,
)
from ._engine import Job, JobResult, Progress, export

log = logging.getLogger("vendorkit")


class LeaseHeld(Exception):
    """Another delivery holds the unit's lease: retry after ``countdown`` seconds."""

    def __init__(self, unit: str, countdown: float) -> None:
        super().__init__(f"{unit}: another worker is writing it")
        self.countdown = countdown


class _Cancelled(Exception):
    """The submitter cancelled the run."""


class _LeaseLost(Exception):
    """The lease lapsed while this delivery held it (the process stalled past its TTL)."""


class _Process:
    """This worker process's long-lived state: its loop, its Redis client, its clients."""

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self.settings: Settings | None = None
        self.redis: Any = None
        self.clients: dict[tuple[str, str, str], BaseClient] = {}

    def run(self, coro: Any) -> Any:
        if self.loop is None or self.loop.is_closed():
            self.loop = asyncio.new_event_loop()
            asyncio.set_event_loop(self.loop)
        return self.loop.run_until_complete(coro)

    def config(self) -> Settings:
        if self.settings is None:
            self.settings = settings()
        return self.settings

    def redis_client(self) -> Any:
        if self.redis is None:
            import redis.asyncio as aioredis

            self.redis = aioredis.from_url(self.config().redis_url)
        return self.redis

    async def client(self, account: Account) -> BaseClient:
        key = (account.name, account.vendor, account.env_prefix)
        client = self.clients.get(key)
        if client is None:
            client = account_client(account, redis_url=self.config().redis_url)
            await client.__aenter__()
            self.clients[key] = client
        return client

    async def _close(self) -> None:
        clients, self.clients = list(self.clients.values()), {}
        for client in clients:
            with contextlib.suppress(Exception):
                await client.aclose()
        if self.redis is not None:
            with contextlib.suppress(Exception):
                await self.redis.aclose()
            self.redis = None

    def close(self) -> None:
        """At process shutdown: close every client and the loop."""
        if self.loop is None or self.loop.is_closed():
            return
        with contextlib.suppress(Exception):
            self.loop.run_until_complete(self._close())
        self.loop.close()


PROCESS = _Process()


def run_unit_sync(kwargs: dict[str, Any], worker: str) -> dict[str, Any]:
    """The task's body: run the unit on this process's loop; its result as JSON."""
    result: dict[str, Any] = PROCESS.run(run_unit(kwargs, worker))
    return result


def _secrets(account: Account, client: BaseClient | None) -> list[str]:
    """Every credential this worker holds for the account: scrubbed from what leaves it."""
    found = account.secret_values()
    auth_secrets = getattr(getattr(client, "auth", None), "secrets", None)
    if callable(auth_secrets):
        with contextlib.suppress(Exception):
            found += [s for s in auth_secrets() if isinstance(s, str) and s]
    return found


def _scrub(text: str | None, secrets: Iterable[str]) -> str | None:
    return None if text is None else redact_text(text, secrets)


async def run_unit(kwargs: dict[str, Any], worker: str) -> dict[str, Any]:
    try:
        unit = Unit.from_kwargs(kwargs)
    except (ConfigurationError, KeyError, TypeError, ValueError) as exc:
        given = kwargs.get("account")
        account: dict[str, Any] = given if isinstance(given, dict) else {}
        name, resource = str(account.get("name", "?")), str(kwargs.get("resource", "?"))
        return result_to_json(
            failed_result(
                f"{name}/{resource}",
                str(account.get("vendor", "?")),
                resource,
                name,
                f"ConfigurationError: a malformed task: {redact_text(str(exc))}",
            )
        )
    r = PROCESS.redis_client()
    s = PROCESS.config()
    stored = await r.get(finished_key(unit))
    if stored is not None:  # finished in this run already: the same answer again
        try:
            return result_to_json(result_from_json(json.loads(stored)))
        except ValueError:  # not what _finish wrote: run the unit (it resumes) and overwrite it
            log.warning("vendorkit: %s: a malformed stored result ignored", unit.key)
    if await r.exists(cancel_key(unit.run_id)):
        return await _finish(r, unit, _stopped(unit, "the run was cancelled before it started"))
    try:
        check_environment([unit.account])
    except ConfigurationError as exc:
        result = failed_result(
            unit.key,
            unit.account.vendor,
            unit.resource,
            unit.account.name,
            f"ConfigurationError: worker {worker}: {exc}",
        )
        return await _finish(r, unit, result)
    lease = r.lock(lease_key(unit), timeout=s.lease_ttl, blocking=False, thread_local=False)
    if not await lease.acquire():
        raise LeaseHeld(unit.key, min(30.0, s.lease_ttl / 2))
    try:
        return await _run_leased(r, s, unit, lease, worker)
    finally:
        from redis.exceptions import LockError

        with contextlib.suppress(LockError, OSError):
            await lease.release()  # compare-and-delete: never another holder's lease


async def _run_leased(r: Any, s: Settings, unit: Unit, lease: Any, worker: str) -> dict[str, Any]:
    account = unit.account
    # The first delivery in this run sets the marker; any later one resumes from the checkpoint.
    first = await r.set(started_key(unit), worker, nx=True, ex=RUN_KEYS_TTL)
    resume = unit.resume or not first
    try:
        client = await PROCESS.client(account)
    except ConfigurationError as exc:
        result = failed_result(
            unit.key, account.vendor, unit.resource, account.name, f"ConfigurationError: {exc}"
        )
        return await _finish(r, unit, result)
    secrets = _secrets(account, client)
    events: asyncio.Queue[Progress] = asyncio.Queue()
    publisher = asyncio.ensure_future(_publish(r, unit, worker, events, secrets))
    job = Job(client=client, resource=unit.resource, name=unit.key)
    running = asyncio.ensure_future(
        export(
            [job],
            out=unit.out,
            format=unit.format,
            resume=resume,
            page_size=unit.page_size,
            on_progress=events.put_nowait,
        )
    )
    watcher = asyncio.ensure_future(_watch(r, s, unit, lease, running))
    try:
        try:
            exported = await running
        except asyncio.CancelledError:
            if not watcher.done():
                raise  # the task itself was cancelled (worker shutdown)
            if isinstance(watcher.exception(), _LeaseLost):
                # Another delivery holds the unit now; it will finish it. Ask again later.
                raise LeaseHeld(unit.key, min(30.0, s.lease_ttl / 2)) from None
            result = _stopped(unit, "cancelled by the submitter; resumable with --resume")
        except Exception as exc:  # a bad argument the engine refused (out= is a file, ...)
            result = failed_result(
                unit.key, account.vendor, unit.resource, account.name, describe_exception(exc)
            )
        else:
            result = exported.jobs[0]
            if result.status == "skipped" and not first:
                # Complete when this delivery came: an earlier delivery of this run wrote it all
                # and was lost before it could answer (killed, or its lease lapsed at the end).
                # This run did the unit, so it is done, not "already complete" from another run.
                result.status = "done"
    finally:
        watcher.cancel()
        await events.join()
        publisher.cancel()
    result.account = account.name
    result.error = _scrub(result.error, secrets)
    return await _finish(r, unit, result)


def _stopped(unit: Unit, why: str) -> JobResult:
    result = failed_result(unit.key, unit.account.vendor, unit.resource, unit.account.name, why)
    result.status = "stopped"
    return result


async def _watch(r: Any, s: Settings, unit: Unit, lease: Any, running: asyncio.Future[Any]) -> None:
    """Renew the lease every third of its TTL while the unit runs; cancel the unit if the lease
    was lost or the submitter cancelled the run.

    Redis unreachable for a moment (an error, or a connection that stalls: redis-py has no
    read timeout of its own) must neither end the renewals, the unit writing on unguarded, nor
    hang them until the lease lapsed: each attempt is bounded, a failed one is tried again at
    the next tick, and once the lease may lapse before a later attempt could renew it, the unit
    stops (with its checkpoint) before another worker can take the file."""
    from redis.exceptions import LockError, RedisError

    loop = asyncio.get_running_loop()
    renewed = loop.time()  # the lease lasts at least lease_ttl from when its renewal was sent
    while not running.done():
        await asyncio.sleep(s.lease_ttl / 3)
        sent = loop.time()
        try:
            async with asyncio.timeout(s.lease_ttl / 6):
                await lease.reacquire()
                cancelled = await r.exists(cancel_key(unit.run_id))
        except LockError:
            log.warning(
                "vendorkit: %s: the unit's lease lapsed; another worker may take it", unit.key
            )
            running.cancel()
            raise _LeaseLost from None
        except (OSError, RedisError, TimeoutError) as exc:
            if loop.time() + s.lease_ttl / 2 < renewed + s.lease_ttl:
                log.warning(
                    "vendorkit: %s: the unit's lease not renewed (%s); trying again",
                    unit.key,
                    type(exc).__name__,
                )
                continue
            log.warning(
                "vendorkit: %s: the unit's lease could not be renewed in time (%s); stopping it",
                unit.key,
                type(exc).__name__,
            )
            running.cancel()
            raise _LeaseLost from None
        renewed = sent
        if cancelled:
            running.cancel()
            raise _Cancelled


async def _publish(
    r: Any, unit: Unit, worker: str, events: asyncio.Queue[Progress], secrets: list[str]
) -> None:
    """Push the unit's progress events to the run's list, in the order the engine made them."""
    key = progress_key(unit.run_id)
    while True:
        event = await events.get()
        try:
            data = progress_to_json(event)
            data["message"] = _scrub(data["message"], secrets)
            message = {"type": "progress", "unit": unit.key, "worker": worker, "progress": data}
            await r.rpush(key, json.dumps(message))
            await r.expire(key, RUN_KEYS_TTL)
        except Exception as exc:  # progress is advisory: never fail the unit for it
            log.warning("vendorkit: %s: progress not published: %s", unit.key, type(exc).__name__)
        finally:
            events.task_done()


async def _finish(r: Any, unit: Unit, result: JobResult) -> dict[str, Any]:
    """Keep the unit's result for this run and tell the submitter."""
    data = result_to_json(result)
    text = json.dumps(data)
    await r.set(finished_key(unit), text, ex=RUN_KEYS_TTL)
    key = progress_key(unit.run_id)
    await r.rpush(key, json.dumps({"type": "finished", "unit": unit.key, "result": data}))
    await r.expire(key, RUN_KEYS_TTL)
    return data

"""The bulk export engine: many (client, resource, filters) jobs at once, exactly once, resumable.

- One bound on requests in flight across every job and vendor (a semaphore shared by the
  clients), on top of each client's own quota.
- Pages go to the sink in order as they arrive; memory is bounded by the pages in flight.
- Before each page is written, the job's checkpoint records where the walk continues and how far
  the output is durable; the output file appears only when the job completes. A killed or
  cancelled export resumes (``resume=True``) from the last checkpoint with no duplicate and no gap.
- A client-side quota that would make a job wait longer than ``max_quota_wait`` (a spent daily
  budget) stops that job cleanly with its checkpoint, instead of sleeping or hammering 429s; the
  plan is announced up front when the first page reveals the total.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import math
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from vendorkit.core import BaseClient, Record
from vendorkit.core._resource import Resource
from vendorkit.errors import RateLimitError, VendorkitError

from ._checkpoint import Checkpoint
from ._sinks import CsvSink, JsonlSink, Sink

__all__ = ["ExportResult", "Job", "JobResult", "Progress", "export", "exportable_resources"]

log = logging.getLogger("vendorkit")


@attrs.frozen(kw_only=True)
class Job:
    """Export one resource of one client: ``Job(client=ml, resource="documents",
    filters={"document_type": "invoice"})``. ``name`` is the output's base name (default:
    ``<vendor>/<resource>``)."""

    client: BaseClient
    resource: str
    filters: Mapping[str, Any] = attrs.field(factory=dict)
    name: str | None = None

    @property
    def vendor(self) -> str:
        return self.client.spec.name

    @property
    def key(self) -> str:
        return self.name or f"{self.vendor}/{self.resource}"


@attrs.frozen(kw_only=True)
class Progress:
    """One progress event. ``event`` is ``start``, ``plan``, ``page``, ``retry``, ``wait``,
    ``done``, ``stopped`` or ``failed``. ``total`` and ``eta`` (seconds) are None where unknown."""

    job: str
    event: str
    records: int = 0
    pages: int = 0
    bytes: int = 0
    total: int | None = None
    rate: float = 0.0
    eta: float | None = None
    retries: int = 0
    waited: float = 0.0
    message: str = ""


@attrs.define(kw_only=True)
class JobResult:
    job: str
    vendor: str
    resource: str
    status: str = "pending"  # done | stopped | failed | skipped (already complete)
    records: int = 0
    pages: int = 0
    bytes: int = 0
    retries: int = 0
    waited: float = 0.0
    seconds: float = 0.0
    total: int | None = None
    path: Path | None = None
    error: str | None = None


@attrs.define
class ExportResult:
    jobs: list[JobResult]
    out: Path
    seconds: float

    @property
    def ok(self) -> bool:
        return all(j.status in ("done", "skipped") for j in self.jobs)

    @property
    def records(self) -> int:
        return sum(j.records for j in self.jobs)


OnProgress = Callable[[Progress], Any]
SinkFactory = Callable[[Path], Sink]

_current: contextvars.ContextVar[_JobState | None] = contextvars.ContextVar(
    "vendorkit_export_job", default=None
)


@attrs.define
class _JobState:
    result: JobResult
    started: float
    emit: Callable[[Progress], None]

    def progress(self, event: str, message: str = "") -> Progress:
        r = self.result
        elapsed = max(1e-6, time.monotonic() - self.started)
        rate = r.records / elapsed
        eta = None
        if r.total is not None and rate > 0:
            eta = max(0.0, (r.total - r.records) / rate)
        return Progress(
            job=r.job,
            event=event,
            records=r.records,
            pages=r.pages,
            bytes=r.bytes,
            total=r.total,
            rate=rate,
            eta=eta,
            retries=r.retries,
            waited=r.waited,
            message=message,
        )


def _on_retry(attempt: int, delay: float, cause: Any) -> None:
    state = _current.get()
    if state is not None:
        state.result.retries += 1
        state.emit(
            state.progress("retry", f"attempt {attempt} failed ({cause!r}); retry in {delay:.1f}s")
        )


def _on_rate_limit(wait: float, reason: str) -> None:
    state = _current.get()
    if state is not None:
        state.result.waited += wait
        state.emit(state.progress("wait", f"waiting {wait:.1f}s for {reason}"))


def exportable_resources(client: BaseClient) -> list[str]:
    """The client's resources that can be listed in full: those with ``list`` whose path needs
    no argument beyond the client's own path variables and a declared partition."""
    names = []
    for name in type(client).resource_names():
        endpoint = getattr(client, name).endpoint
        if "list" in endpoint.actions:
            names.append(name)
    return names


async def _partitions(client: BaseClient, resource: Resource[Any]) -> AsyncIterator[dict[str, Any]]:
    """The argument sets under which ``resource`` is listed: one empty set, or one per parent
    record for a partitioned (child) collection, recursively."""
    part = resource.endpoint.partition
    if part is None:
        yield {}
        return
    parent_name, field, argument = part
    parent: Any = getattr(client, parent_name)
    async for parent_args in _partitions(client, parent):
        async for record in parent.list_raw(**parent_args):
            raw = record.raw if isinstance(record, Record) else record
            value = raw.get(field) if isinstance(raw, Mapping) else None
            if value is not None:
                yield {argument: value}


def _paths(out: Path, job: Job, fmt: str) -> tuple[Path, Path]:
    """The output file, and its checkpoint (kept apart, under ``out/.checkpoints/``)."""
    base = out / job.key
    checkpoint = out / ".checkpoints" / f"{job.key}.{fmt}.json"
    checkpoint.parent.mkdir(parents=True, exist_ok=True)
    return base.with_name(base.name + (".csv" if fmt == "csv" else ".jsonl")), checkpoint


async def _run_job(
    job: Job,
    *,
    out: Path,
    fmt: str,
    resume: bool,
    page_size: int | None,
    pager_concurrency: int,
    sink_factory: SinkFactory | None,
    emit: Callable[[Progress], None],
) -> JobResult:
    result = JobResult(job=job.key, vendor=job.vendor, resource=job.resource)
    state = _JobState(result, time.monotonic(), emit)
    _current.set(state)
    path, ck_path = _paths(out, job, fmt)
    result.path = path
    ck = Checkpoint.load(ck_path) if resume else None
    if ck is not None and ck.done and path.exists():
        result.status, result.records, result.pages, result.bytes = (
            "skipped",
            ck.records,
            ck.pages,
            ck.bytes,
        )
        emit(state.progress("done", "already complete"))
        return result
    if ck is None or ck.done:
        ck = Checkpoint(job=job.key)
    result.records, result.pages, result.bytes = ck.records, ck.pages, ck.bytes
    path.parent.mkdir(parents=True, exist_ok=True)
    sink: Sink
    if sink_factory is not None:
        sink = sink_factory(path)
    else:
        sink = CsvSink(path) if fmt == "csv" else JsonlSink(path)
    resource: Resource[Any] = getattr(job.client, job.resource)
    emit(state.progress("start"))
    await sink.open(ck.sink_position if ck.sink_position is not None else None)
    committed = False
    try:
        index = 0
        planned = False
        async for args in _partitions(job.client, resource):
            if index < ck.partition_index:
                index += 1
                continue
            start = ck.resume if index == ck.partition_index else None
            pager = resource.list_raw(  # type: ignore[attr-defined]
                **{**job.filters, **args},
                page_size=page_size,
                concurrency=pager_concurrency,
                resume=start,
            )
            async for page in pager.pages():
                # Durable state *before* this page: a crash while writing it refetches it.
                ck.resume, ck.partition_index = page.resume, index
                ck.sink_position = sink.position()
                ck.records, ck.pages, ck.bytes = result.records, result.pages, result.bytes
                ck.save(ck_path)
                if not planned and page.total is not None and resource.endpoint.partition is None:
                    planned = True
                    result.total = page.total
                    await _announce_plan(job, page.total, len(page.records), state)
                raws = page.records
                result.bytes += await sink.write(raws)
                result.records += len(raws)
                result.pages += 1
                emit(state.progress("page"))
            index += 1
            ck.resume, ck.partition_index = None, index
            ck.sink_position = sink.position()
            ck.records, ck.pages, ck.bytes = result.records, result.pages, result.bytes
            ck.save(ck_path)
        await sink.commit()
        committed = True
        ck.done, ck.stopped = True, None
        ck.records, ck.pages, ck.bytes = result.records, result.pages, result.bytes
        ck.save(ck_path)
        result.status = "done"
        emit(state.progress("done"))
    except RateLimitError as exc:
        result.status = "stopped"
        result.error = str(exc)
        ck.stopped = str(exc)
        ck.save(ck_path)
        emit(state.progress("stopped", f"stopped at the rate limit; resume later: {exc}"))
    except (VendorkitError, OSError) as exc:
        result.status = "failed"
        result.error = f"{type(exc).__name__}: {exc}"
        emit(state.progress("failed", result.error))
    finally:
        if not committed:
            with contextlib.suppress(Exception):
                await sink.close()
        result.seconds = time.monotonic() - state.started
    return result


async def _announce_plan(job: Job, total: int, first_page: int, state: _JobState) -> None:
    limiter = job.client.rate_limiter
    if limiter is None or first_page == 0:
        return
    needed = math.ceil(max(0, total - first_page) / first_page)
    remaining = await limiter.remaining()
    if not remaining:
        return
    quota, left = min(remaining.items(), key=lambda kv: kv[1])
    if needed > left:
        msg = (
            f"{total} records need about {needed} more requests but only {left} are left in "
            f"the {quota} quota: the job will stop at the limit with a checkpoint (use --resume)"
        )
        log.warning("vendorkit: %s: %s", job.key, msg)
        state.emit(state.progress("plan", msg))


async def export(
    jobs: Sequence[Job],
    *,
    out: str | Path,
    format: str = "jsonl",
    concurrency: int = 8,
    page_size: int | None = None,
    resume: bool = False,
    on_progress: OnProgress | None = None,
    sink_factory: SinkFactory | None = None,
    max_quota_wait: float | None = 300.0,
) -> ExportResult:
    """Run every job concurrently (at most ``concurrency`` requests in flight in all) and write
    ``out/<vendor>/<resource>.jsonl`` (or ``.csv``). Returns per-job results; a failed job does
    not stop the others. Cancelling the task leaves every checkpoint resumable."""
    if format not in ("jsonl", "csv"):
        raise ValueError("format must be 'jsonl' or 'csv'")
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    keys = [j.key for j in jobs]
    if len(set(keys)) != len(keys):
        raise ValueError("two jobs write the same output; give them distinct names")
    root = Path(out)
    root.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()

    def emit(event: Progress) -> None:
        if on_progress is not None:
            try:
                on_progress(event)
            except Exception:
                log.warning("vendorkit: progress callback raised; ignored", exc_info=True)

    slots = asyncio.Semaphore(concurrency)
    job_slots = asyncio.Semaphore(concurrency)
    clients = {id(j.client): j.client for j in jobs}
    saved = {cid: (c.request_slots, c.max_quota_wait) for cid, c in clients.items()}
    for c in clients.values():
        c.request_slots = slots
        c.max_quota_wait = max_quota_wait
        c.hooks.on_retry.append(_on_retry)
        c.hooks.on_rate_limit.append(_on_rate_limit)
    pager_concurrency = max(1, concurrency // max(1, min(len(jobs), concurrency)))

    async def guarded(job: Job) -> JobResult:
        async with job_slots:
            return await _run_job(
                job,
                out=root,
                fmt=format,
                resume=resume,
                page_size=page_size,
                pager_concurrency=pager_concurrency,
                sink_factory=sink_factory,
                emit=emit,
            )

    try:
        results = await asyncio.gather(*(guarded(j) for j in jobs))
    finally:
        for cid, c in clients.items():
            c.request_slots, c.max_quota_wait = saved[cid]
            c.hooks.on_retry.remove(_on_retry)
            c.hooks.on_rate_limit.remove(_on_rate_limit)
    return ExportResult(list(results), root, time.monotonic() - started)

"""The bulk export engine: many (client, resource, filters) jobs at once, exactly once, resumable.

- One bound on requests in flight across every job and vendor (a semaphore shared by the
  clients), on top of each client's own quota.
- Pages go to the sink in order as they arrive; memory is bounded by the pages in flight.
- After each page is written, the job's checkpoint records where the walk continues and how far
  the output goes; the output file appears only when the job completes. A killed or cancelled
  export resumes (``resume=True``) from the last checkpoint with no duplicate, no gap, and no
  completed page fetched again.
- Child collections (an endpoint's ``partition``) are walked parent by parent; the checkpoint
  keeps the parent walk's own position, so a resume lists again only the parent page it stopped
  in.
- A client-side quota that would make a job wait longer than ``max_quota_wait`` (a spent daily
  budget) stops that job cleanly with its checkpoint, instead of sleeping or hammering 429s; the
  plan is announced up front when the first page reveals the total.
- Every walk is closed explicitly (``aclosing``): whether a job completes, fails or is
  cancelled, no page fetch is left running behind it.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import json
import logging
import math
import time
from collections.abc import AsyncGenerator, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from vendorkit.core import BaseClient
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
    ``<vendor>/<resource>``). For a child collection, naming its parent argument in ``filters``
    (Leady ``sessions`` with ``{"resource": "www.example.com"}``) exports that parent's children
    only."""

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
    ``done``, ``stopped`` or ``failed``. ``total`` and ``eta`` (seconds) are None where unknown.
    ``records``, ``pages`` and ``bytes`` include what a resumed job had done before; ``rate``
    (records/second) counts this run only."""

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
Cursor = list[dict[str, Any]]

_current: contextvars.ContextVar[_JobState | None] = contextvars.ContextVar(
    "vendorkit_export_job", default=None
)


@attrs.define
class _JobState:
    result: JobResult
    started: float
    emit: Callable[[Progress], None]
    # Records already exported when this run began (a resumed job): not part of this run's rate.
    base_records: int = 0

    def progress(self, event: str, message: str = "") -> Progress:
        r = self.result
        elapsed = max(1e-6, time.monotonic() - self.started)
        rate = max(0, r.records - self.base_records) / elapsed
        eta = None
        if r.total is not None:
            left = max(0, r.total - r.records)
            if left == 0:
                eta = 0.0
            elif rate > 0:
                eta = left / rate
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
    """The client's resources that offer ``list``, in declaration order. Adapters declare a
    ``partition`` (the parent to list first) for any whose path needs a parent's id, so every
    one of them can be exported in full."""
    names = []
    for name in type(client).resource_names():
        endpoint = getattr(client, name).endpoint
        if "list" in endpoint.actions:
            names.append(name)
    return names


def _partition_of(
    resource: Resource[Any], filters: Mapping[str, Any]
) -> tuple[str, str, str] | None:
    """The resource's partition, unless the caller fixed the parent in ``filters``."""
    part = resource.endpoint.partition
    if part is None or part[2] in filters:
        return None
    return part


def _depth(client: BaseClient, resource: Resource[Any], filters: Mapping[str, Any]) -> int:
    """How many parent levels a walk of ``resource`` goes through."""
    part = _partition_of(resource, filters)
    if part is None:
        return 0
    return 1 + _depth(client, getattr(client, part[0]), {})


async def _partitions(
    client: BaseClient,
    resource: Resource[Any],
    filters: Mapping[str, Any],
    start: Cursor | None,
) -> AsyncGenerator[tuple[dict[str, Any], Cursor], None]:
    """The argument sets under which ``resource`` is listed, each with its cursor: one empty set,
    or one per parent record for a child collection, recursively. A cursor holds, per level, the
    parent page's resume point and the record's index in it; ``start`` (a cursor yielded earlier)
    makes the walk begin at that very partition without listing the parents before it again."""
    part = _partition_of(resource, filters)
    if part is None:
        yield {}, []
        return
    parent_name, field, argument = part
    parent: Any = getattr(client, parent_name)
    here = start[-1] if start else None
    upper = start[:-1] if start else None
    async with contextlib.aclosing(_partitions(client, parent, {}, upper)) as parents:
        async for parent_args, cursor in parents:
            resume, skip = (here.get("resume"), int(here.get("skip", 0))) if here else (None, 0)
            here = None
            pager = parent.list_raw(**parent_args, resume=resume)
            async with contextlib.aclosing(pager.pages()) as pages:
                async for page in pages:
                    for i in range(skip, len(page.records)):
                        raw = page.records[i]
                        value = raw.get(field) if isinstance(raw, Mapping) else None
                        if value is not None:
                            yield {argument: value}, [*cursor, {"resume": page.resume, "skip": i}]
                    skip = 0


def _paths(out: Path, job: Job, fmt: str) -> tuple[Path, Path]:
    """The output file, and its checkpoint (kept apart, under ``out/.checkpoints/``)."""
    base = out / job.key
    checkpoint = out / ".checkpoints" / f"{job.key}.{fmt}.json"
    return base.with_name(base.name + (".csv" if fmt == "csv" else ".jsonl")), checkpoint


def _fingerprint(job: Job) -> str:
    """What makes a checkpoint this job's: the account's API, the resource and the filters. A
    checkpoint left by another job under the same name is not resumed (the job starts over)."""
    return json.dumps(
        {
            "vendor": job.vendor,
            "base_url": job.client.base_url,
            "resource": job.resource,
            "filters": dict(job.filters),
        },
        sort_keys=True,
        default=str,
    )


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


class _Restart(Exception):
    """The checkpoint no longer fits the data (a parent moved): start the job over."""


class _JobRun:
    """One job in one ``export`` call."""

    def __init__(
        self,
        job: Job,
        *,
        out: Path,
        fmt: str,
        resume: bool,
        page_size: int | None,
        pager_concurrency: int,
        sink_factory: SinkFactory | None,
        emit: Callable[[Progress], None],
    ) -> None:
        self.job = job
        self.resume = resume
        self.page_size = page_size
        self.pager_concurrency = pager_concurrency
        self.result = JobResult(job=job.key, vendor=job.vendor, resource=job.resource)
        self.state = _JobState(self.result, time.monotonic(), emit)
        self.path, self.ck_path = _paths(out, job, fmt)
        self.result.path = self.path
        self.fingerprint = _fingerprint(job)
        self.resource: Resource[Any] = getattr(job.client, job.resource)
        self.fmt = fmt
        self.sink_factory = sink_factory
        self.ck = Checkpoint(job=job.key, fingerprint=self.fingerprint)

    # -- checkpoint -----------------------------------------------------------------------------

    def _load(self) -> Checkpoint | None:
        if not self.resume:
            return None
        ck = Checkpoint.load(self.ck_path)
        if ck is None:
            return None
        if ck.fingerprint != self.fingerprint:
            log.warning(
                "vendorkit: %s: the checkpoint was left by another job (other filters, resource "
                "or base URL); starting over",
                self.job.key,
            )
            return None
        depth = _depth(self.job.client, self.resource, self.job.filters)
        if ck.partition is not None and len(ck.partition) != depth:
            log.warning("vendorkit: %s: checkpoint does not fit; starting over", self.job.key)
            return None
        return ck

    def _adopt(self, ck: Checkpoint) -> None:
        self.ck = ck
        r = self.result
        r.records, r.pages, r.bytes, r.total = ck.records, ck.pages, ck.bytes, ck.total
        self.state.base_records = ck.records

    def _restart(self) -> None:
        self._adopt(Checkpoint(job=self.job.key, fingerprint=self.fingerprint))

    def _save(self, sink: Sink) -> None:
        ck, r = self.ck, self.result
        ck.sink_position = _jsonable(sink.position())
        ck.records, ck.pages, ck.bytes, ck.total = r.records, r.pages, r.bytes, r.total
        ck.save(self.ck_path)

    # -- the run --------------------------------------------------------------------------------

    async def run(self) -> JobResult:
        _current.set(self.state)
        emit, result = self.state.emit, self.result
        started = False

        def start() -> None:
            # Once the job knows where it starts: a resumed job's records are counted already.
            nonlocal started
            if not started:
                started = True
                emit(self.state.progress("start"))

        sink: Sink | None = None
        try:
            self.ck_path.parent.mkdir(parents=True, exist_ok=True)
            loaded = self._load()
            if loaded is not None:
                self._adopt(loaded)
                if self._complete(loaded):
                    if not loaded.done:  # the commit completed; only its record of it was lost
                        loaded.done, loaded.committing = True, False
                        loaded.save(self.ck_path)
                    start()
                    result.status = "skipped"
                    emit(self.state.progress("done", "already complete"))
                    return result
                if loaded.done:
                    self._restart()  # complete, but its output is gone: export it again
            sink = self._sink()
            await self._open(sink)
            self.ck.stopped = self.ck.error = None
            self._save(sink)  # from here on, a .part file always has a checkpoint
            start()
            while True:
                try:
                    if not self.ck.committing:
                        await self._walk(sink)
                    break
                except _Restart as exc:
                    log.warning("vendorkit: %s: %s; starting over", self.job.key, exc)
                    self._restart()
                    await sink.close()
                    await sink.open(None)
                    self._save(sink)
            self.ck.committing = True
            self._save(sink)
            await sink.commit()
            sink = None
            self.ck.done, self.ck.committing = True, False
            self.ck.save(self.ck_path)
            result.status = "done"
            emit(self.state.progress("done"))
        except RateLimitError as exc:
            start()
            result.status = "stopped"
            result.error = str(exc)
            self.ck.stopped = str(exc)
            with contextlib.suppress(OSError):
                self.ck.save(self.ck_path)
            emit(self.state.progress("stopped", f"stopped at the rate limit; resume later: {exc}"))
        except Exception as exc:
            if not isinstance(exc, VendorkitError | OSError):
                log.error("vendorkit: %s failed", self.job.key, exc_info=True)
            start()
            result.status = "failed"
            result.error = f"{type(exc).__name__}: {exc}"
            self.ck.error = result.error
            with contextlib.suppress(OSError):
                self.ck.save(self.ck_path)
            emit(self.state.progress("failed", result.error))
        finally:
            if sink is not None:
                with contextlib.suppress(Exception):
                    await sink.close()
            result.seconds = time.monotonic() - self.state.started
        return result

    def _complete(self, ck: Checkpoint) -> bool:
        """Whether ``ck`` describes a finished output that is still there."""
        if not self.path.exists():
            return False
        if ck.done:
            return True
        # Stopped between the commit's rename and the checkpoint saying so: the built-in sinks'
        # part file is gone and the final file is in place.
        return ck.committing and self.sink_factory is None and not self._part_exists()

    def _part_exists(self) -> bool:
        return (CsvSink if self.fmt == "csv" else JsonlSink)(self.path).part.exists()

    def _sink(self) -> Sink:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.sink_factory is not None:
            return self.sink_factory(self.path)
        return CsvSink(self.path) if self.fmt == "csv" else JsonlSink(self.path)

    async def _open(self, sink: Sink) -> None:
        position = self.ck.sink_position
        if position is None:
            self._restart()
            await sink.open(None)
            return
        try:
            await sink.open(position)
        except ValueError as exc:
            log.warning(
                "vendorkit: %s: cannot continue the output (%s); starting over", self.job.key, exc
            )
            self._restart()
            await sink.open(None)

    async def _walk(self, sink: Sink) -> None:
        job, ck, result, state = self.job, self.ck, self.result, self.state
        resuming = ck.partition is not None
        planned = False
        parts = _partitions(job.client, self.resource, job.filters, ck.partition)
        async with contextlib.aclosing(parts) as partitions:
            async for args, cursor in partitions:
                start: dict[str, Any] | None = None
                size = self.page_size
                if resuming:
                    resuming = False
                    if ck.partition_args is not None and _jsonable(args) != ck.partition_args:
                        raise _Restart(
                            f"the partition in progress was {ck.partition_args}, now {args}"
                        )
                    if ck.partition_done:
                        continue
                    start = ck.resume
                    if start is not None:
                        size = ck.page_size  # page N of size M is only page N at size M
                ck.partition, ck.partition_args = cursor, _jsonable(args)
                ck.partition_done, ck.resume, ck.page_size = False, start, size
                pager = self.resource.list_raw(  # type: ignore[attr-defined]
                    **{**job.filters, **args},
                    page_size=size,
                    concurrency=self.pager_concurrency,
                    resume=start,
                )
                async with contextlib.aclosing(pager.pages()) as pages:
                    async for page in pages:
                        if page.total is not None and not cursor:
                            result.total = page.total
                            if not planned:
                                planned = True
                                await self._announce_plan(page.total, len(page.records))
                        result.bytes += await sink.write(page.records)
                        result.records += len(page.records)
                        result.pages += 1
                        # None from the pager means "complete", in a checkpoint "from the start".
                        ck.resume = None if pager.done else pager.resume_point
                        ck.partition_done = pager.done
                        self._save(sink)
                        state.emit(state.progress("page"))
                ck.partition_done, ck.resume = True, None
                ck.partition_index += 1
                self._save(sink)

    async def _announce_plan(self, total: int, first_page: int) -> None:
        """Say up front when the client-side quota cannot cover what is left of the job."""
        limiter = self.job.client.rate_limiter
        if limiter is None or first_page == 0:
            return
        # ``result.records`` does not count this first page yet; it does count a resumed job's
        # earlier records, which need no request.
        left_records = max(0, total - self.result.records - first_page)
        needed = math.ceil(left_records / first_page)
        remaining = await limiter.remaining()
        if not remaining:
            return
        quota, left = min(remaining.items(), key=lambda kv: kv[1])
        if needed > left:
            msg = (
                f"{left_records} more records need about {needed} more requests but only {left} "
                f"are left in the {quota} quota: the job will stop at the limit with a checkpoint "
                "(use --resume)"
            )
            log.warning("vendorkit: %s: %s", self.job.key, msg)
            self.state.emit(self.state.progress("plan", msg))


# Clients lent to running exports: id -> [exports using it, saved request_slots, saved wait].
_lent: dict[int, list[Any]] = {}


def _borrow(client: BaseClient, slots: asyncio.Semaphore, max_quota_wait: float | None) -> None:
    entry = _lent.get(id(client))
    if entry is not None:
        # Already in another running export: it keeps that export's bound and hooks.
        entry[0] += 1
        return
    _lent[id(client)] = [1, client.request_slots, client.max_quota_wait]
    client.request_slots = slots
    client.max_quota_wait = max_quota_wait
    client.hooks.on_retry.append(_on_retry)
    client.hooks.on_rate_limit.append(_on_rate_limit)


def _give_back(client: BaseClient) -> None:
    entry = _lent[id(client)]
    entry[0] -= 1
    if entry[0] > 0:
        return
    del _lent[id(client)]
    client.request_slots, client.max_quota_wait = entry[1], entry[2]
    client.hooks.on_retry.remove(_on_retry)
    client.hooks.on_rate_limit.remove(_on_rate_limit)


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
    not stop the others. Cancelling the task leaves every checkpoint resumable.

    Raises ``ValueError`` before anything is fetched for a bad argument: an unknown format, a
    resource the client cannot list, two jobs writing the same output."""
    if format not in ("jsonl", "csv"):
        raise ValueError("format must be 'jsonl' or 'csv'")
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    if page_size is not None and page_size < 1:
        raise ValueError("page_size must be at least 1")
    for job in jobs:
        known = exportable_resources(job.client)
        if job.resource not in known:
            raise ValueError(
                f"{job.vendor} has no resource {job.resource!r} to export; it has: "
                f"{', '.join(known)}"
            )
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
    pager_concurrency = max(1, concurrency // max(1, min(len(jobs), concurrency)))

    async def guarded(job: Job) -> JobResult:
        async with job_slots:
            return await _JobRun(
                job,
                out=root,
                fmt=format,
                resume=resume,
                page_size=page_size,
                pager_concurrency=pager_concurrency,
                sink_factory=sink_factory,
                emit=emit,
            ).run()

    for c in clients.values():
        _borrow(c, slots, max_quota_wait)
    try:
        results = await asyncio.gather(*(guarded(j) for j in jobs))
    finally:
        for c in clients.values():
            _give_back(c)
    return ExportResult(list(results), root, time.monotonic() - started)

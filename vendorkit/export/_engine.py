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
  in. A parent whose key no URL can carry (a lone surrogate, an empty or a missing key) is
  skipped and named in the result and the checkpoint; the job completes as ``incomplete``.
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
import inspect
import json
import logging
import math
import os
import time
from collections.abc import AsyncGenerator, Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from vendorkit.core import (
    BaseClient,
    Resource,
    checked_seconds,
    checked_whole,
    describe_exception,
    path_segment,
    redact_text,
)
from vendorkit.errors import (
    CheckpointError,
    ConfigurationError,
    RateLimitError,
    UnsafePathError,
    VendorkitError,
)

from ._checkpoint import MAX_SKIPPED_NAMED, Checkpoint
from ._files import ensure_root, ensure_subdirs, is_regular_file, refuse_link
from ._names import check_name, check_segment, collision_key
from ._plan import QuotaPlans, plan_message
from ._position import FilePosition
from ._sinks import CsvSink, JsonlSink, Sink

__all__ = ["ExportResult", "Job", "JobResult", "Progress", "export", "exportable_resources"]

log = logging.getLogger("vendorkit")


#: The folder under ``out=`` that holds the checkpoints (no job name may start with a dot).
CHECKPOINTS = ".checkpoints"
#: Seconds between checkpoints written while a job walks (one after every page cost more than
#: the page: an atomic rename each time). A crash loses at most this much progress, never a
#: record: the output is cut back to the checkpoint's position on resume. Stops, failures,
#: cancellations and the end of each partition always write the latest state.
CHECKPOINT_INTERVAL = 1.0


def _is_client(_: Any, attribute: Any, value: Any) -> None:
    if not isinstance(value, BaseClient):
        raise ConfigurationError(
            f"Job(client=...) must be a vendorkit client, not {type(value).__name__}"
        )


def _is_resource(_: Any, attribute: Any, value: Any) -> None:
    check_segment(value, "Job(resource=...)")


def _are_filters(_: Any, attribute: Any, value: Any) -> None:
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise ConfigurationError("Job(filters=...) must be a mapping of filter names to values")


def _is_name(_: Any, attribute: Any, value: Any) -> None:
    if value is not None:
        check_name(value, "Job(name=...)")


@attrs.frozen(kw_only=True)
class Job:
    """Export one resource of one client: ``Job(client=ml, resource="documents",
    filters={"document_type": "invoice"})``. ``name`` is the output's base name (default:
    ``<vendor>/<resource>``), relative to ``out=``: ``/``-separated plain names, nothing that
    could lead outside it (see ``docs/export.md``, Safety; a ``ConfigurationError`` otherwise).
    For a child collection, naming its parent argument in ``filters`` (Leady ``sessions`` with
    ``{"resource": "www.example.com"}``) exports that parent's children only."""

    client: BaseClient = attrs.field(validator=_is_client)
    resource: str = attrs.field(validator=_is_resource)
    filters: Mapping[str, Any] = attrs.field(factory=dict, validator=_are_filters)
    name: str | None = attrs.field(default=None, validator=_is_name)

    @property
    def vendor(self) -> str:
        return self.client.spec.name

    @property
    def key(self) -> str:
        return self.name or f"{self.vendor}/{self.resource}"

    def segments(self) -> tuple[str, ...]:
        """The output's path under ``out=``, segment by segment (checked: ConfigurationError)."""
        if self.name is not None:
            return check_name(self.name, "Job(name=...)")
        return (check_segment(self.vendor, "vendor name"), self.resource)


@attrs.frozen(kw_only=True)
class Progress:
    """One progress event. ``event`` is ``start``, ``plan``, ``page``, ``retry``, ``wait``,
    ``done``, ``stopped`` or ``failed``. ``total`` and ``eta`` (seconds) are None where unknown.
    ``records``, ``pages`` and ``bytes`` include what a resumed job had done before; ``rate``
    (records/second) counts this run only. ``resume_in`` (seconds), on a ``wait`` event: how
    long the job now waits (a client-side quota, a vendor's 429 pause) before its next request;
    ``message`` says the same in words ("waiting for quota, resumes in 41 s")."""

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
    resume_in: float | None = None


@attrs.define(kw_only=True)
class JobResult:
    job: str
    vendor: str
    resource: str
    # done | incomplete (complete, but parents were skipped) | stopped | failed | skipped
    # (already complete)
    status: str = "pending"
    records: int = 0
    pages: int = 0
    bytes: int = 0
    retries: int = 0
    waited: float = 0.0
    seconds: float = 0.0
    total: int | None = None
    path: Path | None = None
    error: str | None = None
    # The parents whose children could not be listed (status ``incomplete``), the first 100.
    skipped_parents: list[str] = attrs.field(factory=list)
    # The account it belongs to, in a multi-account export (``export_accounts``).
    account: str | None = None


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


def _no_secrets() -> tuple[str, ...]:
    return ()


@attrs.define
class _JobState:
    result: JobResult
    started: float
    emit: Callable[[Progress], None]
    # Records already exported when this run began (a resumed job): not part of this run's rate.
    base_records: int = 0
    # The client's credentials as they are now (tokens are issued during the run): scrubbed from
    # every message the job produces, whatever an exception carried.
    secrets: Callable[[], Iterable[str]] = _no_secrets
    # The ``export`` call the job belongs to: its progress hooks count this job, no other's.
    owner: object = None

    def describe(self, exc: BaseException) -> str:
        """``Type: message`` of ``exc``, safe to show: a foreign exception by its message, never
        by its ``repr``; our own by its words. Both with every known secret and anything shaped
        like a credential removed (a second net behind the core's own redaction: what lands in a
        checkpoint stays on disk)."""
        secrets = _safely(self.secrets)
        if isinstance(exc, VendorkitError):
            return f"{type(exc).__name__}: {redact_text(str(exc), secrets)}"
        return describe_exception(exc, secrets)

    def scrub(self, text: str) -> str:
        return redact_text(text, _safely(self.secrets))

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


def _safely(secrets: Callable[[], Iterable[str]]) -> tuple[str, ...]:
    try:
        return tuple(s for s in secrets() if isinstance(s, str))
    except Exception:  # an auth strategy without secrets() must not break an error report
        return ()


def _client_secrets(client: BaseClient) -> Callable[[], Iterable[str]]:
    def secrets() -> Iterable[str]:
        found = getattr(client.auth, "secrets", None)
        return found() if callable(found) else ()

    return secrets


def _count_retry(state: _JobState, attempt: int, delay: float, cause: Any) -> None:
    state.result.retries += 1
    if isinstance(cause, BaseException):
        what = state.describe(cause)
    elif isinstance(cause, int):
        what = f"HTTP {cause}"
    else:
        what = type(cause).__name__
    state.emit(state.progress("retry", f"attempt {attempt} failed ({what}); retry in {delay:.1f}s"))


def _count_wait(state: _JobState, wait: float, reason: str) -> None:
    state.result.waited += wait
    message = wait_message(wait, state.scrub(str(reason)))
    state.emit(attrs.evolve(state.progress("wait", message), resume_in=wait))


# The hook's reasons (``core``: "client-side quota", "429 pause", "429 Retry-After"), in words.
_WAITING_FOR = {
    "client-side quota": "quota",
    "429 pause": "the vendor's 429 pause",
    "429 Retry-After": "the vendor's 429 pause",
}


def wait_message(wait: float, reason: str) -> str:
    """``waiting for quota, resumes in 41 s``: whole seconds, rounded up (under a second:
    tenths)."""
    what = _WAITING_FOR.get(reason, reason)
    shown = f"{math.ceil(wait)} s" if wait >= 1 else f"{max(wait, 0.0):.1f} s"
    return f"waiting for {what}, resumes in {shown}"


def exportable_resources(client: BaseClient | type[BaseClient]) -> list[str]:
    """The client's (or client class's) resources that offer ``list``, in declaration order.
    Adapters declare a ``partition`` (the parent to list first) for any whose path needs a
    parent's id, so every one of them can be exported in full."""
    cls = client if isinstance(client, type) else type(client)
    names = []
    for name in cls.resource_names():
        endpoint = getattr(cls, name).endpoint
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


def _unsendable(value: Any, field: str) -> str | None:
    """Why a parent's key cannot name it in a child's path (None: it can). The same rule as the
    request itself (``path_segment``), asked before the request: a key the vendor sent that no URL
    can carry (a lone surrogate, ``""``, ``..``, an object) is the vendor's data, not the caller's
    argument, and must not end the walk."""
    if value is None:
        return f"it has no {field}"
    try:
        path_segment(value)
    except ConfigurationError as exc:
        return _show(str(exc), 200)  # it quotes the value: bounded, as the checkpoint must be
    return None


def _show(value: Any, limit: int = 80) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _no_skip(description: str) -> None:
    pass


async def _partitions(
    client: BaseClient,
    resource: Resource[Any],
    filters: Mapping[str, Any],
    start: Cursor | None,
    skip_parent: Callable[[str], None] = _no_skip,
) -> AsyncGenerator[tuple[dict[str, Any], Cursor], None]:
    """The argument sets under which ``resource`` is listed, each with its cursor: one empty set,
    or one per parent record for a child collection, recursively. A cursor holds, per level, the
    parent page's resume point and the record's index in it; ``start`` (a cursor yielded earlier)
    makes the walk begin at that very partition without listing the parents before it again.
    A parent whose key cannot name it in a URL (``_unsendable``) is not yielded: ``skip_parent``
    is told, once per walk past it."""
    part = _partition_of(resource, filters)
    if part is None:
        yield {}, []
        return
    parent_name, field, argument = part
    parent: Any = getattr(client, parent_name)
    here = start[-1] if start else None
    upper = start[:-1] if start else None
    grand = _partitions(client, parent, {}, upper, skip_parent)
    async with contextlib.aclosing(grand) as parents:
        async for parent_args, cursor in parents:
            resume, skip = (here.get("resume"), int(here.get("skip", 0))) if here else (None, 0)
            here = None
            pager = parent.list_raw(**parent_args, resume=resume)
            async with contextlib.aclosing(pager.pages()) as pages:
                async for page in pages:
                    for i in range(skip, len(page.records)):
                        raw = page.records[i]
                        value = raw.get(field) if isinstance(raw, Mapping) else None
                        problem = _unsendable(value, field)
                        if problem is not None:
                            under = f" (under {_show(parent_args)})" if parent_args else ""
                            shown = _show(repr(value))  # repr escapes controls and surrogates
                            skip_parent(f"{parent_name} {field}={shown}{under}: {problem}")
                            continue
                        yield {argument: value}, [*cursor, {"resume": page.resume, "skip": i}]
                    skip = 0


def _paths(out: Path, segments: Sequence[str], fmt: str) -> tuple[Path, Path]:
    """The output file, and its checkpoint (kept apart, under ``out/.checkpoints/``). The
    segments are checked names (``check_name``): both paths lie inside ``out``."""
    *parents, last = segments
    output = out.joinpath(*parents, last + (".csv" if fmt == "csv" else ".jsonl"))
    checkpoint = out.joinpath(CHECKPOINTS, *parents, f"{last}.{fmt}.json")
    return output, checkpoint


def _fingerprint(job: Job) -> str:
    """What makes a checkpoint this job's: the account (its API and the auth strategy's
    one-way ``account_key``: never a credential), the resource and the filters. A checkpoint
    left by another job under the same name is not resumed (the job starts over): an
    accounts file that points a name at another customer of the same vendor must not continue
    the first customer's file with the second's records."""
    return json.dumps(
        {
            "vendor": job.vendor,
            "base_url": job.client.base_url,
            "account": getattr(job.client.auth, "account_key", None),
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


def _start_over_hint(ck_path: Path) -> str:
    return (
        f"the checkpoint {ck_path} and the output were left as they are: delete that checkpoint "
        "to start this job over (the other jobs still resume), or export without resume to "
        "start every job over"
    )


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
        owner: object = None,
        plans: QuotaPlans | None = None,
    ) -> None:
        self.job = job
        self.plans = plans if plans is not None else QuotaPlans()
        self.out = out
        self.resume = resume
        self.page_size = page_size
        self.pager_concurrency = pager_concurrency
        self.result = JobResult(job=job.key, vendor=job.vendor, resource=job.resource)
        self.state = _JobState(
            self.result,
            time.monotonic(),
            emit,
            secrets=_client_secrets(job.client),
            owner=owner,
        )
        self.segments = job.segments()
        self.path, self.ck_path = _paths(out, self.segments, fmt)
        self.result.path = self.path
        self.fingerprint = _fingerprint(job)
        self.resource: Resource[Any] = getattr(job.client, job.resource)
        self.fmt = fmt
        self.sink_factory = sink_factory
        self.ck = Checkpoint(job=job.key, fingerprint=self.fingerprint)
        # Whether this run has opened the output: only from then on is the checkpoint on disk
        # this run's to overwrite (a failure before it leaves the previous one as it was).
        self.opened = False
        # The checkpoint as last saved: a stop or a failure is recorded on it, never on a state
        # half-way between two pages (a resume point ahead of the position saved would be a gap).
        self.saved: Checkpoint | None = None
        self.stored_at = 0.0  # monotonic time of the last checkpoint written to disk

    # -- files ----------------------------------------------------------------------------------

    def _prepare(self) -> Sink:
        """The job's folders (0700, never links) and its sink; every file the job will write is
        checked not to be a link (or a folder, or a device) before anything is fetched."""
        parents = self.segments[:-1]
        ensure_subdirs(self.out, parents)
        ensure_subdirs(self.out, (CHECKPOINTS, *parents))
        sink = self._sink()
        files = [self.ck_path, self.ck_path.with_name(self.ck_path.name + ".tmp")]
        if isinstance(sink, JsonlSink):
            files += [sink.path, sink.part, sink.path.with_name(sink.path.name + ".tmp")]
        for path in files:
            refuse_link(path)
        return sink

    def _sink(self) -> Sink:
        if self.sink_factory is not None:
            return self.sink_factory(self.path)
        return CsvSink(self.path) if self.fmt == "csv" else JsonlSink(self.path)

    # -- checkpoint -----------------------------------------------------------------------------

    def _load(self) -> Checkpoint | None:
        if not self.resume:
            return None
        ck = Checkpoint.load(self.ck_path)
        if ck is None:
            return None
        if ck.fingerprint != self.fingerprint:
            log.warning(
                "vendorkit: %s: the checkpoint was left by another job (other filters, resource, "
                "account or base URL); starting over",
                self.job.key,
            )
            return None
        depth = _depth(self.job.client, self.resource, self.job.filters)
        if ck.partition is not None and len(ck.partition) != depth:
            raise CheckpointError(
                f"the checkpoint places the walk {len(ck.partition)} parent levels deep, and "
                f"{self.job.resource} has {depth}"
            )
        return ck

    def _adopt(self, ck: Checkpoint) -> None:
        self.ck = ck
        r = self.result
        r.records, r.pages, r.bytes, r.total = ck.records, ck.pages, ck.bytes, ck.total
        self.state.base_records = ck.records

    def _restart(self) -> None:
        self._adopt(Checkpoint(job=self.job.key, fingerprint=self.fingerprint))

    def _save(self, sink: Sink, *, soon: bool = False) -> None:
        """The checkpoint as of now (the sink holds every page handed over). ``soon``: written
        to disk only if the last write is ``CHECKPOINT_INTERVAL`` old, else kept in memory as
        the latest consistent state (a stop, a failure or a cancellation writes it)."""
        ck, r = self.ck, self.result
        ck.sink_position = _jsonable(sink.position())
        ck.records, ck.pages, ck.bytes, ck.total = r.records, r.pages, r.bytes, r.total
        if soon and time.monotonic() - self.stored_at < CHECKPOINT_INTERVAL:
            self.saved = attrs.evolve(ck, skipped_parents=list(ck.skipped_parents))
            return
        self._store(ck)

    def _store(self, ck: Checkpoint) -> None:
        ck.save(self.ck_path)
        self.saved = attrs.evolve(ck, skipped_parents=list(ck.skipped_parents))
        self.stored_at = time.monotonic()

    def _save_quietly(self, *, stopped: str | None = None, error: str | None = None) -> None:
        """Record a stop or a failure in the checkpoint as last saved, if this run owns it; a
        failure to do so must not hide the failure being recorded."""
        if self.opened and self.saved is not None:
            with contextlib.suppress(OSError, VendorkitError):
                self._store(attrs.evolve(self.saved, stopped=stopped, error=error))

    def _skip_parent(self, description: str) -> None:
        """A parent whose children cannot be listed: named in the checkpoint and the result,
        and the walk goes on."""
        ck = self.ck
        ck.skipped_parents_count += 1
        if len(ck.skipped_parents) < MAX_SKIPPED_NAMED:
            ck.skipped_parents.append(description)
            log.warning(
                "vendorkit: %s: skipped %s; its children are not exported",
                self.job.key,
                description,
            )
        elif ck.skipped_parents_count == MAX_SKIPPED_NAMED + 1:
            log.warning(
                "vendorkit: %s: more parents skipped; counted, no longer named", self.job.key
            )

    def _incomplete(self) -> str:
        """What an ``incomplete`` job says: how many parents were skipped, the first ones."""
        ck = self.ck
        named = "; ".join(ck.skipped_parents[:3])
        more = ck.skipped_parents_count - min(3, len(ck.skipped_parents))
        return (
            f"{ck.skipped_parents_count} parent record(s) skipped, their children not exported: "
            f"{named}{f'; and {more} more' if more > 0 else ''} (every record that could be "
            "listed was; export this job without resume to try the skipped parents again)"
        )

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
            sink = self._prepare()
            loaded = self._load()
            if loaded is not None:
                self._adopt(loaded)
                if self._complete(loaded, sink):
                    if not loaded.done:  # the commit completed; only its record of it was lost
                        loaded.done, loaded.committing = True, False
                        loaded.save(self.ck_path)
                    start()
                    if loaded.skipped_parents_count:
                        self._finish_incomplete("already complete, but incomplete: ")
                    else:
                        result.status = "skipped"
                        emit(self.state.progress("done", "already complete"))
                    return result
                if loaded.done:
                    self._restart()  # complete, but its output is gone: export it again
            await self._open(sink)
            self.opened = True
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
            self._store(self.ck)
            if self.ck.skipped_parents_count:
                self._finish_incomplete()
            else:
                result.status = "done"
                emit(self.state.progress("done"))
        except CheckpointError as exc:
            # Refused, not repaired: nothing is written, so the evidence stays for a human.
            start()
            result.status = "failed"
            result.error = f"{self.state.describe(exc)}; {_start_over_hint(self.ck_path)}"
            log.warning("vendorkit: %s: %s", self.job.key, result.error)
            emit(self.state.progress("failed", result.error))
        except UnsafePathError as exc:
            start()
            result.status = "failed"
            result.error = self.state.describe(exc)
            log.warning("vendorkit: %s: %s", self.job.key, result.error)
            emit(self.state.progress("failed", result.error))
        except RateLimitError as exc:
            start()
            result.status = "stopped"
            result.error = self.state.scrub(str(exc))
            self._save_quietly(stopped=result.error)
            emit(
                self.state.progress(
                    "stopped", f"stopped at the rate limit; resume later: {result.error}"
                )
            )
        except asyncio.CancelledError:
            self._save_quietly()  # the latest page handed over, for --resume
            raise
        except Exception as exc:
            start()
            result.status = "failed"
            result.error = self.state.describe(exc)
            if not isinstance(exc, VendorkitError | OSError):
                # One line, not a traceback: a foreign exception's frames and chained causes may
                # carry what it was handed (a request's headers, say).
                log.error("vendorkit: %s failed: %s", self.job.key, result.error)
            self._save_quietly(error=result.error)
            emit(self.state.progress("failed", result.error))
        finally:
            limiter = self.job.client.rate_limiter
            if limiter is not None:
                self.plans.finished(limiter, self.job.key)
            if sink is not None:
                with contextlib.suppress(Exception):
                    await sink.close()
            result.seconds = time.monotonic() - self.state.started
        log.info(
            "vendorkit: %s: %s, %d records, %d pages, %d retries, %.1fs",
            self.job.key,
            result.status,
            result.records,
            result.pages,
            result.retries,
            result.seconds,
        )
        return result

    def _finish_incomplete(self, prefix: str = "") -> None:
        result = self.result
        result.status = "incomplete"
        result.error = self.state.scrub(self._incomplete())
        result.skipped_parents = list(self.ck.skipped_parents)
        self.state.emit(self.state.progress("incomplete", prefix + result.error))

    def _complete(self, ck: Checkpoint, sink: Sink) -> bool:
        """Whether ``ck`` describes a finished output that is still there."""
        if not is_regular_file(self.path):
            return False
        if ck.done:
            return True
        # Stopped between the commit's rename and the checkpoint saying so: the built-in sinks'
        # part file is gone and the final file is in place.
        return ck.committing and isinstance(sink, JsonlSink) and not os.path.lexists(sink.part)

    async def _open(self, sink: Sink) -> None:
        """Open the output where the checkpoint says it ends, after checking that it can: the
        checkpoint's counts must agree with the position, and the file sinks verify the part
        file against it (``CheckpointError`` otherwise)."""
        ck = self.ck
        position = ck.sink_position
        if position is None:
            if ck.records or ck.pages or ck.bytes or ck.partition is not None or ck.committing:
                raise CheckpointError(
                    f"the checkpoint counts {ck.records} records written but has no output position"
                )
            self._restart()
            await sink.open(None)
            return
        if isinstance(sink, JsonlSink):
            where = FilePosition.from_json(position)
            if (where.lines, where.offset) != (ck.records, ck.bytes):
                raise CheckpointError(
                    f"the checkpoint counts {ck.records} records in {ck.bytes} bytes, and its "
                    f"output position {where.lines} records in {where.offset} bytes"
                )
        try:
            await sink.open(position)
        except ValueError as exc:
            # A sink of the caller's that cannot continue from there (its documented answer):
            # the job starts over.
            log.warning(
                "vendorkit: %s: cannot continue the output (%s); starting over",
                self.job.key,
                self.state.describe(exc),
            )
            self._restart()
            await sink.open(None)

    async def _walk(self, sink: Sink) -> None:
        job, ck, result, state = self.job, self.ck, self.result, self.state
        resuming = ck.partition is not None
        planned = False
        limiter = self.job.client.rate_limiter  # the quota the plan counts this job against
        parts = _partitions(job.client, self.resource, job.filters, ck.partition, self._skip_parent)
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
                if start is None:  # a partition walked from its beginning: nothing of it yet
                    ck.partition_start, ck.partition_records, ck.partition_pages = None, 0, 0
                pager = self.resource.list_raw(  # type: ignore[attr-defined]
                    **{**job.filters, **args},
                    page_size=size,
                    concurrency=self.pager_concurrency,
                    resume=start,
                )
                async with contextlib.aclosing(pager.pages()) as pages:
                    async for page in pages:
                        # The page that makes the plan is not in its count (``needed`` is what
                        # comes after it); each page after it is one request of it made.
                        counted = planned
                        if page.total is not None and not cursor:
                            result.total = page.total
                            if not planned:
                                planned = True
                                await self._announce_plan(page.total, len(page.records))
                        result.bytes += await sink.write(page.records)
                        result.records += len(page.records)
                        result.pages += 1
                        if counted and limiter is not None:
                            self.plans.fetched(limiter, self.job.key)
                        # None from the pager means "complete", in a checkpoint "from the start".
                        ck.resume = None if pager.done else pager.resume_point
                        ck.partition_done = pager.done
                        # What the resume point is checked against (``_checkpoint._check_walk``).
                        if ck.partition_start is None:
                            ck.partition_start = dict(page.resume)
                        ck.partition_records += len(page.records)
                        ck.partition_pages += 1
                        self._save(sink, soon=True)
                        state.emit(state.progress("page"))
                        del page  # before the next is decoded: one page of objects at a time
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
        # With the other jobs on this quota (``_plan``): together they may not fit.
        others, others_needed = self.plans.plan(limiter, self.job.key, needed)
        remaining = await limiter.remaining()
        if not remaining:
            return
        quota, left = min(remaining.items(), key=lambda kv: kv[1])
        msg = plan_message(
            left_records=left_records,
            needed=needed,
            others=others,
            others_needed=others_needed,
            left=left,
            quota=str(quota),
        )
        if msg is None or (needed <= left and not self.plans.first_warning_together(limiter)):
            return
        log.warning("vendorkit: %s: %s", self.job.key, msg)
        self.state.emit(self.state.progress("plan", msg))


def _check_jobs(jobs: Any) -> list[Job]:
    """The jobs as a list, each checked: a ``Job``, a resource its client can list, a name that
    stays inside ``out=``, and no two writing the same output."""
    if isinstance(jobs, str | bytes | Mapping) or not isinstance(jobs, Iterable):
        raise ConfigurationError("jobs must be a list of Job(...)")
    checked = list(jobs)
    seen: dict[str, str] = {}
    for job in checked:
        if not isinstance(job, Job):
            raise ConfigurationError(f"jobs must be Job(...) values, not {type(job).__name__}")
        known = exportable_resources(job.client)
        if job.resource not in known:
            raise ConfigurationError(
                f"{job.vendor} has no resource {job.resource!r} to export; it has: "
                f"{', '.join(known)}"
            )
        key = "/".join(job.segments())
        same = collision_key(key)
        if same in seen:
            raise ConfigurationError(
                f"two jobs write the same output ({seen[same]!r} and {key!r}); give them "
                "distinct names with Job(name=...)"
            )
        seen[same] = key
    return checked


def _check_options(
    *,
    out: Any,
    format: Any,
    concurrency: Any,
    page_size: Any,
    resume: Any,
    on_progress: Any,
    sink_factory: Any,
) -> None:
    if not isinstance(out, str | os.PathLike) or out == "":
        raise ConfigurationError(f"out= must be a folder's path, not {out!r}")
    if format not in ("jsonl", "csv"):
        raise ConfigurationError(f"format must be 'jsonl' or 'csv', not {format!r}")
    checked_whole("concurrency", concurrency, minimum=1)
    if page_size is not None:
        checked_whole("page_size", page_size, minimum=1)
    if not isinstance(resume, bool):
        raise ConfigurationError(f"resume must be True or False, not {resume!r}")
    for name, value in (("on_progress", on_progress), ("sink_factory", sink_factory)):
        if value is not None and not callable(value):
            raise ConfigurationError(f"{name} must be callable, not {type(value).__name__}")


@contextlib.contextmanager
def _progress_hooks(clients: Iterable[BaseClient], owner: object) -> Iterator[None]:
    """Count retries and waits of this export's jobs, while it runs: its two hooks go on each
    client's ``hooks`` and come off afterwards. A client shared with another running export
    carries that export's hooks too; each hook counts only the jobs of its own export (the job
    running in the task that fires it, ``_current``), so nothing is counted twice."""

    def on_retry(attempt: int, delay: float, cause: Any) -> None:
        state = _current.get()
        if state is not None and state.owner is owner:
            _count_retry(state, attempt, delay, cause)

    def on_rate_limit(wait: float, reason: str) -> None:
        state = _current.get()
        if state is not None and state.owner is owner:
            _count_wait(state, wait, reason)

    installed = list(clients)
    for client in installed:
        client.hooks.on_retry.append(on_retry)
        client.hooks.on_rate_limit.append(on_rate_limit)
    try:
        yield
    finally:
        for client in installed:
            client.hooks.on_retry.remove(on_retry)
            client.hooks.on_rate_limit.remove(on_rate_limit)


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
    not stop the others (a job whose checkpoint does not verify, or whose files are links, is
    one such failure). Cancelling the task leaves every checkpoint resumable.

    Raises ``ConfigurationError`` (a ``ValueError``) before anything is fetched for a bad
    argument: an unknown format, a concurrency or page size below 1, an argument of the wrong
    type, a negative ``max_quota_wait``, a resource the client cannot list, a job name that is
    not a plain relative path, two jobs writing the same output, an ``out=`` that is a file."""
    jobs = _check_jobs(jobs)
    _check_options(
        out=out,
        format=format,
        concurrency=concurrency,
        page_size=page_size,
        resume=resume,
        on_progress=on_progress,
        sink_factory=sink_factory,
    )
    if max_quota_wait is not None:
        max_quota_wait = checked_seconds("max_quota_wait", max_quota_wait)
    root = Path(out)
    try:
        ensure_root(root)
    except UnsafePathError as exc:
        raise ConfigurationError(str(exc)) from None
    except OSError as exc:
        raise ConfigurationError(f"out= {root} cannot be created: {exc.strerror}") from None
    except (ValueError, UnicodeError):  # a NUL or a lone surrogate: no file system takes it
        raise ConfigurationError("out= is not a path a file system can hold") from None
    started = time.monotonic()
    # An async on_progress (a coroutine function) runs as a task per event; the export waits
    # for them before it returns, so none is left behind.
    callbacks: set[asyncio.Future[Any]] = set()

    def settled(task: asyncio.Future[Any]) -> None:
        callbacks.discard(task)
        exc = None if task.cancelled() else task.exception()
        if exc is not None:
            log.warning("vendorkit: progress callback raised %s; ignored", describe_exception(exc))

    def emit(event: Progress) -> None:
        if on_progress is not None:
            try:
                outcome = on_progress(event)
                if inspect.isawaitable(outcome):
                    task = asyncio.ensure_future(outcome)
                    callbacks.add(task)
                    task.add_done_callback(settled)
            except Exception as exc:
                log.warning(
                    "vendorkit: progress callback raised %s; ignored", describe_exception(exc)
                )

    slots = asyncio.Semaphore(concurrency)
    job_slots = asyncio.Semaphore(concurrency)
    clients = {id(j.client): j.client for j in jobs}
    pager_concurrency = max(1, concurrency // max(1, min(len(jobs), concurrency)))

    owner = object()  # this export call, as its jobs' progress hooks know it
    plans = QuotaPlans()  # what the jobs sharing a quota still need between them

    async def guarded(job: Job) -> JobResult:
        # The shared bound and the quota wait hold for this job's requests only (its task and
        # the pager tasks it starts): the client's own settings are never changed.
        with job.client.scoped_limits(request_slots=slots, max_quota_wait=max_quota_wait):
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
                    owner=owner,
                    plans=plans,
                ).run()

    try:
        with _progress_hooks(clients.values(), owner):
            results = await asyncio.gather(*(guarded(j) for j in jobs))
    finally:
        if callbacks:
            await asyncio.wait(set(callbacks))
    return ExportResult(list(results), root, time.monotonic() - started)

"""What an export had done when it was interrupted (Ctrl-C, SIGTERM), as a result the summary can
show. A cancelled export returns nothing (``asyncio.run`` gives back no value of a cancelled
task), so the command keeps its own account from the progress events as they go: ``_Tally``
is fed every event beside the renderer. Pure: no I/O."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

ENDED = ("done", "incomplete", "stopped", "failed")


class _Tally:
    """Every job's latest counts and, once it ended, its status. ``accounts`` (an ``--accounts``
    run: account name -> vendor) says how to read a job's name (``<account>/<resource>``, else
    ``<vendor>/<resource>``)."""

    def __init__(
        self, out: Path, fmt: str = "jsonl", accounts: Mapping[str, str] | None = None
    ) -> None:
        self.out, self.fmt, self.accounts = out, fmt, accounts
        self.started = time.monotonic()
        self.latest: dict[str, Any] = {}  # job -> its latest event (None: not started yet)
        self.first: dict[str, float] = {}  # job -> when its first event came
        self.ended: dict[str, tuple[str, float]] = {}  # job -> (status, when)

    def expect(self, jobs: Iterable[str]) -> None:
        """Jobs the run will start: one interrupted before it started is listed too."""
        for job in jobs:
            self.latest.setdefault(job, None)

    def tee(self, render: Callable[[Any], None]) -> Callable[[Any], None]:
        """A progress callback that feeds the tally, then ``render``."""

        def both(event: Any) -> None:
            self(event)
            render(event)

        return both

    def __call__(self, event: Any) -> None:
        now = time.monotonic()
        self.latest[event.job] = event
        self.first.setdefault(event.job, now)
        if event.event in ENDED:
            status = event.event
            if status == "done" and event.message == "already complete":
                status = "skipped"  # as the export's own result says it
            self.ended[event.job] = (status, now)

    def result(self) -> Any:
        """An ``ExportResult`` of what ran: each job that ended with its status, every other
        one ``interrupted``; counts are those of its latest event."""
        from vendorkit.export import ExportResult, JobResult

        now = time.monotonic()
        jobs = []
        for job, event in self.latest.items():
            account, vendor, resource = self._parts(job)
            status, ended = self.ended.get(job, ("interrupted", now))
            error = None
            if status in ("incomplete", "stopped", "failed") and event is not None:
                error = event.message or None
            jobs.append(
                JobResult(
                    job=job,
                    vendor=vendor,
                    resource=resource,
                    status=status,
                    records=0 if event is None else event.records,
                    pages=0 if event is None else event.pages,
                    bytes=0 if event is None else event.bytes,
                    retries=0 if event is None else event.retries,
                    waited=0.0 if event is None else event.waited,
                    seconds=ended - self.first.get(job, ended),
                    total=None if event is None else event.total,
                    path=self._path(job),
                    error=error,
                    account=account,
                )
            )
        return ExportResult(jobs, self.out, now - self.started)

    def _parts(self, job: str) -> tuple[str | None, str, str]:
        """``(account, vendor, resource)`` of a job's name."""
        head, _, resource = job.partition("/")
        if self.accounts is not None:
            return head, self.accounts.get(head, ""), resource
        return None, head, resource

    def _path(self, job: str) -> Path:
        """Where the job's output is, or will be once complete (as the export names it)."""
        *parents, last = job.split("/")
        return self.out.joinpath(*parents, last + (".csv" if self.fmt == "csv" else ".jsonl"))

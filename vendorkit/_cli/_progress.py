"""An export's progress while it runs, on stderr (stdout is for the summary): bars on a terminal
(``_RichProgress``), log lines elsewhere (``_PlainProgress``), nothing with ``--quiet`` or
``--json`` (``_Silent``); ``_renderer`` picks one. Apart from the summary because it is the one
part that draws while the work goes on; rich is imported only when it draws on a terminal."""

from __future__ import annotations

import math
import sys
import time
from typing import Any

import click

from ._output import _output
from ._text import _secrets, visible


class _PlainProgress:
    """Log lines when stdout is not a terminal: starts, ends, problems, and a heartbeat."""

    def __init__(self, every: float = 2.0) -> None:
        self.every = every
        self.last = 0.0
        self.latest: dict[str, Any] = {}

    def __enter__(self) -> _PlainProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def __call__(self, event: Any) -> None:
        self.latest[event.job] = event
        if event.event in ("start", "plan", "done", "incomplete", "stopped", "failed"):
            extra = f" ({event.message})" if event.message else ""
            line = f"{event.job}: {event.event} {event.records} records{extra}"
            click.echo(_secrets.clean(line), err=True)
        elif event.event == "wait" and (event.resume_in or 0) >= 1:
            # A wait of a second or more is said: a quiet minute must not look like a hang.
            click.echo(_secrets.clean(f"{event.job}: {event.message}"), err=True)
        now = time.monotonic()
        if now - self.last >= self.every:
            self.last = now
            ended = ("done", "incomplete", "stopped", "failed")
            running = [e for e in self.latest.values() if e.event not in ended]
            if running:
                total = sum(e.records for e in self.latest.values())
                click.echo(f"... {total} records so far, {len(running)} jobs running", err=True)


class _RichProgress:
    """Bars on a terminal (stderr: stdout is for the summary), made to fit 80x24: a first row
    counting jobs and records, then one row per running job; a job that ended leaves the panel
    (the summary lists every job). While a job waits (a quota, a 429 pause) its note counts
    down to the moment it resumes, wrapping onto a second line on a narrow terminal; a running
    job shows its ETA (while it waits, the wait instead), the first row the time elapsed."""

    def __init__(self, console: Any = None) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
        from rich.table import Column

        self.progress = Progress(
            # No markup: a job's name is the caller's text, not rich's.
            TextColumn(
                "{task.description}",
                markup=False,
                table_column=Column(width=20, no_wrap=True, overflow="ellipsis"),
            ),
            BarColumn(bar_width=12),
            MofNCompleteColumn(),
            *_columns(),
            console=console or Console(stderr=True),
            expand=True,
        )
        self.tasks: dict[str, Any] = {}
        self.waits: dict[str, tuple[float, str]] = {}  # job -> (resumes at, what it waits for)
        self.ended: set[str] = set()
        self.records: dict[str, int] = {}
        self.overall = self.progress.add_task(
            "jobs", total=None, note="", until=None, ended=False, overall=True
        )

    def __enter__(self) -> _RichProgress:
        self.progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.__exit__(None, None, None)

    def __call__(self, event: Any) -> None:
        task = self.tasks.get(event.job)
        if task is None:
            task = self.progress.add_task(
                visible(event.job), total=event.total, note="", until=None, ended=False
            )
            self.tasks[event.job] = task
        note = ""
        if event.retries:
            note = f"{event.retries} retries"
        if event.event in ("incomplete", "stopped", "failed"):
            note = event.event
        ended = event.event in ("done", "incomplete", "stopped", "failed")
        if event.event == "wait" and event.resume_in:
            # "waiting for quota, resumes in 41 s": the words stay, the count goes on live.
            what = event.message.split(", resumes in", 1)[0]
            self.waits[event.job] = (time.monotonic() + event.resume_in, what)
        elif event.event == "page" or ended:
            self.waits.pop(event.job, None)  # it moved on
        until, what = self.waits.get(event.job, (None, ""))
        self.progress.update(
            task,
            completed=event.records,
            total=event.total,
            note=note,
            until=until,
            wait_for=what,
            ended=ended,
        )
        if event.event == "done":
            self.progress.update(task, total=event.records, completed=event.records)
        self.records[event.job] = event.records
        if ended:
            self.ended.add(event.job)
            self.progress.update(task, visible=False)  # the summary shows it
        seen = len(self.tasks)
        self.progress.update(
            self.overall,
            description=f"{len(self.ended)} of {seen} jobs done",
            completed=sum(self.records.values()),
            note=f"{sum(self.records.values()):,} records",
        )


def _columns() -> tuple[Any, Any]:
    """The note column (the job's note, or, while it waits, "waiting for quota, resumes in 41 s",
    counting down) and the time column (ETA while a job runs, "wait 0:00:41" instead while it
    waits, "took 0:00:12" once it ended).
    Built here: rich is imported only by a command that draws on a terminal."""
    from rich.progress import ProgressColumn
    from rich.table import Column
    from rich.text import Text

    class NoteColumn(ProgressColumn):
        def render(self, task: Any) -> Text:
            left = _wait_left(task)
            if left is not None:
                return Text(f"{task.fields.get('wait_for')}, resumes in {left} s")
            return Text(str(task.fields.get("note", "")))

    class TimeColumn(ProgressColumn):
        def render(self, task: Any) -> Text:
            if task.fields.get("overall"):
                return Text(f"elapsed {_clock(task.elapsed or 0.0)}")
            if task.fields.get("ended"):
                return Text(f"took {_clock(task.elapsed or 0.0)}")
            waiting = _wait_left(task)
            if waiting is not None:
                # rich's estimate comes from the pages before the wait and knows nothing of it:
                # "eta 0:00:01" beside "resumes in 60 s" would be false. The wait is what is known.
                return Text(f"wait {_clock(waiting)}")
            left = task.time_remaining
            return Text("eta -:--:--" if left is None else f"eta {_clock(left)}")

    # The note takes what the other columns leave, and wraps rather than push the row past the
    # terminal's width.
    return NoteColumn(table_column=Column(ratio=1)), TimeColumn()


def _wait_left(task: Any) -> int | None:
    """Whole seconds (rounded up) until a waiting job resumes; None when it does not wait."""
    until = task.fields.get("until")
    now = time.monotonic()
    return math.ceil(until - now) if until is not None and until > now else None


def _clock(seconds: float) -> str:
    whole = int(max(0.0, seconds))
    return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"


class _Silent:
    """No progress at all (``--quiet``, ``--json``)."""

    def __enter__(self) -> _Silent:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def __call__(self, event: Any) -> None:
        return None


def _renderer() -> Any:
    if _output.quiet or _output.json:
        return _Silent()
    return _RichProgress() if sys.stderr.isatty() else _PlainProgress()

"""One shared run of a coroutine for every caller that needs it at the same time.

``SingleFlight.run(start)`` starts ``start()`` as a task if no run is in the air, or joins the run
that is; every caller of one run gets the same outcome (the same result, or the same exception).
What is decided here:

- a caller's cancellation never cancels the run for the others (each caller awaits it through
  ``asyncio.shield``);
- a run whose every caller was cancelled is cancelled too, so nothing keeps running (or holds a
  lock, or a connection) for nobody; the next caller starts a fresh run;
- an outcome is remembered only for the callers of that run, with one widening: a caller that
  passes ``since=`` (a ``mark()`` taken earlier) also shares the failure of a run that landed
  after that mark while it was on its way (it was in the air when the caller looked, or started
  after). A caller that marks after a failure starts a new run: failures are never cached.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, Generic, TypeVar

import attrs

__all__ = ["SingleFlight"]

T = TypeVar("T")


@attrs.define(eq=False)
class _Run(Generic[T]):
    number: int
    task: asyncio.Task[T]
    waiters: int = 0


class SingleFlight(Generic[T]):
    """At most one run at a time; see the module docstring for what callers share."""

    def __init__(self, name: str = "vendorkit-single-flight") -> None:
        self._name = name
        self._current: _Run[T] | None = None
        self._started = 0
        # The number of the last run that landed, and its failure (None if it succeeded or was
        # cancelled).
        self._landed = 0
        self._failure: BaseException | None = None
        self._failure_tb: Any = None

    def __repr__(self) -> str:
        state = "in the air" if self.in_flight else "idle"
        return f"<SingleFlight {self._name} {state}, {self._started} runs>"

    @property
    def in_flight(self) -> bool:
        self._settle()
        return self._current is not None

    def mark(self) -> int:
        """A point in the sequence of runs, for ``run(since=)``."""
        self._settle()
        return self._landed

    async def run(
        self, start: Callable[[], Coroutine[Any, Any, T]], *, since: int | None = None
    ) -> T:
        """The outcome of the run in the air, of a new run of ``start()``, or (with ``since``)
        the failure of a run that landed after ``since`` was marked."""
        self._settle()
        run = self._current
        if run is None:
            if since is not None and self._landed > since and self._failure is not None:
                # As ``Future.result()`` does: each raise starts from the run's own traceback.
                raise self._failure.with_traceback(self._failure_tb)
            self._started += 1
            task = asyncio.get_running_loop().create_task(start(), name=self._name)
            run = _Run(self._started, task)
            self._current = run
            task.add_done_callback(lambda _: self._settle())
        run.waiters += 1
        try:
            return await asyncio.shield(run.task)
        finally:
            run.waiters -= 1
            if run.waiters == 0 and not run.task.done():
                # Every caller gave up (cancelled): nobody wants the outcome. Stop the run and
                # forget it now, so a caller arriving while it unwinds starts afresh instead of
                # joining a run that is being cancelled.
                run.task.cancel()
                if self._current is run:
                    self._current = None
                    self._landed = run.number
                    self._failure = self._failure_tb = None

    def _settle(self) -> None:
        """Record the current run as landed once its task is done (also retrieves its
        exception, so a failed run nobody awaited is not reported as never retrieved)."""
        run = self._current
        if run is None or not run.task.done():
            return
        self._current = None
        self._landed = run.number
        if run.task.cancelled():
            self._failure = self._failure_tb = None
        else:
            self._failure = run.task.exception()
            self._failure_tb = self._failure.__traceback__ if self._failure else None

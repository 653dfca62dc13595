"""Polling until something is done: a background task, a record a vendor checks by itself.

The decision (``PollSchedule.wait``: how long to sleep before the next look, or "time is up") is
pure; ``poll`` is the thin loop around it, given the read, the "done?" test and the error to
raise when time is up. Its clock and sleep are parameters, so its unit tests need neither a
network nor real time.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import attrs

from ._options import seconds

__all__ = ["PollSchedule", "poll"]

T = TypeVar("T")


def _timeout(value: Any) -> float:
    return seconds("timeout", value)


def _interval(value: Any) -> float:
    return seconds("poll_interval", value, positive=True)


@attrs.frozen
class PollSchedule:
    """Look every ``poll_interval`` seconds (positive) for at most ``timeout`` seconds (zero or
    more; zero: one look, no wait). A bad value is a ``ConfigurationError`` naming it."""

    timeout: float = attrs.field(converter=_timeout)
    poll_interval: float = attrs.field(converter=_interval)

    def wait(self, elapsed: float) -> float | None:
        """Seconds to sleep before the next look, ``elapsed`` seconds after the first; None when
        the time is up. The last sleep is cut short at the deadline, so a poll never overruns
        ``timeout`` by more than one read."""
        remaining = self.timeout - elapsed
        if remaining <= 0:
            return None
        return min(self.poll_interval, remaining)


async def poll(
    read: Callable[[], Awaitable[T]],
    done: Callable[[T], bool],
    schedule: PollSchedule,
    *,
    timed_out: Callable[[T], BaseException],
    first: T | None = None,
    on_each: Callable[[T], Any] | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
) -> T:
    """``read()`` until ``done(state)``, and return that state.

    ``first`` is a state already in hand (what a 202 answered): it is tested before anything is
    read, and a wait comes before the first read. Without it the first read is at once. Each
    state read goes to ``on_each`` (a function or a coroutine function: progress reports). When
    the schedule says the time is up, ``timed_out(last state)`` is raised.
    """
    started = clock()
    state = first
    while state is None or not done(state):
        if state is not None:
            wait = schedule.wait(clock() - started)
            if wait is None:
                raise timed_out(state)
            await sleep(wait)
        state = await read()
        if on_each is not None:
            outcome = on_each(state)
            if inspect.isawaitable(outcome):
                await outcome
    return state

"""``PollSchedule`` (pure) and ``poll`` (the loop), on a fake clock: no network, no real time."""

from __future__ import annotations

from typing import Any

import pytest

from vendorkit.core import PollSchedule, poll
from vendorkit.errors import ConfigurationError


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


class Reads:
    """Answers ``states`` one per read, each read taking ``cost`` seconds of fake time."""

    def __init__(self, time: FakeTime, states: list[int], cost: float = 0.0) -> None:
        self.time, self.states, self.cost, self.count = time, list(states), cost, 0

    async def __call__(self) -> int:
        self.count += 1
        self.time.now += self.cost
        return self.states.pop(0)


class TooLong(Exception):
    pass


def test_the_schedule_sleeps_an_interval_and_stops_at_the_deadline() -> None:
    schedule = PollSchedule(timeout=2.5, poll_interval=1.0)
    assert schedule.wait(0.0) == 1.0
    assert schedule.wait(2.0) == 0.5  # cut short at the deadline
    assert schedule.wait(2.5) is None
    assert schedule.wait(9.0) is None
    assert PollSchedule(timeout=0, poll_interval=1).wait(0.0) is None


@pytest.mark.parametrize(
    ("timeout", "interval", "named"),
    [(-1, 1, "timeout"), (1, 0, "poll_interval"), ("5", 1, "timeout"), (1, True, "poll_interval")],
)
def test_a_bad_schedule_is_a_configuration_error_naming_the_argument(
    timeout: Any, interval: Any, named: str
) -> None:
    with pytest.raises(ConfigurationError, match=named):
        PollSchedule(timeout=timeout, poll_interval=interval)


async def test_reads_at_once_then_every_interval_until_done() -> None:
    time = FakeTime()
    read = Reads(time, [10, 50, 100])
    seen: list[int] = []
    result = await poll(
        read,
        lambda s: s >= 100,
        PollSchedule(timeout=10, poll_interval=1),
        timed_out=lambda s: TooLong(s),
        on_each=seen.append,
        clock=time.clock,
        sleep=time.sleep,
    )
    assert result == 100
    assert read.count == 3 and seen == [10, 50, 100]
    assert time.slept == [1, 1]


async def test_a_state_in_hand_is_tested_first_and_waited_on() -> None:
    time = FakeTime()
    read = Reads(time, [100])
    done = await poll(
        read,
        lambda s: s >= 100,
        PollSchedule(timeout=10, poll_interval=2),
        timed_out=TooLong,
        first=100,
        clock=time.clock,
        sleep=time.sleep,
    )
    assert done == 100 and read.count == 0  # already done: nothing read
    result = await poll(
        read,
        lambda s: s >= 100,
        PollSchedule(timeout=10, poll_interval=2),
        timed_out=TooLong,
        first=5,
        clock=time.clock,
        sleep=time.sleep,
    )
    assert result == 100 and read.count == 1 and time.slept == [2]  # a wait before the read


async def test_time_up_raises_with_the_last_state_and_never_overruns() -> None:
    time = FakeTime()
    read = Reads(time, [1, 2, 3, 4, 5], cost=0.25)
    with pytest.raises(TooLong) as info:
        await poll(
            read,
            lambda s: False,
            PollSchedule(timeout=2, poll_interval=1),
            timed_out=TooLong,
            clock=time.clock,
            sleep=time.sleep,
        )
    assert info.value.args == (3,)
    assert time.slept == [1, 0.5]  # the second sleep ends at the deadline
    assert time.now - 100.0 <= 2 + 0.25  # at most one read past it


async def test_a_coroutine_progress_callback_is_awaited() -> None:
    time = FakeTime()
    seen: list[int] = []

    async def report(state: int) -> None:
        seen.append(state)

    await poll(
        Reads(time, [1, 2]),
        lambda s: s == 2,
        PollSchedule(timeout=5, poll_interval=1),
        timed_out=TooLong,
        on_each=report,
        clock=time.clock,
        sleep=time.sleep,
    )
    assert seen == [1, 2]


async def test_zero_timeout_reads_once() -> None:
    time = FakeTime()
    read = Reads(time, [1, 2])
    with pytest.raises(TooLong):
        await poll(
            read,
            lambda s: s == 2,
            PollSchedule(timeout=0, poll_interval=1),
            timed_out=TooLong,
            clock=time.clock,
            sleep=time.sleep,
        )
    assert read.count == 1 and time.slept == []

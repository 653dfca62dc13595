"""The in-memory moving window (``_ratelimit._InMemory``) against a reference that keeps every
admitted send time: on any sequence of requests, the same ones are admitted, and the window's
reading (oldest inside, how many) agrees, however long the window and whatever the span read."""

from __future__ import annotations

import asyncio
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from vendorkit.core._ratelimit import Quota, _InMemory


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


steps = st.lists(
    st.tuples(
        st.sampled_from([0.0, 0.001, 0.1, 0.5, 0.99, 1.0, 1.01, 2.5, 7.0]),  # time passing
        st.sampled_from(["hit", "read", "stats"]),
    ),
    max_size=80,
)


@settings(max_examples=300, deadline=None)
@given(
    limit=st.integers(min_value=1, max_value=6),
    per=st.sampled_from([1, 2, 5]),
    guard=st.sampled_from([0.0, 0.025, 0.5]),
    script=steps,
)
def test_the_window_admits_exactly_what_a_full_history_would(
    limit: int, per: int, guard: float, script: list[tuple[float, str]]
) -> None:
    clock = Clock()
    window = _InMemory(clock)
    item = Quota(limit, per).item()
    key = item.key_for("account")
    admitted: list[float] = []

    async def run() -> None:
        for dt, action in script:
            clock.now += dt
            now = clock.now
            inside = [t for t in admitted if t > now - per]
            if action == "hit":
                expected = len(inside) < limit
                assert await window.hit(item, "account") is expected
                if expected:
                    admitted.append(now)
            elif action == "read":
                span = per + guard
                seen = [t for t in admitted if t > now - span][-limit:]
                oldest, count = await window.get_moving_window(key, limit, span)
                assert count == len(seen)
                if seen:
                    assert oldest == seen[0]
            else:
                stats: Any = await window.get_window_stats(item, "account")
                assert stats.remaining == max(0, limit - len(inside))

    asyncio.run(run())


async def test_a_window_keeps_no_more_than_its_limit() -> None:
    clock = Clock()
    window = _InMemory(clock)
    item = Quota(3, 86400).item()
    for _ in range(100):
        clock.now += 3600.0
        await window.hit(item, "a")
    assert all(len(times) <= 3 for times in window._times.values())
    await window.clear(item, "a")
    assert await window.hit(item, "a") is True

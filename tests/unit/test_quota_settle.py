"""``RateLimiter.settle`` over the in-memory window, on a clock of the test's own: on any
sequence of takes, answers (in any order) and time passing, a slot is taken only while fewer
than ``limit`` slots count inside the last window plus guard, each counting from its answer, or
from its sending while unanswered. That is what keeps a vendor that counts each request
somewhere between its sending and its answer from ever seeing one too many (the module
docstring of ``_ratelimit``). And it is not stricter than it must be: a slot is refused only
while ``limit`` of them count inside the window plus guard.

One documented exception is left out of the reckoning: an answer that comes later than a
window after its sending (its slot may have left the window by then, counted from its sending).
The script's steps are shorter than the window for every answer it checks."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vendorkit.core import Quota, QuotaSlot, RateLimiter, _ratelimit
from vendorkit.core._ratelimit import _InMemory

from .test_ratelimit_window import Clock

steps = st.lists(
    st.tuples(
        st.sampled_from([0.0, 0.001, 0.03, 0.2, 0.5, 0.99, 1.0, 1.02, 3.0]),
        st.sampled_from(["take", "answer oldest", "answer newest"]),
    ),
    max_size=80,
)


@settings(max_examples=300, deadline=None)
@given(
    limit=st.integers(min_value=1, max_value=5),
    per=st.sampled_from([1, 2]),
    guard=st.sampled_from([0.0, 0.01, 0.3]),
    script=steps,
)
def test_a_slot_is_taken_only_a_window_after_its_predecessor_was_answered(
    limit: int, per: int, guard: float, script: list[tuple[float, str]]
) -> None:
    clock = Clock()
    limiter = RateLimiter([Quota(limit, per)], key="account", guard=guard)
    window = _InMemory(clock)
    limiter._windows = limiter._limiter = window
    span = per + guard
    sent: list[float] = []  # send time of every slot taken, in order
    answered: dict[int, float] = {}  # slot number -> when its answer came
    in_flight: list[tuple[int, QuotaSlot]] = []

    async def run() -> None:
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(_ratelimit, "time", SimpleNamespace(time=clock))  # the limiter's clock
            for dt, action in script:
                clock.now += dt
                now = clock.now
                if action == "take":
                    counting = [
                        answered[k] if k in answered and answered[k] < sent[k] + per else sent[k]
                        for k in range(len(sent))
                    ]
                    inside = sum(1 for t in counting if t > now - span)
                    exact = all(k not in answered or answered[k] < sent[k] + per for k in answered)
                    wait, taken = await limiter._try_hit()
                    if wait is None:
                        assert inside < limit, "taken with the window full"
                        in_flight.append((len(sent), QuotaSlot(0.0, taken)))
                        sent.append(now)
                    elif exact:
                        assert inside >= limit, "refused with room in the window"
                elif in_flight:
                    j, slot = in_flight.pop(0 if action == "answer oldest" else -1)
                    await limiter.settle(slot)
                    answered[j] = now

    asyncio.run(run())


async def test_settle_moves_the_slot_on_redis() -> None:
    """The Redis entry the take pushed is pushed again at the answer's time, the list still newest
    first."""
    import uuid

    import redis.asyncio as aioredis

    from tests._redis_url import REDIS_URL

    key = f"settle-{uuid.uuid4()}"
    limiter = RateLimiter([Quota(3, 1), Quota(100, 3600)], key=key, storage=REDIS_URL)
    client = aioredis.from_url(REDIS_URL)
    try:
        first = await limiter.take()
        second = await limiter.take()
        await asyncio.sleep(0.05)
        await limiter.settle(first)
        keys: list[Any] = sorted(await client.keys(f"vendorkit:*{key}*"))
        assert len(keys) == 2
        for k in keys:
            entries = [float(e) for e in await client.lrange(k, 0, -1)]
            # The settled slot is the newest now, at its answer's time; the other is untouched.
            assert entries[0] >= float(first.taken) + 0.05
            assert entries[1] == float(second.taken)
            assert entries == sorted(entries, reverse=True)
    finally:
        await client.aclose()
        await limiter.aclose()


@pytest.mark.parametrize("typo", ["1/0second", "5 per 0 minutes", "10/00 seconds;100/day"])
def test_a_window_of_zero_is_refused_not_read_as_one(typo: str) -> None:
    """limits reads "1/0second" as 1/second; a quota with a zero window is a typo."""
    from vendorkit.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="longer than 0"):
        _ratelimit.parse_quotas(typo)
    assert _ratelimit.parse_quotas("3/2 seconds;10/minute") == (Quota(3, 2), Quota(10, 60))

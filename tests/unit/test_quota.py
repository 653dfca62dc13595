"""Quota strings and ``Quota`` values: parsing, validation, display, the limits item
(moved from ``tests/unit/test_misc.py``)."""

from __future__ import annotations

from typing import Any

import pytest

from vendorkit.core import (
    Quota,
    parse_quotas,
)

# -- quotas ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120/minute", (Quota(120, 60.0),)),
        ("120/minute;5000/day", (Quota(120, 60.0), Quota(5000, 86400.0))),
        ("10 per 2 seconds", (Quota(10, 2.0),)),
        (Quota(5, 1.0), (Quota(5, 1.0),)),
        (["2/second", Quota(3, 10.0)], (Quota(2, 1.0), Quota(3, 10.0))),
    ],
)
def test_parse_quotas(value: Any, expected: tuple[Quota, ...]) -> None:
    assert parse_quotas(value) == expected


@pytest.mark.parametrize("bad", ["lots", "0/minute"])
def test_bad_quota_strings_are_rejected(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_quotas(bad)


def test_quota_validation_and_str() -> None:
    with pytest.raises(ValueError):
        Quota(0, 1.0)
    with pytest.raises(ValueError):
        Quota(1, 0.0)
    assert str(Quota(120, 60.0)) == "120/minute"
    assert str(Quota(5000, 86400)) == "5000/day" and str(Quota(3, 1)) == "3/second"
    assert str(Quota(10, 30)) == "10/30s" and str(Quota(1, 0.5)) == "1/0.5s"
    for quota in (Quota(120, 60), Quota(5000, 86400), Quota(7, 3600), Quota(3, 1)):
        assert parse_quotas(str(quota)) == (quota,)  # what is shown reads back
    assert Quota(3, 0.4).item().get_expiry() == 1  # sub-second windows round up to one second


async def test_an_in_memory_slot_is_taken_without_a_turn_of_the_event_loop() -> None:
    """A free slot in memory costs no suspension: the coroutine finishes on its first step
    (limits' asyncio memory storage cost every request extra event-loop turns, issue 10)."""
    from vendorkit.core._ratelimit import RateLimiter, parse_quotas

    limiter = RateLimiter(parse_quotas("120/minute;5000/day"), key="account:x")
    for _ in range(3):
        step = limiter.acquire()
        try:
            step.send(None)
        except StopIteration as done:
            assert done.value == 0.0  # no wait
        else:  # pragma: no cover - the failure this test exists for
            step.close()
            raise AssertionError("acquire() suspended although a slot was free")
    assert (await limiter.remaining())[parse_quotas("120/minute")[0]] == 117

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
    assert str(Quota(120, 60.0)) == "120/60s"
    assert Quota(3, 0.4).item().get_expiry() == 1  # sub-second windows round up to one second

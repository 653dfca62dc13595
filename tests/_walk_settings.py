"""Hypothesis settings for the walk tests: a fixed, derandomized run of a few hundred examples by
default (CI: the same examples every run, so a failure is a bug, never luck), and a random run of
``VENDORKIT_WALK_EXAMPLES`` examples when that variable is set (``VENDORKIT_WALK_EXAMPLES=20000``
to search harder)."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_EXTRA = int(os.environ.get("VENDORKIT_WALK_EXAMPLES", "0") or 0)

settings.register_profile(
    "vendorkit-walks-ci",
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "vendorkit-walks-long",
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def walk_settings(ci_examples: int) -> settings:
    """``ci_examples`` examples, or ``VENDORKIT_WALK_EXAMPLES`` (random) when it is set."""
    if _EXTRA > 0:
        return settings(settings.get_profile("vendorkit-walks-long"), max_examples=_EXTRA)
    return settings(settings.get_profile("vendorkit-walks-ci"), max_examples=ci_examples)

"""Suite-wide settings. Hypothesis: no per-example deadline (a busy machine must not turn a slow
example into a failure: a flaky test is a failing test), and a ``thorough`` profile for long runs
(``HYPOTHESIS_PROFILE=thorough``: ten times the examples). The soak's ``--soak-seconds`` option is
declared here so pytest knows it however the suite is started (``tests/soak/conftest.py``)."""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

settings.register_profile("ci", deadline=None, print_blob=True)
settings.register_profile("thorough", deadline=None, print_blob=True, max_examples=1000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("vendorkit").addoption(
        "--soak-seconds",
        type=float,
        default=None,
        metavar="N",
        help="wall time of the soak test in seconds (default 60; at least one full round always "
        "runs)",
    )

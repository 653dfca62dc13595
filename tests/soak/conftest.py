"""The soak's command-line option and its report in the terminal summary.

``pytest tests/soak --soak-seconds=600`` soaks for ten minutes instead of the default minute
(``VENDORKIT_SOAK_SECONDS`` does the same where the command line is not yours, e.g. in nox).
The option itself is declared in ``tests/conftest.py``, so that pytest knows it however the
suite is started.
"""

from __future__ import annotations

import os

import pytest

from ._soak import Report

DEFAULT_SECONDS = 60.0
REPORT = pytest.StashKey[Report]()


def soak_seconds(config: pytest.Config) -> float:
    value = config.getoption("--soak-seconds", default=None)
    if value is None:
        value = float(os.environ.get("VENDORKIT_SOAK_SECONDS") or DEFAULT_SECONDS)
    if value < 0:
        raise pytest.UsageError("--soak-seconds must not be negative")
    return float(value)


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    report = config.stash.get(REPORT, None)
    if report is not None:
        terminalreporter.write_sep("-", "soak: faults met and survived")
        terminalreporter.write_line(report.table())

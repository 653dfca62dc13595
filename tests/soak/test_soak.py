"""The soak (issue 8): every promise at once, for a minute (``--soak-seconds=N`` for longer).

One soak runs per session (``_soak.run_soak``: exports of every resource of the four vendors,
resumed until complete, writes, and 401 waves, all under >= 18% injected faults while tokens
expire); each test below asserts one promise on what it saw, so a broken promise fails a test
named after it.
The faults-per-kind table is printed in pytest's terminal summary and attached to
``test_faults_met_and_survived`` as the ``soak_faults`` property (JUnit XML).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from . import _soak
from .conftest import REPORT, soak_seconds


@pytest.fixture(scope="module")
def report(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> _soak.Report:
    seconds = soak_seconds(request.config)
    workdir: Path = tmp_path_factory.mktemp("soak")
    result = _soak.run_soak(seconds, workdir)
    request.config.stash[REPORT] = result
    print("\n" + result.table())
    return result


def lines(items: list[str], limit: int = 12) -> str:
    shown = "\n".join(f"- {x}" for x in items[:limit])
    more = f"\n... and {len(items) - limit} more" if len(items) > limit else ""
    return f"{len(items)} case(s):\n{shown}{more}"


def test_every_record_exported_exactly_once(report: _soak.Report) -> None:
    assert report.rounds >= 1
    assert not report.export_mismatches, lines(report.export_mismatches)
    assert not report.unfinished_jobs, lines(report.unfinished_jobs)
    # Every job of every round was compared with the store (35 jobs per round).
    assert report.jobs_verified == report.rounds * report.jobs_per_round > 0
    assert report.records_verified > 0


def test_failed_jobs_failed_only_on_faults_and_resume_completes_them(
    report: _soak.Report,
) -> None:
    # The budget of retries is small on purpose (max_retries=3, and a 500 is never retried), so
    # some runs fail; a failure must come from a fault (a typed error a resume can fix).
    assert not report.unresumable_failures, lines(report.unresumable_failures)


def test_no_write_applied_twice_and_every_reported_write_holds(report: _soak.Report) -> None:
    assert not report.write_violations, lines(report.write_violations)
    # The writes really ran: every vendor created, and every kind of write succeeded somewhere.
    for vendor in _soak.VENDORS:
        assert report.writes[f"{vendor} create ok"] > 0, dict(report.writes)
    for op in ("update", "delete"):
        assert sum(report.writes[f"{v} {op} ok"] for v in _soak.VENDORS) > 0, dict(report.writes)


def test_no_send_beyond_the_retry_budget(report: _soak.Report) -> None:
    assert not report.extra_sends, lines(report.extra_sends)


def test_every_exception_is_a_vendorkit_error(report: _soak.Report) -> None:
    assert not report.foreign_exceptions, lines(report.foreign_exceptions)
    assert not report.loop_errors, lines(report.loop_errors)


def test_no_secret_in_errors_logs_or_checkpoints(report: _soak.Report) -> None:
    assert not report.secret_leaks, lines(report.secret_leaks)


def test_no_task_socket_or_resource_warning_left(report: _soak.Report) -> None:
    assert not report.leaked_tasks, lines(report.leaked_tasks)
    assert not report.leaked_sockets, lines(report.leaked_sockets)
    assert not report.resource_warnings, lines(report.resource_warnings)


def test_token_renewal_is_single_flight(report: _soak.Report) -> None:
    # Each round expires every OAuth token and sends 20 reads at once: one renewal serves them
    # (a client that renews once per 401 makes ~20 token requests here, and fails this).
    assert report.bursts == 2 * report.rounds
    assert not report.auth_storms, lines(report.auth_storms)


def test_faults_met_and_survived(
    report: _soak.Report, record_property: pytest.RecordProperty
) -> None:
    record_property("soak_faults", report.table())
    assert report.api_faults >= 0.18 * report.api_requests > 0, report.table()
    assert set(report.faults) >= set(_soak.API_KINDS), report.table()
    assert sum(t.on_token_requests for t in report.faults.values()) > 0, report.table()
    # Tokens did expire under the clients, and they were granted again.
    assert report.expirations >= 1
    assert report.token_grants["makeleaps:client_credentials"] > 1
    assert (
        report.token_grants["leaddesk:password"] + report.token_grants["leaddesk:refresh_token"] > 1
    )
    unresolved = {k: t.unresolved for k, t in report.faults.items() if t.unresolved}
    assert not unresolved, report.table()


def test_the_emulators_served_every_fault_cleanly(report: _soak.Report) -> None:
    # Not a client promise: the fault machinery itself must not trip over what it does.
    assert not report.emulator_errors, lines(report.emulator_errors)

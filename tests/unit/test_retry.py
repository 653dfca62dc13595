"""Pins the retry rules: who is retried on what, how Retry-After is read and honoured, and the
shape of the backoff (full jitter, capped, never below what the server asked)."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest

from vendorkit.core import FailureKind, RetryPolicy, backoff_delay, parse_retry_after
from vendorkit.core import retry_decision as decide

IDEMPOTENT = ["GET", "HEAD", "OPTIONS", "PUT", "DELETE"]
WRITES = ["POST", "PATCH"]
POLICY = RetryPolicy(max_retries=3, max_retry_wait=60.0)


def retries(method: str, **kw: Any) -> bool:
    return decide(method=method, attempt=1, policy=POLICY, **kw).retry


# -- who is retried -------------------------------------------------------------------------------


@pytest.mark.parametrize("method", [*IDEMPOTENT, "get", "delete"])
@pytest.mark.parametrize("status", [429, 502, 503, 504])
def test_idempotent_methods_retry_on_transient_statuses(method: str, status: int) -> None:
    assert retries(method, status=status)


@pytest.mark.parametrize("method", IDEMPOTENT)
@pytest.mark.parametrize("kind", list(FailureKind))
def test_idempotent_methods_retry_on_any_transport_failure(method: str, kind: FailureKind) -> None:
    assert retries(method, failure=kind)


@pytest.mark.parametrize("method", [*WRITES, "post"])
def test_writes_retry_on_429_and_refused_connection(method: str) -> None:
    assert retries(method, status=429)
    assert retries(method, failure=FailureKind.CONNECT)


@pytest.mark.parametrize("method", WRITES)
@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_writes_are_not_resent_after_a_server_error(method: str, status: int) -> None:
    assert not retries(method, status=status)


@pytest.mark.parametrize("method", WRITES)
def test_writes_are_not_resent_after_a_dropped_connection(method: str) -> None:
    assert not retries(method, failure=FailureKind.TRANSPORT)


@pytest.mark.parametrize("method", IDEMPOTENT + WRITES)
@pytest.mark.parametrize("status", [200, 400, 401, 404, 409, 422, 500, 501])
def test_other_statuses_are_never_retried(method: str, status: int) -> None:
    # 500 included: the code documents it as possibly applied, so nobody resends it.
    assert not retries(method, status=status)


def test_custom_retry_statuses_are_respected_for_idempotent_methods_only() -> None:
    policy = RetryPolicy(retry_statuses=frozenset({500, 429}))
    assert decide(method="GET", attempt=1, policy=policy, status=500).retry
    assert not decide(method="POST", attempt=1, policy=policy, status=500).retry
    assert not decide(method="GET", attempt=1, policy=policy, status=503).retry


def test_no_status_and_no_failure_is_not_retried() -> None:
    assert not retries("GET")


def test_cancellation_is_never_retried() -> None:
    d = decide(
        method="GET",
        attempt=1,
        policy=POLICY,
        failure=FailureKind.CONNECT,
        exception=asyncio.CancelledError(),
    )
    assert not d.retry


# -- how many times -------------------------------------------------------------------------------


@pytest.mark.parametrize("max_retries", [0, 1, 3])
def test_max_retries_counts_retries_after_the_first_attempt(max_retries: int) -> None:
    policy = RetryPolicy(max_retries=max_retries)
    allowed = [
        decide(method="GET", attempt=a, policy=policy, status=503).retry for a in range(1, 6)
    ]
    assert allowed == [a <= max_retries for a in range(1, 6)]


def test_max_retries_zero_disables_retries_even_for_429() -> None:
    policy = RetryPolicy(max_retries=0)
    assert not decide(method="GET", attempt=1, policy=policy, status=429).retry
    assert not decide(method="GET", attempt=1, policy=policy, failure=FailureKind.CONNECT).retry


def test_negative_max_retries_is_rejected() -> None:
    with pytest.raises(ValueError):
        RetryPolicy(max_retries=-1)


# -- Retry-After -------------------------------------------------------------------------------


NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("120", 120.0),
        (" 7 ", 7.0),
        ("0", 0.0),
        ("1.5", 1.5),
        ("-3", 0.0),
        (format_datetime(NOW + timedelta(seconds=90), usegmt=True), 90.0),
        ("Wed, 01 May 2024 12:00:30 GMT", 30.0),
        (format_datetime(NOW - timedelta(hours=1), usegmt=True), 0.0),  # past: no wait
        (None, None),
        ("", None),
        ("soon", None),
        ("nan", None),
    ],
)
def test_parse_retry_after(header: str | None, seconds: float | None) -> None:
    assert parse_retry_after(header, now=NOW) == seconds


def test_parse_retry_after_uses_the_clock_when_no_now_is_given() -> None:
    future = format_datetime(datetime.now(UTC) + timedelta(seconds=100), usegmt=True)
    wait = parse_retry_after(future)
    assert wait is not None and 95 <= wait <= 100


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_is_honoured_on_429_and_503(status: int) -> None:
    d = decide(method="GET", attempt=1, policy=POLICY, status=status, retry_after=12.0)
    assert d.retry and d.retry_after == 12.0 and not d.too_long


@pytest.mark.parametrize("status", [502, 504])
def test_retry_after_is_ignored_on_other_statuses(status: int) -> None:
    d = decide(method="GET", attempt=1, policy=POLICY, status=status, retry_after=999.0)
    assert d.retry and d.retry_after is None and not d.too_long


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_retry_after_longer_than_max_retry_wait_gives_up(method: str) -> None:
    d = decide(method=method, attempt=1, policy=POLICY, status=429, retry_after=61.0)
    assert not d.retry and d.too_long and d.retry_after == 61.0


def test_retry_after_equal_to_max_retry_wait_is_still_slept() -> None:
    d = decide(method="GET", attempt=1, policy=POLICY, status=429, retry_after=60.0)
    assert d.retry and not d.too_long


def test_retry_after_still_reported_when_retries_are_exhausted() -> None:
    d = decide(method="GET", attempt=4, policy=POLICY, status=429, retry_after=5.0)
    assert not d.retry and not d.too_long and d.retry_after == 5.0


# -- backoff -----------------------------------------------------------------------------------


class _Top(random.Random):
    """Always the upper bound: exposes the cap of a jittered range."""

    def uniform(self, a: float, b: float) -> float:
        return b


class _Bottom(random.Random):
    def uniform(self, a: float, b: float) -> float:
        return a


def test_backoff_is_exponential_and_capped() -> None:
    policy = RetryPolicy(backoff_base=0.5, backoff_max=3.0)
    caps = [backoff_delay(a, policy, rng=_Top()) for a in range(1, 7)]
    assert caps == [0.5, 1.0, 2.0, 3.0, 3.0, 3.0]


def test_backoff_is_full_jitter_from_zero() -> None:
    assert backoff_delay(5, RetryPolicy(), rng=_Bottom()) == 0.0
    rng = random.Random(1234)
    delays = [backoff_delay(3, RetryPolicy(backoff_base=1.0), rng=rng) for _ in range(200)]
    assert all(0.0 <= d <= 4.0 for d in delays)
    assert len(set(delays)) > 100  # really random, not a fixed step


@pytest.mark.parametrize("rng", [_Bottom(), _Top(), random.Random(7)])
def test_server_wait_is_a_floor_that_jitter_only_adds_to(rng: random.Random) -> None:
    policy = RetryPolicy(retry_after_jitter=0.25, backoff_max=1.0)
    delay = backoff_delay(1, policy, retry_after=20.0, rng=rng)
    assert 20.0 <= delay <= 20.25  # not shortened, not capped by backoff_max


def test_zero_retry_after_still_means_no_backoff_growth() -> None:
    delay = backoff_delay(6, RetryPolicy(backoff_base=10.0), retry_after=0.0, rng=_Top())
    assert delay == RetryPolicy().retry_after_jitter

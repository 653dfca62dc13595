"""The rules of one attempt and of the call around it (``_attempt_rules``), without a network.

Each rule is a pure function of plain values: the 429 pause before sending and after an answer,
credentials again after a quota wait, the one 401 replay, what makes an outcome uncertain, JSON
decoding of the body, ``Retry-After`` parsed once per answer, and what the call makes of its
final answer.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vendorkit.core._attempt_rules import (
    Answer,
    FinalOutcome,
    answer_body,
    final_outcome,
    makes_uncertain,
    pause_after,
    pause_wait,
    reauthorize_after_quota_wait,
    refused_before_sending,
    replay_on_401,
)
from vendorkit.core._retry import FailureKind
from vendorkit.core._wire import WireResponse
from vendorkit.errors import RateLimitError

times = st.floats(min_value=0, max_value=1e9, allow_nan=False)
waits = st.floats(min_value=0, max_value=86400, allow_nan=False)
statuses = st.integers(min_value=0, max_value=999)
methods = st.sampled_from(["GET", "HEAD", "OPTIONS", "PUT", "DELETE", "POST", "PATCH"])


# -- the 429 pause before sending ----------------------------------------------------------------


def test_no_pause_means_go_now() -> None:
    assert pause_wait(pause_until=0.0, now=100.0, max_wait=60.0).wait == 0.0
    assert not pause_wait(pause_until=100.0, now=100.0, max_wait=60.0).refuse


def test_a_running_pause_is_waited_out() -> None:
    d = pause_wait(pause_until=130.0, now=100.0, max_wait=60.0)
    assert d.wait == 30.0 and not d.refuse


def test_a_pause_longer_than_allowed_refuses_at_once() -> None:
    d = pause_wait(pause_until=200.0, now=100.0, max_wait=60.0)
    assert d.wait == 100.0 and d.refuse


@given(until=times, now=times, max_wait=waits)
def test_pause_wait_is_what_remains_and_refuses_only_beyond_the_limit(
    until: float, now: float, max_wait: float
) -> None:
    d = pause_wait(pause_until=until, now=now, max_wait=max_wait)
    assert d.wait >= 0
    if until <= now:
        assert d.wait == 0 and not d.refuse
    else:
        assert d.wait == until - now
        assert d.refuse == (d.wait > max_wait)


# -- the pause a 429 starts ----------------------------------------------------------------------


def test_a_429_with_retry_after_pauses_every_request() -> None:
    assert pause_after(status=429, retry_after=5.0, now=100.0, pause_until=0.0) == 105.0


def test_a_429_without_retry_after_or_another_status_leaves_the_pause() -> None:
    assert pause_after(status=429, retry_after=None, now=100.0, pause_until=7.0) == 7.0
    assert pause_after(status=503, retry_after=5.0, now=100.0, pause_until=7.0) == 7.0
    assert pause_after(status=200, retry_after=5.0, now=100.0, pause_until=7.0) == 7.0


@given(status=statuses, retry_after=st.none() | waits, now=times, until=times)
def test_a_pause_is_never_shortened(
    status: int, retry_after: float | None, now: float, until: float
) -> None:
    after = pause_after(status=status, retry_after=retry_after, now=now, pause_until=until)
    assert after >= until
    if status == 429 and retry_after is not None:
        assert after == max(until, now + retry_after)
    else:
        assert after == until


def test_a_request_refused_before_sending_is_a_429_class_error_with_its_wait() -> None:
    error = refused_before_sending(
        vendor="toy", method="GET", shown_url="https://x.test/a", message="too long", wait=90.0
    )
    assert isinstance(error, RateLimitError)
    assert error.status == 429 and error.retry_after == 90.0
    assert error.vendor == "toy" and error.method == "GET" and error.url == "https://x.test/a"
    assert "too long" in str(error)


# -- credentials, the quota and the 401 replay ---------------------------------------------------


@pytest.mark.parametrize(
    ("authenticate", "waited", "again"),
    [(True, True, True), (True, False, False), (False, True, False), (False, False, False)],
)
def test_credentials_are_taken_again_only_after_waiting_for_a_slot(
    authenticate: bool, waited: bool, again: bool
) -> None:
    assert reauthorize_after_quota_wait(authenticate=authenticate, waited=waited) is again


@given(status=statuses, authenticate=st.booleans())
def test_only_an_authenticated_401_is_replayed(status: int, authenticate: bool) -> None:
    assert replay_on_401(status=status, authenticate=authenticate) == (
        status == 401 and authenticate
    )


# -- what makes an outcome uncertain ------------------------------------------------------------


def test_a_transport_failure_after_connecting_is_uncertain_a_connect_failure_is_not() -> None:
    assert makes_uncertain(failure=FailureKind.TRANSPORT)
    assert not makes_uncertain(failure=FailureKind.CONNECT)


@given(status=statuses)
def test_a_5xx_is_uncertain_anything_below_is_not(status: int) -> None:
    assert makes_uncertain(status=status) == (status >= 500)


def test_nothing_known_is_not_uncertain() -> None:
    assert not makes_uncertain()


# -- decoding the body --------------------------------------------------------------------------


def response(status: int = 200, body: bytes = b"", **headers: str) -> WireResponse:
    return WireResponse(status=status, headers=headers, body=body)


def test_a_success_body_is_decoded_as_json() -> None:
    assert answer_body("GET", response(200, b'{"a": [1, 2]}')) == {"a": [1, 2]}
    assert answer_body("POST", response(201, b"[]")) == []


@pytest.mark.parametrize("body", [b"", b"  \r\n ", b"\n"])
def test_an_empty_body_is_none(body: bytes) -> None:
    assert answer_body("GET", response(200, body)) is None


def test_a_head_or_an_error_status_has_no_body_to_decode() -> None:
    assert answer_body("HEAD", response(200, b"not json")) is None
    assert answer_body("GET", response(404, b"<html>")) is None
    assert answer_body("GET", response(302, b"not json")) is None
    assert answer_body("GET", response(199, b"not json")) is None


@pytest.mark.parametrize("body", [b"{", b"<html></html>", b"\xff\xfe", b"[" * 100_000])
def test_a_success_whose_body_is_not_json_is_a_value_error(body: bytes) -> None:
    with pytest.raises(ValueError):
        answer_body("GET", response(200, body))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@given(value=json_values, status=st.integers(200, 299), method=methods)
def test_any_json_success_body_decodes_to_itself(value: Any, status: int, method: str) -> None:
    import json

    body = json.dumps(value).encode()
    expected = None if method == "HEAD" else value
    assert answer_body(method, response(status, body)) == expected


@given(status=statuses, body=st.binary(max_size=64), method=methods)
def test_answer_body_is_none_or_json_or_a_value_error(
    status: int, body: bytes, method: str
) -> None:
    try:
        decoded = answer_body(method, response(status, body))
    except ValueError:
        assert 200 <= status < 300 and method != "HEAD" and body.strip()
    else:
        if not (200 <= status < 300) or method == "HEAD" or not body.strip():
            assert decoded is None


# -- Retry-After, parsed once per answer -----------------------------------------------------------


def test_an_answer_carries_its_retry_after_in_seconds() -> None:
    answer = Answer.of(response(429, b"", **{"Retry-After": "7"}))
    assert answer.retry_after == 7.0 and answer.status == 429 and answer.body is None


def test_an_answer_without_a_readable_retry_after_has_none() -> None:
    assert Answer.of(response(429)).retry_after is None
    assert Answer.of(response(429, b"", **{"Retry-After": "soon"})).retry_after is None
    assert Answer.of(response(503, b"", **{"Retry-After": "1e999"})).retry_after is None


def test_an_answer_reads_the_retry_after_header_whatever_its_case() -> None:
    assert Answer.of(response(503, b"", **{"retry-after": "3"})).retry_after == 3.0


# -- the final answer ------------------------------------------------------------------------------


def test_a_success_is_ok_and_an_error_status_is_an_error() -> None:
    assert final_outcome(method="GET", status=200, attempts=1, uncertain=False) is FinalOutcome.OK
    for status in (101, 199, 300, 302, 400, 404, 429, 500, 0):
        assert (
            final_outcome(method="GET", status=status, attempts=1, uncertain=False)
            is FinalOutcome.ERROR
        )


def test_a_write_answered_303_reads_its_result_a_read_does_not() -> None:
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        assert (
            final_outcome(method=method, status=303, attempts=1, uncertain=False)
            is FinalOutcome.SEE_OTHER
        )
    for method in ("GET", "HEAD"):
        assert (
            final_outcome(method=method, status=303, attempts=1, uncertain=False)
            is FinalOutcome.ERROR
        )


def test_a_delete_404_after_an_uncertain_attempt_is_done() -> None:
    assert (
        final_outcome(method="DELETE", status=404, attempts=2, uncertain=True)
        is FinalOutcome.ALREADY_DELETED
    )
    # A first attempt's 404, a 404 after certain attempts, another method: a plain NotFound.
    assert (
        final_outcome(method="DELETE", status=404, attempts=1, uncertain=True) is FinalOutcome.ERROR
    )
    assert (
        final_outcome(method="DELETE", status=404, attempts=3, uncertain=False)
        is FinalOutcome.ERROR
    )
    assert final_outcome(method="GET", status=404, attempts=3, uncertain=True) is FinalOutcome.ERROR


@given(method=methods, status=statuses, attempts=st.integers(1, 10), uncertain=st.booleans())
def test_final_outcome_is_ok_exactly_for_2xx(
    method: str, status: int, attempts: int, uncertain: bool
) -> None:
    outcome = final_outcome(method=method, status=status, attempts=attempts, uncertain=uncertain)
    assert (outcome is FinalOutcome.OK) == (200 <= status < 300)
    if outcome is FinalOutcome.ALREADY_DELETED:
        assert method == "DELETE" and status == 404 and attempts > 1 and uncertain
    if outcome is FinalOutcome.SEE_OTHER:
        assert status == 303 and method not in ("GET", "HEAD")


def test_the_rules_take_no_nan_for_a_pause() -> None:
    # NaN never reaches the rules (parse_retry_after refuses it), but the rule must not pause
    # forever on one either.
    d = pause_wait(pause_until=math.nan, now=1.0, max_wait=60.0)
    assert d.wait == 0.0

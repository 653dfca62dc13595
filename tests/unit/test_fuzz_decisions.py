"""Fuzzing the pure decisions with hypothesis: whatever a server sends, each answers with data or a
documented vendorkit error, never a bare exception.

- error parsing: every vendor's parser through ``error_from_response``, for any status, headers
  and body bytes: an ``APIError`` of the status's class whose ``str`` is one line;
- ``parse_retry_after``: any header text gives None or a finite wait within a day;
- ``retry_decision``/``backoff_delay``: any combination gives a finite, non-negative sleep;
- model structuring: every model of every vendor over arbitrary JSON objects: a record (with
  ``raw`` the object given) or a ``DecodeError``.
"""

from __future__ import annotations

import json
import math
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vendorkit.core import Record, make_converter, structure
from vendorkit.core._errors import default_error_parser, error_from_response, field_error_parser
from vendorkit.core._retry import (
    MAX_RETRY_AFTER,
    FailureKind,
    RetryPolicy,
    backoff_delay,
    parse_retry_after,
    retry_decision,
)
from vendorkit.core._wire import WireResponse
from vendorkit.errors import APIError, DecodeError, error_class_for_status
from vendorkit.vendors.leaddesk import _spec as leaddesk_spec
from vendorkit.vendors.leaddesk import models as leaddesk_models
from vendorkit.vendors.leady import _spec as leady_spec
from vendorkit.vendors.leady import models as leady_models
from vendorkit.vendors.leanlaw import _spec as leanlaw_spec
from vendorkit.vendors.leanlaw import models as leanlaw_models
from vendorkit.vendors.makeleaps import _spec as makeleaps_spec
from vendorkit.vendors.makeleaps import models as makeleaps_models

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner, max_size=5)
    ),
    max_leaves=30,
)
json_objects = st.dictionaries(st.text(max_size=12), json_values, max_size=8)

PARSERS = {
    "default": default_error_parser,
    "fields": field_error_parser,
    "makeleaps": makeleaps_spec.SPEC.error_parser,
    "leady": leady_spec.SPEC.error_parser,
    "leaddesk": leaddesk_spec.SPEC.error_parser,
    "leanlaw": leanlaw_spec.SPEC.error_parser,
}

bodies = st.one_of(
    json_values.map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=300),
    st.text(max_size=300).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.just(b"<html><title>502</title></html>"),
)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(
    parser=st.sampled_from(sorted(PARSERS)),
    status=st.integers(min_value=300, max_value=599),
    body=bodies,
    ctype=st.sampled_from(["application/json", "text/html", "", "application/problem+json"]),
    retry_after=st.none() | st.floats(allow_nan=False, allow_infinity=False, min_value=0),
)
def test_every_error_answer_gives_the_status_class(
    parser: str, status: int, body: bytes, ctype: str, retry_after: float | None
) -> None:
    headers = {"Content-Type": ctype} if ctype else {}
    response = WireResponse(status=status, headers=headers, body=body)
    err = error_from_response(
        response,
        vendor="v",
        method="GET",
        parser=PARSERS[parser],
        trace_id_header="X-Trace",
        retry_after=retry_after,
        secrets=("S3CRET-value",),
    )
    assert isinstance(err, APIError)
    assert type(err) is error_class_for_status(status)
    text = str(err)
    assert "\n" not in text and len(text) <= 600
    assert repr(err)
    assert all(isinstance(k, str) and isinstance(v, list) for k, v in err.field_errors.items())


@settings(max_examples=300)
@given(secret_at=st.sampled_from(["detail", "key", "list", "code"]))
def test_known_secrets_never_survive_an_error_body(secret_at: str) -> None:
    secret = "tok-S3CRET-42"
    body: Any = {
        "detail": {"detail": f"bad {secret}"},
        "key": {secret: ["x"]},
        "list": [f"{secret}"],
        "code": {"code": secret, "message": "m"},
    }[secret_at]
    for parser in PARSERS.values():
        response = WireResponse(status=400, headers={}, body=json.dumps(body).encode())
        err = error_from_response(
            response, vendor="v", method="GET", parser=parser, secrets=(secret,)
        )
        seen = " ".join([str(err), repr(err), repr(err.body), repr(err.field_errors)])
        assert "S3CRET" not in seen


@given(value=st.text(max_size=80) | st.none())
def test_retry_after_is_none_or_a_sane_wait(value: str | None) -> None:
    wait = parse_retry_after(value)
    assert wait is None or (math.isfinite(wait) and 0 <= wait <= MAX_RETRY_AFTER)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1e999", None),
        ("inf", None),
        ("-inf", 0.0),
        ("NaN", None),
        ("86401", None),
        ("86400", 86400.0),
        ("-5", 0.0),
        (" 3 ", 3.0),
        ("Fri, 31 Dec 9999 23:59:59 GMT", None),
        ("Mon, 01 Jan 1990 00:00:00 GMT", 0.0),
        ("tomorrow", None),
        ("", None),
    ],
)
def test_retry_after_examples(value: str, expected: float | None) -> None:
    assert parse_retry_after(value) == expected


@given(
    method=st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]),
    attempt=st.integers(min_value=1, max_value=50),
    retries=st.integers(min_value=0, max_value=10),
    wait=st.floats(min_value=0, max_value=1e6, allow_nan=False),
    status=st.none() | st.integers(min_value=100, max_value=599),
    failure=st.none() | st.sampled_from(list(FailureKind)),
    retry_after=st.none() | st.floats(min_value=0, max_value=MAX_RETRY_AFTER),
    repeatable=st.booleans(),
)
def test_retry_decisions_are_finite_and_safe(
    method: str,
    attempt: int,
    retries: int,
    wait: float,
    status: int | None,
    failure: FailureKind | None,
    retry_after: float | None,
    repeatable: bool,
) -> None:
    policy = RetryPolicy(max_retries=retries, max_retry_wait=wait)
    d = retry_decision(
        method=method,
        attempt=attempt,
        policy=policy,
        status=status,
        failure=None if status is not None else failure,
        retry_after=retry_after,
        repeatable=repeatable,
    )
    if d.retry:
        assert attempt <= retries
        delay = backoff_delay(attempt, policy, d.retry_after)
        assert math.isfinite(delay) and delay >= 0
        assert d.retry_after is None or d.retry_after <= wait
        # A write that may have been applied is never resent.
        if method in ("POST", "PATCH") and not repeatable:
            assert status == 429 or failure is FailureKind.CONNECT


def _models() -> list[tuple[str, type[Any]]]:
    out = []
    for style, module in (
        ("snake", makeleaps_models),
        ("snake", leady_models),
        ("snake", leaddesk_models),
        ("camel", leanlaw_models),
    ):
        for name in dir(module):
            cls = getattr(module, name)
            if isinstance(cls, type) and issubclass(cls, Record) and cls is not Record:
                out.append((style, cls))
    return out


MODELS = _models()
CONVERTERS = {"snake": make_converter("snake"), "camel": make_converter("camel")}


def _field_values(cls: type[Any], style: str) -> st.SearchStrategy[dict[str, Any]]:
    """Objects that use the model's own wire names (so the interesting paths are reached)."""
    names = [a.name for a in attrs.fields(cls) if a.name != "raw"]
    if style == "camel":
        from vendorkit.core import to_camel

        names = [to_camel(n) for n in names]
    return st.dictionaries(st.sampled_from(names or ["x"]), json_values, max_size=len(names) or 1)


@settings(max_examples=20, suppress_health_check=[HealthCheck.too_slow])
@pytest.mark.parametrize(("style", "cls"), MODELS, ids=[c.__name__ for _, c in MODELS])
@given(data=st.data())
def test_structuring_any_object_gives_a_record_or_a_decode_error(
    style: str, cls: type[Any], data: st.DataObject
) -> None:
    obj = data.draw(st.one_of(json_objects, _field_values(cls, style)))
    try:
        record = structure(CONVERTERS[style], obj, cls)
    except DecodeError:
        return
    assert isinstance(record, cls)
    assert record.raw == obj

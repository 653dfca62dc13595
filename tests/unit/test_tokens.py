"""Reading a token endpoint's answer (expiry, refresh token rotation, bad bodies), when a token
is due for renewal, and that a ``Token`` never shows a secret in its repr (moved from
``tests/unit/test_misc.py``)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from vendorkit.core import (
    Token,
    WireResponse,
)
from vendorkit.core._auth import parse_token
from vendorkit.errors import DecodeError

# -- tokens ---------------------------------------------------------------------------------------


def token_response(body: Any) -> WireResponse:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return WireResponse(200, {"Content-Type": "application/json"}, raw)


def test_parse_token() -> None:
    t = parse_token(
        token_response(
            {
                "access_token": "A1",
                "token_type": "bearer",
                "expires_in": 3600,
                "refresh_token": "R1",
                "scope": "read write",
            }
        ),
        now=1000.0,
    )
    assert (t.access_token, t.issued_at, t.expires_at, t.refresh_token, t.scope) == (
        "A1",
        1000.0,
        4600.0,
        "R1",
        "read write",
    )
    assert t.header() == "Bearer A1"


def test_a_rotated_refresh_token_replaces_the_old_one_and_a_missing_one_keeps_it() -> None:
    old = Token("A0", refresh_token="R0")
    rotated = parse_token(
        token_response({"access_token": "A1", "refresh_token": "R1"}), now=0, previous=old
    )
    kept = parse_token(token_response({"access_token": "A2"}), now=0, previous=old)
    assert rotated.refresh_token == "R1" and kept.refresh_token == "R0"


@pytest.mark.parametrize(
    ("expires_in", "expires_at"), [("60", 160.0), (None, None), ("soon", None)]
)
def test_token_expiry(expires_in: Any, expires_at: float | None) -> None:
    body = {"access_token": "A", "expires_in": expires_in}
    assert parse_token(token_response(body), now=100.0).expires_at == expires_at


@pytest.mark.parametrize(
    "body", [b"<html>oops</html>", b"", {"token": "A"}, {"access_token": 5}, ["A"]]
)
def test_bad_token_answers_are_decode_errors(body: Any) -> None:
    with pytest.raises(DecodeError):
        parse_token(token_response(body), now=0)


def test_custom_token_type_is_kept_in_the_header() -> None:
    assert Token("A", token_type="MAC").header() == "MAC A"


@pytest.mark.parametrize(
    ("now", "expiring"),
    [(0.0, False), (3539.0, False), (3540.0, True), (3600.0, True), (9999.0, True)],
)
def test_a_long_lived_token_is_renewed_margin_seconds_early(now: float, expiring: bool) -> None:
    assert Token("A", issued_at=0.0, expires_at=3600.0).expiring(now, margin=60.0) is expiring


def test_a_short_lived_token_is_renewed_within_a_tenth_of_its_lifetime() -> None:
    t = Token("A", issued_at=0.0, expires_at=2.0)
    assert not t.expiring(1.7, margin=60.0)
    assert t.expiring(1.8, margin=60.0)
    assert not Token("A").expiring(1e12, margin=60.0)  # no expiry: never due


def test_token_round_trips_through_a_dict_and_hides_secrets_in_repr() -> None:
    t = Token("s3cret-access", issued_at=1.0, expires_at=2.0, refresh_token="s3cret-refresh")
    assert Token.from_dict({**t.to_dict(), "unrelated": 1}) == t
    assert "s3cret" not in repr(t)

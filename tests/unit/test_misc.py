"""Pins the small pure pieces: quota strings, reading a token endpoint's answer (expiry, refresh
token rotation, bad bodies), when a token is due for renewal, the token request an OAuth2 grant
builds, and that auth objects never show a secret in their repr."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from yarl import URL

from vendorkit.core import (
    HeaderAuth,
    MemoryTokenStore,
    OAuth2,
    Quota,
    Token,
    WireResponse,
    parse_quotas,
)
from vendorkit.core._auth import parse_token
from vendorkit.errors import DecodeError

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


# -- OAuth2 token requests ------------------------------------------------------------------------


def oauth(**kw: Any) -> OAuth2:
    args: dict[str, Any] = dict(
        token_path="/oauth/token",
        client_id="cid",
        client_secret="csecret",
        grant={"grant_type": "client_credentials"},
    )
    auth = OAuth2(**{**args, **kw})
    auth.bind(
        base_url=URL("https://api.example.com/api/v2/"), vendor="acme", store=MemoryTokenStore()
    )
    return auth


def test_client_credentials_with_basic_auth_as_a_form() -> None:
    req = oauth().token_request({"grant_type": "client_credentials", "scope": "a b"})
    assert req.method == "POST"
    assert req.url == URL("https://api.example.com/api/v2/oauth/token")
    assert req.form == {"grant_type": "client_credentials", "scope": "a b"}
    assert req.json is None
    assert req.headers["Authorization"] == "Basic " + base64.b64encode(b"cid:csecret").decode()


def test_client_in_a_json_body() -> None:
    auth = oauth(client_auth="body", encoding="json", token_path="oauth/token")
    req = auth.token_request({"grant_type": "password", "username": "u", "password": "p"})
    assert req.url == URL("https://api.example.com/api/v2/oauth/token")
    assert "Authorization" not in req.headers
    assert req.json == {
        "grant_type": "password",
        "username": "u",
        "password": "p",
        "client_id": "cid",
        "client_secret": "csecret",
    }


def test_the_store_key_names_the_account_without_a_secret() -> None:
    a, b = oauth(), oauth(client_id="other")
    assert a.store_key.startswith("vendorkit:token:acme:") and a.store_key != b.store_key
    assert "csecret" not in a.store_key and "csecret" not in repr(a)


@pytest.mark.parametrize(
    "kw",
    [{"client_auth": "header"}, {"encoding": "xml"}, {"client_secret": ""}, {"client_id": ""}],
)
def test_oauth2_settings_are_validated(kw: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        oauth(**kw)


async def test_header_auth_hides_its_token_and_replays_only_after_a_swap() -> None:
    auth = HeaderAuth("s3cret", scheme="Token")
    assert "s3cret" not in repr(auth)

    async def send(_: Any) -> Any:
        raise AssertionError("a static header never sends anything")

    headers, used = await auth.authorize(send)
    assert headers == {"Authorization": "Token s3cret"}
    assert used is not None and "s3cret" not in used
    assert not await auth.on_unauthorized(send, used)
    auth.set_token("n3w")
    assert await auth.on_unauthorized(send, used)

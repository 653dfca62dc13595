"""Property tests over the pure parts of auth: reading a token endpoint's answer
(``parse_token``, ``token_lifetime``), when a token is due (``Token.expiring``), the request a
grant builds (``OAuth2.token_request``), keeping secrets out of text (``scrub``), and the
single-flight primitive's cancellation rules (``SingleFlight``)."""

from __future__ import annotations

import asyncio
import base64
import json
import math
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from yarl import URL

from vendorkit.core import MemoryTokenStore, OAuth2, Token, WireResponse
from vendorkit.core._auth import MAX_LIFETIME, _spellings, parse_token, scrub, token_lifetime
from vendorkit.core._flight import SingleFlight
from vendorkit.core._redact import MIN_SECRET_LENGTH, secret_spellings
from vendorkit.errors import DecodeError

NOW = 1_700_000_000.0

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**400), max_value=10**400),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(),
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(), children, max_size=4)
    ),
    max_leaves=12,
)
expires_values = st.one_of(
    json_scalars,
    st.sampled_from(["3600", " 60 ", "1e999", "-5", "abc", "NaN", "inf", "0", ""]),
    st.lists(st.integers(), max_size=2),
)
token_like = st.fixed_dictionaries(
    {
        "access_token": st.one_of(
            st.text(), st.from_regex(r"[A-Za-z0-9._~+/-]{1,40}", fullmatch=True)
        )
    },
    optional={
        "token_type": st.one_of(json_scalars, st.sampled_from(["bearer", "Bearer", "MAC"])),
        "expires_in": expires_values,
        "refresh_token": st.one_of(json_scalars, st.just("R-1")),
        "scope": json_scalars,
    },
)


def response(status: int, body: bytes) -> WireResponse:
    return WireResponse(status, {"Content-Type": "application/json"}, body)


def check_token_or_decode_error(status: int, body: bytes, previous: Token | None = None) -> None:
    try:
        token = parse_token(response(status, body), now=NOW, previous=previous)
    except DecodeError as exc:
        assert str(exc)  # a readable message, and nothing but a DecodeError
        return
    assert 200 <= status < 300
    header = token.header()
    assert "\r" not in header and "\n" not in header and header.isascii()
    assert token.issued_at == NOW
    if token.expires_at is not None:
        assert math.isfinite(token.expires_at)
        assert NOW <= token.expires_at <= NOW + MAX_LIFETIME
    assert token.refresh_token is None or isinstance(token.refresh_token, str)


@settings(max_examples=300)
@given(st.integers(100, 599), json_values)
def test_parse_token_over_any_json_gives_a_token_or_a_decode_error(status: int, body: Any) -> None:
    check_token_or_decode_error(status, json.dumps(body).encode())


@settings(max_examples=300)
@given(st.integers(100, 599), token_like)
def test_parse_token_over_token_like_answers(status: int, body: dict[str, Any]) -> None:
    check_token_or_decode_error(status, json.dumps(body).encode(), Token("old", refresh_token="R0"))


@given(st.integers(100, 599), st.binary(max_size=200))
@example(200, b"[" * 100_000)  # nesting deeper than the parser's recursion limit
@example(200, b'{"access_token": "A", "expires_in": 1e999}')
@example(200, b'{"access_token": "A", "expires_in": NaN}')
@example(200, b'{"access_token": "A", "expires_in": -Infinity}')
@example(200, b'{"access_token": "A\\r\\nX-Evil: 1"}')
@example(200, b'{"access_token": "A", "token_type": "Bearer\\r\\nX-Evil: 1"}')
@example(200, b'{"access_token": "\\ud800"}')
@example(200, b"\xff\xfe{}")
def test_parse_token_over_any_bytes(status: int, body: bytes) -> None:
    check_token_or_decode_error(status, body)


@pytest.mark.parametrize(
    ("raw", "expires_at"),
    [
        ("1e999", NOW + MAX_LIFETIME),
        ("1" + "0" * 400, NOW + MAX_LIFETIME),  # an int no float can hold
        ("-5", None),
        ('"abc"', None),
        ("NaN", None),
        ("Infinity", NOW + MAX_LIFETIME),
        ("0", NOW),  # due before its next use
        ("-0.0", NOW),
        ("true", None),
        ('"3600"', NOW + 3600),
        ("0.5", NOW + 0.5),
    ],
)
def test_absurd_expires_in_gives_a_sane_expiry(raw: str, expires_at: float | None) -> None:
    body = f'{{"access_token": "A", "expires_in": {raw}}}'.encode()
    assert parse_token(response(200, body), now=NOW).expires_at == expires_at


@given(expires_values)
def test_token_lifetime_is_none_or_a_bounded_number(value: Any) -> None:
    lifetime = token_lifetime(value)
    assert lifetime is None or 0 <= lifetime <= MAX_LIFETIME


def test_a_rotated_refresh_token_must_be_printable_to_replace_the_old_one() -> None:
    previous = Token("A0", refresh_token="R0")
    body = json.dumps({"access_token": "A1", "refresh_token": "bad\ud800"}).encode()
    assert parse_token(response(200, body), now=NOW, previous=previous).refresh_token == "R0"


# -- Token.expiring -------------------------------------------------------------------------------

times = st.floats(min_value=0, max_value=1e10)
any_float = st.floats(allow_nan=True, allow_infinity=True)
margins = st.floats(min_value=0, max_value=1e6)


@given(any_float, st.one_of(st.none(), any_float), times, margins)
def test_expiring_is_always_a_plain_answer(
    issued: float, expires: float | None, now: float, margin: float
) -> None:
    result = Token("A", issued_at=issued, expires_at=expires).expiring(now, margin)
    assert isinstance(result, bool)
    if expires is None:
        assert result is False
    elif math.isnan(expires):
        assert result is True  # an unreadable expiry: renew
    elif now >= expires:
        assert result is True  # expired: always due


@given(times, st.floats(min_value=0, max_value=1e9), times, margins, st.floats(0, 1e9))
def test_expiring_is_monotone_and_bounded_by_the_margin(
    issued: float, lifetime: float, now: float, margin: float, later: float
) -> None:
    token = Token("A", issued_at=issued, expires_at=issued + lifetime)
    assert token.expires_at is not None
    life = max(0.0, token.expires_at - token.issued_at)  # as the token computes it
    due = token.expiring(now, margin)
    if due:
        assert token.expiring(now + later, margin)  # once due, due from then on
    # Never renewed earlier than the margin, nor earlier than a tenth of the lifetime before.
    if now < token.expires_at - margin or now < token.expires_at - life / 10:
        assert not due
    else:
        assert due


# -- OAuth2.token_request -------------------------------------------------------------------------

field_values = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text()
)
grant_fields = st.dictionaries(st.text(min_size=1), field_values, max_size=6)


def oauth(client_auth: str, encoding: str) -> OAuth2:
    auth = OAuth2(
        token_path="/oauth/token",
        client_id="cid",
        client_secret="csecret-S3CRET",
        grant={"grant_type": "client_credentials"},
        client_auth=client_auth,
        encoding=encoding,
    )
    auth.bind(base_url=URL("https://api.example.com/v2"), vendor="acme", store=MemoryTokenStore())
    return auth


@settings(max_examples=200)
@given(grant_fields, st.sampled_from(["basic", "body"]), st.sampled_from(["form", "json"]))
def test_token_request_for_any_grant_fields(
    fields: dict[str, Any], client_auth: str, encoding: str
) -> None:
    request = oauth(client_auth, encoding).token_request(fields)
    assert request.method == "POST" and request.repeatable and request.idempotent
    assert str(request.url) == "https://api.example.com/v2/oauth/token"
    assert "csecret-S3CRET" not in repr(request)
    expected = dict(fields)
    if client_auth == "basic":
        value = request.headers["Authorization"].removeprefix("Basic ")
        assert base64.b64decode(value) == b"cid:csecret-S3CRET"
    else:
        assert "Authorization" not in request.headers
        expected.setdefault("client_id", "cid")
        expected.setdefault("client_secret", "csecret-S3CRET")
    if encoding == "json":
        assert request.json == expected and request.form is None
    else:
        assert request.json is None
        assert request.form == {k: str(v) for k, v in expected.items() if v is not None}


# -- scrub ----------------------------------------------------------------------------------------

# Shorter values are not credentials: the shared redaction leaves them alone.
secrets_st = st.lists(
    st.text(min_size=MIN_SECRET_LENGTH, max_size=12).filter(lambda s: "*" not in s),
    min_size=1,
    max_size=3,
)


@settings(max_examples=300)
@given(st.text(max_size=80), secrets_st, st.data())
def test_scrub_leaves_no_secret(text: str, secrets: list[str], data: st.DataObject) -> None:
    # Plant the secrets (and some encoded forms) in the text.
    for secret in secrets:
        at = data.draw(st.integers(0, len(text)))
        encoded = data.draw(st.sampled_from([secret, json.dumps(secret)[1:-1], repr(secret)[1:-1]]))
        text = text[:at] + encoded + text[at:]
    out = scrub(text, secrets)
    for secret in secrets:
        assert secret not in out


@given(st.text(max_size=80), secrets_st)
def test_scrub_changes_nothing_without_a_secret(text: str, secrets: list[str]) -> None:
    forms = {f for s in _spellings(secrets) for f in secret_spellings(s)}
    if not any(form in text for form in forms):
        assert scrub(text, secrets) == text


# -- SingleFlight ---------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 8), st.data())
def test_single_flight_runs_once_and_survives_cancelled_waiters(
    waiters: int, data: st.DataObject
) -> None:
    cancelled = data.draw(st.sets(st.integers(0, waiters - 1)))
    fails = data.draw(st.booleans())

    async def scenario() -> None:
        flight: SingleFlight[int] = SingleFlight("test-flight")
        started = asyncio.Event()
        release = asyncio.Event()
        runs = [0]

        async def work() -> int:
            runs[0] += 1
            started.set()
            await release.wait()
            if fails:
                raise DecodeError("nope")
            return 42

        tasks = [asyncio.create_task(flight.run(work)) for _ in range(waiters)]
        await started.wait()
        (run,) = [t for t in asyncio.all_tasks() if t.get_name() == "test-flight"]
        for i in cancelled:
            tasks[i].cancel()
        await asyncio.sleep(0)
        release.set()
        outcomes = await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.wait([run], timeout=5)
        assert runs[0] == 1
        if len(cancelled) == waiters:
            assert run.cancelled()  # nobody waits: stopped, not left running
        for i, outcome in enumerate(outcomes):
            if i in cancelled:
                assert isinstance(outcome, asyncio.CancelledError)
            elif fails:
                assert isinstance(outcome, DecodeError)
            else:
                assert outcome == 42
        assert len({id(o) for i, o in enumerate(outcomes) if i not in cancelled}) <= 1
        # A new caller after the landing starts a new run (failures are not cached) ...
        release.set()
        assert await flight.run(lambda: _value(7)) == 7
        # ... unless it marked before a failure landed.
        mark = flight.mark()
        with pytest.raises(DecodeError):
            await flight.run(_fail)
        with pytest.raises(DecodeError):
            await flight.run(lambda: _value(8), since=mark)
        assert await flight.run(lambda: _value(9), since=flight.mark()) == 9

    asyncio.run(scenario())


async def _value(v: int) -> int:
    return v


async def _fail() -> int:
    raise DecodeError("failed run")

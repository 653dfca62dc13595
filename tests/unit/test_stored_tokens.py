"""The pure decisions behind stored tokens: ``Token.from_dict`` (what a shared store may hand
back), ``stored_ttl`` (how long Redis keeps a token), ``encode_value``/``decode_value`` (the
bytes in Redis, plain or encrypted) and ``load_cipher`` (the encryption key setting). Property
tests over arbitrary JSON and bytes: every input is a token or a ``DecodeError``, never a bare
exception, and no message holds a value."""

from __future__ import annotations

import json
import math
import sys
from typing import Any

import attrs
import pytest
from cryptography.fernet import Fernet, MultiFernet
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vendorkit.core import Token
from vendorkit.core._redis import (
    DEFAULT_TTL,
    KEEP_AFTER_EXPIRY,
    KEY_ENV,
    MAX_TTL,
    MAX_VALUE_BYTES,
    decode_value,
    encode_value,
    load_cipher,
    stored_ttl,
)
from vendorkit.errors import ConfigurationError, DecodeError

SECRET = "S3CRET-planted"
FIELDS = ["access_token", "token_type", "issued_at", "expires_at", "refresh_token", "scope"]

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=10**300, max_value=10**400)
    | st.floats()  # NaN and infinities too: json.loads reads them
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)
# Objects that look like tokens: every field name, each with any JSON value.
token_like = st.dictionaries(st.sampled_from([*FIELDS, "extra"]), json_values, max_size=7)

# What a token endpoint's answer is held to (``parse_token``), and so what a stored token may hold
# in the two fields that go into the ``Authorization`` header: printable ASCII, no spaces.
header_text = st.text(
    st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=40
)
clean_text = st.text(st.characters(blacklist_categories=["Cs"]), max_size=40)
finite = st.floats(allow_nan=False, allow_infinity=False)
tokens = st.builds(
    Token,
    access_token=header_text,
    token_type=header_text,
    issued_at=finite,
    expires_at=st.none() | finite,
    refresh_token=st.none() | clean_text,
    scope=st.none() | clean_text,
)
any_float = st.floats()  # NaN, infinities, huge values
any_tokens = st.builds(
    Token,
    access_token=header_text,
    issued_at=any_float,
    expires_at=st.none() | any_float,
    refresh_token=st.none() | clean_text,
)

KEY_A = Fernet.generate_key()
KEY_B = Fernet.generate_key()
ciphers = st.sampled_from([None, MultiFernet([Fernet(KEY_A)])])


def no_chained(exc: BaseException) -> None:
    assert exc.__cause__ is None and exc.__context__ is None, "a chained exception may hold it"


# -- Token.from_dict ------------------------------------------------------------------------------


@given(tokens)
def test_from_dict_reads_back_what_to_dict_wrote(token: Token) -> None:
    assert Token.from_dict(token.to_dict()) == token
    assert Token.from_dict(json.loads(json.dumps(token.to_dict()))) == token


@given(json_values)
def test_from_dict_over_any_json_is_a_token_or_a_decode_error(data: Any) -> None:
    try:
        token = Token.from_dict(data)
    except DecodeError as exc:
        no_chained(exc)
        return
    assert isinstance(token.access_token, str)


@given(token_like)
def test_from_dict_over_token_shaped_json_checks_every_field(data: dict[str, Any]) -> None:
    """Whatever each field holds: a token whose fields have their declared types, or a
    ``DecodeError``."""
    try:
        token = Token.from_dict(data)
    except DecodeError:
        return
    assert isinstance(token.access_token, str) and isinstance(token.token_type, str)
    assert isinstance(token.issued_at, float) and math.isfinite(token.issued_at)
    assert token.expires_at is None or (
        isinstance(token.expires_at, float) and math.isfinite(token.expires_at)
    )
    assert token.refresh_token is None or isinstance(token.refresh_token, str)
    assert token.scope is None or isinstance(token.scope, str)
    assert not any(c in token.header() for c in "\r\n\0")
    token.header().encode("utf-8")  # sendable


@given(st.sampled_from(FIELDS), json_values)
def test_decode_error_messages_name_the_field_never_the_value(field: str, value: Any) -> None:
    data: dict[str, Any] = {"access_token": SECRET, field: value}
    if isinstance(value, str):
        data[field] = value + SECRET + "\r\n"  # certain to be refused where text is refused
    try:
        Token.from_dict(data)
    except DecodeError as exc:
        assert SECRET not in str(exc) and SECRET not in repr(exc.args)
        no_chained(exc)


@pytest.mark.parametrize(
    ("data", "complaint"),
    [
        ([], "must be an object, not list"),
        ("token", "must be an object, not str"),
        (None, "must be an object, not NoneType"),
        ({}, "no access_token"),
        ({"token_type": "Bearer"}, "no access_token"),
        ({"access_token": 1.5}, "'access_token' must be text, not float"),
        ({"access_token": 7}, "'access_token' must be text, not int"),
        ({"access_token": None}, "'access_token' must be text, not NoneType"),
        ({"access_token": ["a"]}, "'access_token' must be text, not list"),
        ({"access_token": "a", "token_type": None}, "'token_type' must be text"),
        ({"access_token": "a", "token_type": 2.0}, "'token_type' must be text, not float"),
        ({"access_token": "a", "refresh_token": 3.25}, "'refresh_token' must be text"),
        ({"access_token": "a", "scope": {"a": 1}}, "'scope' must be text, not dict"),
        ({"access_token": "a", "issued_at": "1700000000"}, "'issued_at' must be a number"),
        ({"access_token": "a", "issued_at": None}, "'issued_at' must be a number"),
        ({"access_token": "a", "issued_at": True}, "'issued_at' must be a number, not bool"),
        ({"access_token": "a", "expires_at": "soon"}, "'expires_at' must be a number"),
        ({"access_token": "a", "expires_at": math.nan}, "'expires_at' must be a finite number"),
        ({"access_token": "a", "expires_at": math.inf}, "'expires_at' must be a finite number"),
        ({"access_token": "a", "issued_at": -math.inf}, "'issued_at' must be a finite number"),
        ({"access_token": "a", "expires_at": 10**400}, "'expires_at' must be a finite number"),
        ({"access_token": "a\r\nX-Injected: 1"}, "'access_token' holds a character"),
        ({"access_token": "a\0"}, "'access_token' holds a character"),
        ({"access_token": "a", "token_type": "Bearer\n"}, "'token_type' holds a character"),
        ({"access_token": "\ud800"}, "'access_token' holds a lone surrogate"),
        ({"access_token": "a", "refresh_token": "r\udfff"}, "'refresh_token' holds a lone"),
    ],
)
def test_from_dict_refuses(data: Any, complaint: str) -> None:
    with pytest.raises(DecodeError, match=complaint) as caught:
        Token.from_dict(data)
    no_chained(caught.value)


def test_from_dict_accepts_json_integers_nulls_for_optional_fields_and_unknown_keys() -> None:
    token = Token.from_dict(
        {
            "access_token": "a",
            "issued_at": 1700000000,
            "expires_at": 1700003600,
            "refresh_token": None,
            "scope": None,
            "added_by_a_newer_vendorkit": {"x": 1},
        }
    )
    assert token == Token("a", issued_at=1700000000.0, expires_at=1700003600.0)
    assert isinstance(token.issued_at, float) and isinstance(token.expires_at, float)
    with pytest.raises(DecodeError):  # as parse_token refuses an empty access token
        Token.from_dict({"access_token": ""})


# -- how long Redis keeps a token ----------------------------------------------------------------


@given(any_tokens, finite, st.floats(min_value=0, max_value=1e7))
def test_every_stored_token_has_a_finite_ttl(token: Token, now: float, keep: float) -> None:
    ttl = stored_ttl(token, now, keep_after_expiry=keep)
    assert isinstance(ttl, int) and 1 <= ttl <= MAX_TTL


@given(st.floats(min_value=-1e6, max_value=1e6))
def test_a_token_is_kept_keep_after_expiry_past_its_expiry(left: float) -> None:
    now = 1_700_000_000.0
    token = Token("a", issued_at=now, expires_at=now + left)
    expected = min(MAX_TTL, max(1, math.ceil(now + left - now + KEEP_AFTER_EXPIRY)))
    assert stored_ttl(token, now) == expected


@pytest.mark.parametrize("expires_at", [None, math.inf])
def test_a_token_that_never_expires_is_kept_default_ttl(expires_at: float | None) -> None:
    token = Token("a", issued_at=1.0, expires_at=expires_at)
    assert stored_ttl(token, 1_700_000_000.0) == DEFAULT_TTL == 3600
    assert stored_ttl(token, 1_700_000_000.0, default_ttl=120) == 120
    assert stored_ttl(token, 1_700_000_000.0, default_ttl=10**9) == MAX_TTL


@pytest.mark.parametrize("expires_at", [-math.inf, math.nan])  # NaN: always renewed
def test_a_token_that_expired_infinitely_long_ago_is_kept_a_second(expires_at: float) -> None:
    assert stored_ttl(Token("a", expires_at=expires_at), 1_700_000_000.0) == 1


def test_no_token_outlives_max_ttl() -> None:
    token = Token("a", issued_at=0.0, expires_at=1e300)
    assert stored_ttl(token, 0.0) == MAX_TTL == 30 * 86400


# -- the bytes in Redis ---------------------------------------------------------------------------


@given(tokens, ciphers)
def test_decode_reads_back_what_encode_wrote(token: Token, cipher: MultiFernet | None) -> None:
    assert decode_value(encode_value(token, cipher), cipher) == token


@given(any_tokens, ciphers, st.lists(finite, max_size=3), st.floats(0, 1e4))
def test_any_token_is_stored_readably_and_expires_as_it_would_have(
    token: Token, cipher: MultiFernet | None, moments: list[float], margin: float
) -> None:
    """Non-finite times are stored as finite ones with the same ``Token.expiring``: what a store
    writes it can read, so a token endpoint's ``expires_in: 1e999`` does not turn into a fresh
    grant on every call, nor into a token renewed at another moment."""
    back = decode_value(encode_value(token, cipher), cipher)
    assert (back.access_token, back.refresh_token) == (token.access_token, token.refresh_token)
    near: list[float] = []
    for t in (token.expires_at, token.issued_at):
        if t is not None and math.isfinite(t):
            near += [t, t - margin, t - margin / 10, t + 1, t - 1]
    for now in [0.0, 1_700_000_000.0, 1e12, -1e12, *moments, *near]:
        assert back.expiring(now, margin) == token.expiring(now, margin), now


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300) | st.text(max_size=300).map(str.encode), ciphers)
def test_any_stored_bytes_are_a_token_or_a_decode_error(
    raw: bytes, cipher: MultiFernet | None
) -> None:
    try:
        decode_value(raw, cipher)
    except DecodeError as exc:
        no_chained(exc)


@given(json_values.map(lambda v: json.dumps(v).encode()), ciphers)
def test_any_stored_json_is_a_token_or_a_decode_error(
    raw: bytes, cipher: MultiFernet | None
) -> None:
    if cipher is not None:
        raw = cipher.encrypt(raw)  # as written by someone who has the key
    try:
        decode_value(raw, cipher)
    except DecodeError as exc:
        no_chained(exc)


def test_values_that_are_refused() -> None:
    a, b = MultiFernet([Fernet(KEY_A)]), MultiFernet([Fernet(KEY_B)])
    token = Token(SECRET, refresh_token=SECRET)
    plain = encode_value(token, None)
    cases = [
        (b"\xff\xfe\x00", None, "not JSON"),
        (b"[" * 200_000, None, "not JSON"),  # nested past the recursion limit
        (b'"' + b"a" * MAX_VALUE_BYTES + b'"', None, f"over {MAX_VALUE_BYTES} bytes"),
        (encode_value(token, a), None, "not JSON (it looks encrypted: set VENDORKIT_REDIS"),
        (encode_value(token, a), b, "cannot be decrypted"),
        (plain, a, "cannot be decrypted"),  # planted by someone without the key
        (b"", a, "cannot be decrypted"),
    ]
    for raw, cipher, complaint in cases:
        with pytest.raises(DecodeError, match=complaint.replace("(", r"\(")) as caught:
            decode_value(raw, cipher)
        assert SECRET not in str(caught.value)
        no_chained(caught.value)


def test_a_token_too_large_to_read_back_is_not_stored() -> None:
    with pytest.raises(DecodeError, match="over the store's"):
        encode_value(Token("a" * MAX_VALUE_BYTES), None)
    encode_value(Token("a" * 4096, refresh_token="r" * 4096), MultiFernet([Fernet(KEY_A)]))


def test_the_stored_json_is_plain_json() -> None:
    raw = encode_value(Token("a", expires_at=math.inf, issued_at=math.nan), None)
    assert json.loads(raw) == attrs.asdict(Token("a", expires_at=None, issued_at=0.0))
    assert b"Infinity" not in raw and b"NaN" not in raw


# -- the key setting ------------------------------------------------------------------------------


def test_no_key_means_no_cipher() -> None:
    for setting in (None, "", "  ", b"", []):
        assert load_cipher(setting) is None


def test_keys_newest_first_rotate() -> None:
    """Values are written with the first key and read with any: put a new key first, keep the
    old one after it until every stored token has been rewritten."""
    old, new = load_cipher(KEY_A.decode()), load_cipher(f" {KEY_B.decode()} , {KEY_A.decode()}")
    assert old is not None and new is not None
    token = Token("a", refresh_token="r")
    written_before = encode_value(token, old)
    assert decode_value(written_before, new) == token
    written_after = encode_value(token, new)
    only_new = load_cipher([KEY_B])
    assert only_new is not None and decode_value(written_after, only_new) == token
    with pytest.raises(DecodeError):
        decode_value(written_before, only_new)
    assert load_cipher(KEY_A) is not None and load_cipher([KEY_A.decode(), KEY_B]) is not None


@pytest.mark.parametrize(
    "setting",
    [
        "not-a-key",
        KEY_A.decode()[:-4],
        KEY_A.decode() + ",",
        f"{KEY_A.decode()},{KEY_A.decode()[:20]}",
        "é" * 44,
        [KEY_A, "short"],
        [KEY_A, 12345],
    ],
)
def test_a_malformed_key_is_a_configuration_error_that_never_shows_it(setting: Any) -> None:
    with pytest.raises(ConfigurationError, match=r"key \d of \d is not a Fernet key") as caught:
        load_cipher(setting, source=KEY_ENV)
    text = str(caught.value)
    assert text.startswith(KEY_ENV)
    parts = setting.split(",") if isinstance(setting, str) else setting
    for part in parts:
        if isinstance(part, str | bytes) and len(part) > 3:
            assert (part if isinstance(part, str) else part.decode()) not in text
    no_chained(caught.value)


def test_a_setting_of_another_type_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="comma-separated keys or a list"):
        load_cipher(12345, source="encryption_key=")  # type: ignore[arg-type]


def test_a_key_without_the_cryptography_package_is_a_configuration_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "cryptography.fernet", None)  # import raises ImportError
    assert load_cipher(None) is None  # no key: the package is not needed
    with pytest.raises(ConfigurationError, match=r"cryptography package is missing.*encryption"):
        load_cipher(KEY_A.decode(), source=KEY_ENV)

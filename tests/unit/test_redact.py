"""``redact_text``, ``redact_known`` and ``describe_exception``: pure, so properties first."""

from __future__ import annotations

import json
from urllib.parse import quote

from hypothesis import given
from hypothesis import strategies as st

from vendorkit.core._redact import describe_exception, redact_known, redact_text
from vendorkit.core._wire import redact_url

secrets = st.text(min_size=4, max_size=40).filter(lambda s: s.strip("*"))
texts = st.text(max_size=200)


@given(secret=secrets, before=texts, after=texts, spelling=st.sampled_from(["raw", "url", "json"]))
def test_a_known_secret_never_survives_in_any_spelling(
    secret: str, before: str, after: str, spelling: str
) -> None:
    shown = {"raw": secret, "url": quote(secret, safe=""), "json": json.dumps(secret)[1:-1]}
    text = before + shown[spelling] + after + shown[spelling]
    out = redact_text(text, [secret])
    assert shown[spelling] not in out
    assert secret not in out
    assert shown[spelling] not in redact_known(text, [secret])


@given(
    value=st.text(
        alphabet=st.characters(blacklist_characters="'\"\r\n", blacklist_categories=["Cs"]),
        max_size=30,
    ).map(lambda v: "SEC" + v)
)
def test_authorization_headers_are_redacted_in_every_shape(value: str) -> None:
    for text in (
        f"Authorization: {value}",
        f"'Authorization': '{value}'",
        f'"authorization": "{value}"',
        f"<CIMultiDictProxy('Host': 'h', 'Authorization': '{value}', 'Accept': '*/*')>",
        f"Proxy-Authorization: {value}\r\nHost: h",
    ):
        out = redact_text(text)
        assert "SEC" not in out, (text, out)
        assert "authorization" in out.lower()


def test_shapes() -> None:
    cases = {
        "GET https://h/x?token=abc&q=1 and url='https://h/x?token=abc&q=1'": "abc",
        "Bearer eyJhbGciOi.J9x-y_z": "eyJhbGciOi",
        "Basic Y2xpZW50OnNlY3JldA==": "Y2xpZW50",
        "redis://:pw-hunter2@cache:6379/0": "hunter2",
        '{"password": "hunter2", "user": "ann"}': "hunter2",
        "client_secret=s3cr3t-value&grant_type=x": "s3cr3t",
        "X-Api-Key: k-12345": "k-12345",
    }
    for text, secret in cases.items():
        assert secret not in redact_text(text), text


def test_vendor_words_are_left_alone_by_known_secret_scrub() -> None:
    # redact_known touches nothing but the secrets: a vendor's "Invalid token header." stays.
    assert redact_known("Invalid token header. No credentials provided.", ["abcd-1"]) == (
        "Invalid token header. No credentials provided."
    )


def test_short_secrets_are_scrubbed_where_they_stand_alone() -> None:
    # A three-character password echoed in prose goes; the same letters inside words stay.
    assert redact_known("no agent with password xq9.", ["xq9"]) == "no agent with password ***."
    assert redact_known("abc cab ab", ["ab"]) == "abc cab ***"
    # A single character is no secret, and a run of stars is what redaction writes.
    assert redact_known("a b c", ["a"]) == "a b c"
    assert redact_known("****", ["****"]) == "****"


@given(secret=secrets)
def test_describe_exception_never_shows_a_repr(secret: str) -> None:
    class Leaky(Exception):
        def __repr__(self) -> str:
            return f"Leaky(headers={{'Authorization': 'Bearer {secret}'}})"

    text = describe_exception(Leaky(f"boom {secret}"), [secret])
    assert secret not in text
    assert text.startswith("Leaky")
    assert "\n" not in text and len(text) <= 500


def test_describe_exception_survives_a_broken_str() -> None:
    class Broken(Exception):
        def __str__(self) -> str:
            raise RuntimeError("no")

    assert describe_exception(Broken()) == "Broken"


@given(url=st.text(max_size=80))
def test_redact_url_never_raises(url: str) -> None:
    assert isinstance(redact_url(url), str)


def test_redact_url_hides_fragments_with_tokens() -> None:
    assert "abc" not in redact_url("https://h/cb#access_token=abc&x=1")

"""Pins error handling: the status -> class table, one-line and secret-free ``str``/``repr``,
pickling, and turning any error body (JSON in the common shapes, HTML, junk, nothing) into the
right ``APIError`` with a readable message."""

from __future__ import annotations

import json
import pickle
from typing import Any

import pytest
from yarl import URL

from vendorkit.core import (
    WireResponse,
    as_messages,
    default_error_parser,
    error_from_response,
    field_error_parser,
)
from vendorkit.core._auth import oauth2_error_parser
from vendorkit.core._errors import text_summary
from vendorkit.errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    NotFoundError,
    PaginationError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    UnprocessableEntityError,
    VendorkitError,
    error_class_for_status,
)

URL_ = URL("https://api.example.com/v1/items/7?expand=lines")


def response(
    status: int, body: Any = b"", headers: dict[str, str] | None = None, url: URL = URL_
) -> WireResponse:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return WireResponse(status, headers or {}, raw, url)


def err(status: int, body: Any = b"", **kw: Any) -> APIError:
    return error_from_response(response(status, body), vendor="acme", method="GET", **kw)


# -- the class tree ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (409, ConflictError),
        (422, UnprocessableEntityError),
        (429, RateLimitError),
        (500, ServerError),
        (503, ServerError),
        (599, ServerError),
        (418, APIError),
        (405, APIError),
    ],
)
def test_error_class_for_status(status: int, cls: type[APIError]) -> None:
    assert error_class_for_status(status) is cls
    e = err(status, {"message": "x"})
    assert type(e) is cls and e.status == status


# -- str, repr, pickle ---------------------------------------------------------------------------


def test_str_is_one_line_with_vendor_method_path_status_and_message() -> None:
    e = err(404, {"message": "No such\n  item.\r\n Sorry", "code": "not_found"})
    assert str(e) == "acme GET /v1/items/7?expand=lines -> 404: [not_found] No such item. Sorry"
    assert repr(e) == f"NotFoundError({str(e)!r})"


def test_str_of_a_very_long_message_is_truncated_on_one_line() -> None:
    e = err(400, {"message": "word\n" * 1000})
    assert "\n" not in str(e) and len(str(e)) <= 500 and str(e).endswith("…")


def test_plain_errors_are_one_line_too() -> None:
    assert str(PaginationError("a\nb\tc")) == "a b c"


def test_str_includes_trace_id_and_retry_after() -> None:
    r = response(429, {"message": "slow down"}, headers={"X-Request-Id": "abc123"})
    e = error_from_response(
        r, vendor="acme", method="GET", trace_id_header="x-request-id", retry_after=2.5
    )
    assert isinstance(e, RateLimitError) and e.retry_after == 2.5
    assert e.trace_id == "abc123"
    assert str(e).endswith("slow down (trace id abc123) (retry after 2.5s)")


def test_rate_limit_error_without_retry_after_says_nothing_about_it() -> None:
    e = err(429, {"message": "slow down"})
    assert isinstance(e, RateLimitError) and e.retry_after is None
    assert "retry after" not in str(e)


@pytest.mark.parametrize("status", [400, 422, 429, 503])
def test_api_errors_survive_pickling(status: int) -> None:
    e = err(status, {"message": "nope", "code": "E1", "email": ["bad"]}, retry_after=None)
    e.trace_id = "t-1"
    back = pickle.loads(pickle.dumps(e))
    assert type(back) is type(e)
    assert str(back) == str(e)
    assert (back.status, back.code, back.message, back.trace_id, back.body) == (
        e.status,
        e.code,
        e.message,
        e.trace_id,
        e.body,
    )


def test_rate_limit_error_pickles_its_retry_after() -> None:
    e = RateLimitError("slow", status=429, retry_after=3.0, field_errors={"a": ["b"]})
    back = pickle.loads(pickle.dumps(e))
    assert back.retry_after == 3.0 and back.field_errors == {"a": ["b"]}
    assert back.args == ("slow",)


def test_no_credentials_in_str_repr_or_url() -> None:
    url = URL("https://user:hunter2@api.example.com/v1/x?api_key=s3cret&Token=t0k&page=2")
    e = error_from_response(response(401, {"detail": "no"}, url=url), vendor="v", method="GET")
    for text in (str(e), repr(e), e.url):
        assert "hunter2" not in text and "s3cret" not in text and "t0k" not in text
    assert "page=2" in str(e)


def test_field_errors_make_the_message_when_there_is_none() -> None:
    e = APIError(status=400, field_errors={"email": ["is invalid", "is taken"]})
    assert str(e) == "400: email: is invalid is taken"
    assert isinstance(e, VendorkitError)


# -- parsing bodies ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message", "code"),
    [
        ({"message": "Bad thing"}, "Bad thing", None),
        ({"detail": "Not found."}, "Not found.", None),
        ({"error": "invalid_grant", "error_description": "expired"}, "expired", "invalid_grant"),
        ({"error_message": "boom", "code": "E42"}, "boom", "E42"),
        ("plain string body", "plain string body", None),
        (["one", "two"], "one two", None),
        ({"errors": {"name": ["required"]}}, "errors: name: required", None),
    ],
)
def test_default_error_parser(body: Any, message: str, code: str | None) -> None:
    info = default_error_parser(400, body)
    assert (info.message, info.code) == (message, code)


def test_field_error_parser_splits_field_and_non_field_errors() -> None:
    body = {
        "email": ["Enter a valid email."],
        "lines": {"0": {"qty": ["Must be positive."]}},
        "non_field_errors": ["Dates overlap."],
        "code": "invalid",
        "status_code": 400,
    }
    info = field_error_parser(400, body)
    assert info.message == "" and info.code == "invalid"
    assert info.field_errors == {
        "email": ["Enter a valid email."],
        "lines": ["0: qty: Must be positive."],
    }
    assert info.non_field_errors == ["Dates overlap."]


def test_field_errors_reach_the_error_and_its_message() -> None:
    body = {"email": ["Enter a valid email."], "non_field_errors": ["Dates overlap."]}
    e = err(400, body, parser=field_error_parser)
    assert isinstance(e, BadRequestError)
    assert e.field_errors == {"email": ["Enter a valid email."]}
    assert e.non_field_errors == ["Dates overlap."]
    assert str(e).endswith(": email: Enter a valid email. Dates overlap.")


def test_field_error_parser_falls_back_for_non_objects() -> None:
    assert field_error_parser(400, ["Invalid input."]).message == "Invalid input."


def test_oauth2_error_parser() -> None:
    info = oauth2_error_parser(400, {"error": "invalid_client"})
    assert (info.message, info.code) == ("invalid_client", "invalid_client")
    e = err(401, {"error": "invalid_grant", "error_description": "bad"}, parser=oauth2_error_parser)
    assert isinstance(e, AuthenticationError) and e.code == "invalid_grant"
    assert str(e) == "acme GET /v1/items/7?expand=lines -> 401: [invalid_grant] bad"


@pytest.mark.parametrize("code", [1234, 7])
def test_a_numeric_error_code_still_gives_a_printable_error(code: int) -> None:
    e = err(400, {"code": code, "message": "bad"})
    assert e.code == str(code)
    assert str(e).endswith(f"-> 400: [{code}] bad")


HTML = b"""<!DOCTYPE html><html><head><title>502 Bad Gateway</title>
<style>body { color: red }</style></head>
<body><h1>Bad Gateway</h1><p>The proxy got an invalid answer.</p></body></html>"""


@pytest.mark.parametrize(("status", "cls"), [(502, ServerError), (403, PermissionDeniedError)])
def test_an_html_body_still_gives_the_right_class_and_a_readable_message(
    status: int, cls: type[APIError]
) -> None:
    e = err(status, HTML)
    assert type(e) is cls
    assert e.message == "502 Bad Gateway"
    assert str(e) == f"acme GET /v1/items/7?expand=lines -> {status}: 502 Bad Gateway"
    assert e.body == HTML.decode()


def test_html_without_a_title_is_summarised_from_its_text() -> None:
    body = b"<html><script>var x = '<b>';</script><p>Service&nbsp;&amp; more\n\nunavailable</p>"
    assert err(503, body).message == "Service & more unavailable"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "Service Unavailable"),
        (b"   ", "Service Unavailable"),
        (b"null", "Service Unavailable"),
        (b"{}", "Service Unavailable"),
        (b"upstream timed out\n", "upstream timed out"),
        (b'{"message": "trunc', '{"message": "trunc'),
        (b"\xff\xfe bad bytes", "\ufffd\ufffd bad bytes"),
    ],
)
def test_empty_truncated_or_junk_bodies(body: bytes, message: str) -> None:
    e = err(503, body)
    assert isinstance(e, ServerError) and e.message == message


def test_unknown_status_uses_a_generic_reason() -> None:
    e = err(499)
    assert type(e) is APIError and e.message == "HTTP 499"


def test_a_parser_that_crashes_still_gives_the_right_class() -> None:
    def broken(status: int, body: Any) -> Any:
        raise KeyError("oops")

    e = err(409, {"x": 1}, parser=broken)
    assert isinstance(e, ConflictError) and "unreadable error body" in str(e)


def test_text_summary_truncates_long_text() -> None:
    out = text_summary("x " * 500, limit=20)
    assert len(out) == 20 and out.endswith("…")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, []),
        ("a", ["a"]),
        (["a", ["b", "c"]], ["a", "b", "c"]),
        ({"f": ["a", "b"], "g": {"h": "c"}}, ["f: a", "f: b", "g: h: c"]),
        (3, ["3"]),
    ],
)
def test_as_messages(value: Any, expected: list[str]) -> None:
    assert as_messages(value) == expected


def test_str_says_what_was_wrong_when_the_message_is_generic() -> None:
    from vendorkit.errors import BadRequestError

    err = BadRequestError(
        "Validation failed",
        status=422,
        vendor="acme",
        method="POST",
        url="https://api.acme.example/users",
        field_errors={"username": ["is required."]},
        code="validation_failed",
    )
    text = str(err)
    assert "Validation failed" in text and "username: is required." in text
    assert "\n" not in text

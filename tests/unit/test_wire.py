"""Pins the wire values and their safety rules: URL redaction (user-info and secret query values),
what counts as the same origin (scheme, host, effective port, no ``user@host`` tricks), and
``WireRequest``/``WireResponse`` behaviour (merged params, case-insensitive headers, JSON)."""

from __future__ import annotations

import pytest
from yarl import URL

from vendorkit.core import WireRequest, WireResponse, redact_url, same_origin

ORIGIN = URL("https://api.example.com/v1/")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://api.example.com/x?page=2", "https://api.example.com/x?page=2"),
        ("https://u:p4ss@api.example.com/x", "https://api.example.com/x"),
        ("https://tok3n@api.example.com/x", "https://api.example.com/x"),
        (
            "https://api.example.com/x?page=2&api_key=s3cret&q=a",
            "https://api.example.com/x?page=2&api_key=***&q=a",
        ),
        (
            "https://h.example/x?Access_Token=a&TOKEN=b",
            "https://h.example/x?Access_Token=***&TOKEN=***",
        ),
        (
            "https://h.example/x?key=a&key=b&monkey=c",
            "https://h.example/x?key=***&key=***&monkey=c",
        ),
        (
            "https://h.example/x?client_secret=a&password=b",
            "https://h.example/x?client_secret=***&password=***",
        ),
    ],
)
def test_redact_url(url: str, expected: str) -> None:
    assert redact_url(url) == expected
    assert redact_url(URL(url)) == expected


@pytest.mark.parametrize(
    "other",
    [
        "https://api.example.com/v2/other?x=1",
        "https://API.Example.COM/",
        "https://api.example.com:443/",  # explicit default port
        "HTTPS://api.example.com/",
    ],
)
def test_same_origin(other: str) -> None:
    assert same_origin(ORIGIN, URL(other))


@pytest.mark.parametrize(
    "other",
    [
        "http://api.example.com/v1/",
        "https://api.example.com:8443/v1/",
        "https://api.example.com:80/v1/",
        "https://evil.example/v1/",
        "https://api.example.com.evil.example/",
        "https://evilapi.example.com/",
        "http://api.example.com@evil.example/",
        "https://api.example.com@evil.example/",
        "https://api.example.com:443@evil.example/",
        "https://user@api.example.com/v1/",
        "https://:pw@api.example.com/v1/",
        "/v1/relative",
    ],
)
def test_not_same_origin(other: str) -> None:
    assert not same_origin(ORIGIN, URL(other))


def test_a_port_is_part_of_the_origin_on_both_sides() -> None:
    local = URL("http://127.0.0.1:8081/")
    assert same_origin(local, URL("http://127.0.0.1:8081/api?page=2"))
    assert not same_origin(local, URL("http://127.0.0.1:8082/api"))
    assert not same_origin(local, URL("http://127.0.0.1/api"))


def test_request_params_are_merged_and_redacted_in_safe_url() -> None:
    req = WireRequest(
        "GET", URL("https://h.example/x?a=1"), params=(("token", "s3cret"), ("b", "2"))
    )
    assert req.full_url == URL("https://h.example/x?a=1&token=s3cret&b=2")
    assert req.safe_url == "https://h.example/x?a=1&token=***&b=2"
    assert "s3cret" not in repr(req)
    keyed = WireRequest("GET", URL("https://u:pw@h.example/x?api_key=k3y"))
    assert repr(keyed) == "<WireRequest GET https://h.example/x?api_key=***>"


def test_request_repr_hides_headers_and_bodies() -> None:
    req = WireRequest(
        "POST",
        URL("https://h.example/token"),
        headers={"Authorization": "Basic c2VjcmV0"},
        form={"client_secret": "s3cret"},
    )
    assert "c2VjcmV0" not in repr(req) and "s3cret" not in repr(req)


def test_with_headers_adds_without_mutating() -> None:
    req = WireRequest("GET", URL("https://h.example/"), headers={"Accept": "a"})
    new = req.with_headers({"Authorization": "x"})
    assert dict(new.headers) == {"Accept": "a", "Authorization": "x"}
    assert dict(req.headers) == {"Accept": "a"}


def test_response_headers_are_case_insensitive() -> None:
    r = WireResponse(200, {"Retry-After": "5"})
    assert r.headers.get("retry-after") == "5"


@pytest.mark.parametrize(
    ("ctype", "body", "is_json"),
    [
        ("application/json; charset=utf-8", b"{}", True),
        ("application/problem+json", b"{}", True),
        ("text/html", b"{}", False),
        ("", b'[{"a": 1}]', True),
        ("", b"<html>", False),
    ],
)
def test_response_is_json(ctype: str, body: bytes, is_json: bool) -> None:
    headers = {"Content-Type": ctype} if ctype else {}
    assert WireResponse(200, headers, body).is_json is is_json


def test_response_json_and_text() -> None:
    assert WireResponse(200, {}, b'{"a": [1, 2]}').json() == {"a": [1, 2]}
    assert WireResponse(204, {}, b"  \n").json() is None
    with pytest.raises(ValueError):
        WireResponse(200, {}, b"<html>").json()
    assert WireResponse(200, {}, "café".encode()).text == "café"


def test_merge_headers_later_layers_win_whatever_the_case() -> None:
    from vendorkit.core._wire import merge_headers

    merged = merge_headers(
        {"Accept": "application/json", "Accept-Language": "ja"},
        {},
        {"accept-language": "en", "X-Extra": "1"},
    )
    assert merged == {"Accept": "application/json", "accept-language": "en", "X-Extra": "1"}

"""The shared emulator framework's pure parts, without a server: the schema engine, the page
windows and cursors, credential parsing, OAuth2 rotation and the cached views."""

from __future__ import annotations

import base64
from decimal import Decimal

import pytest

from vendorkit.sandbox._auth import OAuth2, basic, bearer
from vendorkit.sandbox._emulator import Tokens
from vendorkit.sandbox._pages import cursor_window, int_params, offset_window, page_window
from vendorkit.sandbox._schema import Field, validate
from vendorkit.sandbox._store import Collection, Views


def test_validate_converts_and_reports_one_issue_per_field_in_declaration_order() -> None:
    fields = {
        "name": Field("string", required=True, strip=True, max_length=5),
        "rate": Field("decimal", minimum=Decimal(0)),
        "hours": Field("decimal", minimum=Decimal(0), exclusive=True),
        "kind": Field("choice", choices=("Open", "Closed"), fold_case=True),
        "active": Field("bool", loose_bool=True),
        "count": Field("int"),
        "when": Field("date"),
        "owner": Field("ref", ref="users", fold_case=True),
    }
    body = {
        "name": "  ab ",
        "rate": 12,
        "hours": "1.5",
        "kind": "open",
        "active": "1",
        "count": 3,
        "when": "2024-01-02T10:00:00Z",
        "owner": "U1",
        "unknown": "ignored",
    }
    values, issues = validate(body, fields, creating=True, exists={"users": {"u1"}})
    assert issues == []
    assert values == {
        "name": "ab",
        "rate": "12.00",
        "hours": "1.50",
        "kind": "Open",
        "active": True,
        "count": 3,
        "when": "2024-01-02",
        "owner": "u1",
    }
    bad = {"name": "toolong", "rate": "-1", "hours": "0", "kind": "x", "active": "yes"}
    _, issues = validate(bad, fields, creating=True, exists={"users": set()})
    assert [(f, c) for f, c, _ in issues] == [
        ("name", "max_length"),
        ("rate", "min"),
        ("hours", "positive"),
        ("kind", "choice"),
        ("active", "bool"),
    ]


def test_validate_required_null_and_blank() -> None:
    fields = {"a": Field("string", required=True), "b": Field("string", blank_is_null=True)}
    assert validate({}, fields, creating=True)[1] == [("a", "required", {"value": None})]
    assert validate({}, fields, creating=False) == ({}, [])
    assert validate({"a": None}, fields, creating=False)[1][0][1] == "null"
    assert validate({"a": ""}, fields, creating=False)[1][0][1] == "blank"
    assert validate({"b": ""}, fields, creating=False) == ({"b": None}, [])
    strict = {"o": Field("object", null_ok=False)}
    assert validate({"o": None}, strict, creating=False)[1][0][1] == "object"


def test_page_and_offset_windows() -> None:
    assert page_window(1, 20, 45) == page_window(1, 20, 45)
    w = page_window(2, 20, 45)
    assert (w.start, w.end, w.prev, w.next) == (20, 40, 1, 3)
    w = page_window(3, 20, 45)
    assert (w.start, w.end, w.prev, w.next) == (40, 45, 2, None)
    w = page_window(1, 20, 0)
    assert (w.start, w.end, w.prev, w.next) == (0, 0, None, None)
    w = offset_window(90, 20, 100)
    assert (w.start, w.end, w.next) == (90, 100, None)
    assert int_params({"page": "x", "per_page": ""}, {"page": 1, "per_page": 25}) == (
        {"per_page": 25},
        ["page"],
    )


def test_cursor_window_walks_both_ways_and_survives_inserts() -> None:
    ids = list(range(1, 11))
    first = cursor_window(ids, 4, None)
    assert (first.start, first.end, first.prev) == (0, 4, None)
    second = cursor_window(ids, 4, first.next)
    assert ids[second.start : second.end] == [5, 6, 7, 8]
    # A record created before the cursor's position does not shift the next page.
    shifted = [0, *ids]
    after_insert = cursor_window(shifted, 4, first.next)
    assert shifted[after_insert.start : after_insert.end] == [5, 6, 7, 8]
    back = cursor_window(ids, 4, second.prev)
    assert ids[back.start : back.end] == [1, 2, 3, 4]
    with pytest.raises(ValueError):
        cursor_window(ids, 4, "not a cursor")


def test_bearer_and_basic() -> None:
    assert bearer("Bearer abc") == "abc"
    assert bearer("Bearer: abc") == "abc"
    assert bearer("Bearer: abc", colon=False) is None
    assert bearer("Token abc", scheme="token") == "abc"
    assert bearer("Bearer ") is None
    creds = base64.b64encode(b"id:se:cret").decode()
    assert basic(f"Basic {creds}") == ("id", "se:cret")
    assert basic("Basic !!!") is None
    assert basic("Bearer x") is None


def test_oauth2_refresh_rotates_the_whole_pair() -> None:
    tokens = Tokens(ttl=10.0)
    oauth = OAuth2(tokens, default_ttl=3600, refresh_factor=2)
    first = oauth.grant("password", {"username": "u"})
    assert first["expires_in"] == 10 and first["token_type"] == "Bearer"
    second = oauth.refresh(first["refresh_token"])
    assert second is not None
    assert tokens.lookup(first["access_token"]) is None
    assert tokens.lookup(first["refresh_token"]) is None
    assert oauth.refresh(first["refresh_token"]) is None  # a rotated token is dead
    assert oauth.refresh(second["access_token"]) is None  # an access token is no refresh token
    info = tokens.lookup(second["access_token"])
    assert info is not None and info["subject"] == {"username": "u"}


def test_views_are_cached_until_cleared_or_resized() -> None:
    views, calls = Views(), []
    coll: dict[int, int] = {1: 1}

    def compute() -> list[int]:
        calls.append(1)
        return sorted(coll)

    assert views.get(coll, "k", compute) == [1]
    assert views.get(coll, "k", compute) == [1] and len(calls) == 1
    coll[2] = 2  # a test editing the store by hand: the size changed
    assert views.get(coll, "k", compute) == [1, 2]
    views.clear()
    views.get(coll, "k", compute)
    assert len(calls) == 3
    col = Collection(newest_first=True)
    col.add("a", {})
    col.add("b", {})
    assert col.ordered() == ["b", "a"]
    col.remove("b")
    assert col.ordered() == ["a"]

"""``vendorkit.Leady`` against a small Leady server written from the contract and ``leady.txt``
only (not from our sandbox emulator), varying wherever the docs leave room: absolute next links
with an opaque cursor, a next link that is a relative path, pages without ``previous``, a
page-number list with a ``count``, a code list served as a bare JSON array, timestamps with ``Z``,
``+00:00``, fractional seconds or no offset (the docs say UTC), unknown fields everywhere, DRF
error bodies, 429 with ``Retry-After``, token get and reset.

What all four adapters promise alike (construction, options, ``from_env``, 429 out of retries,
wrong credentials, ``request()`` refusals) is in ``test_contract.py``; this file keeps what only
this vendor has.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime

import attrs
import pytest
from aiohttp.test_utils import TestServer

from tests.contract._leady_server import (
    ACTIONS,
    COMPANIES,
    EMAIL,
    FIRST_TOKEN,
    MAGNITUDES,
    PASSWORD,
    PERSONS,
    RESOURCES,
    SESSIONS,
    TURNOVERS,
    LeadyServer,
    _cursor,
    _parse_time,
    _uncursor,
)
from vendorkit import Leady, errors
from vendorkit.vendors.leady import models


@pytest.fixture
async def server() -> AsyncIterator[LeadyServer]:
    srv = LeadyServer()
    ts = TestServer(srv.app(), host="127.0.0.1")
    await ts.start_server()
    srv.ts = ts
    try:
        yield srv
    finally:
        await ts.close()


@pytest.fixture
async def leady(server: LeadyServer) -> AsyncIterator[Leady]:
    async with Leady(token=FIRST_TOKEN, base_url=server.url, max_retry_wait=5) as client:
        yield client


# -- construction -------------------------------------------------------------------------------


# -- resources and methods ----------------------------------------------------------------------

METHODS = {
    "resources": {"list", "get"},
    "sessions": {"list"},
    "companies": {"list", "get"},
    "persons": {"list", "get"},
    "saved_filters": {"list", "get", "create", "update", "delete"},
    "blacklist": {"list", "create", "delete"},
    "turnovers": {"list"},
    "magnitudes": {"list"},
}


async def test_resources_offer_exactly_the_vendors_methods(leady: Leady) -> None:
    for name, allowed in METHODS.items():
        res = getattr(leady, name)
        offered = {m for m in ("list", "get", "create", "update", "delete") if hasattr(res, m)}
        assert offered == allowed, name


async def test_tracked_websites(leady: Leady, server: LeadyServer) -> None:
    sites = await leady.resources.list().all()
    assert [s.raw for s in sites] == RESOURCES
    assert isinstance(sites[0], models.Resource)
    assert (sites[0].id, sites[0].domain, sites[0].name) == (1, "example.com", "Example")
    one = await leady.resources.get("shop.example.org")
    assert one.raw == RESOURCES[1]  # unknown nested field kept
    assert server.requests("GET", "/resources/shop.example.org/")


async def test_cursor_pages_with_absolute_next_links(leady: Leady, server: LeadyServer) -> None:
    companies = await leady.companies.list().all()
    assert [c.raw for c in companies] == COMPANIES
    assert [c.id for c in companies] == [c["id"] for c in COMPANIES]
    assert companies[0].name == "Firma 0 s.r.o."
    assert companies[1].country == "CZ"
    calls = server.requests("GET", "/companies/")
    assert len(calls) == 3
    assert "cursor" not in calls[0]["query"] and "page_size" not in calls[0]["query"]
    assert [_uncursor(c["query"]["cursor"]) for c in calls[1:]] == [3, 6]

    pages = [p async for p in leady.companies.list(page_size=4).pages()]
    assert [len(p.records) for p in pages] == [4, 3]
    assert all(p.total is None for p in pages)  # no count in a cursor page
    assert server.requests("GET", "/companies/")[-1]["query"]["page_size"] == "4"


async def test_max_items_and_concurrency(leady: Leady, server: LeadyServer) -> None:
    before = len(server.requests("GET", "/companies/"))
    five = await leady.companies.list(max_items=5).all()
    assert [c.raw for c in five] == COMPANIES[:5]
    assert len(server.requests("GET", "/companies/")) - before == 2
    # A cursor walk cannot fan out; concurrency= is accepted and the order kept.
    fanned = await leady.companies.list(concurrency=4, page_size=2).all()
    assert [c.raw for c in fanned] == COMPANIES
    assert [c.raw async for c in leady.companies.list()] == COMPANIES


async def test_relative_next_link(leady: Leady) -> None:
    persons = await leady.persons.list().all()
    assert [p.raw for p in persons] == PERSONS
    assert persons[0].email == "p0@firma0.cz"
    assert (await leady.persons.get(501)).name == "Person 1"


async def test_page_number_list_with_count_and_a_bare_list(leady: Leady) -> None:
    turnovers = await leady.turnovers.list().all()
    assert [t.raw for t in turnovers] == TURNOVERS
    assert turnovers[2].code == "T2"
    pages = [p async for p in leady.turnovers.list().pages()]
    assert [len(p.records) for p in pages] == [2, 2, 1]
    assert {p.total for p in pages} <= {None, len(TURNOVERS)}
    magnitudes = await leady.magnitudes.list().all()
    assert [m.raw for m in magnitudes] == MAGNITUDES
    assert magnitudes[1].name == "10-19"


async def test_sessions_of_a_website(leady: Leady, server: LeadyServer) -> None:
    sessions = await leady.sessions.list(resource="example.com").all()
    assert [s.raw for s in sessions] == SESSIONS
    starts = [s.start for s in sessions]
    assert all(isinstance(t, datetime) and t.tzinfo is not None for t in starts)
    assert starts == [
        datetime(2024, 1, 2, 10, tzinfo=UTC),
        datetime(2024, 1, 2, 11, tzinfo=UTC),
        datetime(2024, 1, 2, 12, 0, 0, 123456, tzinfo=UTC),
        datetime(2024, 1, 3, 13, tzinfo=UTC),  # no offset: the docs say UTC
    ]
    assert sessions[2].end == datetime(2024, 1, 2, 12, 30, 0, 500000, tzinfo=UTC)
    assert sessions[1].end is None
    assert [s.duration for s in sessions] == [141, "00:02:21", 1799.5, 5]
    assert sessions[0].company == {"id": 10, "name": "Firma 0 s.r.o."}

    window = await leady.sessions.list(
        resource="example.com",
        period_start=datetime(2024, 1, 2, 11, tzinfo=UTC),
        period_end=date(2024, 1, 3),
    ).all()
    assert [s.id for s in window] == [102, 103]
    query = server.requests("GET", "/resources/example.com/sessions/")[-1]["query"]
    assert _parse_time(query["period_start"]) == datetime(2024, 1, 2, 11, tzinfo=UTC)
    assert query["period_end"] == "2024-01-03"


async def test_the_website_of_sessions_given_any_way(leady: Leady) -> None:
    ids = [s["id"] for s in SESSIONS]
    assert [s.id for s in await leady.sessions.list("example.com").all()] == ids
    assert [s.id for s in await leady.sessions.list(domain="example.com").all()] == ids
    site = await leady.resources.get("example.com")
    assert [s.id async for s in leady.sessions.list(site, max_items=3)] == ids[:3]
    assert await leady.sessions.list(resource="shop.example.org").all() == []
    with pytest.raises(errors.NotFoundError):
        await leady.sessions.list(resource="unknown.example").all()


async def test_actions_of_a_session(leady: Leady) -> None:
    sessions = await leady.sessions.list(resource="example.com").all()
    assert [a.raw for a in await leady.sessions.actions(sessions[0]).all()] == ACTIONS
    actions = await leady.sessions.actions(101).all()
    assert [a.raw for a in actions] == ACTIONS
    assert actions[1].time == datetime(2024, 1, 2, 10, 1, tzinfo=UTC)
    assert actions[1].url == "https://example.com/p1"


# -- writes -------------------------------------------------------------------------------------


async def test_saved_filters_crud(leady: Leady, server: LeadyServer) -> None:
    listed = await leady.saved_filters.list().all()
    assert [f.raw for f in listed] == [server.saved_filters[1], server.saved_filters[2]]

    body = {"name": "Hot leads", "filter": {"visits__gte": 3}, "shared": True}
    created = await leady.saved_filters.create(body)
    assert server.requests("POST", "/saved-filters/")[-1]["json"] == body  # sent as given
    assert created.raw == server.saved_filters[created.id]  # type: ignore[index]
    assert created.name == "Hot leads"

    from_model = await leady.saved_filters.create(models.SavedFilter(name="From a model"))
    assert server.requests("POST", "/saved-filters/")[-1]["json"] == {"name": "From a model"}
    assert isinstance(from_model, models.SavedFilter)

    got = await leady.saved_filters.get(created.id)
    assert got.raw == created.raw

    renamed = await leady.saved_filters.update(created.id, {"name": "Warm leads"})
    patch = server.requests("PATCH", f"/saved-filters/{created.id}/")[-1]
    assert patch["json"] == {"name": "Warm leads"}  # a partial update: PATCH with what was given
    assert renamed.name == "Warm leads"
    assert renamed.raw["filter"] == {"visits__gte": 3}

    again = await leady.saved_filters.update(created.id, attrs.evolve(renamed, name="Cold"))
    assert server.requests("PATCH", f"/saved-filters/{created.id}/")[-1]["json"] == {"name": "Cold"}
    assert again.name == "Cold"

    assert await leady.saved_filters.delete(created.id) is None  # type: ignore[func-returns-value]
    with pytest.raises(errors.NotFoundError):
        await leady.saved_filters.get(created.id)


async def test_blacklist_add_list_delete(leady: Leady, server: LeadyServer) -> None:
    entries = await leady.blacklist.list().all()
    assert [e.raw for e in entries] == [server.blacklist[7]]
    added = await leady.blacklist.create({"domain": "spam.example"})
    assert server.requests("POST", "/blacklist/")[-1]["json"] == {"domain": "spam.example"}
    assert added.domain == "spam.example"
    assert added.raw == server.blacklist[added.id]  # type: ignore[index]
    with pytest.raises(errors.BadRequestError) as info:
        await leady.blacklist.create(models.BlacklistEntry(domain="spam.example"))
    assert info.value.field_errors == {"domain": ["blacklist with this domain already exists."]}
    with pytest.raises(errors.BadRequestError) as info:
        await leady.request("POST", "/blacklist/", json=["spam.example"])
    assert info.value.non_field_errors == ["Expected a JSON object."]
    assert info.value.message == "Expected a JSON object." and info.value.field_errors == {}
    assert await leady.blacklist.delete(added.id) is None  # type: ignore[func-returns-value]
    assert [e.id for e in await leady.blacklist.list().all()] == [7]


# -- errors -------------------------------------------------------------------------------------


async def test_not_found_detail(leady: Leady, server: LeadyServer) -> None:
    with pytest.raises(errors.NotFoundError) as info:
        await leady.companies.get(999)
    exc = info.value
    assert isinstance(exc, errors.APIError) and isinstance(exc, errors.VendorkitError)
    assert (exc.status, exc.vendor, exc.method) == (404, "leady", "GET")
    assert exc.url.endswith("/v1/companies/999/")
    assert exc.message == "Not found."
    assert exc.body == {"detail": "Not found."}
    assert exc.field_errors == {} and exc.non_field_errors == []
    assert exc.trace_id is None and exc.code is None
    text = str(exc)
    assert "\n" not in text
    assert all(part in text for part in ("leady", "GET", "/v1/companies/999/", "404", "Not found"))


async def test_field_and_non_field_errors(leady: Leady) -> None:
    with pytest.raises(errors.BadRequestError) as info:
        await leady.saved_filters.create({"filter": {}})
    assert info.value.field_errors == {"name": ["This field is required."]}
    assert info.value.non_field_errors == []
    assert info.value.body == {"name": ["This field is required."]}
    assert "name" in str(info.value) and "\n" not in str(info.value)

    with pytest.raises(errors.BadRequestError) as info:
        await leady.saved_filters.create({"name": "Big CZ firms"})
    assert info.value.non_field_errors == ["A saved filter with this name already exists."]
    assert info.value.field_errors == {}
    assert (info.value.method, info.value.status) == ("POST", 400)


async def test_429_retry_after_is_honoured(leady: Leady, server: LeadyServer) -> None:
    server.throttle = ["0.05", "0"]
    assert len(await leady.companies.list().all()) == len(COMPANIES)
    assert len(server.requests("GET", "/companies/")) == 5  # 2 throttled + 3 pages
    # A write refused with 429 was not applied: it is sent again.
    server.throttle = ["0.05"]
    made = await leady.saved_filters.create({"name": "After a 429"})
    assert len([f for f in server.saved_filters.values() if f["name"] == "After a 429"]) == 1
    assert made.name == "After a 429"


# -- tokens -------------------------------------------------------------------------------------


async def test_obtain_token(server: LeadyServer) -> None:
    token = await Leady.obtain_token(email=EMAIL, password=PASSWORD, base_url=server.url)
    assert token == FIRST_TOKEN
    call = server.requests("POST", "/api-token-get/")[-1]
    assert call["json"] == {"email": EMAIL, "password": PASSWORD}
    assert "Authorization" not in call["headers"]
    with pytest.raises(errors.BadRequestError) as info:
        await Leady.obtain_token(email=EMAIL, password="wrong-S3CRET", base_url=server.url)
    assert info.value.non_field_errors == ["Unable to log in with provided credentials."]
    assert "wrong-S3CRET" not in str(info.value) + repr(info.value)


async def test_reset_token_switches_the_client(leady: Leady, server: LeadyServer) -> None:
    new = await leady.reset_token()
    assert new == server.token_of_user != FIRST_TOKEN
    reset_call = server.requests("POST", "/api-token-reset/")[-1]
    assert reset_call["headers"]["Authorization"] == f"Token {FIRST_TOKEN}"
    assert (await leady.companies.get(11)).raw == COMPANIES[1]
    assert server.requests("GET", "/companies/11/")[-1]["headers"]["Authorization"] == (
        f"Token {new}"
    )
    async with Leady(token=FIRST_TOKEN, base_url=server.url) as old:
        with pytest.raises(errors.AuthenticationError):
            await old.companies.get(11)
    assert await Leady.obtain_token(email=EMAIL, password=PASSWORD, base_url=server.url) == new


# -- generic access -----------------------------------------------------------------------------


async def test_generic_request(leady: Leady, server: LeadyServer) -> None:
    assert await leady.request("GET", "/companies/12/") == COMPANIES[2]
    page = await leady.request("GET", "/companies/", params={"page_size": 2})
    assert page["results"] == COMPANIES[:2] and page["next"]
    made = await leady.request("POST", "/saved-filters/", json={"name": "Generic"})
    assert made["name"] == "Generic" and server.saved_filters[made["id"]] == made
    assert await leady.request("DELETE", f"/saved-filters/{made['id']}/") is None
    # An absolute URL on the vendor's own origin (a next link) is accepted.
    second = await leady.request("GET", page["next"])
    assert second["results"] == COMPANIES[2:4]
    assert server.requests("GET", "/companies/")[-1]["query"]["cursor"] == _cursor(2)
    # Another origin refused, a missing path a NotFoundError: test_contract.py, every vendor.


async def test_generic_paginate(leady: Leady, server: LeadyServer) -> None:
    rows = await leady.paginate("/companies/", page_size=3).all()
    assert rows == COMPANIES
    assert await leady.paginate("/persons/", max_items=3).all() == PERSONS[:3]
    sessions = leady.paginate("/resources/example.com/sessions/", period_start="2024-01-03")
    assert [s["id"] async for s in sessions] == [104]
    pages = [p async for p in leady.paginate("/companies/", concurrency=2).pages()]
    assert [len(p.records) for p in pages] == [3, 3, 1] and pages[0].total is None

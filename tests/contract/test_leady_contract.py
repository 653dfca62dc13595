"""``vendorkit.Leady`` against a small Leady server written from the contract and ``leady.txt``
only (not from our sandbox emulator), varying wherever the docs leave room: absolute next links
with an opaque cursor, a next link that is a relative path, pages without ``previous``, a
page-number list with a ``count``, a code list served as a bare JSON array, timestamps with ``Z``,
``+00:00``, fractional seconds or no offset (the docs say UTC), unknown fields everywhere, DRF
error bodies, 429 with ``Retry-After``, token get and reset."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, date, datetime
from typing import Any

import aiohttp
import attrs
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from tests._redis_url import REDIS_URL
from vendorkit import Leady, errors
from vendorkit.core import MemoryTokenStore
from vendorkit.vendors.leady import models

EMAIL = "ann@example.com"
PASSWORD = "pw-Ann-S3CRET"
FIRST_TOKEN = "tok-4f1c0e2a9b7d"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": offset, "r": 0}).encode()).decode()


def _uncursor(value: str) -> int:
    return int(json.loads(base64.urlsafe_b64decode(value.encode()))["o"])


def _ts(i: int) -> str:
    return f"2024-01-{i + 1:02d}T08:00:00Z"


COMPANIES = [
    {
        "id": 10 + i,
        "name": f"Firma {i} s.r.o.",
        "domain": f"firma{i}.cz",
        "country": "CZ" if i % 2 else {"code": "SK", "name": "Slovakia"},
        "turnover": {"code": "T3", "name": "10-50M CZK"},
        "magnitude": "M2",
        "ico": f"2{i:07d}",
        "address": {"street": "Hlavni 1", "city": "Brno"},
        "updated": _ts(i),
    }
    for i in range(7)
]
PERSONS = [
    {
        "id": 500 + i,
        "name": f"Person {i}",
        "email": f"p{i}@firma{i}.cz",
        "company": 10 + i,
        "position": "CTO",
        "linkedin": None,
    }
    for i in range(5)
]
RESOURCES = [
    {"id": 1, "domain": "example.com", "name": "Example", "created": "2023-05-01T08:00:00Z"},
    {"id": 2, "domain": "shop.example.org", "name": "Shop", "tracking": {"code": "LDY-2"}},
]
SESSIONS = [
    {
        "id": 101,
        "resource": "example.com",
        "company": {"id": 10, "name": "Firma 0 s.r.o."},
        "start": "2024-01-02T10:00:00Z",
        "end": "2024-01-02T10:02:21Z",
        "duration": 141,
        "referrer": "https://www.google.com/",
        "visitor": {"ip": "192.0.2.1"},
    },
    {
        "id": 102,
        "resource": "example.com",
        "company": 11,
        "start": "2024-01-02T11:00:00+00:00",
        "end": None,
        "duration": "00:02:21",
        "referrer": None,
    },
    {
        "id": 103,
        "resource": "example.com",
        "company": None,
        "start": "2024-01-02T12:00:00.123456Z",
        "end": "2024-01-02T12:30:00.5Z",
        "duration": 1799.5,
    },
    {
        "id": 104,
        "resource": "example.com",
        "company": None,
        "start": "2024-01-03T13:00:00",
        "end": "2024-01-03T13:00:05",
        "duration": 5,
    },
]
ACTIONS = [
    {
        "id": 9000 + i,
        "session": 101,
        "time": f"2024-01-02T10:0{i}:00Z",
        "url": f"https://example.com/p{i}",
        "title": f"Page {i}",
        "type": "pageview",
    }
    for i in range(3)
]
TURNOVERS = [{"code": f"T{i}", "name": f"band {i}", "order": i} for i in range(5)]
MAGNITUDES = [{"code": f"M{i}", "name": f"{i * 10}-{i * 10 + 9}"} for i in range(3)]


def _parse_time(text: str) -> datetime:
    dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


class LeadyServer:
    """An independent Leady: DRF shapes, ``Token`` auth, cursor pages, a throttle switch."""

    def __init__(self) -> None:
        self.tokens = {FIRST_TOKEN}
        self.token_of_user = FIRST_TOKEN
        self.seen: list[dict[str, Any]] = []
        self.throttle: list[str] = []  # Retry-After values for the next requests
        self.saved_filters: dict[int, dict[str, Any]] = {
            1: {"id": 1, "name": "Big CZ firms", "filter": {"country": "CZ"}, "shared": False},
            2: {"id": 2, "name": "Visited twice", "filter": {"visits__gte": 2}, "shared": True},
        }
        self.blacklist: dict[int, dict[str, Any]] = {
            7: {"id": 7, "domain": "competitor.cz", "created": "2023-12-01T00:00:00Z"}
        }
        self.next_id = 100
        self.ts: TestServer | None = None

    @property
    def url(self) -> str:
        assert self.ts is not None
        return str(self.ts.make_url("/v1"))

    def requests(self, method: str, path: str) -> list[dict[str, Any]]:
        return [s for s in self.seen if s["method"] == method and s["path"] == "/v1" + path]

    # -- plumbing -------------------------------------------------------------------------------

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        raw = await request.read()
        self.seen.append(
            {
                "method": request.method,
                "path": request.path,
                "query": dict(request.query),
                "headers": dict(request.headers),
                "json": json.loads(raw) if raw else None,
            }
        )
        if self.throttle:
            return web.json_response(
                {"detail": "Request was throttled. Expected available in 1 second."},
                status=429,
                headers={"Retry-After": self.throttle.pop(0)},
            )
        if request.path != "/v1/api-token-get/":
            auth = request.headers.get("Authorization", "")
            if not auth:
                return web.json_response(
                    {"detail": "Authentication credentials were not provided."},
                    status=401,
                    headers={"WWW-Authenticate": "Token"},
                )
            scheme, _, token = auth.partition(" ")
            if scheme != "Token" or token not in self.tokens:
                return web.json_response(
                    {"detail": "Invalid token."}, status=401, headers={"WWW-Authenticate": "Token"}
                )
        try:
            return await handler(request)
        except web.HTTPNotFound:
            return web.json_response({"detail": "Not found."}, status=404)
        except web.HTTPMethodNotAllowed:
            return web.json_response(
                {"detail": f'Method "{request.method}" not allowed.'}, status=405
            )

    def cursor_page(
        self,
        request: web.Request,
        items: list[dict[str, Any]],
        *,
        size: int = 3,
        relative: bool = False,
        query_only: bool = False,
        previous: bool = True,
    ) -> web.Response:
        """A DRF cursor page: an absolute next link with an opaque cursor (or a relative one:
        a path and query, or a query alone)."""
        if "page_size" in request.query:
            size = int(request.query["page_size"])
        cursor = request.query.get("cursor")
        offset = _uncursor(cursor) if cursor else 0
        chunk = items[offset : offset + size]
        nxt: str | None = None
        if offset + size < len(items):
            url = request.url.update_query({"cursor": _cursor(offset + size)})
            nxt = str(url.relative()) if relative else str(url)
            if query_only:
                nxt = "?" + url.raw_query_string
        body: dict[str, Any] = {"next": nxt, "results": chunk}
        if previous:
            body["previous"] = (
                str(request.url.update_query({"cursor": _cursor(max(0, offset - size))}))
                if offset
                else None
            )
        return web.json_response(body)

    # -- handlers -------------------------------------------------------------------------------

    async def token_get(self, request: web.Request) -> web.Response:
        data = await request.json()
        if data.get("email") == EMAIL and data.get("password") == PASSWORD:
            return web.json_response({"token": self.token_of_user})
        return web.json_response(
            {"non_field_errors": ["Unable to log in with provided credentials."]}, status=400
        )

    async def token_reset(self, request: web.Request) -> web.Response:
        await request.json()  # a server that reads a JSON body from every POST
        self.tokens.discard(self.token_of_user)
        self.token_of_user = f"tok-reset-{len(self.seen)}"
        self.tokens.add(self.token_of_user)
        return web.json_response({"token": self.token_of_user})

    async def resources(self, request: web.Request) -> web.Response:
        return self.cursor_page(request, RESOURCES)

    async def resource(self, request: web.Request) -> web.Response:
        for r in RESOURCES:
            if r["domain"] == request.match_info["domain"]:
                return web.json_response(r)
        raise web.HTTPNotFound()

    async def sessions(self, request: web.Request) -> web.Response:
        domain = request.match_info["domain"]
        if domain not in {r["domain"] for r in RESOURCES}:
            raise web.HTTPNotFound()
        rows = [s for s in SESSIONS if s["resource"] == domain]
        if "period_start" in request.query:
            start = _parse_time(request.query["period_start"])
            rows = [s for s in rows if _parse_time(str(s["start"])) >= start]
        if "period_end" in request.query:
            end = _parse_time(request.query["period_end"])
            rows = [s for s in rows if _parse_time(str(s["start"])) < end]
        return self.cursor_page(request, rows, size=2)

    async def actions(self, request: web.Request) -> web.Response:
        sid = int(request.match_info["id"])
        rows = [a for a in ACTIONS if a["session"] == sid]
        return self.cursor_page(request, rows, size=2, query_only=True)

    async def companies(self, request: web.Request) -> web.Response:
        return self.cursor_page(request, COMPANIES, previous=False)

    async def company(self, request: web.Request) -> web.Response:
        for c in COMPANIES:
            if str(c["id"]) == request.match_info["id"]:
                return web.json_response(c)
        raise web.HTTPNotFound()

    async def persons(self, request: web.Request) -> web.Response:
        return self.cursor_page(request, PERSONS, size=2, relative=True)

    async def person(self, request: web.Request) -> web.Response:
        for p in PERSONS:
            if str(p["id"]) == request.match_info["id"]:
                return web.json_response(p)
        raise web.HTTPNotFound()

    async def turnovers(self, request: web.Request) -> web.Response:
        # A page-number list with a count (DRF PageNumberPagination): also "next" links.
        page = int(request.query.get("page", "1"))
        chunk = TURNOVERS[(page - 1) * 2 : page * 2]
        more = page * 2 < len(TURNOVERS)
        nxt = str(request.url.update_query({"page": str(page + 1)})) if more else None
        return web.json_response(
            {"count": len(TURNOVERS), "next": nxt, "previous": None, "results": chunk}
        )

    async def magnitudes(self, request: web.Request) -> web.Response:
        # A short code list with pagination switched off: a bare JSON array.
        return web.json_response(MAGNITUDES)

    async def saved_filters_list(self, request: web.Request) -> web.Response:
        return self.cursor_page(
            request, [self.saved_filters[k] for k in sorted(self.saved_filters)]
        )

    async def saved_filter(self, request: web.Request) -> web.Response:
        sid = int(request.match_info["id"])
        if sid not in self.saved_filters:
            raise web.HTTPNotFound()
        return web.json_response(self.saved_filters[sid])

    def _check_name(self, data: Any, *, partial: bool) -> web.Response | None:
        if not isinstance(data, dict):
            return web.json_response({"non_field_errors": ["Invalid data."]}, status=400)
        if "name" not in data and not partial:
            return web.json_response({"name": ["This field is required."]}, status=400)
        if "name" in data and any(f["name"] == data["name"] for f in self.saved_filters.values()):
            return web.json_response(
                {"non_field_errors": ["A saved filter with this name already exists."]},
                status=400,
            )
        return None

    async def saved_filter_create(self, request: web.Request) -> web.Response:
        data = await request.json()
        problem = self._check_name(data, partial=False)
        if problem is not None:
            return problem
        self.next_id += 1
        row = {"id": self.next_id, "filter": {}, "shared": False, **data}
        self.saved_filters[self.next_id] = row
        return web.json_response(row, status=201)

    async def saved_filter_patch(self, request: web.Request) -> web.Response:
        sid = int(request.match_info["id"])
        if sid not in self.saved_filters:
            raise web.HTTPNotFound()
        data = await request.json()
        problem = self._check_name(data, partial=True)
        if problem is not None:
            return problem
        self.saved_filters[sid] = {**self.saved_filters[sid], **data}
        return web.json_response(self.saved_filters[sid])

    async def saved_filter_delete(self, request: web.Request) -> web.Response:
        if self.saved_filters.pop(int(request.match_info["id"]), None) is None:
            raise web.HTTPNotFound()
        return web.Response(status=204)

    async def blacklist_list(self, request: web.Request) -> web.Response:
        return self.cursor_page(request, [self.blacklist[k] for k in sorted(self.blacklist)])

    async def blacklist_add(self, request: web.Request) -> web.Response:
        data = await request.json()
        if not isinstance(data, dict):
            # DRF: a ValidationError raised in a view, outside any serializer.
            return web.json_response(["Expected a JSON object."], status=400)
        if any(b["domain"] == data.get("domain") for b in self.blacklist.values()):
            return web.json_response(
                {"domain": ["blacklist with this domain already exists."]}, status=400
            )
        self.next_id += 1
        row = {"id": self.next_id, "created": "2024-02-01T09:30:00.250Z", **data}
        self.blacklist[self.next_id] = row
        return web.json_response(row, status=201)

    async def blacklist_delete(self, request: web.Request) -> web.Response:
        if self.blacklist.pop(int(request.match_info["id"]), None) is None:
            raise web.HTTPNotFound()
        return web.Response(status=204)

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self.middleware])
        r = app.router
        r.add_post("/v1/api-token-get/", self.token_get)
        r.add_post("/v1/api-token-reset/", self.token_reset)
        r.add_get("/v1/resources/", self.resources)
        r.add_get("/v1/resources/{domain}/", self.resource)
        r.add_get("/v1/resources/{domain}/sessions/", self.sessions)
        r.add_get("/v1/sessions/{id}/actions/", self.actions)
        r.add_get("/v1/companies/", self.companies)
        r.add_get("/v1/companies/{id}/", self.company)
        r.add_get("/v1/persons/", self.persons)
        r.add_get("/v1/persons/{id}/", self.person)
        r.add_get("/v1/turnovers/", self.turnovers)
        r.add_get("/v1/magnitudes/", self.magnitudes)
        r.add_get("/v1/saved-filters/", self.saved_filters_list)
        r.add_post("/v1/saved-filters/", self.saved_filter_create)
        r.add_get("/v1/saved-filters/{id}/", self.saved_filter)
        r.add_patch("/v1/saved-filters/{id}/", self.saved_filter_patch)
        r.add_delete("/v1/saved-filters/{id}/", self.saved_filter_delete)
        r.add_get("/v1/blacklist/", self.blacklist_list)
        r.add_post("/v1/blacklist/", self.blacklist_add)
        r.add_delete("/v1/blacklist/{id}/", self.blacklist_delete)
        return app


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


async def test_keyword_only_construction_and_default_base_url() -> None:
    with pytest.raises(TypeError):
        Leady(FIRST_TOKEN)  # type: ignore[call-arg]
    client = Leady(token=FIRST_TOKEN)
    try:
        assert client.base_url == "https://api.leady.com/v1"
        assert FIRST_TOKEN not in repr(client)
    finally:
        await client.aclose()


async def test_every_documented_option(server: LeadyServer) -> None:
    async with aiohttp.ClientSession() as session:
        client = Leady(
            token=FIRST_TOKEN,
            base_url=server.url,
            session=session,
            timeout=5.0,
            max_retries=2,
            max_retry_wait=3.0,
            rate_limit="100/second",
            token_store=MemoryTokenStore(),
            user_agent="contract-test/1.0",
        )
        async with client:
            assert [r.domain for r in await client.resources.list().all()] == [
                "example.com",
                "shop.example.org",
            ]
        assert not session.closed  # borrowed, never closed by vendorkit
    sent = server.requests("GET", "/resources/")[0]["headers"]
    assert sent["User-Agent"] == "contract-test/1.0"
    assert sent["Authorization"] == f"Token {FIRST_TOKEN}"


async def test_redis_url_and_no_rate_limit(server: LeadyServer) -> None:
    async with Leady(
        token=FIRST_TOKEN, base_url=server.url, redis_url=REDIS_URL, rate_limit="50/second"
    ) as shared:
        assert len(await shared.companies.list().all()) == len(COMPANIES)
    async with Leady(token=FIRST_TOKEN, base_url=server.url, rate_limit=None) as free:
        assert len(await free.magnitudes.list().all()) == len(MAGNITUDES)


async def test_from_env(server: LeadyServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VENDORKIT_LEADY_TOKEN", raising=False)
    with pytest.raises(errors.ConfigurationError, match="VENDORKIT_LEADY_TOKEN"):
        Leady.from_env()
    monkeypatch.setenv("VENDORKIT_LEADY_TOKEN", FIRST_TOKEN)
    monkeypatch.setenv("VENDORKIT_LEADY_BASE_URL", server.url)
    async with Leady.from_env() as client:
        assert (await client.companies.get(10)).raw == COMPANIES[0]


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


async def test_bad_token_is_an_authentication_error(server: LeadyServer) -> None:
    async with Leady(token="tok-wrong-S3CRET", base_url=server.url) as bad:
        with pytest.raises(errors.AuthenticationError) as info:
            await bad.companies.list().all()
    assert info.value.status == 401
    assert info.value.message == "Invalid token."
    assert "tok-wrong-S3CRET" not in str(info.value) + repr(info.value)


async def test_429_retry_after_is_honoured(leady: Leady, server: LeadyServer) -> None:
    server.throttle = ["0.05", "0"]
    assert len(await leady.companies.list().all()) == len(COMPANIES)
    assert len(server.requests("GET", "/companies/")) == 5  # 2 throttled + 3 pages
    # A write refused with 429 was not applied: it is sent again.
    server.throttle = ["0.05"]
    made = await leady.saved_filters.create({"name": "After a 429"})
    assert len([f for f in server.saved_filters.values() if f["name"] == "After a 429"]) == 1
    assert made.name == "After a 429"


async def test_429_raised_when_out_of_retries(server: LeadyServer) -> None:
    async with Leady(token=FIRST_TOKEN, base_url=server.url, max_retries=0) as client:
        server.throttle = ["0.05"]
        with pytest.raises(errors.RateLimitError) as info:
            await client.companies.get(10)
    assert info.value.status == 429 and info.value.retry_after == pytest.approx(0.05)
    async with Leady(token=FIRST_TOKEN, base_url=server.url, max_retry_wait=1) as client:
        server.throttle = ["30"]
        with pytest.raises(errors.RateLimitError) as info:
            await client.companies.get(10)
    assert info.value.retry_after == pytest.approx(30, abs=1)


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
    with pytest.raises(errors.ConfigurationError):
        await leady.request("GET", "https://elsewhere.invalid/v1/companies/")
    with pytest.raises(errors.NotFoundError):
        await leady.request("GET", "/nowhere/")


async def test_generic_paginate(leady: Leady, server: LeadyServer) -> None:
    rows = await leady.paginate("/companies/", page_size=3).all()
    assert rows == COMPANIES
    assert await leady.paginate("/persons/", max_items=3).all() == PERSONS[:3]
    sessions = leady.paginate("/resources/example.com/sessions/", period_start="2024-01-03")
    assert [s["id"] async for s in sessions] == [104]
    pages = [p async for p in leady.paginate("/companies/", concurrency=2).pages()]
    assert [len(p.records) for p in pages] == [3, 3, 1] and pages[0].total is None

"""The small, independent Leady server the contract tests run against, written from the contract
and leady.txt only (never from the sandbox emulator); what it varies is described in
test_leady_contract.py. Moved out of that file so the shared suite (test_contract.py)
can serve it too."""

from __future__ import annotations

import base64
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

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

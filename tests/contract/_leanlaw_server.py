"""The small, independent LeanLaw server the contract tests run against, written from the
contract and leanlaw.txt only (never from the sandbox emulator); what it varies is described
in test_leanlaw_contract.py. Moved out of that file so the shared suite
(test_contract.py) can serve it too."""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

API_KEY = "ll-key-S3CRET-1234"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
COLLECTIONS = (
    "clients",
    "matters",
    "time-entries",
    "expenses",
    "fixed-fees",
    "invoices",
    "users",
    "practice-areas",
)


def _guid(n: int) -> str:
    return str(uuid.UUID(int=0x5EED_0000_0000_4000_8000_0000_0000_0000 + n))


def _meta(n: int) -> dict[str, Any]:
    return {
        "createdDate": f"2024-03-0{1 + n % 9}T10:00:00.1234567Z",
        "modifiedDate": f"2024-03-0{1 + n % 9}T11:00:00",
        "createdBy": _guid(900),
    }


def seed() -> dict[str, dict[Any, dict[str, Any]]]:
    data: dict[str, dict[Any, dict[str, Any]]] = {name: {} for name in COLLECTIONS}
    for i in range(5):
        data["practice-areas"][i + 1] = {"id": i + 1, "name": f"Area {i}", "meta": _meta(i)}
    for i in range(4):
        data["users"][_guid(100 + i)] = {
            "id": _guid(100 + i),
            "firstName": f"First{i}",
            "lastName": f"Last{i}",
            "email": f"user{i}@firm.example",
            "role": "Attorney",
            "isActive": True,
            "defaultRate": 250.0 + i,
            "meta": _meta(i),
        }
    for i in range(6):
        data["clients"][_guid(i)] = {
            "id": _guid(i),
            "name": f"Client {i} LLP",
            "status": "Active",
            "contact": (
                {"email": f"billing@client{i}.example", "phone": None}
                if i != 1
                else [{"email": "a@client1.example"}, {"email": "b@client1.example"}]
            ),
            "customFields": {"segment": "SMB"},
            "meta": _meta(i),
        }
    for i in range(8):
        data["matters"][_guid(200 + i)] = {
            "id": _guid(200 + i),
            "clientId": _guid(i % 3),
            "name": f"Matter {i}",
            "number": f"2024-{i:03d}",
            "status": "Open",
            "practiceAreaId": 1 + i % 5,
            "billingType": "Hourly" if i % 2 else "FixedFee",
            "meta": _meta(i),
        }
    for i in range(9):
        data["time-entries"][_guid(300 + i)] = {
            "id": _guid(300 + i),
            "matterId": _guid(200 + i % 8),
            "userId": _guid(100 + i % 4),
            "date": f"2024-03-{10 + i:02d}",
            "hours": 1.5 + i,
            "rate": "250.00",
            "amount": int((1.5 + i) * 250) if i % 2 else (1.5 + i) * 250,
            "description": f"Drafting {i}",
            "billable": i % 3 != 0,
            "meta": _meta(i),
        }
    for i in range(3):
        data["expenses"][_guid(400 + i)] = {
            "id": _guid(400 + i),
            "matterId": _guid(200 + i),
            "date": f"2024-03-{20 + i}T00:00:00",
            "amount": 12.34 + i,
            "description": "Filing fee",
            "billable": True,
            "meta": _meta(i),
        }
    for i in range(2):
        data["fixed-fees"][_guid(500 + i)] = {
            "id": _guid(500 + i),
            "matterId": _guid(200 + i),
            "date": "2024-04-01",
            "amount": "1500.00",
            "description": "Flat fee",
            "meta": _meta(i),
        }
    for i in range(3):
        data["invoices"][_guid(600 + i)] = {
            "id": _guid(600 + i),
            "clientId": _guid(i),
            "matterId": _guid(200 + i),
            "number": f"INV-{1000 + i}",
            "status": "Draft",
            "issueDate": f"2024-04-0{1 + i}T00:00:00",
            "dueDate": f"2024-05-0{1 + i}",
            "total": "1234.50",
            "balance": 0,
            "lineItems": [{"description": "Services", "amount": 1234.5}],
            "meta": _meta(i),
        }
    return data


class LeanLawServer:
    """An independent LeanLaw: ``{"data"}`` envelope, limit/offset pages with a total, sparse
    PUT, ``select=``, trace ids, Bearer keys (401 without, 403 wrong)."""

    def __init__(self) -> None:
        self.data = seed()
        self.seen: list[dict[str, Any]] = []
        self.trace_ids: list[str] = []
        self.throttle: list[str | None] = []  # Retry-After values (None: no header)
        self.max_limit = 1000
        self.force_401 = False
        self.counter = 1000
        self.ts: TestServer | None = None

    @property
    def url(self) -> str:
        assert self.ts is not None
        return str(self.ts.make_url("")).rstrip("/")

    def requests(self, method: str, path: str) -> list[dict[str, Any]]:
        return [s for s in self.seen if s["method"] == method and s["path"] == path]

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
        response = await self._answer(request, handler)
        trace = f"trace-{len(self.seen):04d}-{uuid.uuid4().hex[:8]}"
        self.trace_ids.append(trace)
        response.headers["x-leanlaw-traceid"] = trace
        return response

    async def _answer(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        auth = request.headers.get("Authorization")
        if not auth or self.force_401:
            return web.json_response({"message": "No API key was provided."}, status=401)
        if auth != f"Bearer {API_KEY}":
            return web.json_response(
                {"error": {"code": "Forbidden", "message": "The API key is not valid."}},
                status=403,
            )
        if self.throttle:
            value = self.throttle.pop(0)
            headers = {"Retry-After": value} if value is not None else {}
            return web.json_response({"message": "Too many requests."}, status=429, headers=headers)
        try:
            return await handler(request)
        except web.HTTPNotFound:
            return web.json_response(
                {"error": {"code": "NotFound", "message": "Resource not found."}}, status=404
            )

    # -- helpers --------------------------------------------------------------------------------

    def _collection(self, request: web.Request) -> dict[Any, dict[str, Any]]:
        name = request.match_info["collection"]
        if name not in self.data:
            raise web.HTTPNotFound()
        return self.data[name]

    def _key(self, request: web.Request, rows: dict[Any, dict[str, Any]]) -> Any:
        raw = request.match_info["id"]
        key: Any = int(raw) if raw.isdigit() else raw
        if key not in rows:
            raise web.HTTPNotFound()
        return key

    @staticmethod
    def _view(row: dict[str, Any], select: str | None, *, default_meta: bool) -> dict[str, Any]:
        picks = [p.strip() for p in (select or "").split(",") if p.strip()]
        out = dict(row)
        include_meta = (default_meta or "meta" in picks) and "-meta" not in picks
        if not include_meta:
            out.pop("meta", None)
        if "contact" not in picks:
            out.pop("contact", None)
        return out

    # -- handlers -------------------------------------------------------------------------------

    async def list(self, request: web.Request) -> web.Response:
        rows = list(self._collection(request).values())
        if "clientId" in request.query:
            rows = [r for r in rows if r.get("clientId") == request.query["clientId"]]
        limit = min(int(request.query.get("limit", "100")), self.max_limit)
        offset = int(request.query.get("offset", "0"))
        select = request.query.get("select")
        chunk = [self._view(r, select, default_meta=False) for r in rows[offset : offset + limit]]
        return web.json_response(
            {"data": chunk, "pagination": {"limit": limit, "offset": offset, "total": len(rows)}}
        )

    async def get(self, request: web.Request) -> web.Response:
        rows = self._collection(request)
        row = rows[self._key(request, rows)]
        return web.json_response(
            {"data": self._view(row, request.query.get("select"), default_meta=True)}
        )

    def _invalid(self, name: str, data: Any) -> web.Response | None:
        if name == "clients" and not data.get("name"):
            return web.json_response(
                {
                    "message": "The request is invalid.",
                    "errors": [{"field": "name", "message": "Name is required."}],
                },
                status=400,
            )
        if (
            name == "matters"
            and "clientId" in data
            and data["clientId"] not in self.data["clients"]
        ):
            return web.json_response({"clientId": ["Unknown client."]}, status=400)
        if name == "time-entries" and "hours" in data and Decimal(str(data["hours"])) <= 0:
            return web.json_response(
                {
                    "type": "https://tools.ietf.org/html/rfc7231#section-6.5.1",
                    "title": "One or more validation errors occurred.",
                    "status": 400,
                    "errors": {"hours": ["Hours must be positive."]},
                },
                status=400,
            )
        return None

    async def create(self, request: web.Request) -> web.Response:
        rows = self._collection(request)
        data = await request.json()
        name = request.match_info["collection"]
        problem = self._invalid(name, data)
        if problem is not None:
            return problem
        self.counter += 1
        key: Any = self.counter if name == "practice-areas" else _guid(self.counter)
        row = {**data, "id": key, "meta": _meta(self.counter)}
        rows[key] = row
        return web.json_response({"data": row}, status=201)

    async def update(self, request: web.Request) -> web.Response:
        rows = self._collection(request)
        key = self._key(request, rows)
        data = await request.json()
        problem = self._invalid(request.match_info["collection"], data)
        if problem is not None:
            return problem
        rows[key] = {**rows[key], **data, "id": key}  # sparse: only what was sent changes
        return web.json_response({"data": rows[key]})

    async def delete(self, request: web.Request) -> web.Response:
        rows = self._collection(request)
        del rows[self._key(request, rows)]
        if request.match_info["collection"] == "clients":
            return web.Response(status=200)
        return web.json_response({"data": None})

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self.middleware])
        r = app.router
        r.add_get("/v2/{collection}", self.list)
        r.add_post("/v2/{collection}", self.create)
        r.add_get("/v2/{collection}/{id}", self.get)
        r.add_put("/v2/{collection}/{id}", self.update)
        r.add_delete("/v2/{collection}/{id}", self.delete)
        return app


def listed(server: LeanLawServer, name: str) -> list[dict[str, Any]]:
    """What a list shows by default: no meta, no contact."""
    return [LeanLawServer._view(r, None, default_meta=False) for r in server.data[name].values()]

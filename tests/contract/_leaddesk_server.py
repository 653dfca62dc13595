"""The small, independent LeadDesk server (``FakeLeadDesk``) the contract tests run against,
written from the contract and ``leaddesk.txt`` only (never from the sandbox emulator), and the
``Harness`` that starts it; what it varies is described in ``test_leaddesk_contract.py``.
Moved out of that file so the shared suite (``test_contract.py``) can serve it too."""

from __future__ import annotations

import itertools
import json
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import attrs
from aiohttp import web
from aiohttp.test_utils import TestServer

from vendorkit import LeadDesk

CLIENT_ID = "example-client-id"
CLIENT_SECRET = "client-S3CRET-password"
USERNAME = "leaddesk-username"
PASSWORD = "very-S3CRET-password"
LD_CLIENT = 1
BASE = "/stable"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# Resource -> (singular name for error ids, fields a create must carry).
RESOURCES: dict[str, tuple[str, tuple[str, ...]]] = {
    "users": ("user", ("username",)),
    "campaigns": ("campaign", ("name",)),
    "contact_lists": ("contact_list", ("name",)),
    "contacts": ("contact", ()),
    "products": ("product", ("name",)),
    "calls": ("call", ()),
}
READ_ONLY = {"calls"}
# Sub-resources (relations) named by the contract: parent -> {relation: related resource}.
RELATIONS: dict[str, dict[str, str]] = {
    "campaigns": {"users": "users", "products": "products", "contact_lists": "contact_lists"},
    "contact_lists": {"contacts": "contacts"},
}
HELSINKI = timezone(timedelta(hours=2))


@attrs.define
class Seen:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@attrs.define
class FakeLeadDesk:
    """A LeadDesk REST API as the docs describe it. Options vary what they leave open."""

    total_key: str | None = "total"  # "_meta.total", "_meta.count", or no total at all
    links: bool = True  # collection "_links" (self/prev/next) sent or left out entirely
    max_per_page: int = 500
    reject_over_max: bool = False  # per_page above the maximum: 422 instead of capping
    expires_in: int | None = 3600
    refresh_sends_refresh_token: bool = True  # rotation: a new refresh token on each refresh
    bad_refresh_status: int = 401
    # Which relation forms exist: "parent" (POST/PATCH /campaigns/<id> {"users": [..]}, the
    # docs' examples), "sub_patch" (PATCH /campaigns/<id>/users [..], documented as identical),
    # "sub_post" (POST /campaigns/<id>/users [..], the contract's "POST on a relation adds").
    relation_forms: frozenset[str] = frozenset({"parent", "sub_patch"})
    create_extra: bool = False  # create answers {"id": N, ...more values}
    bare_relations: bool = False  # GET <parent>/<relation> answers a bare array
    price_as_string: bool = False

    seen: list[Seen] = attrs.field(factory=list)
    store: dict[str, dict[int, dict[str, Any]]] = attrs.field(factory=dict)
    related: dict[tuple[str, int, str], list[int]] = attrs.field(factory=dict)
    access: dict[str, str] = attrs.field(factory=dict)  # access token -> its refresh token
    refresh: set[str] = attrs.field(factory=set)
    expired: set[str] = attrs.field(factory=set)
    throttle: int = 0  # answer this many next API requests with 429
    retry_after: str = "0.05"
    origin: str = ""
    _ids: Any = attrs.field(factory=lambda: itertools.count(1000))
    _tokens: Any = attrs.field(factory=lambda: itertools.count(1))

    # -- data -------------------------------------------------------------------------------------

    def seed(self, per_resource: int = 12) -> None:
        t0 = datetime(2018, 12, 30, 16, 18, 40, tzinfo=HELSINKI)
        for name in RESOURCES:
            self.store[name] = {}
            for i in range(1, per_resource + 1):
                obj: dict[str, Any] = {"id": i}
                if name == "users":
                    obj |= {"username": f"agent{i}", "first_name": f"Ag{i}", "active": i % 2 == 0}
                elif name == "products":
                    price = f"{i}9.90"
                    obj |= {"name": f"P{i}", "price": price if self.price_as_string else 19.9}
                    obj["vat_percent"] = 24
                elif name == "calls":
                    obj |= {"user_id": i, "campaign_id": 1 + i % 3, "duration": 30 * i}
                    obj["started_at"] = (t0 + timedelta(minutes=i)).isoformat()
                    obj["unknown_nested"] = {"a": [1, 2, {"b": None}]}
                else:
                    obj |= {"name": f"{name} {i}"}
                obj["created_at"] = t0.isoformat()
                self.store[name][i] = obj
        self.related[("campaigns", 1, "users")] = [1, 2]
        self.related[("campaigns", 1, "products")] = [3]

    def links_of(self, name: str, obj: dict[str, Any]) -> dict[str, str]:
        me = f"{self.origin}{BASE}/{name}/{obj['id']}"
        out = {"self": me}
        for rel in RELATIONS.get(name, {}):
            out[rel] = f"{me}/{rel}"
        return out

    def render(self, name: str, obj: dict[str, Any]) -> dict[str, Any]:
        return {**obj, "_links": self.links_of(name, obj)}

    # -- wire helpers -----------------------------------------------------------------------------

    @staticmethod
    def error(status: int, code: str, text: str, **extra: Any) -> web.Response:
        body = {"error": code, "error_description": text, **extra}
        return web.json_response(body, status=status)

    async def body(self, request: web.Request) -> Any:
        """The JSON body; 415 if it is not JSON (the docs: "request's json body is malformed")."""
        if request.content_type != "application/json":
            raise _Reply(self.error(415, "unsupported_media_type", "Send application/json"))
        try:
            return json.loads(await request.read())
        except ValueError:
            error = self.error(415, "malformed_json", "Request's json body is malformed")
            raise _Reply(error) from None

    def new_token(self, refresh: str | None) -> dict[str, Any]:
        n = next(self._tokens)
        access = f"access-{n:04d}-S3CRET"
        new_refresh = f"refresh-{n:04d}-S3CRET"
        answer: dict[str, Any] = {"access_token": access, "token_type": "Bearer"}
        if self.expires_in is not None:
            answer["expires_in"] = self.expires_in
        if refresh is None or self.refresh_sends_refresh_token:
            answer["refresh_token"] = new_refresh
            self.refresh.add(new_refresh)
            self.access[access] = new_refresh
        else:
            self.access[access] = refresh  # no rotation: the old refresh token lives on
        return answer

    def grants(self) -> list[str]:
        return [s.json()["grant_type"] for s in self.seen if s.path.endswith("/access-token")]

    def api_requests(self) -> list[Seen]:
        return [s for s in self.seen if not s.path.endswith("/access-token")]

    # -- middleware -------------------------------------------------------------------------------

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        raw = await request.read()
        self.seen.append(
            Seen(request.method, request.path, dict(request.query), dict(request.headers), raw)
        )
        try:
            if not request.path.endswith("/oauth/access-token"):
                accept = request.headers.get("Accept", "*/*")
                if "json" not in accept and "*/*" not in accept:
                    return self.error(406, "not_acceptable", "Only JSON is served")
                if self.throttle > 0:
                    self.throttle -= 1
                    resp = self.error(429, "too_many_requests", "Slow down")
                    resp.headers["Retry-After"] = self.retry_after
                    return resp
                auth = request.headers.get("Authorization", "")
                token = auth[7:] if auth.startswith("Bearer ") else ""
                if token not in self.access:
                    return self.error(401, "invalid_token", "Access token is invalid")
                if token in self.expired:
                    return self.error(401, "token_expired", "Access token has expired")
            return await handler(request)
        except _Reply as reply:
            return reply.response
        except web.HTTPNotFound:
            return self.error(404, "not_found", "Resource not found")
        except web.HTTPMethodNotAllowed:
            return self.error(405, "method_not_allowed", "Method not allowed")

    # -- token endpoint ---------------------------------------------------------------------------

    async def token(self, request: web.Request) -> web.Response:
        body = await self.body(request)
        if not isinstance(body, dict):
            return self.error(422, "validation_failed", "Parameter validation failed")
        if body.get("client_id") != CLIENT_ID or body.get("client_secret") != CLIENT_SECRET:
            return self.error(401, "invalid_client", "Client authentication failed")
        grant = body.get("grant_type")
        fields = {
            "password": {"username", "password"},
            "leaddesk_client_id": {"leaddesk_client_id"},
            "client_user": {"username", "leaddesk_client_id"},
            "refresh_token": {"refresh_token"},
        }.get(str(grant))
        if fields is None:
            return self.error(400, "unsupported_grant_type", "Unsupported grant type")
        expected = fields | {"grant_type", "client_id", "client_secret"}
        if set(body) != expected:
            wrong = sorted(set(body) ^ expected)
            validation = {k: [f"The {k} field is required or not allowed."] for k in wrong}
            return self.error(
                422, "validation_failed", "Parameter validation failed", error_validation=validation
            )
        ld_client = body.get("leaddesk_client_id", LD_CLIENT)
        if not isinstance(ld_client, int) or isinstance(ld_client, bool):
            return self.error(
                422,
                "validation_failed",
                "Parameter validation failed",
                error_validation={
                    "leaddesk_client_id": ["The leaddesk client id must be an integer."]
                },
            )
        if "leaddesk_client_id" in fields and body["leaddesk_client_id"] != LD_CLIENT:
            return self.error(401, "invalid_grant", "No access to that client")
        if "username" in fields and body["username"] != USERNAME:
            return self.error(401, "invalid_credentials", "The user credentials were incorrect")
        if "password" in fields and body["password"] != PASSWORD:
            return self.error(401, "invalid_credentials", "The user credentials were incorrect")
        if grant == "refresh_token":
            old = body["refresh_token"]
            if old not in self.refresh:
                return self.error(
                    self.bad_refresh_status, "invalid_refresh_token", "Refresh token is invalid"
                )
            if self.refresh_sends_refresh_token:
                # "Refreshing will invalidate the original refresh token and access token."
                self.refresh.discard(old)
                for access in [a for a, r in self.access.items() if r == old]:
                    del self.access[access]
            return web.json_response(self.new_token(old))
        return web.json_response(self.new_token(None))

    # -- collections and objects ------------------------------------------------------------------

    def page(self, request: web.Request, items: list[dict[str, Any]], name: str) -> web.Response:
        q = request.query
        try:
            per_page = int(q.get("per_page", "25"))
            number = int(q.get("page", "1"))
        except ValueError:
            return self.error(422, "validation_failed", "Parameter validation failed")
        if per_page < 1:
            return self.error(
                422,
                "validation_failed",
                "Parameter validation failed",
                error_validation={"per_page": ["The per page must be at least 1."]},
            )
        if per_page > self.max_per_page:
            if self.reject_over_max:
                return self.error(
                    422,
                    "validation_failed",
                    "Parameter validation failed",
                    error_validation={
                        "per_page": [f"The per page may not exceed {self.max_per_page}."]
                    },
                )
            per_page = self.max_per_page
        filters = {k: v for k, v in q.items() if k not in ("page", "per_page")}
        items = [o for o in items if all(str(o.get(k)) == v for k, v in filters.items())]
        chunk = items[(number - 1) * per_page : number * per_page]
        body: dict[str, Any] = {"collection": [self.render(name, o) for o in chunk]}
        if self.links:
            url = self.origin + request.path

            def at(n: int) -> str:
                query = {**filters, "page": n, "per_page": per_page}
                return url + "?" + "&".join(f"{k}={v}" for k, v in query.items())

            links = {"self": at(number)}
            if number > 1:
                links["prev"] = at(number - 1)
            if number * per_page < len(items):
                links["next"] = at(number + 1)
            body["_links"] = links
        if self.total_key is not None:
            body["_meta"] = {self.total_key: len(items)}
        return web.json_response(body)

    def find(self, name: str, ident: str) -> dict[str, Any]:
        try:
            return self.store[name][int(ident)]
        except (KeyError, ValueError):
            singular = RESOURCES[name][0]
            raise _Reply(self.error(404, f"{singular}_not_found", f"No such {singular}")) from None

    async def list_(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        return self.page(request, list(self.store[name].values()), name)

    async def get(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        return web.json_response(self.render(name, self.find(name, request.match_info["id"])))

    async def create(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name in READ_ONLY:
            return self.error(405, "method_not_allowed", "Calls are read-only")
        data = await self.body(request)
        if not isinstance(data, dict):
            return self.error(415, "malformed_json", "Expected a JSON object")
        missing = [f for f in RESOURCES[name][1] if not data.get(f)]
        if missing:
            validation = {f: [f"The {f} field is required."] for f in missing}
            return self.error(
                422, "validation_failed", "Parameter validation failed", error_validation=validation
            )
        new_id = next(self._ids)
        obj = {"id": new_id, **{k: v for k, v in data.items() if not k.startswith("_")}}
        obj["created_at"] = "2019-01-02T03:04:05+02:00"
        self.store[name][new_id] = obj
        answer: dict[str, Any] = {"id": new_id}
        if self.create_extra:
            answer["status"] = "created"
        return web.json_response(answer, status=200)

    async def patch(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        obj = self.find(name, request.match_info["id"])
        data = await self.body(request)
        if not isinstance(data, dict):
            return self.error(415, "malformed_json", "Expected a JSON object")
        if "parent" in self.relation_forms:
            for rel in RELATIONS.get(name, {}):
                if rel in data:
                    self.set_related(name, obj["id"], rel, data.pop(rel), replace=True)
        # Anything else is stored as given (as a lenient API would).
        obj.update({k: v for k, v in data.items() if k != "id"})
        return web.Response(status=204)

    async def post_item(self, request: web.Request) -> web.Response:
        """``POST /campaigns/123 {"products": [{"id": 1}, {"id": 6}]}``: adds relations."""
        name = request.match_info["name"]
        obj = self.find(name, request.match_info["id"])
        data = await self.body(request)
        rels = RELATIONS.get(name, {})
        if not isinstance(data, dict) or not data or not set(data) <= set(rels):
            return self.error(422, "validation_failed", "Parameter validation failed")
        for rel, value in data.items():
            self.set_related(name, obj["id"], rel, value, replace=False)
        return web.Response(status=204)

    async def delete(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name in READ_ONLY:
            return self.error(405, "method_not_allowed", "Calls are read-only")
        obj = self.find(name, request.match_info["id"])
        del self.store[name][obj["id"]]
        return web.Response(status=204)

    # -- relations --------------------------------------------------------------------------------

    def relation(self, request: web.Request) -> tuple[str, int, str]:
        name, rel = request.match_info["name"], request.match_info["rel"]
        if rel not in RELATIONS.get(name, {}):
            raise _Reply(self.error(404, "not_found", "No such sub-resource"))
        return name, self.find(name, request.match_info["id"])["id"], rel

    def set_related(self, name: str, ident: int, rel: str, value: Any, *, replace: bool) -> None:
        target = RELATIONS[name][rel]
        if not isinstance(value, list) or not all(
            isinstance(v, dict) and set(v) == {"id"} for v in value
        ):
            raise _Reply(
                self.error(
                    422,
                    "validation_failed",
                    "Parameter validation failed",
                    error_validation={rel: ['Expected [{"id": N}, ...]']},
                )
            )
        ids = [v["id"] for v in value]
        unknown = [i for i in ids if i not in self.store[target]]
        if unknown:
            raise _Reply(
                self.error(
                    422,
                    "validation_failed",
                    "Parameter validation failed",
                    error_validation={f"{rel}.id": [f"Unknown id {i}" for i in unknown]},
                )
            )
        current = [] if replace else list(self.related.get((name, ident, rel), []))
        for i in ids:
            if i not in current:
                current.append(i)
        self.related[(name, ident, rel)] = current

    async def rel_list(self, request: web.Request) -> web.Response:
        name, ident, rel = self.relation(request)
        target = RELATIONS[name][rel]
        ids = self.related.get((name, ident, rel), [])
        if self.bare_relations:
            return web.json_response([self.render(target, self.store[target][i]) for i in ids])
        return self.page(request, [self.store[target][i] for i in ids], target)

    async def rel_patch(self, request: web.Request) -> web.Response:
        name, ident, rel = self.relation(request)
        self.set_related(name, ident, rel, await self.body(request), replace=True)
        return web.Response(status=204)

    async def rel_post(self, request: web.Request) -> web.Response:
        name, ident, rel = self.relation(request)
        self.set_related(name, ident, rel, await self.body(request), replace=False)
        return web.Response(status=204)

    async def rel_delete(self, request: web.Request) -> web.Response:
        name, ident, rel = self.relation(request)
        current = self.related.get((name, ident, rel), [])
        try:
            current.remove(int(request.match_info["other"]))
        except ValueError:
            return self.error(404, "relation_not_found", "Not related")
        return web.Response(status=204)

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self.middleware])
        names = "{name:" + "|".join(RESOURCES) + "}"
        r = app.router
        r.add_post(f"{BASE}/oauth/access-token", self.token)
        r.add_get(f"{BASE}/{names}", self.list_)
        r.add_post(f"{BASE}/{names}", self.create)
        item = f"{BASE}/{names}/{{id}}"
        r.add_get(item, self.get)
        r.add_patch(item, self.patch)
        r.add_delete(item, self.delete)
        if "parent" in self.relation_forms:
            r.add_post(item, self.post_item)
        sub = f"{item}/{{rel}}"
        r.add_get(sub, self.rel_list)
        if "sub_patch" in self.relation_forms:
            r.add_patch(sub, self.rel_patch)
        if "sub_post" in self.relation_forms:
            r.add_post(sub, self.rel_post)
        r.add_delete(f"{sub}/{{other}}", self.rel_delete)
        return app


class _Reply(Exception):
    def __init__(self, response: web.Response) -> None:
        super().__init__(response.status)
        self.response = response


# -- fixtures ------------------------------------------------------------------------------------


class Harness:
    """Starts ``FakeLeadDesk`` servers and clients against them; closes everything at teardown."""

    def __init__(self) -> None:
        self.servers: list[TestServer] = []
        self.clients: list[LeadDesk] = []

    async def serve(self, **options: Any) -> FakeLeadDesk:
        fake = FakeLeadDesk(**options)
        server = TestServer(fake.app())
        await server.start_server()
        self.servers.append(server)
        fake.origin = str(server.make_url("")).rstrip("/")
        fake.seed()
        return fake

    def client(self, fake: FakeLeadDesk, **options: Any) -> LeadDesk:
        creds: dict[str, Any] = {"username": USERNAME, "password": PASSWORD}
        if "username" in options or "leaddesk_client_id" in options or "password" in options:
            creds = {}
        ld = LeadDesk(
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            base_url=fake.origin + BASE,
            **{"max_retry_wait": 2.0, **creds, **options},
        )
        self.clients.append(ld)
        return ld

    async def close(self) -> None:
        for c in self.clients:
            await c.aclose()
        for s in self.servers:
            await s.close()

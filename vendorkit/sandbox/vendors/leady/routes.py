"""The Leady emulator: Leady's open API (``leady.txt``, paths per the contract) as ``aiohttp.web``.
What it emulates, and assumes where the docs are silent, is written once, in
``docs/sandbox/leady.md`` (user tokens, DRF-style cursor lists and errors, saved filters)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from functools import partial
from typing import Any, ClassVar

from aiohttp import web

from ..._auth import bearer
from ..._emulator import Emulator, json_response, read_body
from ..._pages import cursor_window
from ..._problem import Problem
from ..._schema import validate
from .schemas import FILTERS, MESSAGES, REQUIRED, ROOT, SAVED_FILTER
from .seed import seed, ts

__all__ = ["LeadyEmulator"]

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
_NOT_FOUND = Problem(404, "Not found.")
#: An open end of a session period.
_EARLIEST, _LATEST = datetime.min.replace(tzinfo=UTC), datetime.max.replace(tzinfo=UTC)


def _bad(fields: dict[str, list[str]]) -> Problem:
    return Problem(400, fields=fields)


class LeadyEmulator(Emulator):
    """Leady's open API under ``/v1``. ``store`` collections: ``resources`` (keyed by domain),
    ``sessions``, ``actions``, ``companies``, ``persons``, ``saved_filters``, ``blacklist``
    (keyed by integer id), ``turnovers`` and ``magnitudes`` (keyed by code)."""

    name = "leady"
    base_path = "/v1"
    default_quota: ClassVar[str | None] = "1000/second"
    default_token_ttl: ClassVar[float | None] = None
    auth_paths: ClassVar[frozenset[str]] = frozenset({"/api-token-get/", "/api-token-reset/"})
    open_paths: ClassVar[frozenset[str] | None] = frozenset({"/api-token-get/"})

    email = "api@kovoprofil.cz"
    current_token: str
    next_ids: dict[str, int]

    @property
    def password(self) -> str:
        return f"sandbox-{self.seed}-Heslo!"

    # -- declared parts -----------------------------------------------------------------------

    def seed_data(self) -> None:
        seed(self)

    def login(self) -> dict[str, str]:
        return {"email": self.email, "password": self.password}

    def credentials(self, base_url: str) -> dict[str, Any]:
        return {"token": self._user_token(), "base_url": base_url}

    def render_problem(self, request: web.Request, problem: Problem) -> web.Response:
        if problem.fields is not None:
            return json_response(dict(problem.fields), status=problem.status)
        message = problem.message
        if problem.status == 404 and message == "Not Found":
            message = "Not found."
        elif problem.status == 405:
            message = f'Method "{request.method}" not allowed.'
        return json_response({"detail": message}, status=problem.status, headers=problem.headers)

    def add_routes(self, app: web.Application) -> None:
        b, r = self.base_path, app.router
        r.add_get(b + "/", self._root)
        r.add_post(b + "/api-token-get/", self._token_get)
        r.add_post(b + "/api-token-reset/", self._token_reset)
        # A collection's path is its store name with dashes; each one the root lists has a list.
        for path in ROOT:
            r.add_get(f"{b}/{path}/", partial(self._list, path.replace("-", "_")))
        for path in ("sessions", "companies", "persons", "saved-filters"):
            r.add_get(f"{b}/{path}/{{id}}/", partial(self._detail, path.replace("-", "_")))
        r.add_get(b + "/resources/{domain}/", self._resource)
        r.add_get(b + "/resources/{domain}/sessions/", self._sessions)
        r.add_get(b + "/sessions/{id}/actions/", self._actions)
        r.add_post(b + "/saved-filters/", self._filter_create)
        r.add_put(b + "/saved-filters/{id}/", self._filter_update)
        r.add_patch(b + "/saved-filters/{id}/", self._filter_update)
        r.add_delete(b + "/saved-filters/{id}/", partial(self._delete, "saved_filters"))
        r.add_post(b + "/blacklist/", self._blacklist_add)
        r.add_delete(b + "/blacklist/{id}/", partial(self._delete, "blacklist"))

    # -- tokens -------------------------------------------------------------------------------

    def _user_token(self) -> str:
        """The user's current token, issued anew if it expired (``token_ttl``)."""
        token = getattr(self, "current_token", None)
        if token is None or self.tokens.lookup(token) is None:
            token = self.tokens.issue(user=self.email)
            self.current_token = token
        return token

    def authenticate(self, request: web.Request) -> None:
        header = request.headers.get("Authorization", "")
        parts = header.split()
        message = "Invalid token."
        if not parts or parts[0].lower() != "token":
            message = "Authentication credentials were not provided."
        elif len(parts) == 1:
            message = "Invalid token header. No credentials provided."
        elif len(parts) > 2:
            message = "Invalid token header. Token string should not contain spaces."
        elif self.tokens.lookup(bearer(header, scheme="token")) is not None:
            return
        raise Problem(401, message, headers={"WWW-Authenticate": "Token"})

    async def _token_get(self, request: web.Request) -> web.StreamResponse:
        self.counters.token_requests["api-token-get"] += 1
        body = await self._json(request)
        errors = {k: [REQUIRED] for k in ("email", "password") if not body.get(k)}
        if errors:
            raise _bad(errors)
        if body["email"] != self.email or body["password"] != self.password:
            raise _bad({"non_field_errors": ["Unable to log in with provided credentials."]})
        return json_response({"token": self._user_token()})

    async def _token_reset(self, request: web.Request) -> web.StreamResponse:
        self.counters.token_requests["api-token-reset"] += 1
        # ``authenticate`` has checked the token already.
        token = request.headers["Authorization"].split()[1]
        user = (self.tokens.lookup(token) or {}).get("user", self.email)
        self.tokens.revoke_where(user=user)
        self.current_token = self.tokens.issue(user=user)
        return self.wrote(request, json_response({"token": self.current_token}))

    # -- lists and cursors --------------------------------------------------------------------

    def _ids(self, collection: str, key: Any = (), where: Any = None) -> list[Any]:
        """The ordered keys of ``collection`` matching ``where`` (cached until a write)."""
        coll = self.store[collection]

        def compute() -> list[Any]:
            return sorted(coll if where is None else [k for k, v in coll.items() if where(v)])

        return self.views.get(coll, ("ids", collection, key), compute)

    def _grouped(self, collection: str, field: str) -> dict[Any, list[Any]]:
        """``{value of field: ordered keys}``: sessions per website, actions per session."""
        coll = self.store[collection]

        def compute() -> dict[Any, list[Any]]:
            groups: dict[Any, list[Any]] = {}
            for k in sorted(coll):
                groups.setdefault(coll[k].get(field), []).append(k)
            return groups

        return self.views.get(coll, ("group", collection, field), compute)

    def _page(self, request: web.Request, collection: str, ids: list[Any]) -> web.Response:
        try:
            size = min(MAX_PAGE_SIZE, max(1, int(request.query.get("page_size") or "x")))
        except ValueError:
            size = DEFAULT_PAGE_SIZE
        try:
            window = cursor_window(ids, size, request.query.get("cursor"))
        except ValueError:
            raise Problem(404, "Invalid cursor") from None
        coll, url = self.store[collection], request.url
        return json_response(
            {
                "next": window.next and str(url.update_query(cursor=window.next)),
                "previous": window.prev and str(url.update_query(cursor=window.prev)),
                "results": [coll[k] for k in ids[window.start : window.end]],
            }
        )

    async def _list(self, collection: str, request: web.Request) -> web.StreamResponse:
        coll = self.store[collection]
        return self.cached_page(request, coll, partial(self._list_page, collection, request))

    def _list_page(self, collection: str, request: web.Request) -> web.Response:
        query = request.query
        wanted = {f: query[f] for f in FILTERS.get(collection, ()) if query.get(f)}
        if not wanted:
            return self._page(request, collection, self._ids(collection))

        def where(rec: dict[str, Any]) -> bool:
            return all(str(rec.get(f)).lower() == v.lower() for f, v in wanted.items())

        key = tuple(sorted(wanted.items()))
        return self._page(request, collection, self._ids(collection, key, where))

    def _int_id(self, request: web.Request, collection: str) -> int:
        try:
            key = int(request.match_info["id"])
        except ValueError:
            raise _NOT_FOUND from None
        if key not in self.store[collection]:
            raise _NOT_FOUND
        return key

    async def _detail(self, collection: str, request: web.Request) -> web.StreamResponse:
        return json_response(self.store[collection][self._int_id(request, collection)])

    async def _delete(self, collection: str, request: web.Request) -> web.StreamResponse:
        del self.store[collection][self._int_id(request, collection)]
        return self.wrote(request)

    async def _root(self, request: web.Request) -> web.StreamResponse:
        root = request.url.with_query(None)
        return json_response({n: str(root.with_path(f"{self.base_path}/{n}/")) for n in ROOT})

    def _site(self, request: web.Request) -> dict[str, Any]:
        site = self.store["resources"].get(request.match_info["domain"].lower())
        if site is None:
            raise _NOT_FOUND
        return site

    async def _resource(self, request: web.Request) -> web.StreamResponse:
        return json_response(self._site(request))

    async def _sessions(self, request: web.Request) -> web.StreamResponse:
        sessions = self.store["sessions"]
        return self.cached_page(request, sessions, partial(self._sessions_page, request))

    def _sessions_page(self, request: web.Request) -> web.Response:
        domain = self._site(request)["domain"]
        errors: dict[str, list[str]] = {}
        bounds: list[datetime | None] = []
        for name, end_of_day in (("period_start", False), ("period_end", True)):
            raw = request.query.get(name)
            try:
                bounds.append(_parse_when(raw, end_of_day) if raw else None)
            except ValueError:
                errors[name] = ["Enter a valid date/time."]
                bounds.append(None)
        if errors:
            raise _bad(errors)
        ids = self._grouped("sessions", "resource").get(domain, [])
        if bounds != [None, None]:
            lo, hi = bounds[0] or _EARLIEST, bounds[1] or _LATEST

            def within(s: dict[str, Any]) -> bool:
                return s["resource"] == domain and lo <= _parse_when(s["start"], False) <= hi

            ids = self._ids("sessions", ("period", domain, lo, hi), within)
        return self._page(request, "sessions", ids)

    async def _actions(self, request: web.Request) -> web.StreamResponse:
        def render() -> web.Response:
            key = self._int_id(request, "sessions")
            return self._page(request, "actions", self._grouped("actions", "session").get(key, []))

        return self.cached_page(request, self.store["actions"], render)

    # -- writes -------------------------------------------------------------------------------

    async def _json(self, request: web.Request) -> dict[str, Any]:
        body: dict[str, Any] = await read_body(
            request,
            empty={},
            malformed=lambda e: Problem(400, f"JSON parse error - {e}"),
            not_object=lambda _: _bad(
                {"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]}
            ),
        )
        return body

    async def _filter_changes(self, request: web.Request, *, creating: bool) -> dict[str, Any]:
        body = await self._json(request)
        changes, issues = validate(body, SAVED_FILTER, creating=creating, exists=self.store)
        if issues:
            raise _bad({f: [MESSAGES[c].format(**kw)] for f, c, kw in issues})
        return changes

    def _add(self, request: web.Request, collection: str, record: dict[str, Any]) -> web.Response:
        self.next_ids[collection] += 1
        record = {"id": self.next_ids[collection], **record}
        self.store[collection][record["id"]] = record
        return self.wrote(request, json_response(record, status=201))

    async def _filter_create(self, request: web.Request) -> web.StreamResponse:
        changes = await self._filter_changes(request, creating=True)
        now = ts(datetime.now(UTC))
        record = {"name": "", "resource": None, "filter": {}, **changes}  # in this key order
        return self._add(request, "saved_filters", {**record, "created": now, "modified": now})

    async def _filter_update(self, request: web.Request) -> web.StreamResponse:
        key = self._int_id(request, "saved_filters")
        changes = await self._filter_changes(request, creating=request.method != "PATCH")
        record = self.store["saved_filters"][key]
        record.update(changes, modified=ts(datetime.now(UTC)))
        return self.wrote(request, json_response(record))

    async def _blacklist_add(self, request: web.Request) -> web.StreamResponse:
        domain = (await self._json(request)).get("domain")
        if not domain:
            raise _bad({"domain": [REQUIRED]})
        if not isinstance(domain, str) or "." not in domain or " " in domain.strip():
            raise _bad({"domain": ["Enter a valid domain name."]})
        domain = domain.strip().lower().removeprefix("www.")
        if any(b["domain"] == domain for b in self.store["blacklist"].values()):
            raise _bad({"domain": ["blacklist item with this domain already exists."]})
        companies = self.store["companies"].values()
        company = next((c["id"] for c in companies if c["domain"] == domain), None)
        record = {"domain": domain, "company": company, "created": ts(datetime.now(UTC))}
        return self._add(request, "blacklist", record)


def _parse_when(value: str, end_of_day: bool) -> datetime:
    text = value.strip()
    if len(text) == 10:
        day = date.fromisoformat(text)
        return datetime.combine(day, time.max if end_of_day else time.min, tzinfo=UTC)
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    dt = datetime.fromisoformat(text)
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)

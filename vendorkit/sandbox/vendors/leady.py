"""The Leady emulator: Leady's open API (``leady.txt``, paths per the contract) as ``aiohttp.web``.

What the docs say, emulated: ``POST /api-token-get/`` with the user's e-mail and password answers
the user's long-lasting token (the same one until it is reset); ``POST /api-token-reset/`` makes
a new one and the old one dies at once; every other call needs ``Authorization: Token <token>``;
times are UTC; cursor pagination (follow the ``next``/``previous`` links); 429 with
``Retry-After``.

Assumptions where the docs are silent (also in ``docs/sandbox/leady.md``), Django REST Framework
style throughout:

- Lists are ``{"next", "previous", "results"}``; ``next``/``previous`` are absolute URLs carrying
  an opaque ``cursor`` (DRF's base64 ``CursorPagination`` cursor, keyed on the position, so records
  created or deleted during a walk cause no duplicates or skips). No total. ``page_size`` defaults
  to 100 and is capped at 1000; a malformed cursor is a 404 ``{"detail": "Invalid cursor"}``.
- Errors: ``{"detail": ".."}`` (401 with ``WWW-Authenticate: Token``, 404, 405, 429, 5xx) or field
  dicts for 400 (``{"name": ["This field is required."]}``, ``{"non_field_errors": [..]}``).
- Paths end with a slash; one without is a 404. Records are ordered by id (sessions by start).
- ``resources/<domain>/sessions/`` filters ``period_start``/``period_end`` (ISO date-time or date;
  a session counts if it started within ``[period_start, period_end]``, a date-only end is the
  whole day); ``companies/`` filters ``country``, ``turnover``, ``magnitude``; ``persons/`` filters
  ``company``.
- ``saved-filters/``: list, create (201), retrieve, PUT, PATCH, delete (204). ``blacklist/``:
  list, add (201), delete (204); retrieving or changing one is a 405.
- Throttle: 1000 requests/second for the whole account (Leady publishes no numbers).
"""

from __future__ import annotations

import base64
import binascii
import unicodedata
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlencode

from aiohttp import web

from .._emulator import Emulator, Handler, json_response, read_json
from . import _leady_data as data

__all__ = ["LeadyEmulator"]

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
_EPOCH = datetime(2024, 1, 8, 6, 30, tzinfo=UTC)
_REQUIRED = "This field is required."


def _ts(dt: datetime) -> str:
    """``2024-01-08T06:30:00Z``: UTC, whole seconds."""
    return dt.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _ascii(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return plain.lower()


def _slug(text: str) -> str:
    out = "".join(c if c.isalnum() else "-" for c in _ascii(text))
    return "-".join(p for p in out.split("-") if p)


def _ico(rng_digits: list[int]) -> str:
    """A Czech company id (IČO) with a valid modulo-11 check digit."""
    total = sum(d * w for d, w in zip(rng_digits, range(8, 1, -1), strict=True))
    check = (11 - total % 11) % 10
    return "".join(map(str, rng_digits)) + str(check)


class _BadRequest(Exception):
    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(str(errors))
        self.errors = errors


class LeadyEmulator(Emulator):
    """Leady's open API under ``/v1``. ``store`` collections: ``resources`` (keyed by domain),
    ``sessions``, ``actions``, ``companies``, ``persons``, ``saved_filters``, ``blacklist``
    (keyed by integer id), ``turnovers`` and ``magnitudes`` (keyed by code)."""

    name = "leady"
    base_path = "/v1"
    default_quota: ClassVar[str | None] = "1000/second"
    default_token_ttl: ClassVar[float | None] = None
    auth_paths: ClassVar[frozenset[str]] = frozenset({"/api-token-get/", "/api-token-reset/"})

    email = "api@kovoprofil.cz"
    current_token: str

    def __init__(self, **kwargs: Any) -> None:
        self._index: dict[tuple[Any, ...], Any] = {}
        self._next_ids: dict[str, int] = {}
        super().__init__(**kwargs)

    @property
    def password(self) -> str:
        return f"sandbox-{self.seed}-Heslo!"

    # -- declared parts -----------------------------------------------------------------------

    def login(self) -> dict[str, str]:
        return {"email": self.email, "password": self.password}

    def credentials(self, base_url: str) -> dict[str, Any]:
        return {"token": self._user_token(), "base_url": base_url}

    def error_response(
        self,
        request: web.Request,
        status: int,
        message: str,
        *,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> web.Response:
        if status == 404 and message == "Not Found":
            message = "Not found."
        elif status == 405:
            message = f'Method "{request.method}" not allowed.'
        return json_response({"detail": message}, status=status, headers=headers)

    def make_app(self) -> web.Application:
        app = super().make_app()
        app.middlewares.append(self._auth)
        return app

    def add_routes(self, app: web.Application) -> None:
        b = self.base_path
        r = app.router
        r.add_get(b + "/", self._root)
        r.add_post(b + "/api-token-get/", self._token_get)
        r.add_post(b + "/api-token-reset/", self._token_reset)
        r.add_get(b + "/resources/", self._list_of("resources"))
        r.add_get(b + "/resources/{domain}/", self._resource)
        r.add_get(b + "/resources/{domain}/sessions/", self._sessions)
        r.add_get(b + "/sessions/{id}/", self._detail("sessions"))
        r.add_get(b + "/sessions/{id}/actions/", self._actions)
        r.add_get(b + "/companies/", self._companies)
        r.add_get(b + "/companies/{id}/", self._detail("companies"))
        r.add_get(b + "/persons/", self._persons)
        r.add_get(b + "/persons/{id}/", self._detail("persons"))
        r.add_get(b + "/saved-filters/", self._list_of("saved_filters"))
        r.add_post(b + "/saved-filters/", self._filter_create)
        r.add_get(b + "/saved-filters/{id}/", self._detail("saved_filters"))
        r.add_put(b + "/saved-filters/{id}/", self._filter_update)
        r.add_patch(b + "/saved-filters/{id}/", self._filter_update)
        r.add_delete(b + "/saved-filters/{id}/", self._deleter("saved_filters"))
        r.add_get(b + "/blacklist/", self._list_of("blacklist"))
        r.add_post(b + "/blacklist/", self._blacklist_add)
        r.add_delete(b + "/blacklist/{id}/", self._deleter("blacklist"))
        r.add_get(b + "/turnovers/", self._list_of("turnovers"))
        r.add_get(b + "/magnitudes/", self._list_of("magnitudes"))

    # -- tokens -------------------------------------------------------------------------------

    def _user_token(self) -> str:
        """The user's current token, issued anew if it expired (``token_ttl``)."""
        token = getattr(self, "current_token", None)
        if token is None or self.tokens.lookup(token) is None:
            token = self.tokens.issue(user=self.email)
            self.current_token = token
        return token

    @web.middleware
    async def _auth(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path == self.base_path + "/api-token-get/":
            return await handler(request)
        challenge = {"WWW-Authenticate": "Token"}
        parts = request.headers.get("Authorization", "").split()
        if not parts or parts[0].lower() != "token":
            return self.error_response(
                request, 401, "Authentication credentials were not provided.", headers=challenge
            )
        if len(parts) == 1:
            return self.error_response(
                request, 401, "Invalid token header. No credentials provided.", headers=challenge
            )
        if len(parts) > 2:
            return self.error_response(
                request,
                401,
                "Invalid token header. Token string should not contain spaces.",
                headers=challenge,
            )
        info = self.tokens.lookup(parts[1])
        if info is None:
            return self.error_response(request, 401, "Invalid token.", headers=challenge)
        return await handler(request)

    async def _token_get(self, request: web.Request) -> web.StreamResponse:
        self.counters.token_requests["api-token-get"] += 1
        try:
            body = await self._json(request)
        except _BadRequest as exc:
            return json_response(_flatten_detail(exc.errors), status=400)
        errors = {k: [_REQUIRED] for k in ("email", "password") if not body.get(k)}
        if errors:
            return json_response(errors, status=400)
        if body["email"] != self.email or body["password"] != self.password:
            return json_response(
                {"non_field_errors": ["Unable to log in with provided credentials."]}, status=400
            )
        return json_response({"token": self._user_token()})

    async def _token_reset(self, request: web.Request) -> web.StreamResponse:
        self.counters.token_requests["api-token-reset"] += 1
        # The auth middleware has checked the token already.
        token = request.headers["Authorization"].split()[1]
        user = (self.tokens.lookup(token) or {}).get("user", self.email)
        self.tokens.revoke_where(user=user)
        self.current_token = self.tokens.issue(user=user)
        self.count_write(request)
        return json_response({"token": self.current_token})

    # -- seed data ----------------------------------------------------------------------------

    def _next_id(self, collection: str) -> int:
        self._next_ids[collection] += 1
        return self._next_ids[collection]

    def seed_data(self) -> None:
        self._index.clear()
        rng = self.rng
        n = max(1, self.records)
        for c in (
            "resources",
            "sessions",
            "actions",
            "companies",
            "persons",
            "saved_filters",
            "blacklist",
            "turnovers",
            "magnitudes",
        ):
            self.store[c] = {}
        self.store["turnovers"] = {
            code: {"code": code, "name": cz, "name_en": en} for code, cz, en in data.TURNOVERS
        }
        self.store["magnitudes"] = {
            code: {"code": code, "name": cz, "name_en": en} for code, cz, en in data.MAGNITUDES
        }

        # The account's tracked websites.
        sites = data.WEBSITES[:3]
        for i, (domain, title) in enumerate(sites):
            created = _EPOCH - timedelta(days=300 - 40 * i)
            self.store["resources"][domain] = {
                "id": 101 + i,
                "domain": domain,
                "name": title,
                "tracking_code": f"LDY-{rng.getrandbits(32):08X}",
                "active": True,
                "created": _ts(created),
            }

        # Companies.
        companies = self.store["companies"]
        domains: set[str] = set()
        company_ids: list[int] = []
        cid = 20000
        created = _EPOCH - timedelta(days=200)
        for _ in range(n):
            cid += rng.randint(1, 9)
            if rng.random() < 0.25:
                stem, form, country = rng.choice(data.COMPANIES)
            else:
                stem = f"{rng.choice(data.INDUSTRIES)} {rng.choice(data.PLACES)}"
                form, country = rng.choice(data.LEGAL_FORMS), "CZ"
            tld = {"CZ": "cz", "SK": "sk", "DE": "de", "PL": "pl", "HU": "hu"}.get(country, "com")
            suffixes = iter(data.SUFFIXES)
            name = stem
            while f"{_slug(name)}.{tld}" in domains:
                name = f"{stem} {next(suffixes, '')}".strip()
                if name == stem:  # every suffix taken: number it
                    name = f"{stem} {len(domains)}"
            domain = f"{_slug(name)}.{tld}"
            domains.add(domain)
            city, postal = rng.choice(data.CITIES[country])
            nace, activity = rng.choice(data.NACE)
            is_cz = country in ("CZ", "SK")
            ico = _ico([rng.randint(0, 9) for _ in range(7)]) if is_cz else None
            companies[cid] = {
                "id": cid,
                "name": f"{name} {form}",
                "ico": ico,
                "dic": f"{country}{ico}" if ico else None,
                "domain": domain,
                "country": country,
                "city": city,
                "address": f"{rng.choice(data.STREETS)} {rng.randint(1, 250)}, {postal} {city}",
                "turnover": rng.choice(data.TURNOVERS[1:])[0],
                "magnitude": rng.choice(data.MAGNITUDES[1:])[0],
                "nace": nace,
                "activity": activity,
                "created": _ts(created),
            }
            company_ids.append(cid)
            created += timedelta(minutes=rng.randint(5, 600))

        # Persons working for those companies.
        persons = self.store["persons"]
        pid = 700000
        for _ in range(n):
            pid += rng.randint(1, 5)
            company = companies[rng.choice(company_ids)]
            female = rng.random() < 0.45
            first = rng.choice(data.FIRST_NAMES)[1 if female else 0]
            last = rng.choice(data.LAST_NAMES)[1 if female else 0]
            persons[pid] = {
                "id": pid,
                "name": f"{first} {last}",
                "first_name": first,
                "last_name": last,
                "email": f"{_ascii(first)}.{_ascii(last)}@{company['domain']}",
                "phone": f"+420 {rng.randint(601, 799)} {rng.randint(0, 999):03d} "
                f"{rng.randint(0, 999):03d}",
                "position": rng.choice(data.POSITIONS),
                "company": company["id"],
                "linkedin": f"https://www.linkedin.com/in/{_slug(first + ' ' + last)}"
                f"-{rng.getrandbits(24):06x}/",
            }

        # Sessions (and their actions) across the tracked websites, in time order.
        sessions, actions = self.store["sessions"], self.store["actions"]
        weights = (60, 30, 10)[: len(sites)]
        sid, aid = 500000, 9000000
        start = _EPOCH
        for _ in range(n):
            sid += 1
            start += timedelta(seconds=rng.randint(20, 5400))
            domain = rng.choices([d for d, _ in sites], weights)[0]
            referrer, source = rng.choice(data.REFERRERS)
            identified = rng.random() < 0.6
            company_id = rng.choice(company_ids) if identified else None
            count = rng.choices(range(1, 9), (30, 22, 15, 10, 8, 6, 5, 4))[0]
            when = start
            pages = rng.sample(data.PAGES, count)
            for path, title in pages:
                aid += 1
                kind = "download" if path.endswith(".pdf") else "pageview"
                if path == "/poptavka/" and rng.random() < 0.3:
                    kind = "form"
                actions[aid] = {
                    "id": aid,
                    "session": sid,
                    "time": _ts(when),
                    "url": f"https://{domain}{path}",
                    "title": f"{title} | Kovoprofil",
                    "type": kind,
                }
                when += timedelta(seconds=rng.randint(5, 240))
            end = when - timedelta(seconds=rng.randint(0, 4))
            country = companies[company_id]["country"] if company_id else rng.choice(("CZ", "SK"))
            sessions[sid] = {
                "id": sid,
                "resource": domain,
                "company": company_id,
                "start": _ts(start),
                "end": _ts(end),
                "duration": int((end - start).total_seconds()),
                "pageviews": count,
                "landing_page": f"https://{domain}{pages[0][0]}",
                "referrer": referrer,
                "source": source,
                "country": country,
                "device": rng.choices(("desktop", "mobile", "tablet"), (65, 30, 5))[0],
                "browser": rng.choice(data.BROWSERS),
                "ip": f"{rng.choice((31, 46, 77, 89, 185, 213))}.{rng.randint(0, 255)}."
                f"{rng.randint(0, 255)}.0",
            }

        # Saved filters and the blacklist.
        first_site = sites[0][0]
        filters = (
            ("Návštěvy z Brna", {"city": ["Brno"]}),
            ("Velké firmy (250+)", {"magnitude": ["330", "340", "410", "420", "430", "510"]}),
            ("Slovensko", {"country": ["SK"]}),
            ("Poptávky z e-shopu", {"url_contains": "/poptavka/"}),
        )
        fcreated = _EPOCH - timedelta(days=30)
        for i, (name, spec) in enumerate(filters, start=1):
            self.store["saved_filters"][i] = {
                "id": i,
                "name": name,
                "resource": first_site if i != 4 else sites[min(1, len(sites) - 1)][0],
                "filter": spec,
                "created": _ts(fcreated),
                "modified": _ts(fcreated),
            }
            fcreated += timedelta(days=rng.randint(1, 7))
        for i, cid in enumerate(rng.sample(company_ids, min(3, len(company_ids))), start=1):
            self.store["blacklist"][i] = {
                "id": i,
                "domain": companies[cid]["domain"],
                "company": cid,
                "created": _ts(_EPOCH - timedelta(days=20 - i)),
            }
        self._next_ids = {"saved_filters": len(filters), "blacklist": 3}
        self.current_token = self.tokens.issue(value=self.seeded_key(""), user=self.email)

    # -- lists and cursors --------------------------------------------------------------------

    def _ids(self, collection: str, key: tuple[Any, ...] = (), where: Any = None) -> list[Any]:
        """The ordered keys of ``collection`` matching ``where`` (cached until a write)."""
        coll = self.store[collection]
        cache_key = ("ids", collection, key, len(coll))
        ids: list[Any] | None = self._index.get(cache_key)
        if ids is None:
            keys = coll.keys() if where is None else [k for k, v in coll.items() if where(v)]
            ids = sorted(keys)
            self._index[cache_key] = ids
        return ids

    def _grouped(self, collection: str, field: str) -> dict[Any, list[Any]]:
        """``{value of field: ordered keys}``: sessions per website, actions per session."""
        coll = self.store[collection]
        cache_key = ("group", collection, field, len(coll))
        groups: dict[Any, list[Any]] | None = self._index.get(cache_key)
        if groups is None:
            groups = {}
            for k in sorted(coll):
                groups.setdefault(coll[k].get(field), []).append(k)
            self._index[cache_key] = groups
        return groups

    def _changed(self) -> None:
        self._index.clear()

    def _page(self, request: web.Request, collection: str, ids: list[Any]) -> web.Response:
        size = DEFAULT_PAGE_SIZE
        raw_size = request.query.get("page_size")
        if raw_size:
            try:
                size = min(MAX_PAGE_SIZE, max(1, int(raw_size)))
            except ValueError:
                size = DEFAULT_PAGE_SIZE
        reverse, position = False, None
        cursor = request.query.get("cursor")
        if cursor is not None:
            try:
                reverse, position = _decode_cursor(cursor, type(ids[0]) if ids else int)
            except ValueError:
                return self.error_response(request, 404, "Invalid cursor")
        if reverse:
            end = bisect_left(ids, position) if position is not None else len(ids)
            begin = max(0, end - size)
        else:
            begin = bisect_right(ids, position) if position is not None else 0
            end = min(len(ids), begin + size)
        chunk = ids[begin:end]
        coll = self.store[collection]
        url = request.url
        next_url = prev_url = None
        if chunk and end < len(ids):
            next_url = str(url.update_query(cursor=_encode_cursor(False, chunk[-1])))
        if chunk and begin > 0:
            prev_url = str(url.update_query(cursor=_encode_cursor(True, chunk[0])))
        return json_response(
            {"next": next_url, "previous": prev_url, "results": [coll[k] for k in chunk]}
        )

    def _list_of(self, collection: str) -> Handler:
        async def handler(request: web.Request) -> web.StreamResponse:
            return self._page(request, collection, self._ids(collection))

        return handler

    def _int_id(self, request: web.Request, collection: str) -> int | None:
        try:
            key = int(request.match_info["id"])
        except ValueError:
            return None
        return key if key in self.store[collection] else None

    def _detail(self, collection: str) -> Handler:
        async def handler(request: web.Request) -> web.StreamResponse:
            key = self._int_id(request, collection)
            if key is None:
                return self.error_response(request, 404, "Not found.")
            return json_response(self.store[collection][key])

        return handler

    def _deleter(self, collection: str) -> Handler:
        async def handler(request: web.Request) -> web.StreamResponse:
            key = self._int_id(request, collection)
            if key is None:
                return self.error_response(request, 404, "Not found.")
            del self.store[collection][key]
            self._changed()
            self.count_write(request)
            return web.Response(status=204)

        return handler

    async def _root(self, request: web.Request) -> web.StreamResponse:
        root = request.url.with_query(None)
        names = (
            "resources",
            "companies",
            "persons",
            "saved-filters",
            "blacklist",
            "turnovers",
            "magnitudes",
        )
        return json_response({n: str(root.with_path(f"{self.base_path}/{n}/")) for n in names})

    async def _resource(self, request: web.Request) -> web.StreamResponse:
        site = self.store["resources"].get(request.match_info["domain"].lower())
        if site is None:
            return self.error_response(request, 404, "Not found.")
        return json_response(site)

    async def _sessions(self, request: web.Request) -> web.StreamResponse:
        domain = request.match_info["domain"].lower()
        if domain not in self.store["resources"]:
            return self.error_response(request, 404, "Not found.")
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
            return json_response(errors, status=400)
        ids = self._grouped("sessions", "resource").get(domain, [])
        lo, hi = bounds
        if lo is not None or hi is not None:
            key = ("period", domain, lo, hi)

            def within(s: dict[str, Any]) -> bool:
                started = _parse_when(s["start"], False)
                return (
                    s["resource"] == domain
                    and (lo is None or started >= lo)
                    and (hi is None or started <= hi)
                )

            ids = self._ids("sessions", key, within)
        return self._page(request, "sessions", ids)

    async def _actions(self, request: web.Request) -> web.StreamResponse:
        key = self._int_id(request, "sessions")
        if key is None:
            return self.error_response(request, 404, "Not found.")
        return self._page(request, "actions", self._grouped("actions", "session").get(key, []))

    def _filtered(self, request: web.Request, collection: str, fields: tuple[str, ...]) -> Any:
        wanted = {f: request.query[f] for f in fields if request.query.get(f)}
        if not wanted:
            return self._page(request, collection, self._ids(collection))

        def where(rec: dict[str, Any]) -> bool:
            return all(str(rec.get(f)).lower() == v.lower() for f, v in wanted.items())

        key = tuple(sorted(wanted.items()))
        return self._page(request, collection, self._ids(collection, key, where))

    async def _companies(self, request: web.Request) -> web.StreamResponse:
        response: web.StreamResponse = self._filtered(
            request, "companies", ("country", "turnover", "magnitude")
        )
        return response

    async def _persons(self, request: web.Request) -> web.StreamResponse:
        response: web.StreamResponse = self._filtered(request, "persons", ("company",))
        return response

    # -- writes -------------------------------------------------------------------------------

    async def _json(self, request: web.Request) -> dict[str, Any]:
        try:
            body = await read_json(request)
        except (ValueError, UnicodeDecodeError) as exc:
            raise _BadRequest({"detail": [f"JSON parse error - {exc}"]}) from None
        if body is None:
            return {}
        if not isinstance(body, dict):
            raise _BadRequest(
                {"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]}
            )
        return body

    def _validate_filter(self, body: dict[str, Any], partial: bool) -> dict[str, Any]:
        errors: dict[str, list[str]] = {}
        out: dict[str, Any] = {}
        if "name" in body:
            name = body["name"]
            if not isinstance(name, str) or not name.strip():
                errors["name"] = ["This field may not be blank."]
            elif len(name) > 100:
                errors["name"] = ["Ensure this field has no more than 100 characters."]
            else:
                out["name"] = name.strip()
        elif not partial:
            errors["name"] = [_REQUIRED]
        if "filter" in body:
            if not isinstance(body["filter"], dict):
                errors["filter"] = ["Value must be valid JSON object."]
            else:
                out["filter"] = body["filter"]
        if "resource" in body:
            value = body["resource"]
            if value is not None and (
                not isinstance(value, str) or value.lower() not in self.store["resources"]
            ):
                errors["resource"] = [f'Invalid domain "{value}" - object does not exist.']
            else:
                out["resource"] = value.lower() if isinstance(value, str) else None
        if errors:
            raise _BadRequest(errors)
        return out

    async def _filter_create(self, request: web.Request) -> web.StreamResponse:
        try:
            changes = self._validate_filter(await self._json(request), partial=False)
        except _BadRequest as exc:
            return json_response(_flatten_detail(exc.errors), status=400)
        now = _ts(datetime.now(UTC))
        fid = self._next_id("saved_filters")
        record = {
            "id": fid,
            "name": changes["name"],
            "resource": changes.get("resource"),
            "filter": changes.get("filter", {}),
            "created": now,
            "modified": now,
        }
        self.store["saved_filters"][fid] = record
        self._changed()
        self.count_write(request)
        return json_response(record, status=201)

    async def _filter_update(self, request: web.Request) -> web.StreamResponse:
        key = self._int_id(request, "saved_filters")
        if key is None:
            return self.error_response(request, 404, "Not found.")
        try:
            body = await self._json(request)
            changes = self._validate_filter(body, partial=request.method == "PATCH")
        except _BadRequest as exc:
            return json_response(_flatten_detail(exc.errors), status=400)
        record = self.store["saved_filters"][key]
        record.update(changes)
        record["modified"] = _ts(datetime.now(UTC))
        self._changed()
        self.count_write(request)
        return json_response(record)

    async def _blacklist_add(self, request: web.Request) -> web.StreamResponse:
        try:
            body = await self._json(request)
        except _BadRequest as exc:
            return json_response(_flatten_detail(exc.errors), status=400)
        domain = body.get("domain")
        if not domain:
            return json_response({"domain": [_REQUIRED]}, status=400)
        if not isinstance(domain, str) or "." not in domain or " " in domain.strip():
            return json_response({"domain": ["Enter a valid domain name."]}, status=400)
        domain = domain.strip().lower().removeprefix("www.")
        if any(b["domain"] == domain for b in self.store["blacklist"].values()):
            return json_response(
                {"domain": ["blacklist item with this domain already exists."]}, status=400
            )
        company = next(
            (c["id"] for c in self.store["companies"].values() if c["domain"] == domain), None
        )
        bid = self._next_id("blacklist")
        record = {
            "id": bid,
            "domain": domain,
            "company": company,
            "created": _ts(datetime.now(UTC)),
        }
        self.store["blacklist"][bid] = record
        self._changed()
        self.count_write(request)
        return json_response(record, status=201)


def _flatten_detail(errors: dict[str, list[str]]) -> dict[str, Any]:
    """DRF sends a parse error as ``{"detail": ".."}``, validation errors as field lists."""
    if set(errors) == {"detail"}:
        return {"detail": errors["detail"][0]}
    return errors


def _encode_cursor(reverse: bool, position: Any) -> str:
    fields = {"r": "1", "p": str(position)} if reverse else {"p": str(position)}
    return base64.b64encode(urlencode(fields).encode()).decode()


def _decode_cursor(cursor: str, kind: Callable[[str], Any]) -> tuple[bool, Any]:
    try:
        text = base64.b64decode(cursor.encode(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise ValueError("invalid cursor") from None
    fields = parse_qs(text, keep_blank_values=True)
    if "p" not in fields or set(fields) - {"p", "r"}:
        raise ValueError("invalid cursor")
    reverse = fields.get("r", ["0"])[0] == "1"
    return reverse, kind(fields["p"][0])


def _parse_when(value: str, end_of_day: bool) -> datetime:
    text = value.strip()
    if len(text) == 10:
        day = date.fromisoformat(text)
        return datetime.combine(day, time.max if end_of_day else time.min, tzinfo=UTC)
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    dt = datetime.fromisoformat(text)
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)

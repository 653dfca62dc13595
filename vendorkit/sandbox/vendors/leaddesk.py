"""The LeadDesk emulator: LeadDesk's REST API (``/stable``) as ``leaddesk.txt`` describes it.

- ``POST /stable/oauth/access-token`` with a JSON body and the grants ``password``,
  ``leaddesk_client_id``, ``client_user`` and ``refresh_token``; a refresh rotates: the old
  refresh token and its access token die at once. Refresh tokens outlive access tokens.
- Collections ``{"collection", "_links": {"self", "prev", "next"}, "_meta": {"total"}}`` paged
  by ``page``/``per_page`` (default 25, maximum 500, 422 outside 1..500); objects at the root with
  ``_links``; equality filters on a collection's own fields (``?campaign_id=7``).
- Create ``POST`` -> ``200 {"id": N}``; update ``PATCH`` -> ``204``; delete -> ``204``; ``PUT``
  and writes on calls -> ``405``.
- Relations ``campaigns/<id>/users|products|contact_lists`` and ``contact_lists/<id>/contacts``:
  ``GET`` lists the related objects, ``POST [{"id": 1}, ..]`` adds, ``PATCH [..]`` replaces,
  ``DELETE <relation>/<id>`` removes (all ``204``; ``DELETE <relation>`` with the same array
  body removes those too). The same through the parent:
  ``PATCH /campaigns/1 {"users": [..]}`` replaces, ``POST /campaigns/1 {"users": [..]}`` adds.
- Errors ``{"error": "<id>", "error_description": "..", "error_validation": {field: [..]}}``:
  ``415`` for a body that is not JSON (malformed, or another content type), ``422``
  ``validation_failed`` with Laravel-style messages, ``404`` ``<thing>_not_found``, ``401`` for a
  missing, expired or rotated token.

Assumptions where the docs are silent (also in docs/sandbox/leaddesk.md): the resources' fields,
the ids of errors other than ``validation_failed``/``user_not_found``, that calls are read-only,
and no throttle by default (the docs publish no quota).
"""

from __future__ import annotations

import json
import unicodedata
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

from aiohttp import web

from .._emulator import Emulator, json_response

__all__ = ["LeadDeskEmulator"]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

TOKEN_PATH = "/oauth/access-token"
DEFAULT_PER_PAGE = 25
MAX_PER_PAGE = 500
#: How much longer a refresh token lives than its access token.
REFRESH_TTL_FACTOR = 336

#: Collection -> the singular used in error ids (``user_not_found``).
SINGULAR = {
    "users": "user",
    "campaigns": "campaign",
    "contact_lists": "contact_list",
    "contacts": "contact",
    "products": "product",
    "calls": "call",
}
WRITABLE = ("users", "campaigns", "contact_lists", "contacts", "products")
#: Collections whose objects link a ``custom_fields`` sub-resource (the docs' user sample shows
#: ``"_links": {"self", "custom_fields"}``).
CUSTOM_FIELDS = ("users", "contacts")
#: Parent collection -> relation name -> related collection.
RELATIONS: dict[str, dict[str, str]] = {
    "campaigns": {"users": "users", "products": "products", "contact_lists": "contact_lists"},
    "contact_lists": {"contacts": "contacts"},
}

# -- field rules (assumed: the docs name no fields) -------------------------------------------

# kind: "string", "email", "bool", "decimal", ("in", values)
Rule = tuple[str, Any]
FIELDS: dict[str, dict[str, Rule]] = {
    "users": {
        "username": ("string", None),
        "first_name": ("string", None),
        "last_name": ("string", None),
        "email": ("email", None),
        "phone": ("string", None),
        "role": ("in", ("agent", "teamleader", "admin")),
        "language": ("string", None),
        "active": ("bool", None),
        "extension": ("string", None),
    },
    "campaigns": {
        "name": ("string", None),
        "type": ("in", ("outbound", "inbound", "blended")),
        "description": ("string", None),
        "active": ("bool", None),
    },
    "contact_lists": {
        "name": ("string", None),
        "description": ("string", None),
        "active": ("bool", None),
    },
    "contacts": {
        "first_name": ("string", None),
        "last_name": ("string", None),
        "phone": ("string", None),
        "mobile": ("string", None),
        "email": ("email", None),
        "company": ("string", None),
        "street_address": ("string", None),
        "postal_code": ("string", None),
        "city": ("string", None),
        "country": ("string", None),
    },
    "products": {
        "name": ("string", None),
        "code": ("string", None),
        "price": ("decimal", None),
        "currency": ("string", None),
        "vat_percent": ("decimal", None),
        "active": ("bool", None),
    },
}
REQUIRED = {
    "users": ("username",),
    "campaigns": ("name",),
    "contact_lists": ("name",),
    "contacts": ("phone",),
    "products": ("name",),
}
UNIQUE = {"users": ("username",), "products": ("code",)}
#: Fields a collection can be filtered on with ``?field=value``.
FILTERS: dict[str, tuple[str, ...]] = {
    **{c: tuple(FIELDS[c]) for c in WRITABLE},
    "calls": ("user_id", "campaign_id", "contact_id", "contact_list_id", "direction", "result"),
}

# -- seed vocabulary ----------------------------------------------------------------------------

FI_FIRST = (
    "Aino", "Eero", "Juha", "Mikko", "Sanna", "Laura", "Antti", "Heikki", "Kaisa", "Tuomas",
    "Johanna", "Ville", "Riikka", "Matti", "Päivi", "Jari", "Minna", "Teemu", "Elina", "Petri",
    "Satu", "Jussi", "Hanna", "Olli", "Noora", "Ilkka", "Tiina", "Sami", "Katja", "Lauri",
)  # fmt: skip
FI_LAST = (
    "Virtanen", "Korhonen", "Mäkinen", "Nieminen", "Mäkelä", "Hämäläinen", "Laine", "Heikkinen",
    "Koskinen", "Järvinen", "Lehtonen", "Lehtinen", "Saarinen", "Salminen", "Heinonen", "Niemi",
    "Heikkilä", "Kinnunen", "Salonen", "Turunen", "Rantanen", "Lindholm", "Karjalainen", "Pesonen",
)  # fmt: skip
EN_FIRST = (
    "Emma", "Oliver", "Sophie", "James", "Charlotte", "Harry", "Grace", "Thomas", "Amelia",
    "William", "Lucy", "Daniel", "Olivia", "George", "Hannah", "Jack",
)  # fmt: skip
EN_LAST = (
    "Smith", "Brown", "Taylor", "Wilson", "Johnson", "Walker", "Wright", "Robinson", "Thompson",
    "White", "Hughes", "Edwards", "Green", "Hall", "Wood", "Clarke",
)  # fmt: skip
COMPANIES = (
    "Kotimaan Kauppa Oy", "Lapin Sähkö Oy", "Itämeren Kala Oy", "Helsingin Tilitoimisto Oy",
    "Pohjolan Energia Oy", "Savon Rakennus Oy", "Tampereen Konepaja Oy", "Kuopion Kukka Ky",
    "Järvi-Suomen Matkat Oy", "Oulun Ohjelmistot Oy", "Nordic Widgets Ltd", "Baltic Logistics AB",
    "Aurora Health Oy", "Karjalan Puu Oy", "Vaasan Vakuutusmeklarit Oy", "Saimaa Marine Oy",
    "Harbour & Co Ltd", "Lakeside Dental Oy", None, None, None, None,
)  # fmt: skip
CITIES = (
    ("Helsinki", "00100"), ("Espoo", "02100"), ("Tampere", "33100"), ("Vantaa", "01300"),
    ("Oulu", "90100"), ("Turku", "20100"), ("Jyväskylä", "40100"), ("Lahti", "15100"),
    ("Kuopio", "70100"), ("Pori", "28100"), ("Vaasa", "65100"), ("Joensuu", "80100"),
)  # fmt: skip
STREETS = (
    "Mannerheimintie", "Hämeenkatu", "Aleksanterinkatu", "Kauppakatu", "Satamakatu", "Puistokatu",
    "Rautatienkatu", "Kirkkokatu", "Koulukatu", "Rantatie", "Koivukuja", "Myllytie",
)  # fmt: skip
CAMPAIGNS = (
    ("Kevätkampanja - Sanomalehti", "outbound"), ("Energy contract renewal", "outbound"),
    ("Asiakaspalvelu", "inbound"), ("Insurance win-back", "outbound"),
    ("Laajakaista lisämyynti", "outbound"), ("Customer satisfaction survey", "outbound"),
    ("Aurinkopaneelit B2B", "outbound"), ("Support line", "inbound"),
    ("Lehtitilaus syksy", "blended"), ("Charity donors", "outbound"),
)  # fmt: skip
LISTS = (
    "Uusimaa yritykset", "Pirkanmaa kuluttajat", "Expired contracts", "Webinar leads",
    "Varsinais-Suomi", "Former subscribers", "Trade fair 2024", "Pohjois-Pohjanmaa",
    "Referrals", "Cold leads", "Donors 2023", "Kuluttajat 25-40",
)  # fmt: skip
PRODUCTS = (
    ("Helsingin Sanomat 12 kk", "HS-12", "299.00"), ("Digilehti 6 kk", "DIGI-6", "59.40"),
    ("Laajakaista 300M", "NET-300", "34.90"), ("Laajakaista 1G", "NET-1000", "49.90"),
    ("Sähkösopimus kiinteä", "EL-FIX", "0.00"), ("Kotivakuutus Perus", "INS-HOME", "189.00"),
    ("Mobiililiittymä 5G", "MOB-5G", "24.90"), ("Premium support", "SUP-PRE", "120.00"),
    ("Aurinkopaneelipaketti 6 kW", "SOL-6", "7490.00"), ("Kuukausilahjoitus", "DON-M", "20.00"),
    ("Lehtitilaus 3 kk", "MAG-3", "29.70"), ("Matkavakuutus", "INS-TRAV", "79.00"),
)  # fmt: skip
RESULTS = ("answered", "answered", "no_answer", "busy", "voicemail", "sale", "callback", "refused")
HANGUP = ("NORMAL_CLEARING", "NO_ANSWER", "USER_BUSY", "ORIGINATOR_CANCEL", "NORMAL_CLEARING")
BASE_TIME = datetime(2024, 1, 8, 7, 0, tzinfo=UTC)

OAUTH_CODES = {400: "invalid_request", 401: "invalid_client"}
ERROR_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "too_many_requests",
    500: "internal_server_error",
    501: "not_implemented",
    502: "bad_gateway",
    503: "service_unavailable",
    504: "gateway_timeout",
}


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def _iso(dt: datetime) -> str:
    return dt.astimezone(UTC).replace(microsecond=0).isoformat()


def _now() -> str:
    return _iso(datetime.now(UTC))


def _label(field: str) -> str:
    return field.replace("_", " ").replace(".", " ")


class _Problem(Exception):
    """Raised inside a handler: answered with the vendor's error body."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        validation: Mapping[str, list[str]] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.validation = validation
        self.headers = headers


def _validation(errors: Mapping[str, list[str]]) -> _Problem:
    return _Problem(422, "validation_failed", "Parameter validation failed", errors)


class LeadDeskEmulator(Emulator):
    """LeadDesk's REST API: users, campaigns, contact lists, contacts, products, calls, and the
    campaign and contact-list relations, behind the four OAuth2 grants."""

    name: ClassVar[str] = "leaddesk"
    base_path: ClassVar[str] = "/stable"
    default_quota: ClassVar[str | None] = None  # the docs publish no quota
    default_token_ttl: ClassVar[float | None] = 3600.0
    auth_paths: ClassVar[frozenset[str]] = frozenset({TOKEN_PATH})

    #: The LeadDesk client (account) this API client may act for.
    leaddesk_client_id: ClassVar[int] = 1

    # -- seed ---------------------------------------------------------------------------------

    def seed_data(self) -> None:
        rng = self.rng
        alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
        self.client_id = "vendorkit-sandbox-" + "".join(rng.choices("0123456789abcdef", k=8))
        self.client_secret = "".join(rng.choices(alnum, k=40))
        self.password = "".join(rng.choices(alnum, k=16))
        self.relations: dict[str, dict[int, dict[int, None]]] = {
            f"{p}.{r}": {} for p, rels in RELATIONS.items() for r in rels
        }
        self._ordered: dict[str, list[dict[str, Any]]] = {}
        self._pairs = 0
        for coll in SINGULAR:
            self.store[coll] = {}
        n = self.records
        self._seed_users(max(5, n // 5))
        self._seed_campaigns(max(3, n // 20))
        self._seed_products(max(3, min(len(PRODUCTS) * 4, n // 10)))
        self._seed_lists(max(3, n // 10))
        self._seed_contacts(n)
        self._seed_relations()
        self._seed_calls(n)
        self._next_id = {c: max(self.store[c], default=self._first_id(c) - 1) + 1 for c in SINGULAR}
        first_user = next(iter(self.store["users"].values()))
        self.username = str(first_user["username"])

    @staticmethod
    def _first_id(coll: str) -> int:
        return {
            "users": 1001,
            "campaigns": 201,
            "contact_lists": 301,
            "contacts": 100001,
            "products": 501,
            "calls": 5000001,
        }[coll]

    def _stamp(self, days: int = 300) -> tuple[str, str]:
        created = BASE_TIME + timedelta(seconds=self.rng.randrange(days * 86400))
        updated = created + timedelta(seconds=self.rng.randrange(30 * 86400))
        return _iso(created), _iso(updated)

    def _person(self) -> tuple[str, str]:
        if self.rng.random() < 0.75:
            return self.rng.choice(FI_FIRST), self.rng.choice(FI_LAST)
        return self.rng.choice(EN_FIRST), self.rng.choice(EN_LAST)

    def _phone(self, mobile: bool = True) -> str:
        rng = self.rng
        if mobile:
            prefix = rng.choice(("+35840", "+35850", "+35844", "+35845", "+4670"))
            return prefix + "".join(rng.choices("0123456789", k=7))
        area = rng.choice(("+3589", "+3583", "+3582", "+35814", "+35817"))
        return area + "".join(rng.choices("0123456789", k=6))

    def _seed_users(self, count: int) -> None:
        taken: set[str] = set()
        for i in range(count):
            uid = self._first_id("users") + i
            first, last = self._person()
            base = f"{_ascii(first)}.{_ascii(last)}"
            username, k = base, 1
            while username in taken:
                k += 1
                username = f"{base}{k}"
            taken.add(username)
            created, updated = self._stamp()
            role = "admin" if i == 0 else self.rng.choice(("agent",) * 6 + ("teamleader",))
            self.store["users"][uid] = {
                "id": uid,
                "username": username,
                "first_name": first,
                "last_name": last,
                "email": f"{username}@contactcenter.example.fi",
                "phone": self._phone(),
                "role": role,
                "language": self.rng.choice(("fi", "fi", "fi", "en", "sv")),
                "active": self.rng.random() < 0.9 or i == 0,
                "extension": str(2000 + i),
                "office_id": self.rng.choice((1, 1, 2)),
                "created_at": created,
                "updated_at": updated,
            }

    def _seed_campaigns(self, count: int) -> None:
        for i in range(count):
            cid = self._first_id("campaigns") + i
            name, kind = CAMPAIGNS[i % len(CAMPAIGNS)]
            if i >= len(CAMPAIGNS):
                name = f"{name} {i // len(CAMPAIGNS) + 1}"
            created, updated = self._stamp()
            self.store["campaigns"][cid] = {
                "id": cid,
                "name": name,
                "type": kind,
                "description": None
                if self.rng.random() < 0.4
                else f"{name}: soittolista ja tuotteet",
                "active": self.rng.random() < 0.8,
                "office_id": self.rng.choice((1, 1, 2)),
                "dial_mode": self.rng.choice(("preview", "progressive", "predictive")),
                "created_at": created,
                "updated_at": updated,
            }

    def _seed_products(self, count: int) -> None:
        for i in range(count):
            pid = self._first_id("products") + i
            name, code, price = PRODUCTS[i % len(PRODUCTS)]
            if i >= len(PRODUCTS):
                name, code = (
                    f"{name} ({i // len(PRODUCTS) + 1})",
                    f"{code}-{i // len(PRODUCTS) + 1}",
                )
            created, updated = self._stamp()
            self.store["products"][pid] = {
                "id": pid,
                "name": name,
                "code": code,
                "price": price,
                "currency": "EUR",
                "vat_percent": self.rng.choice(("25.50", "25.50", "14.00", "10.00")),
                "active": self.rng.random() < 0.85,
                "created_at": created,
                "updated_at": updated,
            }

    def _seed_lists(self, count: int) -> None:
        for i in range(count):
            lid = self._first_id("contact_lists") + i
            name = LISTS[i % len(LISTS)]
            if i >= len(LISTS):
                name = f"{name} {i // len(LISTS) + 1}"
            created, updated = self._stamp()
            self.store["contact_lists"][lid] = {
                "id": lid,
                "name": name,
                "description": None,
                "active": self.rng.random() < 0.8,
                "created_at": created,
                "updated_at": updated,
            }

    def _seed_contacts(self, count: int) -> None:
        lists = list(self.store["contact_lists"])
        rel = self.relations["contact_lists.contacts"]
        for i in range(count):
            cid = self._first_id("contacts") + i
            first, last = self._person()
            company = self.rng.choice(COMPANIES)
            city, postal = self.rng.choice(CITIES)
            created, updated = self._stamp()
            domain = "gmail.com" if company is None else _ascii(company.split()[0]) + ".fi"
            self.store["contacts"][cid] = {
                "id": cid,
                "first_name": first,
                "last_name": last,
                "phone": self._phone(mobile=self.rng.random() < 0.7),
                "mobile": self._phone() if self.rng.random() < 0.3 else None,
                "email": f"{_ascii(first)}.{_ascii(last)}@{domain}"
                if self.rng.random() < 0.8
                else None,
                "company": company,
                "street_address": f"{self.rng.choice(STREETS)} {self.rng.randint(1, 80)}",
                "postal_code": postal,
                "city": city,
                "country": "FI",
                "custom_fields": {
                    "customer_number": str(self.rng.randrange(10**7, 10**8)),
                    "segment": self.rng.choice(("A", "B", "C")),
                },
                "created_at": created,
                "updated_at": updated,
            }
            rel.setdefault(self.rng.choice(lists), {})[cid] = None

    def _seed_relations(self) -> None:
        users = list(self.store["users"])
        products = list(self.store["products"])
        lists = list(self.store["contact_lists"])
        for cid in self.store["campaigns"]:
            for name, pool, k in (
                ("users", users, min(len(users), self.rng.randint(2, 8))),
                ("products", products, min(len(products), self.rng.randint(1, 4))),
                ("contact_lists", lists, min(len(lists), self.rng.randint(1, 3))),
            ):
                chosen = sorted(self.rng.sample(pool, k))
                self.relations[f"campaigns.{name}"][cid] = dict.fromkeys(chosen)

    def _seed_calls(self, count: int) -> None:
        users = list(self.store["users"])
        contacts = self.store["contacts"]
        contact_ids = list(contacts)
        campaigns = list(self.store["campaigns"])
        list_of: dict[int, int] = {
            c: lid
            for lid, members in self.relations["contact_lists.contacts"].items()
            for c in members
        }
        moments = sorted(self.rng.randrange(300 * 86400) for _ in range(count))
        for i, offset in enumerate(moments):
            call_id = self._first_id("calls") + i
            contact_id = self.rng.choice(contact_ids)
            result = self.rng.choice(RESULTS)
            answered = result in ("answered", "sale", "callback", "refused")
            ring = self.rng.randint(3, 30)
            talk = self.rng.randint(20, 900) if answered else 0
            started = BASE_TIME + timedelta(seconds=offset)
            self.store["calls"][call_id] = {
                "id": call_id,
                "user_id": self.rng.choice(users),
                "campaign_id": self.rng.choice(campaigns),
                "contact_id": contact_id,
                "contact_list_id": list_of.get(contact_id),
                "number": contacts[contact_id]["phone"],
                "direction": "inbound" if self.rng.random() < 0.1 else "outbound",
                "result": result,
                "started_at": _iso(started),
                "ended_at": _iso(started + timedelta(seconds=ring + talk)),
                "duration": ring + talk,
                "talk_time": talk,
                "hangup_cause": self.rng.choice(HANGUP) if answered else "NO_ANSWER",
                "recording_id": str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
                if answered
                else None,
            }

    # -- what the sandbox asks ----------------------------------------------------------------

    def login(self) -> dict[str, str]:
        return {"username": self.username, "password": self.password}

    def credentials(self, base_url: str) -> dict[str, Any]:
        return {
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "username": self.username,
            "password": self.password,
            "base_url": base_url,
        }

    def error_response(
        self,
        request: web.Request,
        status: int,
        message: str,
        *,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> web.Response:
        # One id per kind of error: every 429 (throttle or fault) is ``too_many_requests``.
        if status in ERROR_CODES and (code is None or status == 429):
            code = ERROR_CODES[status]
        return json_response(
            {"error": code or "error", "error_description": message}, status, headers
        )

    def _problem_response(self, problem: _Problem) -> web.Response:
        body: dict[str, Any] = {"error": problem.code, "error_description": problem.message}
        if problem.validation is not None:
            body["error_validation"] = {k: list(v) for k, v in problem.validation.items()}
        return json_response(body, problem.status, problem.headers)

    # -- routes -------------------------------------------------------------------------------

    def add_routes(self, app: web.Application) -> None:
        app.middlewares.append(self._authenticate)
        bp = self.base_path
        r = app.router
        r.add_post(bp + TOKEN_PATH, self._wrap(self._token))
        for coll in SINGULAR:
            r.add_get(f"{bp}/{coll}", self._wrap(self._list, coll))
            r.add_get(f"{bp}/{coll}/{{id}}", self._wrap(self._get, coll))
            if coll in CUSTOM_FIELDS:
                r.add_get(
                    f"{bp}/{coll}/{{id}}/custom_fields", self._wrap(self._custom_fields, coll)
                )
            if coll not in WRITABLE:
                continue
            r.add_post(f"{bp}/{coll}", self._wrap(self._create, coll))
            r.add_patch(f"{bp}/{coll}/{{id}}", self._wrap(self._update, coll))
            r.add_delete(f"{bp}/{coll}/{{id}}", self._wrap(self._delete, coll))
            if coll in RELATIONS:
                r.add_post(f"{bp}/{coll}/{{id}}", self._wrap(self._post_item, coll))
                for rel in RELATIONS[coll]:
                    path = f"{bp}/{coll}/{{id}}/{rel}"
                    key = f"{coll}.{rel}"
                    r.add_get(path, self._wrap(self._rel_list, key))
                    r.add_post(path, self._wrap(self._rel_add, key))
                    r.add_patch(path, self._wrap(self._rel_replace, key))
                    r.add_delete(path, self._wrap(self._rel_remove_many, key))
                    r.add_get(path + "/{rid}", self._wrap(self._rel_get, key))
                    r.add_delete(path + "/{rid}", self._wrap(self._rel_remove, key))

    def _wrap(self, fn: Callable[..., Awaitable[web.StreamResponse]], *args: Any) -> Handler:
        async def handler(request: web.Request) -> web.StreamResponse:
            try:
                return await fn(request, *args)
            except _Problem as problem:
                return self._problem_response(problem)

        return handler

    @web.middleware
    async def _authenticate(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if not _accepts_json(request.headers.get("Accept", "")):
            # "If some else content type is requested an error will occur."
            return self._problem_response(
                _Problem(
                    406,
                    "not_acceptable",
                    f"Cannot answer with {request.headers['Accept']}: the API speaks "
                    "application/json only.",
                )
            )
        if self._is_auth(request):
            return await handler(request)
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        challenge = {"WWW-Authenticate": 'Bearer realm="LeadDesk"'}
        if scheme.lower() != "bearer" or not token.strip():
            return self._problem_response(
                _Problem(
                    401,
                    "access_token_missing",
                    'The request has no access token: send "Authorization: Bearer <token>".',
                    headers=challenge,
                )
            )
        info = self.tokens.lookup(token.strip())
        if info is None or info.get("kind") != "access":
            return self._problem_response(
                _Problem(
                    401,
                    "access_denied",
                    "The access token is invalid or has expired.",
                    headers=challenge,
                )
            )
        return await handler(request)

    # -- tokens -------------------------------------------------------------------------------

    async def _token(self, request: web.Request) -> web.Response:
        body = await self._json_body(request)
        if not isinstance(body, dict):
            raise _oauth_missing("grant_type")
        grant = body.get("grant_type")
        if not isinstance(grant, str) or not grant:
            raise _oauth_missing("grant_type")
        self.counters.token_requests[grant] += 1
        if body.get("client_id") != self.client_id or body.get("client_secret") != (
            self.client_secret
        ):
            raise _Problem(401, "invalid_client", "Client authentication failed.")
        if grant == "refresh_token":
            return self._refresh(body)
        if grant == "password":
            for field in ("username", "password"):
                if not isinstance(body.get(field), str) or not body[field]:
                    raise _oauth_missing(field)
            if body["username"] != self.username or body["password"] != self.password:
                raise _Problem(401, "invalid_credentials", "The user credentials were incorrect.")
            subject: dict[str, Any] = {"username": body["username"]}
        elif grant in ("leaddesk_client_id", "client_user"):
            fields = ("username", "leaddesk_client_id") if grant == "client_user" else ()
            for field in (*fields, "leaddesk_client_id"):
                if body.get(field) in (None, ""):
                    raise _oauth_missing(field)
            if str(body["leaddesk_client_id"]) != str(self.leaddesk_client_id):
                raise _Problem(
                    403,
                    "access_denied",
                    f"The API client has no access to LeadDesk client "
                    f"{body['leaddesk_client_id']}.",
                )
            subject = {"leaddesk_client_id": self.leaddesk_client_id}
            if grant == "client_user":
                known = {u["username"] for u in self.store["users"].values()} | {self.username}
                if body["username"] not in known:
                    raise _Problem(
                        401, "invalid_credentials", "The user credentials were incorrect."
                    )
                subject["username"] = body["username"]
        else:
            raise _Problem(
                400,
                "unsupported_grant_type",
                "The authorization grant type is not supported by the authorization server.",
            )
        return self._issue(grant, subject)

    def _refresh(self, body: Mapping[str, Any]) -> web.Response:
        token = body.get("refresh_token")
        if not isinstance(token, str) or not token:
            raise _oauth_missing("refresh_token")
        info = self.tokens.lookup(token)
        if info is None or info.get("kind") != "refresh":
            raise _Problem(400, "invalid_request", "The refresh token is invalid.")
        # Rotation: the refresh token and the access token issued with it die now.
        self.tokens.revoke_where(pair=info["pair"])
        return self._issue(str(info["grant"]), dict(info["subject"]))

    def _issue(self, grant: str, subject: Mapping[str, Any]) -> web.Response:
        self._pairs += 1
        pair = self._pairs
        ttl = self.tokens.ttl
        common: dict[str, Any] = {"pair": pair, "grant": grant, "subject": dict(subject)}
        access = self.tokens.issue("", kind="access", **common)
        refresh_ttl = None if ttl is None else ttl * REFRESH_TTL_FACTOR
        refresh = self.tokens.issue("", ttl=refresh_ttl, kind="refresh", **common)
        expires_in: float = 3600 if ttl is None else ttl
        return json_response(
            {
                "access_token": access,
                "token_type": "Bearer",
                "expires_in": int(expires_in) if float(expires_in).is_integer() else expires_in,
                "refresh_token": refresh,
            }
        )

    # -- request helpers ----------------------------------------------------------------------

    async def _json_body(self, request: web.Request) -> Any:
        """The JSON body; ``415`` if it is not JSON. ``None`` when there is no body."""
        raw = await request.read()
        if not raw.strip():
            return None
        ctype = request.content_type.lower()
        if ctype != "application/json" and not ctype.endswith("+json"):
            raise _Problem(
                415,
                "unsupported_media_type",
                f"Unsupported content type {ctype or '(none)'}: send application/json.",
            )
        try:
            return json.loads(raw)
        except ValueError:
            raise _Problem(415, "malformed_json", "The request body is not valid JSON.") from None

    def _item_id(self, request: web.Request, coll: str, key: str = "id") -> int:
        raw = request.match_info[key]
        if raw.isdigit() and int(raw) in self.store[coll]:
            return int(raw)
        raise self._not_found(coll, raw)

    @staticmethod
    def _not_found(coll: str, ident: Any) -> _Problem:
        thing = SINGULAR[coll]
        label = thing.replace("_", " ").capitalize()
        return _Problem(404, f"{thing}_not_found", f"{label} {ident} was not found.")

    def _origin(self, request: web.Request) -> str:
        return f"{request.scheme}://{request.host}{self.base_path}"

    def _links(self, origin: str, coll: str, record: Mapping[str, Any]) -> dict[str, str]:
        own = f"{origin}/{coll}/{record['id']}"
        links = {"self": own}
        for rel in RELATIONS.get(coll, {}):
            links[rel] = f"{own}/{rel}"
        if coll in CUSTOM_FIELDS:
            links["custom_fields"] = f"{own}/custom_fields"
        if coll == "calls":
            for field, target in (
                ("user_id", "users"),
                ("campaign_id", "campaigns"),
                ("contact_id", "contacts"),
            ):
                if record.get(field) is not None:
                    links[SINGULAR[target]] = f"{origin}/{target}/{record[field]}"
        return links

    def _present(self, origin: str, coll: str, record: Mapping[str, Any]) -> dict[str, Any]:
        return {**record, "_links": self._links(origin, coll, record)}

    def _ordered_records(self, coll: str) -> list[dict[str, Any]]:
        cached = self._ordered.get(coll)
        if cached is None or len(cached) != len(self.store[coll]):
            cached = list(self.store[coll].values())
            self._ordered[coll] = cached
        return cached

    def _changed(self, coll: str) -> None:
        self._ordered.pop(coll, None)

    @staticmethod
    def _paging(request: web.Request) -> tuple[int, int]:
        errors: dict[str, list[str]] = {}
        values: dict[str, int] = {}
        for name, default, maximum in (
            ("page", 1, None),
            ("per_page", DEFAULT_PER_PAGE, MAX_PER_PAGE),
        ):
            raw = request.query.get(name)
            if raw is None or raw == "":
                values[name] = default
                continue
            try:
                value = int(raw)
            except ValueError:
                errors[name] = [f"The {_label(name)} must be an integer."]
                continue
            if value < 1:
                errors[name] = [f"The {_label(name)} must be at least 1."]
            elif maximum is not None and value > maximum:
                errors[name] = [f"The {_label(name)} may not be greater than {maximum}."]
            values[name] = value
        if errors:
            raise _validation(errors)
        return values["page"], values["per_page"]

    def _collection(
        self, request: web.Request, coll: str, records: list[dict[str, Any]]
    ) -> web.Response:
        page, per_page = self._paging(request)
        total = len(records)
        start = (page - 1) * per_page
        chunk = records[start : start + per_page]
        origin = self._origin(request)
        links: dict[str, str] = {"self": str(request.url.update_query(page=page))}
        if page > 1:
            links["prev"] = str(request.url.update_query(page=page - 1))
        if start + per_page < total:
            links["next"] = str(request.url.update_query(page=page + 1))
        return json_response(
            {
                "collection": [self._present(origin, coll, r) for r in chunk],
                "_links": links,
                "_meta": {"total": total},
            }
        )

    def _filtered(
        self, request: web.Request, coll: str, records: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        filters = {
            k: v
            for k, v in request.query.items()
            if k not in ("page", "per_page") and k in FILTERS.get(coll, ())
        }
        if not filters:
            return records
        return [r for r in records if all(_as_query(r.get(k)) == v for k, v in filters.items())]

    # -- handlers: collections and objects ----------------------------------------------------

    async def _list(self, request: web.Request, coll: str) -> web.Response:
        records = self._filtered(request, coll, self._ordered_records(coll))
        return self._collection(request, coll, records)

    async def _get(self, request: web.Request, coll: str) -> web.Response:
        ident = self._item_id(request, coll)
        return json_response(self._present(self._origin(request), coll, self.store[coll][ident]))

    async def _custom_fields(self, request: web.Request, coll: str) -> web.Response:
        """``GET <coll>/<id>/custom_fields``: the object's custom fields as a collection of
        ``{"name", "value"}`` (assumed shape; empty for objects without any)."""
        ident = self._item_id(request, coll)
        fields = self.store[coll][ident].get("custom_fields") or {}
        page, per_page = self._paging(request)
        items = [{"name": k, "value": v} for k, v in fields.items()]
        start = (page - 1) * per_page
        links: dict[str, str] = {"self": str(request.url.update_query(page=page))}
        if page > 1:
            links["prev"] = str(request.url.update_query(page=page - 1))
        if start + per_page < len(items):
            links["next"] = str(request.url.update_query(page=page + 1))
        return json_response(
            {
                "collection": items[start : start + per_page],
                "_links": links,
                "_meta": {"total": len(items)},
            }
        )

    async def _create(self, request: web.Request, coll: str) -> web.Response:
        body = await self._json_body(request)
        if body is None:
            body = {}
        if not isinstance(body, dict):
            raise _Problem(400, "invalid_body", "The request body must be a JSON object.")
        values, relations = self._validate(coll, body, creating=True, current_id=None)
        ident = self._next_id[coll]
        self._next_id[coll] += 1
        now = _now()
        record: dict[str, Any] = {"id": ident, **dict.fromkeys(FIELDS[coll])}
        record.update(values)
        record["created_at"] = now
        record["updated_at"] = now
        self.store[coll][ident] = record
        self._changed(coll)
        for key, ids in relations.items():
            self.relations[key][ident] = dict.fromkeys(ids)
        self.count_write(request)
        return json_response({"id": ident})

    async def _update(self, request: web.Request, coll: str) -> web.Response:
        ident = self._item_id(request, coll)
        body = await self._json_body(request)
        if body is None:
            body = {}
        if not isinstance(body, dict):
            raise _Problem(400, "invalid_body", "The request body must be a JSON object.")
        values, relations = self._validate(coll, body, creating=False, current_id=ident)
        record = self.store[coll][ident]
        if values:
            record.update(values)
            record["updated_at"] = _now()
        for key, ids in relations.items():
            self.relations[key][ident] = dict.fromkeys(ids)
        self.count_write(request)
        return web.Response(status=204)

    async def _post_item(self, request: web.Request, coll: str) -> web.Response:
        """``POST /campaigns/1 {"products": [..]}``: adds relations, keeps the others."""
        ident = self._item_id(request, coll)
        body = await self._json_body(request)
        if not isinstance(body, dict):
            raise _Problem(400, "invalid_body", "The request body must be a JSON object.")
        relations = self._relations_in(coll, body)
        if not relations:
            names = ", ".join(RELATIONS[coll])
            raise _validation({"body": [f"The body must contain one of: {names}."]})
        for key, ids in relations.items():
            members = self.relations[key].setdefault(ident, {})
            for i in ids:
                members.setdefault(i, None)
        self.count_write(request)
        return web.Response(status=204)

    async def _delete(self, request: web.Request, coll: str) -> web.Response:
        ident = self._item_id(request, coll)
        del self.store[coll][ident]
        self._changed(coll)
        for key, by_parent in self.relations.items():
            parent, rel = key.split(".")
            if parent == coll:
                by_parent.pop(ident, None)
            if RELATIONS[parent][rel] == coll:
                for members in by_parent.values():
                    members.pop(ident, None)
        self.count_write(request)
        return web.Response(status=204)

    # -- handlers: relations ------------------------------------------------------------------

    def _rel_parts(self, key: str) -> tuple[str, str]:
        parent, rel = key.split(".")
        return parent, RELATIONS[parent][rel]

    async def _rel_list(self, request: web.Request, key: str) -> web.Response:
        parent, target = self._rel_parts(key)
        ident = self._item_id(request, parent)
        members = self.relations[key].get(ident, {})
        records = [self.store[target][i] for i in members if i in self.store[target]]
        return self._collection(request, target, self._filtered(request, target, records))

    async def _rel_get(self, request: web.Request, key: str) -> web.Response:
        parent, target = self._rel_parts(key)
        ident = self._item_id(request, parent)
        raw = request.match_info["rid"]
        members = self.relations[key].get(ident, {})
        if not raw.isdigit() or int(raw) not in members or int(raw) not in self.store[target]:
            raise self._not_found(target, raw)
        record = self.store[target][int(raw)]
        return json_response(self._present(self._origin(request), target, record))

    async def _rel_body(self, request: web.Request, key: str) -> list[int]:
        body = await self._json_body(request)
        _, target = self._rel_parts(key)
        return self._related_ids(target, body, "")

    async def _rel_add(self, request: web.Request, key: str) -> web.Response:
        parent, _ = self._rel_parts(key)
        ident = self._item_id(request, parent)
        ids = await self._rel_body(request, key)
        members = self.relations[key].setdefault(ident, {})
        for i in ids:
            members.setdefault(i, None)
        self.count_write(request)
        return web.Response(status=204)

    async def _rel_replace(self, request: web.Request, key: str) -> web.Response:
        parent, _ = self._rel_parts(key)
        ident = self._item_id(request, parent)
        ids = await self._rel_body(request, key)
        self.relations[key][ident] = dict.fromkeys(ids)
        self.count_write(request)
        return web.Response(status=204)

    async def _rel_remove(self, request: web.Request, key: str) -> web.Response:
        parent, target = self._rel_parts(key)
        ident = self._item_id(request, parent)
        raw = request.match_info["rid"]
        members = self.relations[key].get(ident, {})
        if not raw.isdigit() or int(raw) not in members:
            raise self._not_found(target, raw)
        del members[int(raw)]
        self.count_write(request)
        return web.Response(status=204)

    async def _rel_remove_many(self, request: web.Request, key: str) -> web.Response:
        """``DELETE <relation>`` with ``[{"id": 1}, ..]``: removes those (a lenient extra; the
        documented way is ``DELETE <relation>/<id>``). Without a body: 422, nothing removed."""
        parent, _ = self._rel_parts(key)
        ident = self._item_id(request, parent)
        ids = await self._rel_body(request, key)
        members = self.relations[key].get(ident, {})
        for i in ids:
            members.pop(i, None)
        self.count_write(request)
        return web.Response(status=204)

    # -- validation ---------------------------------------------------------------------------

    def _related_ids(self, target: str, value: Any, prefix: str) -> list[int]:
        """``[{"id": 1}, ..]`` as ids; 422 naming each bad entry (``0.id``, ``users.0.id``)."""
        where = prefix.rstrip(".") or "body"
        if value is None:
            raise _validation({where: [f"The {_label(where)} field is required."]})
        if not isinstance(value, list):
            raise _validation({where: [f"The {_label(where)} must be an array."]})
        errors: dict[str, list[str]] = {}
        ids: list[int] = []
        for n, entry in enumerate(value):
            field = f"{prefix}{n}.id"
            ident = entry.get("id") if isinstance(entry, dict) else None
            if ident is None:
                errors[field] = [f"The {field} field is required."]
            elif isinstance(ident, bool) or not isinstance(ident, int):
                errors[field] = [f"The {field} must be an integer."]
            elif ident not in self.store[target]:
                errors[field] = [f"The selected {field} is invalid."]
            else:
                ids.append(ident)
        if errors:
            raise _validation(errors)
        return list(dict.fromkeys(ids))

    def _relations_in(self, coll: str, body: Mapping[str, Any]) -> dict[str, list[int]]:
        out: dict[str, list[int]] = {}
        for rel, target in RELATIONS.get(coll, {}).items():
            if rel in body:
                out[f"{coll}.{rel}"] = self._related_ids(target, body[rel], f"{rel}.")
        return out

    def _validate(
        self, coll: str, body: Mapping[str, Any], *, creating: bool, current_id: int | None
    ) -> tuple[dict[str, Any], dict[str, list[int]]]:
        """The values to store and the relations to set; unknown and ``_``-prefixed keys are
        ignored (``id``, ``created_at`` and ``updated_at`` are not writable)."""
        rules = FIELDS[coll]
        errors: dict[str, list[str]] = {}
        values: dict[str, Any] = {}
        for field, (kind, arg) in rules.items():
            if field not in body:
                if creating and field in REQUIRED[coll]:
                    errors[field] = [f"The {_label(field)} field is required."]
                continue
            value = body[field]
            if value is None or value == "":
                if field in REQUIRED[coll]:
                    errors[field] = [f"The {_label(field)} field is required."]
                else:
                    values[field] = None
                continue
            problem, clean = _check(field, kind, arg, value)
            if problem:
                errors[field] = [problem]
                continue
            if field in UNIQUE.get(coll, ()) and any(
                r.get(field) == clean and r["id"] != current_id for r in self.store[coll].values()
            ):
                errors[field] = [f"The {_label(field)} has already been taken."]
                continue
            values[field] = clean
        try:
            relations = self._relations_in(coll, body)
        except _Problem as problem:
            errors.update(problem.validation or {})
            relations = {}
        if errors:
            raise _validation(errors)
        return values, relations


def _check(field: str, kind: str, arg: Any, value: Any) -> tuple[str | None, Any]:
    label = _label(field)
    if kind in ("string", "email"):
        if not isinstance(value, str):
            return f"The {label} must be a string.", None
        if len(value) > 255:
            return f"The {label} may not be greater than 255 characters.", None
        if kind == "email" and (
            "@" not in value or "." not in value.rpartition("@")[2] or " " in value
        ):
            return f"The {label} must be a valid email address.", None
        return None, value
    if kind == "bool":
        if isinstance(value, bool):
            return None, value
        if value in (0, 1, "0", "1"):
            return None, value in (1, "1")
        return f"The {label} field must be true or false.", None
    if kind == "decimal":
        if isinstance(value, bool):
            return f"The {label} must be a number.", None
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            return f"The {label} must be a number.", None
        if not number.is_finite():
            return f"The {label} must be a number.", None
        return None, f"{number.quantize(Decimal('0.01'))}"
    if kind == "in":
        options: Iterable[Any] = arg
        if value not in options:
            return f"The selected {label} is invalid.", None
        return None, value
    raise AssertionError(kind)


def _accepts_json(accept: str) -> bool:
    """Whether an ``Accept`` header admits JSON (no header at all does)."""
    if not accept.strip():
        return True
    for part in accept.split(","):
        media, *params = (p.strip().lower() for p in part.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 1.0
        if quality <= 0:
            continue  # explicitly refused
        if media in ("*/*", "application/*", "application/json") or media.endswith("+json"):
            return True
    return False


def _as_query(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _oauth_missing(field: str) -> _Problem:
    return _Problem(
        400,
        "invalid_request",
        "The request is missing a required parameter, includes an invalid parameter value, "
        f'includes a parameter more than once, or is otherwise malformed. Check the "{field}" '
        "parameter.",
    )

"""The LeanLaw emulator: LeanLaw's v2 API (``leanlaw.txt``) as an ``aiohttp.web`` application.

What the docs say, emulated: ``Authorization: Bearer <api key>`` (401 without a key, 403 with a
wrong one); ``/v2/`` collections ``clients``, ``matters``, ``time-entries``, ``expenses``,
``fixed-fees``, ``invoices``, ``users``, ``practice-areas``; objects wrapped as ``{"data": {..}}``;
lists as ``{"data": [..], "pagination": {"limit", "offset", "total"}}`` walked with ``limit`` and
``offset``; ``select=contact,-meta`` includes and excludes optional blocks; sparse ``PUT`` (only
the properties sent change); ``POST`` answers 201 with the object; GET, PUT and DELETE answer 200;
GUID ids, camelCase keys; an ``x-leanlaw-traceid`` header on every response, errors included.

Assumptions where the docs are silent (also in ``docs/sandbox/leanlaw.md``):

- ``limit`` defaults to 100; above 1000 it is clamped to 1000 (and ``pagination.limit`` says so);
  below 1, or ``offset`` below 0, or a non-integer, is a 400.
- Optional blocks: ``meta`` (``createdAt``, ``modifiedAt``, UTC) on every resource, left out of
  lists and included in single objects by default; ``contact`` (clients only) left out unless
  selected. An unknown ``select`` name is a 400.
- Error body: ``{"error": {"code", "message", "details": [{"field", "message"}]}}``; a missing
  required field or a bad value is a 400 with one ``details`` entry per field.
- ``DELETE`` answers 200 with the deleted object (the docs: "GET, PUT, and DELETE requests return
  a 200"); no referential checks (a client's matters are not deleted with it).
- Money is a decimal string with two places (``"350.00"``), so are ``hours``; a time entry's
  ``amount`` is computed (``hours * rate``). Query filters (``clientId`` on matters, ...) are
  matched case-insensitively by name; unknown query parameters are ignored.
- Throttle: 50 requests/second (no numbers are published); ``Retry-After`` on 429.
- API keys do not expire (``token_ttl`` makes them); ``issue_api_key(read_only=True)`` makes a key
  that may read but gets 403 on writes ("not authorized to perform the action").
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

import attrs
from aiohttp import web

from .._emulator import Emulator, Handler, json_response, read_json

__all__ = ["LeanLawEmulator"]

TRACE_HEADER = "x-leanlaw-traceid"
MAX_LIMIT = 1000
DEFAULT_LIMIT = 100
_CENTS = Decimal("0.01")

_STATUS_CODES = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    429: "TooManyRequests",
    500: "InternalServerError",
    502: "BadGateway",
    503: "ServiceUnavailable",
    504: "GatewayTimeout",
}


# -- schemas ------------------------------------------------------------------------------------


@attrs.frozen
class Field:
    """A writable property: its kind (``str``, ``email``, ``money``, ``decimal``, ``date``,
    ``bool``, ``enum``, ``ref``, ``object``), whether POST requires it, and kind details."""

    kind: str
    required: bool = False
    choices: tuple[str, ...] = ()
    ref: str | None = None
    max_length: int = 500


@attrs.frozen
class Schema:
    """One collection: URL segment, writable fields, filters, optional blocks, its noun."""

    segment: str
    noun: str
    fields: Mapping[str, Field]
    filters: tuple[str, ...] = ()
    blocks: tuple[str, ...] = ("meta",)


SCHEMAS: dict[str, Schema] = {
    "users": Schema(
        "users",
        "User",
        {
            "firstName": Field("str", required=True),
            "lastName": Field("str", required=True),
            "email": Field("email", required=True),
            "role": Field("enum", choices=("Admin", "Attorney", "Paralegal", "Billing")),
            "defaultRate": Field("money"),
            "isActive": Field("bool"),
        },
        filters=("role", "isActive"),
    ),
    "practice_areas": Schema(
        "practice-areas",
        "Practice area",
        {"name": Field("str", required=True), "code": Field("str"), "description": Field("str")},
    ),
    "clients": Schema(
        "clients",
        "Client",
        {
            "name": Field("str", required=True),
            "clientNumber": Field("str"),
            "status": Field("enum", choices=("Active", "Inactive")),
            "currency": Field("enum", choices=("USD", "CAD", "EUR", "GBP")),
            "billingRate": Field("money"),
            "notes": Field("str", max_length=4000),
            "contact": Field("object"),
        },
        filters=("status",),
        blocks=("contact", "meta"),
    ),
    "matters": Schema(
        "matters",
        "Matter",
        {
            "clientId": Field("ref", required=True, ref="clients"),
            "name": Field("str", required=True),
            "number": Field("str"),
            "status": Field("enum", choices=("Open", "Pending", "Closed")),
            "practiceAreaId": Field("ref", ref="practice_areas"),
            "responsibleUserId": Field("ref", ref="users"),
            "billingType": Field("enum", choices=("Hourly", "FixedFee", "Contingency")),
            "openDate": Field("date"),
            "closeDate": Field("date"),
            "description": Field("str", max_length=4000),
        },
        filters=("clientId", "status", "practiceAreaId", "responsibleUserId", "billingType"),
    ),
    "time_entries": Schema(
        "time-entries",
        "Time entry",
        {
            "matterId": Field("ref", required=True, ref="matters"),
            "userId": Field("ref", required=True, ref="users"),
            "date": Field("date", required=True),
            "hours": Field("decimal", required=True),
            "rate": Field("money"),
            "description": Field("str", max_length=4000),
            "billable": Field("bool"),
            "status": Field("enum", choices=("Unbilled", "Billed")),
        },
        filters=("matterId", "userId", "status", "billable"),
    ),
    "expenses": Schema(
        "expenses",
        "Expense",
        {
            "matterId": Field("ref", required=True, ref="matters"),
            "date": Field("date", required=True),
            "amount": Field("money", required=True),
            "category": Field("str"),
            "description": Field("str", max_length=4000),
            "billable": Field("bool"),
        },
        filters=("matterId", "billable"),
    ),
    "fixed_fees": Schema(
        "fixed-fees",
        "Fixed fee",
        {
            "matterId": Field("ref", required=True, ref="matters"),
            "date": Field("date", required=True),
            "amount": Field("money", required=True),
            "description": Field("str", max_length=4000),
        },
        filters=("matterId",),
    ),
    "invoices": Schema(
        "invoices",
        "Invoice",
        {
            "clientId": Field("ref", required=True, ref="clients"),
            "matterId": Field("ref", ref="matters"),
            "number": Field("str"),
            "status": Field("enum", choices=("Draft", "Sent", "Paid", "Void")),
            "issueDate": Field("date"),
            "dueDate": Field("date"),
            "total": Field("money"),
            "balance": Field("money"),
            "currency": Field("enum", choices=("USD", "CAD", "EUR", "GBP")),
        },
        filters=("clientId", "matterId", "status"),
    ),
}


# -- seed vocabularies --------------------------------------------------------------------------

_FIRST = (
    "Emma", "Liam", "Olivia", "Noah", "Ava", "James", "Sophia", "Lucas", "Mia", "Ethan",
    "Harper", "Mason", "Amelia", "Logan", "Evelyn", "Daniel", "Abigail", "Henry", "Grace",
    "Samuel", "Chloe", "David", "Zoe", "Michael", "Nora", "Benjamin", "Leah", "Owen",
)  # fmt: skip
_LAST = (
    "Anderson", "Bennett", "Carter", "Dawson", "Ellis", "Foster", "Garcia", "Hughes", "Iverson",
    "Jensen", "Keller", "Lopez", "Morgan", "Nguyen", "Owens", "Patel", "Quinn", "Ramirez",
    "Sullivan", "Thompson", "Underwood", "Vasquez", "Whitaker", "Young", "Zimmerman", "O'Brien",
)  # fmt: skip
_COMPANY_STEMS = (
    "Cascade", "Evergreen", "Summit", "Harbor", "Pioneer", "Redwood", "Bluewater", "Granite",
    "Lakeside", "Northstar", "Ironwood", "Silverline", "Clearwater", "Maplewood", "Riverside",
    "Highland", "Sterling", "Brightpath", "Cedar Creek", "Golden Gate",
)  # fmt: skip
_COMPANY_KINDS = (
    "Holdings LLC", "Construction Inc.", "Dental Group PLLC", "Logistics Co.", "Partners LP",
    "Software Inc.", "Properties LLC", "Brewing Company", "Medical Associates", "Farms Inc.",
    "Capital Management LLC", "Manufacturing Corp.",
)  # fmt: skip
_CITIES = (
    ("Seattle", "WA", "98101"), ("Portland", "OR", "97204"), ("Boise", "ID", "83702"),
    ("Denver", "CO", "80202"), ("Austin", "TX", "78701"), ("Chicago", "IL", "60601"),
    ("Boston", "MA", "02108"), ("Phoenix", "AZ", "85004"), ("Spokane", "WA", "99201"),
    ("Tacoma", "WA", "98402"), ("Sacramento", "CA", "95814"), ("Salt Lake City", "UT", "84111"),
)  # fmt: skip
_STREETS = ("Main St", "Pine St", "1st Ave", "Market St", "Broadway", "Oak Ave", "Elm St")
# (name, code, matter names)
_PRACTICE_AREAS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("Business Law", "BUS", ("Entity Formation", "Operating Agreement", "Asset Purchase")),
    ("Litigation", "LIT", ("Breach of Contract Claim", "Collections Action", "Appeal")),
    ("Estate Planning", "EST", ("Estate Plan", "Trust Administration", "Will Update")),
    ("Family Law", "FAM", ("Dissolution", "Custody Modification", "Prenuptial Agreement")),
    ("Real Estate", "RE", ("Commercial Lease Review", "Property Purchase", "Title Dispute")),
    ("Employment", "EMP", ("Wrongful Termination", "Handbook Review", "Non-Compete Advice")),
    ("Intellectual Property", "IP", ("Trademark Application", "Patent Prosecution", "Licensing")),
    ("Immigration", "IMM", ("H-1B Petition", "Green Card Application", "Naturalization")),
    ("Tax", "TAX", ("IRS Audit Defense", "Tax Planning", "Sales Tax Review")),
    ("Bankruptcy", "BK", ("Chapter 7 Filing", "Creditor Representation", "Chapter 11 Plan")),
    ("Criminal Defense", "CRIM", ("DUI Defense", "Expungement", "White Collar Investigation")),
    ("Personal Injury", "PI", ("Auto Accident Claim", "Premises Liability", "Settlement")),
)
_TASKS = (
    "Drafted motion to dismiss", "Telephone conference with client re: settlement options",
    "Reviewed discovery responses", "Prepared for and attended deposition",
    "Research re: statute of limitations", "Revised operating agreement per client comments",
    "Email correspondence with opposing counsel", "Drafted engagement letter",
    "Reviewed and revised lease", "Prepared closing documents", "Court appearance: status hearing",
    "Analysis of title report", "Drafted trust amendment", "Prepared filing with USCIS",
    "Meeting with client to review estate plan",
)  # fmt: skip
_EXPENSES = (
    ("Filing Fees", "Court filing fee", (50, 450)),
    ("Courier", "Courier delivery to opposing counsel", (15, 80)),
    ("Copies", "Copies and binding", (5, 120)),
    ("Travel", "Mileage to courthouse", (20, 180)),
    ("Expert Witness", "Expert witness retainer", (1500, 7500)),
    ("Research", "Online legal research", (25, 300)),
    ("Recording Fees", "County recording fee", (20, 150)),
)

_EPOCH = datetime(2023, 1, 2, 16, 0, tzinfo=UTC)


def _ts(dt: datetime) -> str:
    """``2024-01-08T06:30:00Z``: UTC, whole seconds."""
    return dt.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _money(value: Decimal | int | float | str) -> str:
    return str(Decimal(str(value)).quantize(_CENTS))


class _Invalid(Exception):
    """A request the emulator refuses with a 400 validation error."""

    def __init__(self, details: list[tuple[str, str]], message: str | None = None) -> None:
        super().__init__(message or "One or more validation errors occurred.")
        self.details = details
        self.message = message or "One or more validation errors occurred."


class LeanLawEmulator(Emulator):
    """LeanLaw's v2 API. ``store`` holds each collection by its snake_case name
    (``"time_entries"``), keyed by GUID; each value is the full record, ``contact`` and ``meta``
    blocks included (``select`` only shapes what is sent)."""

    name = "leanlaw"
    base_path = ""
    default_quota: ClassVar[str | None] = "50/second"
    default_token_ttl: ClassVar[float | None] = None

    api_key: str

    def __init__(self, **kwargs: Any) -> None:
        self._trace_rng = random.Random()
        self._lists: dict[tuple[Any, ...], list[str]] = {}
        self._numbers: dict[str, int] = {}
        super().__init__(**kwargs)

    # -- declared parts -----------------------------------------------------------------------

    def credentials(self, base_url: str) -> dict[str, Any]:
        return {"api_key": self.api_key, "base_url": base_url}

    def issue_api_key(self, *, read_only: bool = False) -> str:
        """Another valid API key (``read_only``: 403 on POST, PUT and DELETE)."""
        return self.tokens.issue("ll_", read_only=read_only)

    def error_response(
        self,
        request: web.Request,
        status: int,
        message: str,
        *,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
        details: list[tuple[str, str]] | None = None,
    ) -> web.Response:
        error: dict[str, Any] = {
            "code": code or _STATUS_CODES.get(status, "Error"),
            "message": message,
        }
        if details is not None:
            error["details"] = [{"field": f, "message": m} for f, m in details]
        return json_response({"error": error}, status=status, headers=headers)

    def make_app(self) -> web.Application:
        app = super().make_app()
        app.middlewares.append(self._auth)
        app.on_response_prepare.append(self._add_trace_id)
        return app

    def add_routes(self, app: web.Application) -> None:
        for collection, schema in SCHEMAS.items():
            base = f"{self.base_path}/v2/{schema.segment}"
            app.router.add_get(base, self._list_handler(collection))
            app.router.add_post(base, self._create_handler(collection))
            app.router.add_get(base + "/{id}", self._get_handler(collection))
            app.router.add_put(base + "/{id}", self._update_handler(collection))
            app.router.add_delete(base + "/{id}", self._delete_handler(collection))
        app.router.add_get(f"{self.base_path}/v2/clients/{{id}}/matters", self._client_matters)

    # -- seed data ----------------------------------------------------------------------------

    def _guid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def _meta(self, created: datetime, modified: datetime | None = None) -> dict[str, str]:
        return {"createdAt": _ts(created), "modifiedAt": _ts(modified or created)}

    def _later(self, when: datetime) -> datetime:
        return when + timedelta(seconds=self.rng.randint(0, 86400 * 20))

    def seed_data(self) -> None:
        self._lists.clear()
        self._trace_rng = random.Random(f"{self.name}:trace:{self.seed}")
        rng = self.rng
        n = max(1, self.records)
        for c in SCHEMAS:
            self.store[c] = {}

        t = _EPOCH
        area_ids: list[str] = []
        for name, code, _ in _PRACTICE_AREAS:
            pid = self._guid()
            area_ids.append(pid)
            self.store["practice_areas"][pid] = {
                "id": pid,
                "name": name,
                "code": code,
                "description": f"{name} matters",
                "meta": self._meta(t),
            }
            t += timedelta(minutes=rng.randint(1, 30))

        user_ids: list[str] = []
        emails: set[str] = set()
        for i in range(min(60, max(4, n // 10))):
            uid = self._guid()
            first, last = rng.choice(_FIRST), rng.choice(_LAST)
            email = f"{first}.{last}".lower().replace("'", "") + "@leanlaw-sandbox.example"
            if email in emails:
                email = email.replace("@", f"{i}@")
            emails.add(email)
            role = (
                "Admin" if i == 0 else rng.choice(("Attorney", "Attorney", "Paralegal", "Billing"))
            )
            rates = {
                "Admin": 450,
                "Attorney": rng.choice((275, 325, 350, 395, 425)),
                "Paralegal": 145,
            }
            self.store["users"][uid] = {
                "id": uid,
                "firstName": first,
                "lastName": last,
                "email": email,
                "role": role,
                "defaultRate": _money(rates.get(role, 125)),
                "isActive": rng.random() > 0.1,
                "meta": self._meta(t),
            }
            user_ids.append(uid)
            t += timedelta(hours=rng.randint(1, 48))

        client_ids: list[str] = []
        t = _EPOCH + timedelta(days=3)
        for i in range(n):
            cid = self._guid()
            first, last = rng.choice(_FIRST), rng.choice(_LAST)
            if rng.random() < 0.55:
                name = f"{rng.choice(_COMPANY_STEMS)} {rng.choice(_COMPANY_KINDS)}"
            else:
                name = f"{last}, {first}"
            city, state, postal = rng.choice(_CITIES)
            self.store["clients"][cid] = {
                "id": cid,
                "name": name,
                "clientNumber": f"C-{i + 1:05d}",
                "status": "Active" if rng.random() < 0.85 else "Inactive",
                "currency": "USD",
                "billingRate": _money(rng.choice((250, 300, 325, 350, 400))),
                "notes": None,
                "contact": {
                    "firstName": first,
                    "lastName": last,
                    "email": f"{first[0]}{last}".lower().replace("'", "") + "@example.com",
                    "phone": f"+1 206-555-{rng.randint(0, 9999):04d}",
                    "address": {
                        "line1": f"{rng.randint(10, 9999)} {rng.choice(_STREETS)}",
                        "line2": None,
                        "city": city,
                        "state": state,
                        "postalCode": postal,
                        "country": "US",
                    },
                },
                "meta": self._meta(t, self._later(t)),
            }
            client_ids.append(cid)
            t += timedelta(minutes=rng.randint(30, 3000))
        self._numbers["clients"] = n

        matter_ids: list[str] = []
        matters = self.store["matters"]
        t = _EPOCH + timedelta(days=4)
        for i in range(n):
            mid = self._guid()
            area = rng.randrange(len(_PRACTICE_AREAS))
            area_name = rng.choice(_PRACTICE_AREAS[area][2])
            billing = rng.choices(("Hourly", "FixedFee", "Contingency"), (75, 20, 5))[0]
            status = rng.choices(("Open", "Pending", "Closed"), (70, 10, 20))[0]
            opened = t.date()
            matters[mid] = {
                "id": mid,
                "clientId": rng.choice(client_ids),
                "name": area_name,
                "number": f"{opened.year}-{i + 1:04d}",
                "status": status,
                "practiceAreaId": area_ids[area],
                "responsibleUserId": rng.choice(user_ids),
                "billingType": billing,
                "openDate": opened.isoformat(),
                "closeDate": (
                    (opened + timedelta(days=rng.randint(20, 300))).isoformat()
                    if status == "Closed"
                    else None
                ),
                "description": None,
                "meta": self._meta(t, self._later(t)),
            }
            matter_ids.append(mid)
            t += timedelta(minutes=rng.randint(30, 3000))
        self._numbers["matters"] = n

        users = self.store["users"]
        t = _EPOCH + timedelta(days=5)
        for _ in range(n * 2):
            eid = self._guid()
            uid = rng.choice(user_ids)
            hours = Decimal(rng.randint(1, 80)) / 10
            rate = Decimal(users[uid]["defaultRate"])
            status = rng.choices(("Unbilled", "Billed"), (40, 60))[0]
            self.store["time_entries"][eid] = {
                "id": eid,
                "matterId": rng.choice(matter_ids),
                "userId": uid,
                "date": t.date().isoformat(),
                "hours": _money(hours),
                "rate": _money(rate),
                "amount": _money(hours * rate),
                "description": rng.choice(_TASKS),
                "billable": rng.random() < 0.9,
                "status": status,
                "meta": self._meta(t, self._later(t)),
            }
            t += timedelta(minutes=rng.randint(10, 1500))

        t = _EPOCH + timedelta(days=6)
        for _ in range(n):
            xid = self._guid()
            category, text, (lo, hi) = rng.choice(_EXPENSES)
            cents = rng.randint(lo * 100, hi * 100)
            self.store["expenses"][xid] = {
                "id": xid,
                "matterId": rng.choice(matter_ids),
                "date": t.date().isoformat(),
                "amount": _money(Decimal(cents) / 100),
                "category": category,
                "description": text,
                "billable": rng.random() < 0.85,
                "meta": self._meta(t),
            }
            t += timedelta(minutes=rng.randint(30, 3000))

        fixed_matters = [m for m in matter_ids if matters[m]["billingType"] == "FixedFee"]
        t = _EPOCH + timedelta(days=7)
        for _ in range(max(1, n // 2)):
            fid = self._guid()
            self.store["fixed_fees"][fid] = {
                "id": fid,
                "matterId": rng.choice(fixed_matters or matter_ids),
                "date": t.date().isoformat(),
                "amount": _money(rng.choice((500, 750, 1500, 2500, 3500, 5000))),
                "description": rng.choice(("Flat fee", "Phase 1 flat fee", "Filing package")),
                "meta": self._meta(t),
            }
            t += timedelta(minutes=rng.randint(60, 5000))

        t = _EPOCH + timedelta(days=30)
        for i in range(n):
            iid = self._guid()
            mid = rng.choice(matter_ids)
            total = Decimal(rng.randint(15000, 2500000)) / 100
            status = rng.choices(("Draft", "Sent", "Paid", "Void"), (10, 30, 55, 5))[0]
            balance = {"Paid": Decimal(0), "Void": Decimal(0)}.get(status, total)
            self.store["invoices"][iid] = {
                "id": iid,
                "clientId": matters[mid]["clientId"],
                "matterId": mid,
                "number": f"INV-{10001 + i}",
                "status": status,
                "issueDate": t.date().isoformat(),
                "dueDate": (t.date() + timedelta(days=30)).isoformat(),
                "total": _money(total),
                "balance": _money(balance),
                "currency": "USD",
                "meta": self._meta(t, self._later(t)),
            }
            t += timedelta(minutes=rng.randint(60, 3000))
        self._numbers["invoices"] = 10000 + n

        self.api_key = self.tokens.issue(value=self.seeded_key("ll_"), read_only=False)

    # -- middleware and signals ---------------------------------------------------------------

    async def _add_trace_id(self, request: web.Request, response: web.StreamResponse) -> None:
        if TRACE_HEADER not in response.headers:
            response.headers[TRACE_HEADER] = uuid.UUID(
                int=self._trace_rng.getrandbits(128), version=4
            ).hex

    @web.middleware
    async def _auth(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        header = request.headers.get("Authorization", "")
        scheme, _, key = header.strip().partition(" ")
        key = key.strip()
        if scheme.lower() != "bearer" or not key:
            return self.error_response(
                request, 401, "Authentication required: no API key was provided."
            )
        info = self.tokens.lookup(key)
        if info is None:
            return self.error_response(request, 403, "The API key is invalid or has been revoked.")
        if info.get("read_only") and request.method not in ("GET", "HEAD", "OPTIONS"):
            return self.error_response(
                request, 403, "The API key is not authorized to perform this action."
            )
        return await handler(request)

    # -- helpers ------------------------------------------------------------------------------

    def _invalid(self, request: web.Request, exc: _Invalid) -> web.Response:
        return self.error_response(
            request, 400, exc.message, code="ValidationError", details=exc.details
        )

    def _not_found(self, request: web.Request, collection: str, id: str) -> web.Response:
        noun = SCHEMAS[collection].noun
        return self.error_response(request, 404, f"{noun} '{id}' was not found.")

    def _selection(self, request: web.Request, collection: str, single: bool) -> set[str]:
        schema = SCHEMAS[collection]
        chosen = {"meta"} if single else set()
        for raw in request.query.getall("select", []):
            for part in raw.split(","):
                name = part.strip()
                if not name:
                    continue
                drop = name.startswith("-")
                name = name.lstrip("+-").strip()
                match = next((b for b in schema.blocks if b.lower() == name.lower()), None)
                if match is None:
                    allowed = ", ".join(schema.blocks)
                    raise _Invalid(
                        [("select", f"'{name}' cannot be selected here; allowed: {allowed}.")]
                    )
                if drop:
                    chosen.discard(match)
                else:
                    chosen.add(match)
        return chosen

    def _shape(self, record: dict[str, Any], blocks: tuple[str, ...], chosen: set[str]) -> Any:
        return {k: v for k, v in record.items() if k not in blocks or k in chosen}

    def _filters(self, request: web.Request, collection: str) -> tuple[tuple[str, str], ...]:
        schema = SCHEMAS[collection]
        by_lower = {f.lower(): f for f in schema.filters}
        out: list[tuple[str, str]] = []
        for key, value in request.query.items():
            name = by_lower.get(key.lower())
            if name is not None:
                out.append((name, value))
        return tuple(sorted(out))

    def _matching(self, collection: str, filters: tuple[tuple[str, str], ...]) -> list[str]:
        """The ids of the matching records in order, cached until the collection changes
        (through the API, or in size when a test edits ``store`` directly)."""
        coll = self.store[collection]
        key = (collection, filters, len(coll))
        cached = self._lists.get(key)
        if cached is not None:
            return cached
        if not filters:
            result = list(coll)
        else:
            result = [k for k, r in coll.items() if all(_matches(r.get(f), v) for f, v in filters)]
        self._lists[key] = result
        return result

    def _changed(self, collection: str) -> None:
        self._lists.clear()

    def _page_args(self, request: web.Request) -> tuple[int, int]:
        def number(name: str, default: int) -> int:
            raw = request.query.get(name)
            if raw is None or raw == "":
                return default
            try:
                return int(raw)
            except ValueError:
                raise _Invalid([(name, f"The value '{raw}' is not a valid integer.")]) from None

        limit, offset = number("limit", DEFAULT_LIMIT), number("offset", 0)
        if limit < 1:
            raise _Invalid([("limit", "limit must be between 1 and 1000.")])
        if offset < 0:
            raise _Invalid([("offset", "offset must be 0 or greater.")])
        return min(limit, MAX_LIMIT), offset

    def _list(
        self,
        request: web.Request,
        collection: str,
        extra: tuple[tuple[str, str], ...] = (),
    ) -> web.Response:
        try:
            chosen = self._selection(request, collection, single=False)
            limit, offset = self._page_args(request)
        except _Invalid as exc:
            return self._invalid(request, exc)
        filters = tuple(sorted({*self._filters(request, collection), *extra}))
        rows = self._matching(collection, filters)
        blocks = SCHEMAS[collection].blocks
        coll = self.store[collection]
        page = [self._shape(coll[k], blocks, chosen) for k in rows[offset : offset + limit]]
        return json_response(
            {"data": page, "pagination": {"limit": limit, "offset": offset, "total": len(rows)}}
        )

    def _one(
        self, collection: str, record: dict[str, Any], chosen: set[str], status: int = 200
    ) -> web.Response:
        return json_response(
            {"data": self._shape(record, SCHEMAS[collection].blocks, chosen)}, status=status
        )

    def _find(self, collection: str, id: str) -> dict[str, Any] | None:
        return self.store[collection].get(id.lower())

    async def _body(self, request: web.Request) -> dict[str, Any]:
        try:
            body = await read_json(request)
        except (ValueError, UnicodeDecodeError):
            raise _Invalid([], "The request body is not valid JSON.") from None
        if not isinstance(body, dict):
            raise _Invalid([], "The request body must be a JSON object.")
        return body

    def _coerce(self, name: str, field: Field, value: Any) -> Any:
        """The stored form of ``value``, or ``_Invalid``."""
        if value is None:
            if field.required:
                raise _Invalid([(name, f"The {name} field is required.")])
            return None
        kind = field.kind
        if kind in ("str", "email"):
            if not isinstance(value, str):
                raise _Invalid([(name, f"The {name} field must be a string.")])
            value = value.strip()
            if field.required and not value:
                raise _Invalid([(name, f"The {name} field is required.")])
            if len(value) > field.max_length:
                raise _Invalid(
                    [(name, f"The {name} field must be at most {field.max_length} characters.")]
                )
            if kind == "email" and (
                "@" not in value or value.startswith("@") or value.endswith("@")
            ):
                raise _Invalid([(name, f"The {name} field is not a valid e-mail address.")])
            return value
        if kind in ("money", "decimal"):
            if isinstance(value, bool) or not isinstance(value, str | int | float):
                raise _Invalid([(name, f"The {name} field must be a decimal number.")])
            try:
                number = Decimal(str(value))
            except InvalidOperation:
                raise _Invalid([(name, f"The value '{value}' is not a valid decimal.")]) from None
            if not number.is_finite() or number < 0:
                raise _Invalid([(name, f"The {name} field must be 0 or greater.")])
            if kind == "decimal" and number <= 0:
                raise _Invalid([(name, f"The {name} field must be greater than 0.")])
            return _money(number)
        if kind == "date":
            if not isinstance(value, str):
                raise _Invalid([(name, f"The {name} field must be a date (YYYY-MM-DD).")])
            try:
                return date.fromisoformat(value[:10]).isoformat()
            except ValueError:
                raise _Invalid([(name, f"The value '{value}' is not a valid date.")]) from None
        if kind == "bool":
            if not isinstance(value, bool):
                raise _Invalid([(name, f"The {name} field must be true or false.")])
            return value
        if kind == "enum":
            match = next(
                (c for c in field.choices if isinstance(value, str) and c.lower() == value.lower()),
                None,
            )
            if match is None:
                allowed = ", ".join(field.choices)
                raise _Invalid([(name, f"The value '{value}' is not one of: {allowed}.")])
            return match
        if kind == "ref":
            assert field.ref is not None
            if not isinstance(value, str) or value.lower() not in self.store[field.ref]:
                noun = SCHEMAS[field.ref].noun
                raise _Invalid([(name, f"{noun} '{value}' was not found.")])
            return value.lower()
        if kind == "object":
            if not isinstance(value, dict):
                raise _Invalid([(name, f"The {name} field must be an object.")])
            return value
        raise AssertionError(kind)  # pragma: no cover

    def _apply(self, collection: str, body: Mapping[str, Any], *, creating: bool) -> dict[str, Any]:
        """The validated changes in ``body`` (unknown and read-only properties are ignored)."""
        schema = SCHEMAS[collection]
        changes: dict[str, Any] = {}
        details: list[tuple[str, str]] = []
        for name, field in schema.fields.items():
            if name not in body:
                if creating and field.required:
                    details.append((name, f"The {name} field is required."))
                continue
            try:
                changes[name] = self._coerce(name, field, body[name])
            except _Invalid as exc:
                details.extend(exc.details)
        if details:
            raise _Invalid(details)
        return changes

    def _defaults(self, collection: str, rec: dict[str, Any], today: date) -> None:
        """Fill what LeanLaw fills on create, and derived fields."""

        def number(counter: str, fmt: Callable[[int], str]) -> str:
            self._numbers[counter] = self._numbers.get(counter, 0) + 1
            return fmt(self._numbers[counter])

        if collection == "clients":
            rec.setdefault("status", "Active")
            rec.setdefault("currency", "USD")
            if not rec.get("clientNumber"):
                rec["clientNumber"] = number("clients", lambda k: f"C-{k:05d}")
            rec.setdefault("contact", None)
        elif collection == "matters":
            rec.setdefault("status", "Open")
            rec.setdefault("billingType", "Hourly")
            rec.setdefault("openDate", today.isoformat())
            if not rec.get("number"):
                rec["number"] = number("matters", lambda k: f"{today.year}-{k:04d}")
        elif collection == "users":
            rec.setdefault("role", "Attorney")
            rec.setdefault("defaultRate", _money(300))
            rec.setdefault("isActive", True)
        elif collection == "time_entries":
            rec.setdefault("billable", True)
            rec.setdefault("status", "Unbilled")
            if rec.get("rate") is None:
                user = self.store["users"].get(rec["userId"], {})
                rec["rate"] = user.get("defaultRate") or _money(300)
        elif collection == "expenses":
            rec.setdefault("billable", True)
        elif collection == "invoices":
            rec.setdefault("status", "Draft")
            rec.setdefault("currency", "USD")
            rec.setdefault("issueDate", today.isoformat())
            if rec.get("dueDate") is None:
                issued = date.fromisoformat(rec["issueDate"])
                rec["dueDate"] = (issued + timedelta(days=30)).isoformat()
            rec.setdefault("total", _money(0))
            rec.setdefault("balance", rec["total"])
            if not rec.get("number"):
                rec["number"] = number("invoices", lambda k: f"INV-{k + 1}")

    def _derive(self, collection: str, rec: dict[str, Any]) -> None:
        if collection == "time_entries" and rec.get("hours") and rec.get("rate"):
            rec["amount"] = _money(Decimal(rec["hours"]) * Decimal(rec["rate"]))

    def _unique_email(self, changes: Mapping[str, Any], own_id: str | None) -> None:
        email = changes.get("email")
        if email is None:
            return
        for uid, user in self.store["users"].items():
            if uid != own_id and str(user.get("email", "")).lower() == email.lower():
                raise _Invalid([("email", f"A user with the e-mail '{email}' already exists.")])

    # -- handlers -----------------------------------------------------------------------------

    def _list_handler(self, collection: str) -> Handler:
        async def handler(request: web.Request) -> web.StreamResponse:
            return self._list(request, collection)

        return handler

    def _get_handler(self, collection: str) -> Handler:
        async def handler(request: web.Request) -> web.StreamResponse:
            try:
                chosen = self._selection(request, collection, single=True)
            except _Invalid as exc:
                return self._invalid(request, exc)
            record = self._find(collection, request.match_info["id"])
            if record is None:
                return self._not_found(request, collection, request.match_info["id"])
            return self._one(collection, record, chosen)

        return handler

    def _create_handler(self, collection: str) -> Handler:
        async def handler(request: web.Request) -> web.StreamResponse:
            try:
                chosen = self._selection(request, collection, single=True)
                body = await self._body(request)
                changes = self._apply(collection, body, creating=True)
                if collection == "users":
                    self._unique_email(changes, None)
            except _Invalid as exc:
                return self._invalid(request, exc)
            now = datetime.now(UTC)
            rid = self._guid()
            record: dict[str, Any] = {"id": rid}
            for name in SCHEMAS[collection].fields:
                if name in changes:
                    record[name] = changes[name]
            self._defaults(collection, record, now.date())
            self._derive(collection, record)
            record["meta"] = self._meta(now)
            self.store[collection][rid] = record
            self._changed(collection)
            self.count_write(request)
            return self._one(collection, record, chosen, status=201)

        return handler

    def _update_handler(self, collection: str) -> Handler:
        async def handler(request: web.Request) -> web.StreamResponse:
            rid = request.match_info["id"]
            record = self._find(collection, rid)
            if record is None:
                return self._not_found(request, collection, rid)
            try:
                chosen = self._selection(request, collection, single=True)
                body = await self._body(request)
                changes = self._apply(collection, body, creating=False)
                if collection == "users":
                    self._unique_email(changes, record["id"])
            except _Invalid as exc:
                return self._invalid(request, exc)
            if (
                "contact" in changes
                and isinstance(record.get("contact"), dict)
                and changes["contact"]
            ):
                changes["contact"] = {**record["contact"], **changes["contact"]}
            record.update(changes)
            self._derive(collection, record)
            meta = record.setdefault("meta", {})
            meta["modifiedAt"] = _ts(datetime.now(UTC))
            self._changed(collection)
            self.count_write(request)
            return self._one(collection, record, chosen)

        return handler

    def _delete_handler(self, collection: str) -> Handler:
        async def handler(request: web.Request) -> web.StreamResponse:
            try:
                chosen = self._selection(request, collection, single=True)
            except _Invalid as exc:
                return self._invalid(request, exc)
            rid = request.match_info["id"]
            record = self._find(collection, rid)
            if record is None:
                return self._not_found(request, collection, rid)
            del self.store[collection][record["id"]]
            self._changed(collection)
            self.count_write(request)
            return self._one(collection, record, chosen)

        return handler

    async def _client_matters(self, request: web.Request) -> web.StreamResponse:
        cid = request.match_info["id"]
        client = self._find("clients", cid)
        if client is None:
            return self._not_found(request, "clients", cid)
        return self._list(request, "matters", extra=(("clientId", client["id"]),))


def _matches(value: Any, wanted: str) -> bool:
    if isinstance(value, bool):
        return wanted.lower() == ("true" if value else "false")
    if value is None:
        return wanted.lower() in ("", "null")
    return str(value).lower() == wanted.lower()

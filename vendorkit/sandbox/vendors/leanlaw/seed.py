"""LeanLaw's seed data: practice areas, users, clients with contacts, matters, time entries,
expenses, fixed fees and invoices of a small US law firm, drawn with the emulator's seeded ``rng``
(same seed, same data). No I/O."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ..._schema import cents as _money
from .schemas import SCHEMAS

if TYPE_CHECKING:
    from .routes import LeanLawEmulator

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


def ts(dt: datetime) -> str:
    """``2024-01-08T06:30:00Z``: UTC, whole seconds."""
    return dt.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def guid(emu: LeanLawEmulator) -> str:
    return str(uuid.UUID(int=emu.rng.getrandbits(128), version=4))


def meta(created: datetime, modified: datetime | None = None) -> dict[str, str]:
    return {"createdAt": ts(created), "modifiedAt": ts(modified or created)}


def _series(
    emu: LeanLawEmulator,
    collection: str,
    count: int,
    start: datetime,
    step: tuple[timedelta, int, int],
    build: Callable[[int, datetime], dict[str, Any]],
) -> tuple[list[str], datetime]:
    """``count`` records of ``collection``: each ``build(i, t)`` under a fresh GUID, ``t`` moving
    on from ``start`` by ``unit * randint(low, high)`` (``step``) after each. Their ids, and the
    ``t`` after the last."""
    unit, low, high = step
    ids: list[str] = []
    t = start
    for i in range(count):
        rid = guid(emu)
        emu.store[collection][rid] = {"id": rid, **build(i, t)}
        ids.append(rid)
        t += unit * emu.rng.randint(low, high)
    return ids, t


def seed(emu: LeanLawEmulator) -> None:
    """Fill ``emu.store`` from ``emu.rng`` and ``emu.records``."""
    rng = emu.rng
    n = max(1, emu.records)
    for c in SCHEMAS:
        emu.store[c] = {}

    def later(when: datetime) -> datetime:
        return when + timedelta(seconds=rng.randint(0, 86400 * 20))

    def day(t: datetime, days: int = 0) -> str:
        return (t.date() + timedelta(days=days)).isoformat()

    def area(i: int, t: datetime) -> dict[str, Any]:
        name, code, _ = _PRACTICE_AREAS[i]
        return {"name": name, "code": code, "description": f"{name} matters", "meta": meta(t)}

    emails: set[str] = set()

    def user(i: int, t: datetime) -> dict[str, Any]:
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        email = f"{first}.{last}".lower().replace("'", "") + "@leanlaw-sandbox.example"
        if email in emails:
            email = email.replace("@", f"{i}@")
        emails.add(email)
        role = "Admin" if i == 0 else rng.choice(("Attorney", "Attorney", "Paralegal", "Billing"))
        rates = {"Admin": 450, "Attorney": rng.choice((275, 325, 350, 395, 425)), "Paralegal": 145}
        return {
            "firstName": first,
            "lastName": last,
            "email": email,
            "role": role,
            "defaultRate": _money(rates.get(role, 125)),
            "isActive": rng.random() > 0.1,
            "meta": meta(t),
        }

    def client(i: int, t: datetime) -> dict[str, Any]:
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        if rng.random() < 0.55:
            name = f"{rng.choice(_COMPANY_STEMS)} {rng.choice(_COMPANY_KINDS)}"
        else:
            name = f"{last}, {first}"
        city, state, postal = rng.choice(_CITIES)
        return {
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
            "meta": meta(t, later(t)),
        }

    def matter(i: int, t: datetime) -> dict[str, Any]:
        area = rng.randrange(len(_PRACTICE_AREAS))
        area_name = rng.choice(_PRACTICE_AREAS[area][2])
        billing = rng.choices(("Hourly", "FixedFee", "Contingency"), (75, 20, 5))[0]
        status = rng.choices(("Open", "Pending", "Closed"), (70, 10, 20))[0]
        return {
            "clientId": rng.choice(client_ids),
            "name": area_name,
            "number": f"{t.year}-{i + 1:04d}",
            "status": status,
            "practiceAreaId": area_ids[area],
            "responsibleUserId": rng.choice(user_ids),
            "billingType": billing,
            "openDate": day(t),
            "closeDate": day(t, rng.randint(20, 300)) if status == "Closed" else None,
            "description": None,
            "meta": meta(t, later(t)),
        }

    def time_entry(_: int, t: datetime) -> dict[str, Any]:
        uid = rng.choice(user_ids)
        hours = Decimal(rng.randint(1, 80)) / 10
        rate = Decimal(emu.store["users"][uid]["defaultRate"])
        status = rng.choices(("Unbilled", "Billed"), (40, 60))[0]
        return {
            "matterId": rng.choice(matter_ids),
            "userId": uid,
            "date": day(t),
            "hours": _money(hours),
            "rate": _money(rate),
            "amount": _money(hours * rate),
            "description": rng.choice(_TASKS),
            "billable": rng.random() < 0.9,
            "status": status,
            "meta": meta(t, later(t)),
        }

    def expense(_: int, t: datetime) -> dict[str, Any]:
        category, text, (lo, hi) = rng.choice(_EXPENSES)
        cents = rng.randint(lo * 100, hi * 100)
        return {
            "matterId": rng.choice(matter_ids),
            "date": day(t),
            "amount": _money(Decimal(cents) / 100),
            "category": category,
            "description": text,
            "billable": rng.random() < 0.85,
            "meta": meta(t),
        }

    def fixed_fee(_: int, t: datetime) -> dict[str, Any]:
        return {
            "matterId": rng.choice(fixed_matters or matter_ids),
            "date": day(t),
            "amount": _money(rng.choice((500, 750, 1500, 2500, 3500, 5000))),
            "description": rng.choice(("Flat fee", "Phase 1 flat fee", "Filing package")),
            "meta": meta(t),
        }

    def invoice(i: int, t: datetime) -> dict[str, Any]:
        mid = rng.choice(matter_ids)
        total = Decimal(rng.randint(15000, 2500000)) / 100
        status = rng.choices(("Draft", "Sent", "Paid", "Void"), (10, 30, 55, 5))[0]
        balance = {"Paid": Decimal(0), "Void": Decimal(0)}.get(status, total)
        return {
            "clientId": emu.store["matters"][mid]["clientId"],
            "matterId": mid,
            "number": f"INV-{10001 + i}",
            "status": status,
            "issueDate": day(t),
            "dueDate": day(t, 30),
            "total": _money(total),
            "balance": _money(balance),
            "currency": "USD",
            "meta": meta(t, later(t)),
        }

    minutes, hours = timedelta(minutes=1), timedelta(hours=1)
    area_ids, t = _series(
        emu, "practice_areas", len(_PRACTICE_AREAS), _EPOCH, (minutes, 1, 30), area
    )
    # Users join after the practice areas are made; each later list starts on a day of its own.
    user_ids, _ = _series(emu, "users", min(60, max(4, n // 10)), t, (hours, 1, 48), user)
    client_ids, _ = _series(emu, "clients", n, _day(3), (minutes, 30, 3000), client)
    matter_ids, _ = _series(emu, "matters", n, _day(4), (minutes, 30, 3000), matter)
    _series(emu, "time_entries", n * 2, _day(5), (minutes, 10, 1500), time_entry)
    _series(emu, "expenses", n, _day(6), (minutes, 30, 3000), expense)
    matters = emu.store["matters"]
    fixed_matters = [m for m in matter_ids if matters[m]["billingType"] == "FixedFee"]
    _series(emu, "fixed_fees", max(1, n // 2), _day(7), (minutes, 60, 5000), fixed_fee)
    _series(emu, "invoices", n, _day(30), (minutes, 60, 3000), invoice)
    emu.numbers.update(clients=n, matters=n, invoices=10000 + n)

    emu.api_key = emu.tokens.issue(value=emu.seeded_key("ll_"), read_only=False)


def _day(days: int) -> datetime:
    return _EPOCH + timedelta(days=days)

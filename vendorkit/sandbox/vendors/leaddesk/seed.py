"""LeadDesk's seed data: a Finnish contact centre's agents, campaigns, products, contact lists,
contacts and calls, and the campaign and contact-list relations, drawn with the emulator's seeded
``rng`` (same seed, same data). No I/O."""

from __future__ import annotations

import string
import unicodedata
import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from .schemas import RELATIONS, SINGULAR

if TYPE_CHECKING:
    from .routes import LeadDeskEmulator

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
T = TypeVar("T")
BASE_TIME = datetime(2024, 1, 8, 7, 0, tzinfo=UTC)

FIRST_ID = {
    "users": 1001, "campaigns": 201, "contact_lists": 301, "contacts": 100001, "products": 501,
    "calls": 5000001,
}  # fmt: skip


def ascii_fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def iso(dt: datetime) -> str:
    return dt.astimezone(UTC).replace(microsecond=0).isoformat()


def seed(emu: LeadDeskEmulator) -> None:
    """Fill ``emu.store`` and ``emu.relations`` from ``emu.rng`` and ``emu.records``."""
    rng = emu.rng
    alnum = string.ascii_letters + string.digits
    emu.client_id = "vendorkit-sandbox-" + "".join(rng.choices("0123456789abcdef", k=8))
    emu.client_secret = "".join(rng.choices(alnum, k=40))
    emu.password = "".join(rng.choices(alnum, k=16))
    emu.relations = {f"{p}.{r}": {} for p, rels in RELATIONS.items() for r in rels}
    for coll in SINGULAR:
        emu.store[coll] = {}
    n = emu.records
    _seed_users(emu, max(5, n // 5))
    _seed_campaigns(emu, max(3, n // 20))
    _seed_products(emu, max(3, min(len(PRODUCTS) * 4, n // 10)))
    _seed_lists(emu, max(3, n // 10))
    _seed_contacts(emu, n)
    _seed_relations(emu)
    _seed_calls(emu, n)
    emu.next_id = {c: max(emu.store[c], default=FIRST_ID[c] - 1) + 1 for c in SINGULAR}
    first_user = next(iter(emu.store["users"].values()))
    emu.username = str(first_user["username"])


def _stamp(emu: LeadDeskEmulator) -> dict[str, str]:
    """``created_at`` within 300 days of ``BASE_TIME``, ``updated_at`` within 30 days after."""
    created = BASE_TIME + timedelta(seconds=emu.rng.randrange(300 * 86400))
    updated = created + timedelta(seconds=emu.rng.randrange(30 * 86400))
    return {"created_at": iso(created), "updated_at": iso(updated)}


def _add(emu: LeadDeskEmulator, coll: str, i: int, record: dict[str, Any]) -> None:
    """Store ``record`` as the ``i``-th of ``coll`` (ids count up from ``FIRST_ID``)."""
    ident = FIRST_ID[coll] + i
    emu.store[coll][ident] = {"id": ident, **record}


def _nth(table: tuple[T, ...], i: int) -> tuple[T, int | None]:
    """Row ``i`` of ``table`` read round and round, and which round past the first (else
    ``None``): a name table is reused with a number."""
    return table[i % len(table)], (i // len(table) + 1 if i >= len(table) else None)


def _person(emu: LeadDeskEmulator) -> tuple[str, str]:
    if emu.rng.random() < 0.75:
        return emu.rng.choice(FI_FIRST), emu.rng.choice(FI_LAST)
    return emu.rng.choice(EN_FIRST), emu.rng.choice(EN_LAST)


def _phone(emu: LeadDeskEmulator, mobile: bool = True) -> str:
    rng = emu.rng
    if mobile:
        prefix = rng.choice(("+35840", "+35850", "+35844", "+35845", "+4670"))
        return prefix + "".join(rng.choices("0123456789", k=7))
    area = rng.choice(("+3589", "+3583", "+3582", "+35814", "+35817"))
    return area + "".join(rng.choices("0123456789", k=6))


def _seed_users(emu: LeadDeskEmulator, count: int) -> None:
    taken: set[str] = set()
    for i in range(count):
        first, last = _person(emu)
        base = f"{ascii_fold(first)}.{ascii_fold(last)}"
        username, k = base, 1
        while username in taken:
            k += 1
            username = f"{base}{k}"
        taken.add(username)
        stamp = _stamp(emu)
        role = "admin" if i == 0 else emu.rng.choice(("agent",) * 6 + ("teamleader",))
        record = {
            "username": username,
            "first_name": first,
            "last_name": last,
            "email": f"{username}@contactcenter.example.fi",
            "phone": _phone(emu),
            "role": role,
            "language": emu.rng.choice(("fi", "fi", "fi", "en", "sv")),
            "active": emu.rng.random() < 0.9 or i == 0,
            "extension": str(2000 + i),
            "office_id": emu.rng.choice((1, 1, 2)),
        }
        _add(emu, "users", i, {**record, **stamp})


def _seed_campaigns(emu: LeadDeskEmulator, count: int) -> None:
    for i in range(count):
        (name, kind), again = _nth(CAMPAIGNS, i)
        name = f"{name} {again}" if again else name
        stamp = _stamp(emu)
        record = {
            "name": name,
            "type": kind,
            "description": None if emu.rng.random() < 0.4 else f"{name}: soittolista ja tuotteet",
            "active": emu.rng.random() < 0.8,
            "office_id": emu.rng.choice((1, 1, 2)),
            "dial_mode": emu.rng.choice(("preview", "progressive", "predictive")),
        }
        _add(emu, "campaigns", i, {**record, **stamp})


def _seed_products(emu: LeadDeskEmulator, count: int) -> None:
    for i in range(count):
        (name, code, price), again = _nth(PRODUCTS, i)
        if again:
            name, code = f"{name} ({again})", f"{code}-{again}"
        stamp = _stamp(emu)
        record = {
            "name": name,
            "code": code,
            "price": price,
            "currency": "EUR",
            "vat_percent": emu.rng.choice(("25.50", "25.50", "14.00", "10.00")),
            "active": emu.rng.random() < 0.85,
        }
        _add(emu, "products", i, {**record, **stamp})


def _seed_lists(emu: LeadDeskEmulator, count: int) -> None:
    for i in range(count):
        name, again = _nth(LISTS, i)
        stamp = _stamp(emu)
        record = {"name": f"{name} {again}" if again else name, "description": None}
        _add(emu, "contact_lists", i, {**record, "active": emu.rng.random() < 0.8, **stamp})


def _seed_contacts(emu: LeadDeskEmulator, count: int) -> None:
    lists = list(emu.store["contact_lists"])
    rel = emu.relations["contact_lists.contacts"]
    for i in range(count):
        first, last = _person(emu)
        company = emu.rng.choice(COMPANIES)
        city, postal = emu.rng.choice(CITIES)
        stamp = _stamp(emu)
        domain = "gmail.com" if company is None else ascii_fold(company.split()[0]) + ".fi"
        record = {
            "first_name": first,
            "last_name": last,
            "phone": _phone(emu, mobile=emu.rng.random() < 0.7),
            "mobile": _phone(emu) if emu.rng.random() < 0.3 else None,
            "email": f"{ascii_fold(first)}.{ascii_fold(last)}@{domain}"
            if emu.rng.random() < 0.8
            else None,
            "company": company,
            "street_address": f"{emu.rng.choice(STREETS)} {emu.rng.randint(1, 80)}",
            "postal_code": postal,
            "city": city,
            "country": "FI",
            "custom_fields": {
                "customer_number": str(emu.rng.randrange(10**7, 10**8)),
                "segment": emu.rng.choice(("A", "B", "C")),
            },
        }
        _add(emu, "contacts", i, {**record, **stamp})
        rel.setdefault(emu.rng.choice(lists), {})[FIRST_ID["contacts"] + i] = None


def _seed_relations(emu: LeadDeskEmulator) -> None:
    users = list(emu.store["users"])
    products = list(emu.store["products"])
    lists = list(emu.store["contact_lists"])
    for cid in emu.store["campaigns"]:
        for name, pool, k in (
            ("users", users, min(len(users), emu.rng.randint(2, 8))),
            ("products", products, min(len(products), emu.rng.randint(1, 4))),
            ("contact_lists", lists, min(len(lists), emu.rng.randint(1, 3))),
        ):
            chosen = sorted(emu.rng.sample(pool, k))
            emu.relations[f"campaigns.{name}"][cid] = dict.fromkeys(chosen)


def _seed_calls(emu: LeadDeskEmulator, count: int) -> None:
    users = list(emu.store["users"])
    contacts = emu.store["contacts"]
    contact_ids = list(contacts)
    campaigns = list(emu.store["campaigns"])
    list_of: dict[int, int] = {
        c: lid for lid, members in emu.relations["contact_lists.contacts"].items() for c in members
    }
    moments = sorted(emu.rng.randrange(300 * 86400) for _ in range(count))
    for i, offset in enumerate(moments):
        contact_id = emu.rng.choice(contact_ids)
        result = emu.rng.choice(RESULTS)
        answered = result in ("answered", "sale", "callback", "refused")
        ring = emu.rng.randint(3, 30)
        talk = emu.rng.randint(20, 900) if answered else 0
        started = BASE_TIME + timedelta(seconds=offset)
        record = {
            "user_id": emu.rng.choice(users),
            "campaign_id": emu.rng.choice(campaigns),
            "contact_id": contact_id,
            "contact_list_id": list_of.get(contact_id),
            "number": contacts[contact_id]["phone"],
            "direction": "inbound" if emu.rng.random() < 0.1 else "outbound",
            "result": result,
            "started_at": iso(started),
            "ended_at": iso(started + timedelta(seconds=ring + talk)),
            "duration": ring + talk,
            "talk_time": talk,
            "hangup_cause": emu.rng.choice(HANGUP) if answered else "NO_ANSWER",
            "recording_id": str(uuid.UUID(int=emu.rng.getrandbits(128), version=4))
            if answered
            else None,
        }
        _add(emu, "calls", i, record)

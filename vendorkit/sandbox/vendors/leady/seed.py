"""Leady's seed data: tracked websites, Czech companies and their people, sessions with their
actions, saved filters and a blacklist, drawn from ``data`` with the emulator's seeded ``rng``
(same seed, same data). No I/O."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from . import data

if TYPE_CHECKING:
    from .routes import LeadyEmulator

_EPOCH = datetime(2024, 1, 8, 6, 30, tzinfo=UTC)


def ts(dt: datetime) -> str:
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


def seed(emu: LeadyEmulator) -> None:
    """Fill ``emu.store`` from ``emu.rng`` and ``emu.records``."""
    rng = emu.rng
    n = max(1, emu.records)
    for c in "resources sessions actions companies persons saved_filters blacklist".split():
        emu.store[c] = {}
    for c, table in (("turnovers", data.TURNOVERS), ("magnitudes", data.MAGNITUDES)):
        emu.store[c] = {code: {"code": code, "name": cz, "name_en": en} for code, cz, en in table}

    # The account's tracked websites.
    sites = data.WEBSITES[:3]
    for i, (domain, title) in enumerate(sites):
        created = _EPOCH - timedelta(days=300 - 40 * i)
        emu.store["resources"][domain] = {
            "id": 101 + i,
            "domain": domain,
            "name": title,
            "tracking_code": f"LDY-{rng.getrandbits(32):08X}",
            "active": True,
            "created": ts(created),
        }

    # Companies.
    companies = emu.store["companies"]
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
            "created": ts(created),
        }
        company_ids.append(cid)
        created += timedelta(minutes=rng.randint(5, 600))

    # Persons working for those companies.
    persons = emu.store["persons"]
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
    sessions, actions = emu.store["sessions"], emu.store["actions"]
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
                "time": ts(when),
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
            "start": ts(start),
            "end": ts(end),
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
        emu.store["saved_filters"][i] = {
            "id": i,
            "name": name,
            "resource": first_site if i != 4 else sites[min(1, len(sites) - 1)][0],
            "filter": spec,
            "created": ts(fcreated),
            "modified": ts(fcreated),
        }
        fcreated += timedelta(days=rng.randint(1, 7))
    for i, cid in enumerate(rng.sample(company_ids, min(3, len(company_ids))), start=1):
        emu.store["blacklist"][i] = {
            "id": i,
            "domain": companies[cid]["domain"],
            "company": cid,
            "created": ts(_EPOCH - timedelta(days=20 - i)),
        }
    emu.next_ids = {"saved_filters": len(filters), "blacklist": 3}
    emu.current_token = emu.tokens.issue(value=emu.seeded_key(""), user=emu.email)

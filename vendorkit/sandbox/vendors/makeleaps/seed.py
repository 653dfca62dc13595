"""MakeLeaps' state and seed data: the collections, the partner, employees, catalog, clients
with contacts, documents, pickup links, sending orders, the secure inbox, history and tags, drawn
with the emulator's seeded ``rng``, and the record factories handlers share. No I/O."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from ..._emulator import Emulator
from ..._store import Collection
from . import data as D
from .data import _words
from .helpers import Record, _money, _now, _places, _slug, _ts
from .money import autocalculate
from .schemas import (
    _ALNUM,
    _COLLECTIONS,
    _CONTACT_SPEC,
    _DOC_BOOLS,
    _DOC_MONEY,
    _DOC_STRINGS,
    _ORDER_ADDRESS_KEYS,
    _ORDER_SPEC,
    _VISIBLE_FIELDS,
    ANCHOR,
    APP_ORIGIN,
    DEFAULT_TAX_RATE,
    DOC_TYPES,
    MARKING_FIELDS,
    ORIGIN,
    Spec,
)

#: The flags of a received document (those in ``on`` are set).
_RECEIVED_FLAGS = _words(
    "group_lineitem_by_tax_rate has_lineitem_tax_state signature hide_tax_description "
    "has_tax_stamp has_currency_code has_hanko has_prices has_totals display_tax_rate"
)
_LISTS = frozenset({"strlist", "emails", "refs", "addresses"})


def _blank(spec: Spec) -> Record:
    """Every field of ``spec`` empty, as a new record starts (``""``, ``False``, ``[]``, None)."""
    empty = {"string": "", "bool": False}
    return {name: [] if f.kind in _LISTS else empty.get(f.kind) for name, f in spec.items()}


class MakeLeapsState(Emulator):
    """MakeLeaps as documented in ``makeleaps.txt``; see ``docs/sandbox/makeleaps.md``.

    Knobs (class attributes, or set on the instance from ``sb.emulator("makeleaps")``):
    ``page_size`` (records per list page, 20), ``task_polls`` (GETs of a task before it reaches
    100, 2), ``validation_polls`` (GETs of a changed sending order before its validation result
    shows, 1), ``post_cancel_window`` (seconds a Send by Post order stays cancellable, 1800).
    """

    name = "makeleaps"
    base_path = ""
    default_quota = "120/minute;5000/day"
    default_token_ttl = 36000.0
    auth_paths = frozenset({"/user/oauth2/token/", "/user/oauth2/revoke-token/"})
    #: "120 requests per minute" is the API's (/api/) throttle; the OAuth2 endpoints under
    #: /user/oauth2/ are not API requests and neither count nor meet it.
    throttle_auth_paths = False

    page_size: int = 20
    task_polls: int = 2
    validation_polls: int = 1
    post_cancel_window: float = 1800.0

    client_id: str
    client_secret: str
    partner_mid: str

    def seed_data(self) -> None:
        rng = self.rng
        self._mids: set[str] = set()
        self.client_id = "".join(rng.choices(_ALNUM, k=40))
        self.client_secret = "".join(rng.choices(_ALNUM, k=64))
        self.partner_mid = self._new_mid()
        self._p = f"{ORIGIN}/api/partner/{self.partner_mid}"
        self._cols: dict[str, Collection] = {}
        for name, newest_first in _COLLECTIONS:
            col = Collection(newest_first)
            self._cols[name] = col
            self.store[name] = col.items
        self._json_cache: dict[str, tuple[Record, str]] = {}
        self._viewed: set[str] = set()
        self._doc_links: dict[str, list[str]] = {}
        self._order_items: dict[str, list[str]] = {}
        self._order_state: dict[str, dict[str, Any]] = {}
        self._item_files: dict[str, dict[str, Any]] = {}
        self._tasks: dict[str, dict[str, Any]] = {}
        self._progress: dict[str, str] = {}
        self._archived_templates: set[str] = set()
        self._doc_numbers: dict[tuple[str, str], str] = {}
        self._client_currency: dict[str, str] = {}
        self._client_lang: dict[str, str] = {}
        self._contact_address: dict[str, Record] = {}

        self._seed_partner()
        self._seed_currencies()
        self._seed_templates()
        self._seed_employees()
        self._seed_catalog()
        self._seed_clients(self.records)
        self._seed_documents(self.records)
        self._seed_pickup_links()
        self._seed_sending_orders(self.records // 5)
        self._seed_inbox(min(self.records, max(3, self.records // 10)))
        self._seed_history()
        self._seed_tags()
        del self._client_currency, self._client_lang

    def _new_mid(self) -> str:
        while True:
            mid = str(self.rng.randrange(10**18, 10**19))
            if mid not in self._mids:
                self._mids.add(mid)
                return mid

    def _url(self, segment: str, mid: str) -> str:
        return f"{self._p}/{segment}/{mid}/"

    def _seed_partner(self) -> None:
        p = self._p
        region, locality, postal, street, ext = D.PARTNER_ADDRESS
        self._cols["partners"].add(
            self.partner_mid,
            {
                "url": f"{p}/",
                "mid": self.partner_mid,
                "name": D.PARTNER_NAME_EN,
                "clients": f"{p}/client/",
                "contacts": f"{p}/contact/",
                "documents": f"{p}/document/",
                "line_item_catalog": f"{p}/item/",
                "tags": f"{p}/tag/",
                "sending_orders": f"{p}/sending/order/",
                "history": f"{p}/history/",
                "integrations": {},
                "account_name": D.PARTNER_ACCOUNT,
            },
        )
        self._sender = {
            "sender_name": D.PARTNER_NAME_JA,
            "sender_contact_department": "経理部",
            "sender_contact_title": "",
            "sender_contact_name": "",
            "sender_address_format": "jp_default",
            "sender_country": "JP",
            "sender_postal_code": postal,
            "sender_region": region,
            "sender_locality": locality,
            "sender_street_address": street,
            "sender_extended_address": ext,
            "sender_phone_number": D.PARTNER_PHONE,
            "sender_fax_number": "",
        }

    def _seed_currencies(self) -> None:
        for code, (name, _ja, symbol, places) in D.CURRENCIES.items():
            self._cols["currencies"].add(
                code, {"code": code, "name": name, "symbol": symbol, "decimal_places": places}
            )

    def _seed_templates(self) -> None:
        for doc_type in DOC_TYPES:
            for code, name, _ja, lang, archived in D.TEMPLATES:
                key = f"{doc_type}:{code}"
                self._cols["templates"].add(
                    key,
                    {
                        "template_code": code,
                        "document_type": doc_type,
                        "display_name": name,
                        "language_code": lang,
                    },
                )
                if archived:
                    self._archived_templates.add(key)

    def _seed_employees(self) -> None:
        rng = self.rng
        for i, (name, local, owner, admin, left) in enumerate(D.EMPLOYEES):
            mid = self._new_mid()
            start = ANCHOR - timedelta(days=1500 - 150 * i, seconds=rng.randrange(86400))
            end = ANCHOR - timedelta(days=rng.randrange(30, 200)) if left else None
            self._cols["employees"].add(
                mid,
                {
                    "url": self._url("employee", mid),
                    "mid": mid,
                    "name": name,
                    "email": f"{local}@{D.PARTNER_DOMAIN}",
                    "start_date": _ts(start),
                    "end_date": _ts(end) if end else None,
                    "integrations": {},
                    "has_seat": not left,
                    "is_owner": owner,
                    "is_admin": admin,
                },
            )
        self._me = next(iter(self._cols["employees"].items))
        self._active_employees = [
            m for m, e in self._cols["employees"].items.items() if e["end_date"] is None
        ]

    def _seed_catalog(self) -> None:
        rng = self.rng
        for code, desc, cost, unit, category, interval, metered in D.CATALOG_ITEMS:
            mid = self._new_mid()
            vendor_cost = _money(Decimal(cost) * Decimal(rng.randrange(40, 80)) / 100, 0)
            item = self._item_record(mid)
            item.update(
                description=desc,
                unit_cost=cost,
                quantity_unit=unit,
                price=cost,
                has_jp_withholding_tax=code == "WRITE-JP",
                tax_rate="10.00" if category == "custom" else None,
                vendor_cost=vendor_cost,
                product_code=code,
                interval=interval,
                metered=metered,
                tax_category=category,
            )
            self._cols["catalog_items"].add(mid, item)

    def _item_record(self, mid: str) -> Record:
        """A catalog item with every field at its default (what a create starts from)."""
        return {
            **self._lineitem("normal", "", "0", "1", "", "JPY", None),
            "mid": mid,
            "url": self._url("item", mid),
            "product_code": "",
            "interval": None,
            "metered": False,
            "tax_category": None,
        }

    def _address_jp(self) -> Record:
        rng = self.rng
        region, locality, postal = rng.choice(D.JP_ADDRESSES)
        street = f"{rng.randint(1, 5)}-{rng.randint(1, 20)}-{rng.randint(1, 30)}"
        return {
            "format": "jp_default",
            "country_name": "JP",
            "street_address": street,
            "extended_address": rng.choice(D.JP_BUILDINGS),
            "locality": locality,
            "region": region,
            "postal_code": postal,
        }

    def _address_overseas(self) -> Record:
        country, region, locality, postal, street = self.rng.choice(D.OVERSEAS_ADDRESSES)
        return {
            "format": "default",
            "country_name": country,
            "street_address": street,
            "extended_address": self.rng.choice(("", "Suite 200", "Floor 12", "Unit 5")),
            "locality": locality,
            "region": region,
            "postal_code": postal,
        }

    @staticmethod
    def _address_html(address: Record | None) -> str | None:
        if not address:
            return None
        if address.get("country_name", "JP") == "JP":
            pref = D.PREFECTURES.get(address.get("region") or "", address.get("region") or "")
            line = f"{pref}{address.get('locality') or ''}{address.get('street_address') or ''}"
            parts = [f"〒{address.get('postal_code') or ''}", line]
        else:
            parts = [
                address.get("street_address") or "",
                f"{address.get('locality') or ''}, {address.get('region') or ''} "
                f"{address.get('postal_code') or ''}".strip(),
                address.get("country_name") or "",
            ]
        if address.get("extended_address"):
            parts.insert(2, address["extended_address"])
        return "<br>".join(p for p in parts if p)

    def _phone(self, jp: bool) -> str:
        rng = self.rng
        if jp:
            area = rng.choice((3, 6, 45, 52, 92, 11))
            return f"0{area}-{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}"
        return f"+1 {rng.randint(200, 999)}-555-{rng.randint(1000, 9999)}"

    @staticmethod
    def _contact_display(c: Record) -> str:
        if c["contact_type"] == "organization":
            return str(c.get("name") or "")
        family, given = c.get("family_name") or "", c.get("given_name") or ""
        if c.get("format") == "jp":
            return f"{family} {given}".strip()
        return f"{given} {family}".strip()

    @staticmethod
    def _contact_format(c: Record) -> str:
        text = "".join(str(c.get(k) or "") for k in ("name", "family_name", "given_name"))
        return "jp" if any(ord(ch) > 0x2E7F for ch in text) else "default"

    def _make_contact(self, fields: Record, owner_mid: str | None, is_default: bool) -> Record:
        mid = self._new_mid()
        contact: Record = {
            "url": self._url("contact", mid),
            "mid": mid,
            "owner": self._url("client", owner_mid) if owner_mid else None,
            "owner_type": "client" if owner_mid else None,
            **_blank(_CONTACT_SPEC),
            "contact_type": "organization",
            **fields,
            "is_default": is_default,
            "default_address": None,
            "integrations": {},
        }
        self._refresh_contact(contact)
        self._cols["contacts"].add(mid, contact)
        return contact

    def _refresh_contact(self, contact: Record) -> None:
        contact["format"] = self._contact_format(contact)
        contact["display_name"] = self._contact_display(contact)
        addresses = contact.get("addresses") or []
        contact["default_address"] = self._address_html(addresses[0] if addresses else None)

    def _seed_clients(self, count: int) -> None:
        rng = self.rng
        for i in range(count):
            mid = self._new_mid()
            roll = rng.random()
            contacts: list[Record] = []
            if roll < 0.72:  # Japanese company
                ja, en = rng.choice(D.JP_COMPANIES)
                branch = rng.choice(D.BRANCHES_JA)
                name = f"{ja} {branch}".strip()
                domain = f"{_slug(en)}.example.jp"
                address = self._address_jp()
                org = {
                    "contact_type": "organization",
                    "name": name,
                    "phone_number": self._phone(True),
                    "fax_number": self._phone(True) if rng.random() < 0.3 else "",
                    "email": {"address": f"keiri@{domain}"},
                    "addresses": [address],
                }
                contacts.append(org)
                for _ in range(rng.choice((0, 1, 1, 2))):
                    fam, fam_r = rng.choice(D.JP_FAMILY_NAMES)
                    giv, giv_r = rng.choice(D.JP_GIVEN_NAMES)
                    email = f"{giv_r}.{fam_r}@{domain}"
                    contacts.append(self._person(fam, giv, email, dict(address), D.JP_TITLES))
                currency, lang = "JPY", "ja"
            elif roll < 0.84:  # a Japanese sole proprietor (one person contact)
                fam, fam_r = rng.choice(D.JP_FAMILY_NAMES)
                giv, giv_r = rng.choice(D.JP_GIVEN_NAMES)
                email = f"{giv_r}.{fam_r}@example.jp"
                contacts.append(self._person(fam, giv, email, None))
                currency, lang = "JPY", "ja"
            else:  # an overseas company
                base = rng.choice(D.EN_COMPANIES)
                branch = rng.choice(D.BRANCHES_OVERSEAS)
                name = f"{base} {branch}".strip() if branch else base
                domain = f"{_slug(base)}.example.com"
                address = self._address_overseas()
                contacts.append(
                    {
                        "contact_type": "organization",
                        "name": name,
                        "phone_number": self._phone(False),
                        "email": {"address": f"ap@{domain}"},
                        "addresses": [address],
                    }
                )
                if rng.random() < 0.6:
                    giv = rng.choice(D.EN_GIVEN_NAMES)
                    fam = rng.choice(D.EN_FAMILY_NAMES)
                    email = f"{giv}.{fam}@{domain}"
                    contacts.append(self._person(fam, giv, email, dict(address), D.EN_TITLES))
                country = address["country_name"]
                currency = {"GB": "GBP", "DE": "EUR", "SG": "SGD", "AU": "AUD"}.get(country, "USD")
                lang = "en"
            created = [self._make_contact(c, mid, j == 0) for j, c in enumerate(contacts)]
            archived = (
                _ts(ANCHOR - timedelta(days=rng.randrange(1, 300))) if rng.random() < 0.07 else None
            )
            client = self._client_record(mid, lang)
            client.update(
                date_archived=archived,
                client_external_id=f"C-{i + 1:05d}" if rng.random() < 0.5 else "",
                contacts=[c["url"] for c in created],
                default_contact=created[0]["url"],
                date_cutoff=rng.choice((None, 20, 25, 31)) if lang == "ja" else None,
            )
            self._refresh_client(client)
            self._cols["clients"].add(mid, client)
            self._cols["client_settings"].add(mid, self._default_settings(mid, lang))
            self._client_currency[mid] = currency
            self._client_lang[mid] = lang

    def _client_record(self, mid: str, lang: str) -> Record:
        """A client with every field at its default (what a create starts from)."""
        return {
            "url": self._url("client", mid),
            "mid": mid,
            "display_name": "",
            "organization_type": "",
            "is_organization": False,
            "date_archived": None,
            "client_external_id": "",
            "contacts": [],
            "default_contact": None,
            "managing_teams": [],
            "default_presets": [],
            "integrations": {},
            "lang_code": lang,
            "settings": f"{self._url('client', mid)}settings/",
            "date_cutoff": None,
        }

    def _person(
        self, family: str, given: str, email: str, address: Record | None, titles: Any = ()
    ) -> Record:
        """A person contact: with ``titles`` (Japanese or English) a title and department too;
        without ``address`` a Japanese one of their own."""
        rng, jp = self.rng, titles is not D.EN_TITLES
        person: Record = {"contact_type": "person", "family_name": family, "given_name": given}
        if titles:
            departments = D.JP_DEPARTMENTS if jp else D.EN_DEPARTMENTS
            person.update(title=rng.choice(titles), department=rng.choice(departments))
        person["phone_number"] = self._phone(jp)
        person["email"] = {"address": email.lower()}
        person["addresses"] = [address or self._address_jp()]
        return person

    def _default_settings(self, client_mid: str, lang: str) -> Record:
        return {
            "url": f"{self._url('client', client_mid)}settings/",
            "securesend_subject": "@(document_number)",
            "securesend_message": (
                "いつもお世話になっております。書類を送付いたしますので、ご確認をお願いいたします。"
                if lang == "ja"
                else "Please find the attached document. Thank you for your business."
            ),
            "send_by_secure_send": True,
            "send_by_post": False,
            "enable_cc_payments": False,
            "use_document_contact": True,
            "secure_send_contacts": [],
        }

    def _refresh_client(self, client: Record) -> None:
        contacts = [self._contact_by_url(u) for u in client["contacts"]]
        present = [c for c in contacts if c is not None]
        orgs = [c for c in present if c["contact_type"] == "organization"]
        main = orgs[0] if orgs else (present[0] if present else None)
        client["display_name"] = main["display_name"] if main else ""
        client["is_organization"] = bool(orgs)
        client["organization_type"] = "organization" if orgs else "person"
        for c in present:
            c["is_default"] = c["url"] == client["default_contact"]

    def _contact_by_url(self, url: str | None) -> Record | None:
        if not url:
            return None
        return self._cols["contacts"].items.get(url.rstrip("/").rsplit("/", 1)[-1])

    def _seed_documents(self, count: int) -> None:
        rng = self.rng
        if not count:
            return
        types, weights = zip(
            *(
                ("invoice", 45),
                ("quote", 15),
                ("receipt", 8),
                ("deliveryslip", 8),
                ("orderslip", 5),
                ("order", 5),
                ("orderconfirmation", 5),
                ("acceptance", 5),
                ("timesheet", 4),
            ),
            strict=True,
        )
        client_mids = list(self._cols["clients"].items)
        active = [m for m in client_mids if self._cols["clients"].items[m]["date_archived"] is None]
        offsets = sorted(rng.randrange(0, 730 * 24) for _ in range(count))
        seq: dict[str, int] = {}
        catalog = list(self._cols["catalog_items"].items.values())
        for hours in offsets:
            created = ANCHOR - timedelta(hours=730 * 24 - hours)
            doc_type = rng.choices(types, weights)[0]
            seq[doc_type] = seq.get(doc_type, 0) + 1
            client_mid = rng.choice(active or client_mids)
            self._seed_document(doc_type, f"{seq[doc_type]:04d}", client_mid, created, catalog)

    def _seed_lineitems(self, catalog: list[Record], currency: str) -> list[Record]:
        rng = self.rng
        places = _places(currency)
        rate_jpy = Decimal(1) if currency == "JPY" else Decimal(rng.choice((140, 150, 160)))
        items: list[Record] = []
        for _ in range(rng.choice((1, 1, 2, 2, 3, 4))):
            roll = rng.random()
            if roll < 0.82:
                cat = rng.choice(catalog)
                qty = rng.randint(1, 10) * (500 if cat["product_code"] == "PRINT-A4" else 1)
                unit = _money(Decimal(cat["unit_cost"]) / rate_jpy, places)
                category = cat["tax_category"]
                tax_rate = {
                    "default": "10.00",
                    "alternate": "8.00",
                    "custom": cat["tax_rate"] or "10.00",
                }.get(category or "", "10.00")
                items.append(
                    self._lineitem(
                        "normal",
                        cat["description"],
                        unit,
                        str(qty),
                        cat["quantity_unit"],
                        currency,
                        tax_rate,
                        source=cat["url"],
                        withholding=cat["has_jp_withholding_tax"] and currency == "JPY",
                    )
                )
            elif roll < 0.92:
                fee = _money(Decimal(rng.choice((800, 1200, 1500, 3000))) / rate_jpy, places)
                desc = "送料" if currency == "JPY" else "Shipping"
                items.append(self._lineitem("simple", desc, None, None, "", currency, "10.00"))
                items[-1]["price"] = fee
            else:
                desc = "※ 詳細は別紙をご参照ください。" if currency == "JPY" else "See attached."
                items.append(self._lineitem("text", desc, None, None, "", currency, None))
        return items

    @staticmethod
    def _lineitem(
        kind: str,
        description: str,
        unit_cost: str | None,
        quantity: str | None,
        unit: str,
        currency: str,
        tax_rate: str | None,
        *,
        source: str | None = None,
        withholding: bool = False,
    ) -> Record:
        return {
            "kind": kind,
            "description": description,
            "unit_cost": unit_cost,
            "quantity": quantity,
            "quantity_unit": unit,
            "price": None,
            "is_taxable": kind != "text",
            "is_tax_inclusive": False,
            "has_jp_withholding_tax": withholding,
            "currency": currency,
            "tax_rate": tax_rate,
            "extended_data": None,
            "vendor_cost": None,
            "source_catalog_item": source,
        }

    def _seed_document(
        self,
        doc_type: str,
        number: str,
        client_mid: str,
        created: datetime,
        catalog: list[Record],
    ) -> None:
        rng = self.rng
        mid = self._new_mid()
        client = self._cols["clients"].items[client_mid]
        currency = self._client_currency[client_mid]
        ja = self._client_lang[client_mid] == "ja"
        day = created.date()
        month = day.month
        title = (rng.choice(D.TITLES_JA) if ja else rng.choice(D.TITLES_EN)).format(
            month=month, month_name=D.MONTH_NAMES[month - 1]
        )
        lineitems = self._seed_lineitems(catalog, currency)
        doc = self._doc_record(
            mid, doc_type, client, self._contact_by_url(client["default_contact"])
        )
        doc.update(
            {
                "document_number": number,
                "title": title,
                "project_name": rng.choice(D.PROJECTS),
                "bank_details_header": ("お振込先" if ja else "Bank details")
                if doc_type == "invoice"
                else "",
                "bank_details": D.BANK_DETAILS
                if doc_type == "invoice" and currency == "JPY"
                else "",
                "message": (
                    {
                        "invoice": "下記の通りご請求申し上げます。",
                        "quote": "下記の通りお見積り申し上げます。",
                    }.get(doc_type, "下記の通りご確認ください。")
                    if ja
                    else "Thank you for your business."
                ),
                "proviso": ("お品代として" if ja else "For goods") if doc_type == "receipt" else "",
                "has_hanko": ja,
                "has_prices": doc_type != "timesheet",
                "has_totals": doc_type != "timesheet",
                "has_currency_code": currency != "JPY",
                "currency": currency,
                "tax_rate": "10.00",
                "document_template": rng.choice(("ja_JP_pro_3", "ja_JP_v4_1"))
                if ja
                else rng.choice(("en_US_pro_3", "en_US_v4_1")),
                "note": rng.choice(D.NOTES),
                "external_id": f"ERP-{rng.randrange(100000, 999999)}" if rng.random() < 0.3 else "",
                "tags": rng.sample(D.TAGS, rng.choice((0, 0, 0, 1, 1, 2))),
                "autocalculate": True,
                "date": day.isoformat(),
                "lineitems": lineitems,
                "purchase_order_ids": [f"PO-{rng.randrange(10000, 99999)}"]
                if rng.random() < 0.2
                else [],
            }
        )
        autocalculate(doc)
        if doc_type == "receipt" and currency == "JPY" and Decimal(doc["total"]) >= 50000:
            doc["has_tax_stamp"] = True
        if doc_type == "invoice":
            nxt = (day.replace(day=1) + timedelta(days=32)).replace(day=1)
            doc["date_due"] = (
                (nxt + timedelta(days=32)).replace(day=1) - timedelta(days=1)
            ).isoformat()
        elif doc_type == "quote":
            doc["date_valid"] = (day + timedelta(days=30)).isoformat()
        elif doc_type == "deliveryslip":
            doc["date_shipped"] = day.isoformat()
        age = (ANCHOR - created).days
        if age > 2 and rng.random() < 0.85:
            sent = created + timedelta(hours=rng.randint(1, 48)) + self._jitter()
            doc["date_sent"] = _ts(sent)
            doc["approval_status"] = "approved"
            if rng.random() < 0.6:
                self._viewed.add(mid)
            supported = D.MARKING_DATES[doc_type]
            later = sent + timedelta(days=rng.randint(3, 40)) + self._jitter(86400)
            if later < ANCHOR:
                if "date_paid" in supported and doc_type == "invoice" and rng.random() < 0.8:
                    doc["date_paid"] = _ts(later)
                if "date_accepted" in supported and rng.random() < 0.5:
                    doc["date_accepted"] = _ts(later)
                    doc["is_accepted"] = True
                    if rng.random() < 0.5:
                        doc["date_converted"] = _ts(later + timedelta(days=1))
                        doc["is_converted"] = True
                if "date_confirmed" in supported and rng.random() < 0.6:
                    doc["date_confirmed"] = _ts(later)
                    doc["is_confirmed"] = True
        if rng.random() < 0.03:
            doc["date_cancelled"] = _ts(
                created + timedelta(days=rng.randint(1, 10)) + self._jitter()
            )
        self._set_display(doc)
        self._cols["documents"].add(mid, doc)
        self._doc_numbers[(doc_type, number)] = mid

    def _doc_record(
        self, mid: str, doc_type: str, client: Record, contact: Record | None
    ) -> Record:
        """A document of this client with every field at its default: what a create starts
        from and seeding fills in (the sender is the partner, the recipient from ``contact``)."""
        url = self._url("document", mid)
        return {
            **{f: "" for f in _DOC_STRINGS},
            **{f: False for f in _DOC_BOOLS},
            **dict.fromkeys(_DOC_MONEY, "0"),
            **dict.fromkeys(MARKING_FIELDS, None),
            **self._sender,
            **self._recipient(client, contact),
            "has_prices": True,
            "has_totals": True,
            "display_tax_rate": True,
            "round_tax_down": True,
            "document_number": "",
            "document_type": doc_type,
            "currency": "JPY",
            "tax_rate": str(DEFAULT_TAX_RATE),
            "mixed_tax_rate_totals": {},
            "extended_data": None,
            "mid": mid,
            "document_template": "",
            "display_name": "",
            "external_id": "",
            "tags": [],
            "url": url,
            "pickup_links": f"{url}pickup-link/",
            "pdf_content_url": f"{url}pdf/",
            "pdf_upload_url": f"{url}upload-pdf/",
            "client": client["url"],
            "client_contact": client["default_contact"],
            "date_removed": None,
            "date_converted": None,
            "is_accepted": False,
            "is_confirmed": False,
            "is_converted": False,
            "approval_status": None,
            "integrations": {},
            "date": _now().date().isoformat(),
            "date_due": None,
            "date_valid": None,
            "date_shipped": None,
            "lineitems": [],
            "purchase_order_ids": [],
            "source_received_document": None,
            "partner_tax_registration_number": D.PARTNER_TAX_NUMBER,
        }

    def _recipient(self, client: Record, contact: Record | None) -> Record:
        """The ``recipient_*`` fields of a document for this client (and chosen contact)."""
        contact = contact or {}
        contacts = [c for u in client["contacts"] if (c := self._contact_by_url(u))]
        org = next((c for c in contacts if c["contact_type"] == "organization"), None)
        person = contact if contact.get("contact_type") == "person" else None
        if org is not None and person is None and len(contacts) > 1:
            person = next((c for c in contacts if c["contact_type"] == "person"), None)
        address = (contact.get("addresses") or (org or {}).get("addresses") or [{}])[0]
        ja = client.get("lang_code") == "ja"
        return {
            "recipient_name": org["display_name"] if org else contact.get("display_name", ""),
            "recipient_contact_department": (person or {}).get("department", ""),
            "recipient_contact_title": (person or {}).get("title", ""),
            "recipient_contact_name": (person or {}).get("display_name", ""),
            "recipient_honorific": ("御中" if person is None else "様") if ja else "",
            "recipient_address_format": address.get("format", ""),
            "recipient_country": address.get("country_name", ""),
            "recipient_postal_code": address.get("postal_code", ""),
            "recipient_region": address.get("region", ""),
            "recipient_locality": address.get("locality", ""),
            "recipient_street_address": address.get("street_address", ""),
            "recipient_extended_address": address.get("extended_address", ""),
            "recipient_phone_number": contact.get("phone_number", ""),
            "recipient_fax_number": contact.get("fax_number", ""),
        }

    def _jitter(self, seconds: int = 3600) -> timedelta:
        """Some seconds and microseconds, so seeded timestamps look like recorded ones."""
        return timedelta(
            seconds=self.rng.randrange(seconds), microseconds=self.rng.randrange(10**6)
        )

    @staticmethod
    def _set_display(doc: Record) -> None:
        en, _ja = D.DOCUMENT_TYPES[doc["document_type"]]
        doc["display_name"] = f"{en} #{doc['document_number']}"

    @staticmethod
    def _display_ja(doc_type: str, number: str) -> str:
        return f"{D.DOCUMENT_TYPES.get(doc_type, ('', doc_type))[1]}番号{number}"

    def _seed_pickup_links(self) -> None:
        rng = self.rng
        employees = self._cols["employees"].items
        for mid, doc in self._cols["documents"].items.items():
            if doc["date_sent"] is None or rng.random() >= 0.25:
                continue
            created = datetime.fromisoformat(doc["date_sent"])
            clicked = None
            if mid in self._viewed:
                clicked = created + timedelta(hours=rng.randint(1, 72)) + self._jitter()
            by = employees[rng.choice(self._active_employees)]["name"]
            source = rng.choice(("Secure Send", "Shareable Link Panel"))
            self._make_pickup_link(mid, created, by, source, clicked)

    def _make_pickup_link(
        self,
        doc_mid: str,
        created: datetime,
        created_by: str,
        source: str,
        clicked: datetime | None = None,
    ) -> Record:
        mid = self._new_mid()
        url = f"{self._p}/secureinbox/pickup-link/{mid}/"
        doc = self._cols["documents"].items.get(doc_mid, {})
        email = ""
        if source == "Secure Send":
            contact = self._contact_by_url(doc.get("client_contact"))
            email = ((contact or {}).get("email") or {}).get("address", "")
        link: Record = {
            "mid": mid,
            "url": url,
            "cancel_url": f"{url}cancel/",
            "uncancel_url": f"{url}uncancel/",
            "created": _ts(created),
            "link": f"{APP_ORIGIN}/secureinbox/p/{self.rng.getrandbits(192):048x}/",
            "email": email,
            "date_clicked": _ts(clicked) if clicked else None,
            "source": source,
            "expiration_date": (created + timedelta(days=60)).strftime("%Y-%m-%dT%H:%M:%S"),
            "is_cancelled": False,
            "created_by": created_by,
            "supersend": None,
        }
        self._cols["pickup_links"].add(mid, link)
        self._doc_links.setdefault(doc_mid, []).append(mid)
        return link

    def _seed_sending_orders(self, count: int) -> None:
        rng = self.rng
        sent_docs = [d for d in self._cols["documents"].items.values() if d["date_sent"]]
        for _ in range(min(count, len(sent_docs))):
            doc = rng.choice(sent_docs)
            client = self._cols["clients"].items.get(doc["client"].rstrip("/").rsplit("/", 1)[-1])
            if client is None:
                continue
            contact = self._contact_by_url(client["default_contact"]) or {}
            email = (contact.get("email") or {}).get("address")
            by_post = rng.random() < 0.3
            draft = rng.random() < 0.15
            order = self._new_order(
                {
                    "recipient_organization": client["url"],
                    "securesend_selected": True,
                    "to_emails": [email] if email else [],
                    "subject": doc["display_name"],
                    "message": "書類を送付いたします。ご確認ください。",
                    "sendbypost_selected": by_post,
                    "stamp_type": doc["document_type"] if by_post else "nostamp",
                    **(self._post_fields(doc) if by_post else {}),
                },
                employee=rng.choice(self._active_employees),
            )
            omid = order["mid"]
            self._add_order_item(omid, {"position": 0, "document": doc["url"], "filename": ""})
            state = self._order_state[omid]
            state["validating"] = 0
            if not draft:
                order["status"]["securesend"] = (
                    "viewed" if doc["mid"] in self._viewed else "not_viewed"
                )
                if by_post:
                    order["status"]["sendbypost"] = rng.choice(
                        ("mailed", "mailed", "info_not_available")
                    )
                state["sent"] = True

    def _post_fields(self, doc: Record) -> Record:
        """A Send by Post order's recipient (the document's) and sender (the partner)."""
        names = _words(
            "recipient_contact_department recipient_contact_title recipient_contact_name "
            "recipient_honorific"
        )
        return {
            "recipient_contact_organization_name": doc["recipient_name"],
            **{k: doc[k] for k in names},
            "recipient_address": {k: doc[f"recipient_{k}"] for k in _ORDER_ADDRESS_KEYS},
            "sender_contact_organization_name": D.PARTNER_NAME_JA,
            "sender_contact_phone_number": D.PARTNER_PHONE,
            "sender_address": {k: self._sender[f"sender_{k}"] for k in _ORDER_ADDRESS_KEYS},
        }

    def _new_order(self, fields: Record, *, employee: str) -> Record:
        mid = self._new_mid()
        url = f"{self._p}/sending/order/{mid}/"
        order: Record = {
            **_blank(_ORDER_SPEC),
            "url": url,
            "mid": mid,
            "send_url": f"{url}send/",
            "employee": self._url("employee", employee),
            "stamp_type": "nostamp",
            "ready_to_order": False,
            "pdf_content_url": f"{url}pdf/",
            "validation_errors": [],
            "items": [],
            "items_url": f"{url}items/",
            "status": {
                "url": f"{url}status/",
                "securesend": "draft",
                "sendbypost": "draft",
                "securesend_cancelled": False,
                "sendbypost_cancelled": False,
            },
        }
        order.update(fields)
        self._cols["sending_orders"].add(mid, order)
        self._order_items[mid] = []
        self._order_state[mid] = {
            "validating": self.validation_polls,
            "sent": False,
            "sent_at": None,
        }
        return order

    def _add_order_item(self, order_mid: str, fields: Record) -> Record:
        mid = self._new_mid()
        order_url = f"{self._p}/sending/order/{order_mid}/"
        url = f"{order_url}items/{mid}/"
        item: Record = {
            "url": url,
            "sending_order": order_url,
            "position": fields.get("position", len(self._order_items[order_mid])),
            "document": fields.get("document"),
            "filename": fields.get("filename") or "",
            "upload_url": f"{url}upload/" if fields.get("filename") else None,
        }
        self._cols["sending_order_items"].add(mid, item)
        self._order_items[order_mid].append(mid)
        return item

    def _visible_data(self, doc: Record) -> Record:
        data = {k: doc.get(k) for k in _VISIBLE_FIELDS}
        data["jp_withholding_tax_type"] = "original_reconstruction_tax"
        data["lineitems"] = [
            {k: v for k, v in li.items() if k != "source_catalog_item"}
            for li in doc.get("lineitems") or []
        ]
        return data

    def _seed_inbox(self, count: int) -> None:
        rng = self.rng
        docs = self._cols["documents"].items
        acceptable = [d for d in docs.values() if d["date_accepted"] or d["date_confirmed"]]
        times = sorted(rng.randrange(0, 365 * 24 * 60) for _ in range(count))
        catalog = list(self._cols["catalog_items"].items.values())
        for minutes in times:
            received = ANCHOR - timedelta(minutes=365 * 24 * 60 - minutes)
            mid = self._new_mid()
            url = f"{self._p}/inbox/inbox/{mid}/"
            read = (
                _ts(received + timedelta(hours=rng.randint(1, 96))) if rng.random() < 0.6 else None
            )
            entry: Record = {
                "mid": mid,
                "url": url,
                "type": "received_doc",
                "accepted_order": None,
                "received_doc": None,
                "time_received": _ts(received),
                "time_read": read,
            }
            if acceptable and rng.random() < 0.3:
                doc = rng.choice(acceptable)
                amid = self._new_mid()
                client = self._cols["clients"].items.get(
                    doc["client"].rstrip("/").rsplit("/", 1)[-1]
                )
                entry["type"] = "accepted_order" if doc["date_accepted"] else "confirmed_doc"
                accepted: Record = {
                    "mid": amid,
                    "url": f"{self._p}/secureinbox/accepted-order/{amid}/",
                    "time_accepted": doc["date_accepted"] or doc["date_confirmed"],
                    "client": dict(client) if client else None,
                    "document": doc["url"],
                    "document_data": self._visible_data(doc),
                    "is_paid": doc["date_paid"] is not None,
                    "signatory": doc["recipient_contact_name"] or doc["recipient_name"],
                    "note": "",
                    "generated_document_set": [],
                    "display_name": doc["display_name"],
                    "document_was_edited": False,
                    "pickup_authorization_mid": self._new_mid(),
                    "date": (doc["date_accepted"] or doc["date_confirmed"])[:10],
                }
                self._cols["accepted_orders"].add(amid, accepted)
                entry["accepted_order"] = accepted
            else:
                entry["received_doc"] = self._make_received(received, catalog)
            self._cols["inbox"].add(mid, entry)

    def _make_received(self, received: datetime, catalog: list[Record]) -> Record:
        rng = self.rng
        rmid = self._new_mid()
        ja_name, en_name = rng.choice(D.JP_COMPANIES)
        number = f"{rng.randrange(1, 9999):04d}"
        region, locality, postal = rng.choice(D.JP_ADDRESSES)
        fake: Record = {k: "" for k in _VISIBLE_FIELDS}
        fake.update(
            {
                "document_number": number,
                "document_type": "invoice",
                "title": f"{received.month}月分ご請求",
                "currency": "JPY",
                "tax_rate": "10.00",
                "mixed_tax_rate_totals": {},
                "extended_data": None,
                "date": (received.date() - timedelta(days=rng.randint(0, 5))).isoformat(),
                "date_due": (received.date() + timedelta(days=30)).isoformat(),
                "date_valid": None,
                "date_shipped": None,
                "sender_name": ja_name,
                "sender_country": "JP",
                "sender_region": region,
                "sender_locality": locality,
                "sender_postal_code": postal,
                "recipient_name": D.PARTNER_NAME_JA,
                "recipient_honorific": "御中",
                "purchase_order_ids": [],
                "lineitems": self._seed_lineitems(catalog, "JPY"),
                "partner_tax_registration_number": f"T{rng.randrange(10**12, 10**13)}",
                "round_tax_down": True,
            }
        )
        on = _words("has_hanko has_prices has_totals display_tax_rate")
        fake.update({flag: flag in on for flag in _RECEIVED_FLAGS})
        autocalculate(fake)
        data = self._visible_data(fake)
        url = f"{self._p}/secureinbox/received-document/{rmid}/"
        doc: Record = {
            "mid": rmid,
            "url": url,
            "document_data": data,
            "vendor_name": f"{ja_name}（{en_name}）",
            "display_name": f"Invoice #{number}",
            "pdf_content_url": f"{url}pdf/",
            "generated_document_set": [],
            "received_by": self._url("employee", rng.choice(self._active_employees)),
        }
        self._cols["received_documents"].add(rmid, doc)
        return doc

    def _seed_history(self) -> None:
        rng = self.rng
        events: list[tuple[str, str, int, str, Record]] = []
        for client in self._cols["clients"].items.values():
            when = ANCHOR - timedelta(days=735, minutes=rng.randrange(0, 60 * 24 * 30))
            events.append(
                (_ts(when), "client_created", 1, client["display_name"], self._meta_client(client))
            )
        for doc in self._cols["documents"].items.values():
            created = datetime.fromisoformat(doc["date"]).replace(tzinfo=UTC) + self._jitter(
                9 * 3600
            )
            meta = self._meta_doc(doc)
            events.append((_ts(created), "document_created", 1, doc["display_name"], meta))
            if doc["date_sent"]:
                events.append((doc["date_sent"], "document_sent", 2, doc["display_name"], meta))
            if doc["date_paid"]:
                events.append((doc["date_paid"], "document_paid", 2, doc["display_name"], meta))
        events.sort(key=lambda e: e[0])
        for stamp, event, flag, repr_, meta in events:
            self._add_history(
                event, flag, repr_, meta, when=stamp, employee=rng.choice(self._active_employees)
            )

    def _meta_doc(self, doc: Record) -> Record:
        return {
            "document": doc["url"],
            "document_type": doc["document_type"],
            "document_number": doc["document_number"],
        }

    @staticmethod
    def _meta_client(client: Record) -> Record:
        return {"client": client["url"], "client_external_id": client["client_external_id"]}

    def _add_history(
        self,
        event: str,
        flag: int,
        object_repr: str,
        metadata: Record,
        *,
        when: str | None = None,
        employee: str | None = None,
    ) -> Record:
        mid = self._new_mid()
        emp = self._cols["employees"].items[employee or self._me]
        target = metadata.get("document") or metadata.get("client") or ""
        path = urlsplit(target).path.replace("/api/partner/", "/app/partner/") if target else ""
        entry: Record = {
            "mid": mid,
            "web_url": f"{APP_ORIGIN}{path}" if path else f"{APP_ORIGIN}/app/history/{mid}/",
            "action_time": when or _ts(_now()),
            "created_by": dict(emp),
            "event_name": event,
            "metadata": metadata,
            "action_flag": flag,
            "object_repr": object_repr,
        }
        self._cols["history"].add(mid, entry)
        return entry

    def _seed_tags(self) -> None:
        for tag in D.TAGS:
            mid = self._new_mid()
            self._cols["tags"].add(mid, {"mid": mid, "url": self._url("tag", mid), "name": tag})

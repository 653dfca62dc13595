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
from .helpers import Record, _last, _money, _now, _places, _slug, _ts
from .money import autocalculate
from .schemas import (
    _ADDRESS_SPEC,
    _ALNUM,
    _COLLECTIONS,
    _CONTACT_SPEC,
    _DOC_BOOLS,
    _DOC_MONEY,
    _DOC_STRINGS,
    _LINEITEM_SPEC,
    _ORDER_ADDRESS_KEYS,
    _ORDER_SPEC,
    _SETTINGS_SPEC,
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
#: A document's ``sender_*``/``recipient_*`` address fields -> the contact address key of each.
_DOC_ADDRESS = {
    "address_format": "format",
    "country": "country_name",
    **{k: k for k in _words("postal_code region locality street_address extended_address")},
}
#: The document types seeding draws, and how often each (of 100).
_SEED_TYPES = _words(
    "invoice quote receipt deliveryslip orderslip order orderconfirmation acceptance timesheet"
)
_SEED_WEIGHTS = (45, 15, 8, 8, 5, 5, 5, 5, 4)
#: An overseas client's currency by its country (USD otherwise).
_CURRENCY_OF = {"GB": "GBP", "DE": "EUR", "SG": "SGD", "AU": "AUD"}


def _blank(spec: Spec) -> Record:
    """Every field of ``spec`` empty, as a new record starts (``""``, ``False``, ``[]``, None)."""
    empty = {"string": "", "bool": False}
    return {name: [] if f.kind in _LISTS else empty.get(f.kind) for name, f in spec.items()}


_LINE_BLANK = _blank({k: f for k, f in _LINEITEM_SPEC.items() if k != "position"})


def _lineitem(kind: str, currency: str, **fields: Any) -> Record:
    """A line item of ``kind`` (taxable unless ``text``), its other fields empty unless given."""
    return {
        **_LINE_BLANK,
        "kind": kind,
        "is_taxable": kind != "text",
        "currency": currency,
        **fields,
    }


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

        self._seed_partner()
        for code, (name, _ja, symbol, places) in D.CURRENCIES.items():
            currency = {"code": code, "name": name, "symbol": symbol, "decimal_places": places}
            self._cols["currencies"].add(code, currency)
        for doc_type in DOC_TYPES:
            for code, name, _ja, lang, archived in D.TEMPLATES:
                key = f"{doc_type}:{code}"
                template = {
                    "template_code": code,
                    "document_type": doc_type,
                    "display_name": name,
                    "language_code": lang,
                }
                self._cols["templates"].add(key, template)
                if archived:
                    self._archived_templates.add(key)
        self._seed_employees()
        self._seed_catalog()
        self._seed_clients(self.records)
        self._seed_documents(self.records)
        self._seed_pickup_links()
        self._seed_sending_orders(self.records // 5)
        self._seed_inbox(min(self.records, max(3, self.records // 10)))
        self._seed_history()
        for tag in D.TAGS:
            mid = self._new_mid()
            self._cols["tags"].add(mid, {"mid": mid, "url": self._url("tag", mid), "name": tag})
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
        names = _words("clients contacts documents line_item_catalog tags sending_orders history")
        segments = _words("client contact document item tag sending/order history")
        partner = {
            "url": f"{p}/",
            "mid": self.partner_mid,
            "name": D.PARTNER_NAME_EN,
            **{k: f"{p}/{s}/" for k, s in zip(names, segments, strict=True)},
            "integrations": {},
            "account_name": D.PARTNER_ACCOUNT,
        }
        self._cols["partners"].add(self.partner_mid, partner)
        region, locality, postal, street, ext = D.PARTNER_ADDRESS
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

    def _seed_employees(self) -> None:
        rng = self.rng
        for i, (name, local, owner, admin, left) in enumerate(D.EMPLOYEES):
            mid = self._new_mid()
            start = ANCHOR - timedelta(days=1500 - 150 * i, seconds=rng.randrange(86400))
            end = _ts(ANCHOR - timedelta(days=rng.randrange(30, 200))) if left else None
            employee: Record = {
                "url": self._url("employee", mid),
                "mid": mid,
                "name": name,
                "email": f"{local}@{D.PARTNER_DOMAIN}",
                "start_date": _ts(start),
                "end_date": end,
                "integrations": {},
                "has_seat": not left,
                "is_owner": owner,
                "is_admin": admin,
            }
            self._cols["employees"].add(mid, employee)
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
            **_lineitem("normal", "JPY", unit_cost="0", quantity="1"),
            "mid": mid,
            "url": self._url("item", mid),
            "product_code": "",
            "interval": None,
            "metered": False,
            "tax_category": None,
        }

    def _address(self, jp: bool) -> Record:
        """A real-looking address in Japan or abroad, with the fields of ``_ADDRESS_SPEC``."""
        rng = self.rng
        if jp:
            region, locality, postal = rng.choice(D.JP_ADDRESSES)
            street = f"{rng.randint(1, 5)}-{rng.randint(1, 20)}-{rng.randint(1, 30)}"
            fmt, country, extended = "jp_default", "JP", rng.choice(D.JP_BUILDINGS)
        else:
            country, region, locality, postal, street = rng.choice(D.OVERSEAS_ADDRESSES)
            fmt, extended = "default", rng.choice(("", "Suite 200", "Floor 12", "Unit 5"))
        values = (fmt, country, street, extended, locality, region, postal)
        return dict(zip(_ADDRESS_SPEC, values, strict=True))

    @staticmethod
    def _address_html(address: Record | None) -> str | None:
        if not address:
            return None
        a = {k: address.get(k) or "" for k in _ADDRESS_SPEC}
        if address.get("country_name", "JP") == "JP":
            pref = D.PREFECTURES.get(a["region"], a["region"])
            parts = [f"〒{a['postal_code']}", f"{pref}{a['locality']}{a['street_address']}"]
        else:
            city = f"{a['locality']}, {a['region']} {a['postal_code']}".strip()
            parts = [a["street_address"], city, a["country_name"]]
        if a["extended_address"]:
            parts.insert(2, a["extended_address"])
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
            if roll < 0.72:  # a Japanese company, with up to two of its staff
                ja, en = rng.choice(D.JP_COMPANIES)
                name = f"{ja} {rng.choice(D.BRANCHES_JA)}".strip()
                domain = f"{_slug(en)}.example.jp"
                address = self._address(jp=True)
                contacts = [self._org(name, f"keiri@{domain}", address, jp=True)]
                for _ in range(rng.choice((0, 1, 1, 2))):
                    fam, fam_r = rng.choice(D.JP_FAMILY_NAMES)
                    giv, giv_r = rng.choice(D.JP_GIVEN_NAMES)
                    email = f"{giv_r}.{fam_r}@{domain}"
                    contacts.append(self._person(fam, giv, email, dict(address), D.JP_TITLES))
                currency, lang = "JPY", "ja"
            elif roll < 0.84:  # a Japanese sole proprietor (one person contact)
                fam, fam_r = rng.choice(D.JP_FAMILY_NAMES)
                giv, giv_r = rng.choice(D.JP_GIVEN_NAMES)
                contacts = [self._person(fam, giv, f"{giv_r}.{fam_r}@example.jp", None)]
                currency, lang = "JPY", "ja"
            else:  # an overseas company, perhaps with one of its staff
                base = rng.choice(D.EN_COMPANIES)
                name = f"{base} {rng.choice(D.BRANCHES_OVERSEAS)}".strip()
                domain = f"{_slug(base)}.example.com"
                address = self._address(jp=False)
                contacts = [self._org(name, f"ap@{domain}", address, jp=False)]
                if rng.random() < 0.6:
                    giv = rng.choice(D.EN_GIVEN_NAMES)
                    fam = rng.choice(D.EN_FAMILY_NAMES)
                    email = f"{giv}.{fam}@{domain}"
                    contacts.append(self._person(fam, giv, email, dict(address), D.EN_TITLES))
                currency, lang = _CURRENCY_OF.get(address["country_name"], "USD"), "en"
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
        url = self._url("client", mid)
        return {
            "url": url,
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
            "settings": f"{url}settings/",
            "date_cutoff": None,
        }

    def _org(self, name: str, email: str, address: Record, *, jp: bool) -> Record:
        """An organisation contact; a Japanese one has a fax number now and then."""
        phone = self._phone(jp)
        fax = self._phone(True) if jp and self.rng.random() < 0.3 else ""
        return {
            "contact_type": "organization",
            "name": name,
            "phone_number": phone,
            "fax_number": fax,
            "email": {"address": email},
            "addresses": [address],
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
        person["addresses"] = [address or self._address(jp=True)]
        return person

    def _default_settings(self, client_mid: str, lang: str) -> Record:
        return {
            "url": f"{self._url('client', client_mid)}settings/",
            **_blank(_SETTINGS_SPEC),
            "securesend_subject": "@(document_number)",
            "securesend_message": (
                "いつもお世話になっております。書類を送付いたしますので、ご確認をお願いいたします。"
                if lang == "ja"
                else "Please find the attached document. Thank you for your business."
            ),
            "send_by_secure_send": True,
            "use_document_contact": True,
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
        return self._cols["contacts"].items.get(_last(url)) if url else None

    def _seed_documents(self, count: int) -> None:
        rng = self.rng
        if not count:
            return
        client_mids = list(self._cols["clients"].items)
        active = [m for m in client_mids if self._cols["clients"].items[m]["date_archived"] is None]
        offsets = sorted(rng.randrange(0, 730 * 24) for _ in range(count))
        seq: dict[str, int] = {}
        catalog = list(self._cols["catalog_items"].items.values())
        for hours in offsets:
            created = ANCHOR - timedelta(hours=730 * 24 - hours)
            doc_type = rng.choices(_SEED_TYPES, _SEED_WEIGHTS)[0]
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
                rate = {"alternate": "8.00", "custom": cat["tax_rate"]}.get(cat["tax_category"])
                item = _lineitem(
                    "normal",
                    currency,
                    description=cat["description"],
                    unit_cost=_money(Decimal(cat["unit_cost"]) / rate_jpy, places),
                    quantity=str(qty),
                    quantity_unit=cat["quantity_unit"],
                    has_jp_withholding_tax=cat["has_jp_withholding_tax"] and currency == "JPY",
                    tax_rate=rate or "10.00",
                    source_catalog_item=cat["url"],
                )
            elif roll < 0.92:
                fee = _money(Decimal(rng.choice((800, 1200, 1500, 3000))) / rate_jpy, places)
                desc = "送料" if currency == "JPY" else "Shipping"
                item = _lineitem("simple", currency, description=desc, price=fee, tax_rate="10.00")
            else:
                desc = "※ 詳細は別紙をご参照ください。" if currency == "JPY" else "See attached."
                item = _lineitem("text", currency, description=desc)
            items.append(item)
        return items

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
        title = rng.choice(D.TITLES_JA if ja else D.TITLES_EN).format(
            month=day.month, month_name=D.MONTH_NAMES[day.month - 1]
        )
        lineitems = self._seed_lineitems(catalog, currency)
        contact = self._contact_by_url(client["default_contact"])
        doc = self._doc_record(mid, doc_type, client, contact)
        invoice, receipt = doc_type == "invoice", doc_type == "receipt"
        messages = {
            "invoice": "下記の通りご請求申し上げます。",
            "quote": "下記の通りお見積り申し上げます。",
        }
        templates = ("ja_JP_pro_3", "ja_JP_v4_1") if ja else ("en_US_pro_3", "en_US_v4_1")
        doc.update(
            {
                "document_number": number,
                "title": title,
                "project_name": rng.choice(D.PROJECTS),
                "bank_details_header": ("お振込先" if ja else "Bank details") if invoice else "",
                "bank_details": D.BANK_DETAILS if invoice and currency == "JPY" else "",
                "message": messages.get(doc_type, "下記の通りご確認ください。")
                if ja
                else "Thank you for your business.",
                "proviso": ("お品代として" if ja else "For goods") if receipt else "",
                "has_hanko": ja,
                "has_prices": doc_type != "timesheet",
                "has_totals": doc_type != "timesheet",
                "has_currency_code": currency != "JPY",
                "currency": currency,
                "tax_rate": "10.00",
                "document_template": rng.choice(templates),
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
        if receipt and currency == "JPY" and Decimal(doc["total"]) >= 50000:
            doc["has_tax_stamp"] = True
        if invoice:  # due at the end of the next month
            nxt = (day.replace(day=1) + timedelta(days=32)).replace(day=1)
            doc["date_due"] = (
                (nxt + timedelta(days=32)).replace(day=1) - timedelta(days=1)
            ).isoformat()
        elif doc_type == "quote":
            doc["date_valid"] = (day + timedelta(days=30)).isoformat()
        elif doc_type == "deliveryslip":
            doc["date_shipped"] = day.isoformat()
        if (ANCHOR - created).days > 2 and rng.random() < 0.85:
            self._seed_marking(doc, created)
        if rng.random() < 0.03:
            doc["date_cancelled"] = _ts(
                created + timedelta(days=rng.randint(1, 10)) + self._jitter()
            )
        self._set_display(doc)
        self._cols["documents"].add(mid, doc)
        self._doc_numbers[(doc_type, number)] = mid

    def _seed_marking(self, doc: Record, created: datetime) -> None:
        """A sent document, maybe viewed, and later paid, accepted (converted) or confirmed as
        its type allows."""
        rng = self.rng
        sent = created + timedelta(hours=rng.randint(1, 48)) + self._jitter()
        doc["date_sent"] = _ts(sent)
        doc["approval_status"] = "approved"
        if rng.random() < 0.6:
            self._viewed.add(doc["mid"])
        supported = D.MARKING_DATES[doc["document_type"]]
        later = sent + timedelta(days=rng.randint(3, 40)) + self._jitter(86400)
        if later >= ANCHOR:
            return
        if "date_paid" in supported and doc["document_type"] == "invoice" and rng.random() < 0.8:
            doc["date_paid"] = _ts(later)
        if "date_accepted" in supported and rng.random() < 0.5:
            doc.update(date_accepted=_ts(later), is_accepted=True)
            if rng.random() < 0.5:
                doc.update(date_converted=_ts(later + timedelta(days=1)), is_converted=True)
        if "date_confirmed" in supported and rng.random() < 0.6:
            doc.update(date_confirmed=_ts(later), is_confirmed=True)

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
            **dict.fromkeys(_words("has_prices has_totals display_tax_rate round_tax_down"), True),
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
            **dict.fromkeys(_words("date_removed date_converted"), None),
            **dict.fromkeys(_words("is_accepted is_confirmed is_converted"), False),
            "approval_status": None,
            "integrations": {},
            "date": _now().date().isoformat(),
            **dict.fromkeys(_words("date_due date_valid date_shipped"), None),
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
            **{f"recipient_{k}": address.get(a, "") for k, a in _DOC_ADDRESS.items()},
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
            client = self._cols["clients"].items.get(_last(doc["client"]))
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
                status = order["status"]
                status["securesend"] = "viewed" if doc["mid"] in self._viewed else "not_viewed"
                if by_post:
                    status["sendbypost"] = rng.choice(("mailed", "mailed", "info_not_available"))
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
                client = self._cols["clients"].items.get(_last(doc["client"]))
                entry["type"] = "accepted_order" if doc["date_accepted"] else "confirmed_doc"
                accepted_at = doc["date_accepted"] or doc["date_confirmed"]
                accepted: Record = {
                    "mid": amid,
                    "url": f"{self._p}/secureinbox/accepted-order/{amid}/",
                    "time_accepted": accepted_at,
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
                    "date": accepted_at[:10],
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
                **dict.fromkeys(_words("date_valid date_shipped"), None),
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
            day = datetime.fromisoformat(doc["date"]).replace(tzinfo=UTC)
            name, meta = doc["display_name"], self._meta_doc(doc)
            events.append((_ts(day + self._jitter(9 * 3600)), "document_created", 1, name, meta))
            for field, event in (("date_sent", "document_sent"), ("date_paid", "document_paid")):
                if doc[field]:
                    events.append((doc[field], event, 2, name, meta))
        events.sort(key=lambda e: e[0])
        for stamp, event, flag, repr_, meta in events:
            self._add_history(
                event, flag, repr_, meta, when=stamp, employee=rng.choice(self._active_employees)
            )

    @staticmethod
    def _meta_doc(doc: Record) -> Record:
        return {"document": doc["url"], **{k: doc[k] for k in ("document_type", "document_number")}}

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

"""MakeLeaps' behaviour beyond its tables, as named hooks the handlers call: request validation
against the specs, document autocalculation, pickup-link tasks, sending-order validation and
status. No HTTP."""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from . import data as D
from .helpers import (
    Record,
    _bool_param,
    _decimal,
    _jstype,
    _last,
    _now,
    _parse_date,
    _parse_datetime,
    _ts,
    _valid_mixed,
)
from .messages import Msg, _Errors, _invalid
from .money import autocalculate
from .schemas import (
    _ADDRESS_SPEC,
    _CATALOG_COPIED,
    _CLIENT_SPEC,
    _CONTACT_SPEC,
    _DOC_REQUIRED,
    _DOC_SPEC,
    _ITEM_REQUIRED,
    _ITEM_SPEC,
    _LINEITEM_SPEC,
    _ORDER_ADDRESS_KEYS,
    _ORDER_REQUIRED,
    _ORDER_SPEC,
    _REF_RE,
    _REF_SEGMENTS,
    ALTERNATE_TAX_RATE,
    DEFAULT_TAX_RATE,
    MARKING_FIELDS,
    Spec,
)
from .seed import _LISTS, MakeLeapsState, _lineitem


class MakeLeapsRules(MakeLeapsState):
    """The behaviour beyond the tables: validation, autocalculation, tasks, sending orders."""

    def _resolve(
        self, value: Any, collection: str, errs: _Errors, field: str, path: str
    ) -> str | None:
        """A reference URL -> the canonical stored URL (errors added when it does not resolve)."""
        if not isinstance(value, str):
            errs.add(field, "url_type", path=path, type=_jstype(value))
            return None
        m = _REF_RE.match(urlsplit(value).path)
        pmid, segment, mid = m.groups() if m else ("", "", "")
        if m is None:
            errs.add(field, "url_no_match", path=path)
        elif pmid != self.partner_mid or _REF_SEGMENTS[segment] != collection:
            errs.add(field, "url_wrong", path=path)
        elif mid not in self._cols[collection].items:
            errs.add(field, "url_missing", path=path)
        else:
            return f"{self._p}/{segment}/{mid}/"
        return None

    def _clean(
        self,
        data: Mapping[str, Any],
        spec: Spec,
        errs: _Errors,
        *,
        required: Iterable[str] = (),
        field: str | None = None,
        path: str = "",
    ) -> Record:
        """The writable fields of ``data`` that ``spec`` knows, coerced; errors go to ``errs``.

        Unknown and read-only fields are ignored, as Django REST Framework does. ``field`` and
        ``path`` report nested errors under a top-level field with a path prefix.
        """
        out: Record = {}
        for name in required:
            if name not in data or data[name] is None or data[name] == "":
                errs.add(field or name, "required", path=f"{path}{name}" if field else "")
        for name, value in data.items():
            spec_field = spec.get(name)
            if spec_field is None:
                continue
            kind, arg = spec_field.kind, spec_field.choices or spec_field.ref
            if kind == "skip":
                continue
            key = field or name
            where = f"{path}{name}" if field else ""
            ok, cleaned = self._coerce(kind, arg, value, errs, key, where)
            if ok:
                out[name] = cleaned
        return out

    def _coerce(
        self, kind: str, arg: Any, value: Any, errs: _Errors, field: str, path: str
    ) -> tuple[bool, Any]:
        before = sum(len(v) for v in errs.fields.values())

        def fail(key: str, **kw: Any) -> tuple[bool, Any]:
            errs.add(field, key, path=path, **kw)
            return False, None

        if kind == "any":
            return True, value
        if value is None:
            if kind in ("string", "strlist", "emails"):
                return True, "" if kind == "string" else []
            if kind in ("bool", "choice"):
                return fail("null")
            return True, None  # nullable: decimals, ints, dates, refs, email, addresses
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if kind in _LISTS and not isinstance(value, list):
            return fail("list", type=_jstype(value))
        if kind == "string":  # numbers are taken as their text, as DRF's CharField does
            return (True, str(value)) if isinstance(value, str) or number else fail("string")
        if kind == "bool":
            if isinstance(value, str):
                value = _bool_param(value)
            elif not isinstance(value, bool) and value in (0, 1):
                value = bool(value)
            return (True, value) if isinstance(value, bool) else fail("boolean")
        if kind == "int":
            if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
                value = int(value)
            ok = isinstance(value, int) and not isinstance(value, bool)
            return (True, value) if ok else fail("integer")
        if kind == "decimal":
            if number:
                return fail("decimal_string")
            if not isinstance(value, str) or _decimal(value) is None:
                return fail("decimal")
            return True, value.strip()
        if kind == "choice":
            ok = isinstance(value, str) and value in arg
            return (True, value) if ok else fail("choice", value=value)
        if kind in ("date", "datetime"):  # a date field takes a datetime's date too
            if kind == "date" and isinstance(value, str) and _parse_date(value) is not None:
                return True, value
            dt = _parse_datetime(value) if isinstance(value, str) else None
            if dt is None:
                return fail(kind)
            return True, dt.date().isoformat() if kind == "date" else _ts(dt)
        if kind in ("strlist", "emails"):
            emails = kind == "emails"
            if not all(isinstance(v, str) and ("@" in v or not emails) for v in value):
                return fail("email" if emails else "string")
            return True, list(value)
        if kind == "email":
            if not isinstance(value, dict):
                return fail("dict")
            address = value.get("address")
            if not isinstance(address, str) or "@" not in address:
                errs.add(field, "email", path=f"{path}.address" if path else "address")
                return False, None
            return True, {"address": address}
        if kind == "ref":
            url = self._resolve(value, arg, errs, field, path)
            return url is not None, url
        if kind == "refs":
            urls = [self._resolve(v, arg, errs, field, f"{path}[{i}]") for i, v in enumerate(value)]
            return all(urls), urls
        if kind == "addresses":
            if len(value) > 1:
                return fail("one_address")
            out = []
            for i, a in enumerate(value):
                if not isinstance(a, dict):
                    errs.add(field, "dict", path=f"{path or field}[{i}]")
                    continue
                prefix = f"{path or field}[{i}]."
                cleaned = self._clean(
                    a, _ADDRESS_SPEC, errs, required=("country_name",), field=field, path=prefix
                )
                address = {k: cleaned.get(k, "") for k in _ADDRESS_SPEC}
                if not address["format"]:
                    jp = address["country_name"] == "JP"
                    address["format"] = "jp_default" if jp else "default"
                out.append(address)
            return sum(len(v) for v in errs.fields.values()) == before, out
        if kind == "order_address":
            if not isinstance(value, dict):
                return fail("dict")
            return True, {k: str(value.get(k) or "") for k in _ORDER_ADDRESS_KEYS}
        raise AssertionError(kind)  # pragma: no cover - a spec typo

    def _validate_document(self, data: Record, current: Record | None, partial: bool) -> Record:
        errs = _Errors()
        required = () if partial else _DOC_REQUIRED
        cleaned = self._clean(data, _DOC_SPEC, errs, required=required)
        merged = {**(current or {}), **cleaned}
        doc_type = merged.get("document_type")
        currency = merged.get("currency") or "JPY"
        number = merged.get("document_number")
        if doc_type and number:  # document number unique per type
            owner = self._doc_numbers.get((doc_type, number))
            if owner is not None and (current is None or owner != current["mid"]):
                errs.add("non_field_errors", "duplicate_document", type=doc_type, number=number)
        template = cleaned.get("document_template")
        if template is not None and doc_type and template not in {t[0] for t in D.TEMPLATES}:
            errs.add("document_template", "template", value=template, type=doc_type)
        if doc_type in D.MARKING_DATES:
            for f in MARKING_FIELDS:
                if cleaned.get(f) is not None and f not in D.MARKING_DATES[doc_type]:
                    errs.add(f, "marking", type=doc_type)
        # the contact must belong to the client
        client_url = merged.get("client")
        if "client_contact" in cleaned and cleaned["client_contact"] and client_url:
            client = self._cols["clients"].items.get(_last(client_url))
            if client and cleaned["client_contact"] not in client["contacts"]:
                errs.add("client_contact", "contact_not_of_client")
        turned_on = bool(cleaned.get("autocalculate"))  # then the totals it computes are not sent
        if turned_on:
            for f in ("total", "subtotal", "tax", "jp_withholding_tax"):
                if f in data:
                    errs.add(f, "autocalc_remove")
        if "mixed_tax_rate_totals" in cleaned and not merged.get("autocalculate"):
            if not _valid_mixed(cleaned["mixed_tax_rate_totals"]):
                errs.add("mixed_tax_rate_totals", "mixed_tax")
        if "lineitems" in data:
            cleaned["lineitems"] = self._clean_lineitems(
                data["lineitems"], errs, currency, turned_on
            )
        errs.check()
        return cleaned

    def _clean_lineitems(
        self, value: Any, errs: _Errors, currency: str, forbid_price: bool
    ) -> list[Record]:
        if not isinstance(value, list):
            errs.add("lineitems", "list", type=_jstype(value))
            return []
        out: list[tuple[int, Record]] = []
        catalog = self._cols["catalog_items"].items
        for i, raw in enumerate(value):
            path = f"lineitems[{i}]."
            if not isinstance(raw, dict):
                errs.add("lineitems", "dict", path=f"lineitems[{i}]")
                continue
            li = self._clean(raw, _LINEITEM_SPEC, errs, field="lineitems", path=path)
            kind = li.get("kind", "normal")
            if forbid_price and "price" in raw and kind == "normal":
                errs.add("lineitems", "autocalc_remove", path=f"{path}price")
            item = _lineitem(kind, currency)
            source = li.get("source_catalog_item")
            if source:
                cat = catalog.get(_last(source))
                only_refs = set(raw) <= {"kind", "source_catalog_item", "position"}
                if cat is not None and kind in ("normal", "simple"):
                    if only_refs:
                        item.update({k: cat[k] for k in _CATALOG_COPIED})
                    if "tax_rate" not in raw:
                        category = cat["tax_category"]
                        item["tax_rate"] = {
                            "default": str(DEFAULT_TAX_RATE),
                            "alternate": str(ALTERNATE_TAX_RATE),
                            "custom": cat["tax_rate"],
                        }.get(category or "")
            item.update({k: v for k, v in li.items() if k != "position"})
            # A null (or absent) position keeps the item where it was given.
            position = li.get("position")
            out.append((i if position is None else position, item))
        return [item for _, item in sorted(out, key=lambda p: p[0])]

    def _apply_doc_derived(self, doc: Record) -> None:
        for li in doc["lineitems"]:
            if not li.get("currency"):
                li["currency"] = doc["currency"]
        if doc.get("autocalculate"):
            autocalculate(doc)
        doc["is_accepted"] = doc.get("date_accepted") is not None
        doc["is_confirmed"] = doc.get("date_confirmed") is not None
        self._set_display(doc)

    def _advance_task(self, tmid: str) -> None:
        state = self._tasks.get(tmid)
        if state is None or state["done"]:
            return
        state["polls"] += 1
        if state["polls"] >= self.task_polls:
            self._finish_task(tmid)
            return
        completion = min(99, state["polls"] * 100 // max(1, self.task_polls))
        task = self._cols["tasks"].items[tmid]
        task["completion"] = completion
        task["uilongtask"]["current_progress"] = completion

    def _finish_task(self, tmid: str) -> None:
        state = self._tasks[tmid]
        task = self._cols["tasks"].items[tmid]
        now = _now()
        doc_mid = state["document"]
        if doc_mid in self._cols["documents"].items:
            me = self._cols["employees"].items[self._me]["name"]
            link = self._make_pickup_link(doc_mid, now, me, "Shareable Link Panel")
            state["results"].append(link["mid"])
        else:
            task["failed_chunks"] = [doc_mid]
            task["uilongtask"]["errors"] = ["The document no longer exists."]
        state["done"] = True
        task["completion"] = 100
        task["finished"] = _ts(now)
        task["uilongtask"].update(current_progress=100, time_done=_ts(now), finished=True)

    def _validate_item(self, data: Record, current: Record | None, partial: bool) -> Record:
        errs = _Errors()
        cleaned = self._clean(data, _ITEM_SPEC, errs, required=() if partial else _ITEM_REQUIRED)
        merged = {**(current or {}), **cleaned}
        if merged.get("tax_category") == "custom" and merged.get("tax_rate") in (None, ""):
            errs.add("tax_rate", "custom_tax_rate")
        errs.check()
        return cleaned

    def _validate_client_contacts(
        self, value: Any, errs: _Errors, client_mid: str | None
    ) -> list[Record | str] | None:
        """``contacts`` of a client: nested contact data (to create) or contact URLs."""
        if not isinstance(value, list):
            errs.add("contacts", "list", type=_jstype(value))
            return None
        if not value:
            errs.add("contacts", "client_contacts_empty")
            return None
        out: list[Record | str] = []
        own_url = self._url("client", client_mid) if client_mid else None
        for i, entry in enumerate(value):
            path = f"contacts[{i}]"
            if isinstance(entry, dict):
                out.append(
                    self._validate_contact_data(
                        entry, None, errs, field="contacts", path=path + "."
                    )
                )
            else:
                url = self._resolve(entry, "contacts", errs, "contacts", path)
                if url is None:
                    continue
                contact = self._cols["contacts"].items[_last(url)]
                if contact["owner"] and contact["owner"] != own_url:
                    errs.add("contacts", "contact_owned", mid=contact["mid"])
                out.append(url)
        stored = self._cols["contacts"].items
        types = [(c if isinstance(c, dict) else stored[_last(c)]).get("contact_type") for c in out]
        if types.count("organization") > 1:
            errs.add("non_field_errors", "client_two_orgs")
        elif types.count("person") > 1 and "organization" not in types:
            errs.add("non_field_errors", "client_persons_no_org")
        return out

    def _validate_contact_data(
        self,
        data: Mapping[str, Any],
        current: Record | None,
        errs: _Errors,
        *,
        field: str | None = None,
        path: str = "",
        partial: bool = False,
    ) -> Record:
        required: tuple[str, ...] = () if partial else ("contact_type",)
        cleaned = self._clean(data, _CONTACT_SPEC, errs, required=required, field=field, path=path)
        merged = {**(current or {}), **cleaned}
        ctype = merged.get("contact_type")
        need = "name" if ctype == "organization" else "family_name" if ctype == "person" else None
        if need and not merged.get(need):
            errs.add(field or need, "required", path=f"{path}{need}" if field else "")
        return cleaned

    def _apply_client_contacts(
        self, client: Record, entries: list[Record | str], default_url: str | None
    ) -> None:
        urls: list[str] = []
        for entry in entries:
            if isinstance(entry, dict):
                urls.append(self._make_contact(entry, client["mid"], False)["url"])
            else:
                contact = self._cols["contacts"].items[_last(entry)]
                contact["owner"] = client["url"]
                contact["owner_type"] = "client"
                urls.append(entry)
        for old in client.get("contacts") or []:
            if old not in urls:
                self._cols["contacts"].remove(_last(old))
        client["contacts"] = urls
        if default_url not in urls:
            contacts = self._cols["contacts"].items
            orgs = [u for u in urls if contacts[_last(u)]["contact_type"] == "organization"]
            default_url = orgs[0] if orgs else urls[0]
        client["default_contact"] = default_url
        self._refresh_client(client)

    def _validate_client(self, data: Record, current: Record | None, partial: bool) -> Record:
        errs = _Errors()
        cleaned = self._clean(data, _CLIENT_SPEC, errs)
        if "contacts" in data:
            entries = self._validate_client_contacts(
                data["contacts"], errs, current["mid"] if current else None
            )
            if entries is not None:
                cleaned["contacts"] = entries
                if current is not None:
                    kept = {e for e in entries if isinstance(e, str)}
                    docs = self._cols["documents"].items.values()
                    for old in current["contacts"]:
                        if old not in kept and any(d.get("client_contact") == old for d in docs):
                            errs.add("contacts", "contact_in_use", mid=_last(old))
        elif not partial:
            errs.add("contacts", "required")
        default = cleaned.get("default_contact")
        if default and "contacts" in cleaned:
            if default not in [e for e in cleaned["contacts"] if isinstance(e, str)]:
                errs.add("default_contact", "default_not_in_contacts")
        elif default and current is not None and default not in current["contacts"]:
            errs.add("default_contact", "default_not_in_contacts")
        errs.check()
        return cleaned

    def _order_status_now(self, mid: str, order: Record) -> Record:
        status: Record = order["status"]
        state = self._order_state.get(mid, {})
        sent_at = state.get("sent_at")
        if sent_at is not None and status["sendbypost"] == "can_cancel":
            elapsed = time.time() - sent_at
            if elapsed >= 2 * self.post_cancel_window:
                status["sendbypost"] = "mailed"
            elif elapsed >= self.post_cancel_window:
                status["sendbypost"] = "preparing"
        return status

    def _order_problems(self, mid: str, order: Record) -> list[Msg]:
        problems: list[Msg] = []
        item_mids = self._order_items.get(mid, [])
        if not item_mids:
            problems.append(("v_no_items", {}))
        for item_mid in item_mids:
            item = self._cols["sending_order_items"].items[item_mid]
            if item["document"] and _last(item["document"]) not in self._cols["documents"].items:
                problems.append(("v_missing_document", {}))
            if item["filename"] and item_mid not in self._item_files:
                problems.append(("v_not_uploaded", {"name": item["filename"]}))
        if not order["securesend_selected"] and not order["sendbypost_selected"]:
            problems.append(("v_no_method", {}))
        if order["securesend_selected"] and not (order["to_emails"] or order["send_to_contacts"]):
            problems.append(("v_no_recipients", {}))
        if order["sendbypost_selected"]:
            if not order["recipient_address"] or not (
                order["recipient_contact_name"] or order["recipient_contact_organization_name"]
            ):
                problems.append(("v_no_address", {}))
            if order["stamp_type"] in (None, ""):
                problems.append(("v_no_stamp", {}))
        return problems

    def _validate_order(self, data: Record, partial: bool) -> Record:
        errs = _Errors()
        cleaned = self._clean(data, _ORDER_SPEC, errs, required=() if partial else _ORDER_REQUIRED)
        errs.check()
        return cleaned

    def _touch_order(self, mid: str) -> None:
        self._order_state[mid]["validating"] = self.validation_polls

    def _ensure_draft(self, mid: str) -> None:
        if self._order_state[mid]["sent"]:
            _invalid("non_field_errors", "order_sent")

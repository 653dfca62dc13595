"""MakeLeaps' list filters as tables for the shared engine (``_filters.where``): per list, each
query parameter, how it reads and what it matches (django-filter's lookups, as the API names
them). Tables plus the few tests that look at state (viewed documents, order status)."""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable, Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from ..._filters import RANGE_OPS, Filter
from . import data as D
from .helpers import (
    Record,
    _bool_param,
    _day,
    _decimal,
    _inbox_data,
    _inbox_nested,
    _last,
    _mid_of,
    _parse_date,
    _parse_datetime,
    _ts,
)
from .schemas import (
    _DOC_DATE_FIELDS,
    _DOC_EXACT,
    _DOC_FLAGS,
    _DOC_TS_FIELDS,
    SECURESEND_STATES,
    SENDBYPOST_STATES,
)

if TYPE_CHECKING:
    from .rules import MakeLeapsRules

Filters = Mapping[str, Filter]


def _field(name: str) -> Callable[[Record], Any]:
    return lambda r: r.get(name)


def _same(field: str) -> Callable[[Record, Any], bool]:
    return lambda r, v: r.get(field) == v


def _eq(field: str) -> Filter:
    return Filter(_same(field))


def _eq_blank(field: str) -> Filter:
    return Filter(lambda r, v: (r.get(field) or "") == v)


def _flag(test: Callable[[Record, bool], bool]) -> Filter:
    return Filter(test, _bool_param, "filter_choice")


def _is_set(field: str) -> Filter:
    return _flag(lambda r, v: (r.get(field) is not None) == v)


def _choice(field: str, choices: Container[str], test: Any = None) -> Filter:
    return Filter(test or _same(field), lambda v: v if v in choices else None, "filter_choice")


def _search(text: Callable[[Record], Iterable[Any]]) -> Filter:
    """``?search=``: the words of ``text(record)`` contain the value (case-insensitive; an
    empty value keeps every record)."""
    return Filter(lambda r, v: v in " ".join(str(x or "") for x in text(r)).lower(), str.lower)


def _iso_date(value: str) -> str | None:
    parsed = _parse_date(value)
    return parsed.isoformat() if parsed else None


def _iso_ts(value: str) -> str | None:
    parsed = _parse_datetime(value)
    return _ts(parsed) if parsed else None


def _bound(
    read: Callable[[Record], Any], op: str, parse: Callable[[str], Any], code: str
) -> Filter:
    """``read(record)`` against the value by one of Django's lookups (``RANGE_OPS``)."""
    test = RANGE_OPS[op]
    return Filter(lambda r, v: test(read(r), v), parse, code)


def _ranges(fields: Iterable[str], parse: Callable[[str], Any], code: str) -> Filters:
    """``field``, ``field__lt``, ``__lte``, ``__gt``, ``__gte`` for each of ``fields``."""
    return {
        f"{field}{op}": _bound(_field(field), op, parse, code)
        for field in fields
        for op in RANGE_OPS
    }


def _start_of(value: str) -> str | None:
    parsed = _parse_datetime(value) or _day(value)
    return _ts(parsed) if parsed else None


def _end_of(value: str) -> tuple[bool, str] | None:
    """``date_end``: a date/time is an inclusive bound, a bare date excludes the next day."""
    if (end := _parse_datetime(value)) is not None:
        return True, _ts(end)
    if (day := _day(value)) is not None:
        return False, _ts(day + timedelta(days=1))
    return None


def _total(entry: Record) -> Any:
    return _decimal(str(_inbox_data(entry).get("total") or "0")) or 0


def _issued(entry: Record) -> Any:
    return _inbox_data(entry).get("date") or None  # no date: never within a bound


def list_filters(emu: MakeLeapsRules) -> dict[str, Filters]:
    """Every list's filters, by collection (some tests read the emulator's current state)."""

    def ref(field: str, segment: str) -> Filter:
        """A reference field, matched against a mid or URL turned into the stored URL."""
        return Filter(lambda r, v: r.get(field) == v, lambda v: emu._url(segment, _mid_of(v)))

    def client_text(c: Record) -> list[Any]:
        parts = [c["display_name"], c["client_external_id"]]
        for url in c["contacts"]:
            if ct := emu._cols["contacts"].items.get(_last(url)):
                parts += [ct["display_name"], (ct.get("email") or {}).get("address", "")]
        return parts

    def doc_text(d: Record) -> list[Any]:
        client = emu._cols["clients"].items.get(_last(d.get("client") or ""), {})
        fields = "document_number title project_name note display_name recipient_name external_id"
        return [*(d.get(k) for k in fields.split()), client.get("display_name", "")]

    def status_is(key: str) -> Callable[[Record, str], bool]:
        return lambda o, v: emu._order_status_now(o["mid"], o)[key] == v

    def archived(t: Record) -> bool:
        return f"{t['document_type']}:{t['template_code']}" in emu._archived_templates

    return {
        "templates": {
            "is_archived": _flag(lambda t, v: archived(t) == v),
            # Anything but a true value means "show them" (never an error).
            "hide_archived": Filter(
                lambda t, v: not (v and archived(t)), lambda v: _bool_param(v) is True
            ),
        },
        "documents": {
            **{name: _eq(name) for name in _DOC_EXACT},
            "document_type": _choice("document_type", D.DOCUMENT_TYPES),
            "client": ref("client", "client"),
            "client_contact": ref("client_contact", "contact"),
            "tags": Filter(
                lambda r, v: bool(v.intersection(r.get("tags") or ())),
                lambda v: {t.strip() for t in v.split(",") if t.strip()},
            ),
            **{flag: _is_set(field) for flag, field in _DOC_FLAGS.items()},
            "viewed": _flag(lambda r, v: (r["mid"] in emu._viewed) == v),
            **_ranges(sorted(_DOC_DATE_FIELDS), _iso_date, "filter_date"),
            **_ranges(sorted(_DOC_TS_FIELDS), _iso_ts, "filter_datetime"),
            "search": _search(doc_text),
        },
        "history": {
            "date": Filter(
                lambda h, v: h["action_time"][:10] == v[:10], _start_of, "filter_datetime"
            ),
            "date_start": Filter(lambda h, v: h["action_time"] >= v, _start_of, "filter_datetime"),
            "date_end": Filter(
                lambda h, v: h["action_time"] <= v[1] if v[0] else h["action_time"] < v[1],
                _end_of,
                "filter_datetime",
            ),
            "event_name": _eq("event_name"),
            "action_flag": Filter(lambda h, v: h["action_flag"] == v, int, "filter_number"),
        },
        "inbox": {
            "type": _choice("type", ("received_doc", "accepted_order", "confirmed_doc")),
            "total_from": _bound(_total, "__gte", _decimal, "filter_number"),
            "total_to": _bound(_total, "__lte", _decimal, "filter_number"),
            "issued_date_from": _bound(_issued, "__gte", _iso_date, "filter_date"),
            "issued_date_to": _bound(_issued, "__lte", _iso_date, "filter_date"),
            "sender_name": _search(lambda e: [_inbox_data(e).get("sender_name")]),
            "is_unconverted": _flag(
                lambda e, v: (not _inbox_nested(e).get("generated_document_set")) == v
            ),
        },
        "clients": {
            "archived": _flag(lambda c, v: (c["date_archived"] is not None) == v),
            "client_external_id": _eq("client_external_id"),
            "search": _search(client_text),
        },
        "contacts": {
            **{name: _eq_blank(name) for name in ("contact_type", "owner_type", "format")},
            "search": _search(
                lambda c: [
                    *(c[k] for k in ("display_name", "name", "department", "phone_number")),
                    (c.get("email") or {}).get("address"),
                ]
            ),
        },
        "sending_orders": {
            "securesend_status": _choice("", SECURESEND_STATES, status_is("securesend")),
            "sendbypost_status": _choice("", SENDBYPOST_STATES, status_is("sendbypost")),
            **{
                f"{k}_selected": _flag(_same(f"{k}_selected")) for k in ("securesend", "sendbypost")
            },
            "recipient_organization": ref("recipient_organization", "client"),
            "employee": ref("employee", "employee"),
        },
        "catalog_items": {
            "product_code": _eq("product_code"),
            "product_code__contains": Filter(lambda i, v: v in (i["product_code"] or "")),
        },
        "employees": {"search": _search(lambda e: [f"{e['name']} {e['email']}"])},
    }

"""MakeLeaps as a declaration (``makeleaps.txt``).

OAuth2 client_credentials (HTTP Basic to ``/user/oauth2/token/``, Bearer afterwards); the API
under ``/api/``, most of it keyed by the partner (``/api/partner/{partner_mid}/...``);
``{"meta": {...}, "response": ...}`` envelopes; lists walked along ``meta.next`` with the total in
``meta.count``; Django REST Framework style field errors; 120 requests/minute and 5000/day.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs

from vendorkit.core import (
    BareValueAs,
    ChainOver,
    Endpoint,
    Envelope,
    ErrorInfo,
    MethodFallback,
    NextLink,
    NoneUnless,
    Quota,
    SendAsRead,
    VendorSpec,
    as_messages,
    default_error_parser,
    with_ranges,
)

from . import models

__all__ = ["DOCUMENT_TYPES", "ENDPOINTS", "PARTNER", "SPEC", "parse_error"]

#: Every document type MakeLeaps knows (some may be disabled for a company).
DOCUMENT_TYPES = (
    "order",
    "quote",
    "orderslip",
    "orderconfirmation",
    "deliveryslip",
    "acceptance",
    "invoice",
    "receipt",
    "timesheet",
)


def is_timestamp(value: Any) -> bool:
    """None or an ISO 8601 timestamp (not a flag such as ``true`` or ``"True"``)."""
    if value is None:
        return True
    if not isinstance(value, str):
        return False
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return False
    return True


_META_KEYS = frozenset({"status_code", "status", "detail", "non_field_errors", "code", "message"})


def parse_error(status: int, body: Any) -> ErrorInfo:
    """MakeLeaps' error bodies:

    - 4xx: ``{"meta": {"status_code": 400}, "response": {"<field>": [..], "non_field_errors":
      [..]}}`` (messages in English, or Japanese with ``Accept-Language: ja``);
    - 5xx: a ``detail`` (in ``response``, or at the top level);
    - 401 may be un-enveloped: ``{"status_code": 401, "detail": ".."}``;
    - the token endpoint: ``{"error": "invalid_client"}`` (OAuth2, RFC 6749).

    Assumed where the docs are silent: a ``detail`` inside ``response`` (404, 403, 429 from the
    framework) is the message; a string ``response`` is the message.
    """
    if not isinstance(body, dict):
        return default_error_parser(status, body)
    if isinstance(body.get("error"), str) and "response" not in body:
        message = body.get("error_description") or body.get("detail") or body["error"]
        return ErrorInfo(message=str(message), code=body["error"])
    inner: Any = body.get("response", body) if "meta" in body or "response" in body else body
    if isinstance(inner, str):
        return ErrorInfo(message=inner)
    if isinstance(inner, list):
        return ErrorInfo(message=" ".join(as_messages(inner)), non_field_errors=as_messages(inner))
    if not isinstance(inner, dict):
        return default_error_parser(status, body)
    message = inner.get("detail") if isinstance(inner.get("detail"), str) else None
    if message is None and isinstance(body.get("detail"), str):
        message = body["detail"]
    if message is None and isinstance(inner.get("message"), str):
        message = inner["message"]
    code = inner.get("code") if isinstance(inner.get("code"), str) else None
    # Field errors are lists (or nested dicts) of messages, whatever the field is called: a
    # document's or sending order's ``message`` field, an order's ``status``. A key in
    # ``_META_KEYS`` is a field only when it holds such a list or dict.
    fields = {
        str(k): as_messages(v)
        for k, v in inner.items()
        if k != "non_field_errors"
        and (k not in _META_KEYS or isinstance(v, list | dict))
        and not (inner is body and k == "meta")
    }
    return ErrorInfo(
        message=message or "",
        code=code,
        field_errors=fields,
        non_field_errors=as_messages(inner.get("non_field_errors")),
    )


SPEC = VendorSpec(
    name="makeleaps",
    base_url="https://api.makeleaps.com",
    envelope=Envelope(records="response", total="meta.count", next="meta.next", item="response"),
    # No page size parameter is documented: ``page_size=`` is sent as ``?page_size=N`` only when
    # the caller asks for one (a server without it ignores it). Pages are followed by meta.next.
    paginator=NextLink(size_param="page_size"),
    error_parser=parse_error,
    quotas=(Quota(120, 60), Quota(5000, 86400)),  # 120/minute and 5000/day
    # ``expand=client,client_contact`` and ``tags=a,b`` take comma-separated lists.
    comma_params=frozenset({"expand", "tags"}),
    # Ids are ``mid`` strings and references are URLs: an id argument may be either (or a
    # record), and a URL must name a record of that very resource.
    link_ids="mid",
    converter_rules=(
        # Value objects nested in records: sent back as read (unknown fields included), and
        # fields left None on a new one are not sent at all (MakeLeaps rejects e.g. a null
        # ``price`` with ``autocalculate``).
        SendAsRead(
            (
                models.LineItem,
                models.Money,
                models.TaxRateTotal,
                models.Email,
                models.Address,
                models.PostalAddress,
            )
        ),
        # A Task's ``finished`` is documented as a timestamp (null while running); a server that
        # sends a flag instead still gives a Task (``finished=None``; the flag stays in ``raw``).
        NoneUnless(models.Task, "finished", is_timestamp),
        # An e-mail is documented as ``{"address": ...}``; a bare string is read as its address.
        BareValueAs(models.Email, "address"),
    ),
)

PARTNER = "/api/partner/{partner_mid}"

_LIST = frozenset({"list"})
_READ = frozenset({"list", "get"})

# Filters, from ``makeleaps.txt``. "Filterable Fields": a resource's filterable fields are marked
# in its Fields table (the marker after the name, which this copy of the docs keeps as a
# non-breaking space; ``document_type`` and ``date``, the section's own examples, carry it), plus
# each "Extra filters" table; range lookups (``__lt``, ``__lte``, ``__gt``, ``__gte``) on the
# Document resource's filterable dates and timestamps. ``search``: "Searching" (the Extra filters
# tables, and the section's own example on documents). ``expand``: "Expansion", on resources with
# an (Expandable) field, for one record and (assumed) its list.
_DOC_DATES = ("date", "date_due", "date_valid", "date_shipped")
_DOC_TIMES = (
    "date_paid",
    "date_sent",
    "date_cancelled",
    "date_removed",
    "date_accepted",
    "date_confirmed",
    "date_converted",
)
DOCUMENT_FILTERS = frozenset(
    {
        *("document_number", "document_type", "document_template", "external_id"),
        *("client", "client_contact", "source_received_document"),
        *with_ranges(*_DOC_DATES, *_DOC_TIMES),
        # Extra filters
        *("currency", "tags", "accepted", "confirmed", "sent", "viewed", "paid", "cancelled"),
        *("search", "expand"),
    }
)

ENDPOINTS: dict[str, Endpoint] = {
    "partners": Endpoint(path="/api/partner/", model=models.Partner, actions=_READ),
    # Assumed (the docs list only ``OPTIONS /api/currency/`` and no fields): the list is read with
    # ``GET``; a server that answers ``GET`` with 405 is asked with ``OPTIONS`` instead, and the
    # currencies are the ``response`` list (or a ``currencies`` list inside it). A currency sent
    # as a bare string (``"JPY"``) is read as ``Currency(code="JPY")`` (``list_raw``:
    # ``{"code": "JPY"}``).
    "currencies": Endpoint(
        path="/api/currency/",
        model=models.Currency,
        actions=_LIST,
        list_fallback=MethodFallback(("GET", "OPTIONS")),
        envelope=attrs.evolve(SPEC.envelope, records=("response", "response.currencies")),
        scalar_field="code",
    ),
    "employees": Endpoint(
        path=f"{PARTNER}/employee/", model=models.Employee, actions=_READ, filters={"search"}
    ),
    "documents": Endpoint(
        path=f"{PARTNER}/document/",
        model=models.Document,
        filters=DOCUMENT_FILTERS,
        get_filters={"expand"},
    ),
    # "Product Code": ``product_code`` (exact) and ``product_code__contains``.
    "catalog_items": Endpoint(
        path=f"{PARTNER}/item/",
        model=models.CatalogItem,
        actions=frozenset({"list", "get", "create", "update"}),
        filters={"product_code", "product_code__contains"},
    ),
    "clients": Endpoint(
        path=f"{PARTNER}/client/",
        model=models.Client,
        filters={"client_external_id", "default_contact", "default_presets", "archived"}
        | {"search", "expand"},
        get_filters={"expand"},
    ),
    "contacts": Endpoint(
        path=f"{PARTNER}/contact/",
        model=models.Contact,
        filters={"owner_type", "contact_type", "format", "search"},
    ),
    "sending_orders": Endpoint(
        path=f"{PARTNER}/sending/order/",
        model=models.SendingOrder,
        filters={"recipient_organization", "employee", "securesend_selected"}
        | {"sendbypost_selected", "securesend_status", "sendbypost_status", "expand"},
        get_filters={"expand"},
    ),
    # "Filtering by Date": ``date`` or ``date_start``/``date_end``; marked fields besides.
    "history": Endpoint(
        path=f"{PARTNER}/history/",
        model=models.HistoryEntry,
        actions=frozenset({"list", "get", "create"}),
        filters={"date", "date_start", "date_end", "action_time", "created_by"}
        | {"event_name", "action_flag"},
    ),
    "inbox": Endpoint(
        path=f"{PARTNER}/inbox/inbox/",
        model=models.InboxEntry,
        actions=_LIST,
        filters={"type", "time_received", "total_from", "total_to", "issued_date_from"}
        | {"issued_date_to", "sender_name", "is_unconverted"},
    ),
    "pickup_links": Endpoint(
        path=f"{PARTNER}/document/{{document_mid}}/pickup-link/",
        item_path=f"{PARTNER}/secureinbox/pickup-link/{{id}}/",
        model=models.PickupLink,
        actions=frozenset({"list", "get", "create"}),
        partition=("documents", "mid", "document_mid"),
    ),
    "tasks": Endpoint(path=f"{PARTNER}/task/", model=models.Task, actions=frozenset({"get"})),
    # Per document type: ``list(document_type="invoice")``; without ``document_type``, the
    # templates of every type in ``DOCUMENT_TYPES``, one type after the other (``page.total`` is
    # then None). "Depending on your company's setup, some [types] might not be available": a
    # type the server refuses (404, or 400 for an unknown type) has no templates. Filters: the
    # "Document Templates" example's ``hide_archived`` and ``is_archived``.
    "templates": Endpoint(
        path=f"{PARTNER}/template/{{document_type}}/",
        model=models.Template,
        actions=_LIST,
        chain=ChainOver("document_type", DOCUMENT_TYPES, none_here=frozenset({400, 404})),
        filters={"hide_archived", "is_archived"},
    ),
}

#: Other object URLs ``follow()`` recognises (path template -> model): sub-objects that are not
#: resources of their own.
EXTRA_ITEMS: dict[str, type[Any]] = {
    f"{PARTNER}/client/{{client_mid}}/settings/": models.ClientSettings,
    f"{PARTNER}/client/{{client_mid}}/contact/": models.Contact,
    f"{PARTNER}/employee/me/": models.Employee,
}

"""MakeLeaps' tables: origins, document types and states, the collections, reference URL
segments, and the field specs of every writable resource (kind, argument). Tables only."""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal

from ..._schema import Field
from . import data as D
from .data import _words

#: Origin URLs are stored with; rewritten to the request's origin on the way out.
ORIGIN = "https://api.makeleaps.com"
#: The browsable web app (``web_url``, pickup links): never rewritten.
APP_ORIGIN = "https://app.makeleaps.com"
#: Seed data is laid out backwards from this instant, so it does not depend on the clock.
ANCHOR = datetime(2024, 6, 28, 9, 0, tzinfo=UTC)

DOC_TYPES: tuple[str, ...] = tuple(D.DOCUMENT_TYPES)
LINE_KINDS = ("normal", "simple", "text", "subtotal")
STAMP_TYPES = _words(
    "invoice quote deliveryslip orderslip orderconfirmation acceptance receipt nostamp "
    "many_documents"
)
SECURESEND_STATES = ("draft", "not_selected", "cancelled", "viewed", "not_viewed")
SENDBYPOST_STATES = _words(
    "draft not_selected cancelled can_cancel preparing mailed info_not_available"
)
MARKING_FIELDS = ("date_paid", "date_sent", "date_cancelled", "date_accepted", "date_confirmed")
DEFAULT_TAX_RATE = Decimal("10")
ALTERNATE_TAX_RATE = Decimal("8")
_ALNUM = string.ascii_letters + string.digits


# (collection, newest first); the rest of the code refers to them by these names.
_COLLECTIONS = tuple(
    (name, name in ("history", "inbox"))
    for name in _words(
        "partners currencies employees templates tags catalog_items clients client_settings "
        "contacts documents pickup_links tasks sending_orders sending_order_items history inbox "
        "received_documents accepted_orders"
    )
)

# URL segment (after /api/partner/<pmid>/) -> collection, for references sent by clients.
_REF_SEGMENTS = {
    "client": "clients",
    "contact": "contacts",
    "document": "documents",
    "item": "catalog_items",
    "employee": "employees",
    "secureinbox/received-document": "received_documents",
}
_REF_RE = re.compile(rf"^/api/partner/([^/]+)/({'|'.join(_REF_SEGMENTS)})/([^/]+)/?$")

Spec = Mapping[str, Field]
# The shared vocabulary (``_schema.Field``) plus MakeLeaps' own composite kinds, which only its
# DRF-style coercion (``rules.MakeLeapsRules._coerce``) understands: ``datetime``, ``strlist``,
# ``emails``, ``email`` (``{"address"}``), ``refs``, ``addresses``, ``order_address``, ``any``
# and ``skip`` (validated elsewhere).
_STRING, _BOOL, _DECIMAL, _INT = Field("string"), Field("bool"), Field("decimal"), Field("int")
_CURRENCY = Field("choice", choices=tuple(D.CURRENCIES))

_LINEITEM_SPEC: Spec = {
    "kind": Field("choice", choices=LINE_KINDS),
    "description": _STRING,
    **dict.fromkeys(_words("unit_cost quantity"), _DECIMAL),
    "quantity_unit": _STRING,
    "price": _DECIMAL,
    **dict.fromkeys(_words("is_taxable is_tax_inclusive has_jp_withholding_tax"), _BOOL),
    "currency": _CURRENCY,
    "tax_rate": _DECIMAL,
    "extended_data": Field("any"),
    "vendor_cost": _DECIMAL,
    "source_catalog_item": Field("ref", ref="catalog_items"),
    "position": _INT,
}

_DOC_STRINGS = _words(
    "title project_name bank_details_header bank_details message proviso note sender_name "
    "sender_contact_department sender_contact_title sender_contact_name sender_address_format "
    "sender_country sender_postal_code sender_region sender_locality sender_street_address "
    "sender_extended_address sender_phone_number sender_fax_number recipient_name "
    "recipient_contact_department recipient_contact_title recipient_contact_name "
    "recipient_honorific recipient_address_format recipient_country recipient_postal_code "
    "recipient_region recipient_locality recipient_street_address recipient_extended_address "
    "recipient_phone_number recipient_fax_number partner_tax_registration_number"
)
_DOC_BOOLS = _words(
    "group_lineitem_by_tax_rate has_hanko has_prices has_totals has_currency_code "
    "has_lineitem_tax_state signature display_tax_rate hide_tax_description has_tax_stamp "
    "round_tax_down autocalculate use_virtual_account use_external_pdf"
)
_DOC_MONEY = _words(
    "subtotal tax jp_withholding_tax subtotal_sales_tax subtotal_withholding_tax total"
)
_DOC_SPEC: Spec = {
    "document_number": _STRING,
    "document_type": Field("choice", choices=DOC_TYPES),
    "document_template": _STRING,
    "currency": _CURRENCY,
    "tax_rate": _DECIMAL,
    "mixed_tax_rate_totals": Field("any"),
    "extended_data": Field("any"),
    "external_id": _STRING,
    "tags": Field("strlist"),
    "client": Field("ref", ref="clients"),
    "client_contact": Field("ref", ref="contacts"),
    **dict.fromkeys(_words("date date_due date_valid date_shipped"), Field("date")),
    "lineitems": Field("skip"),  # validated by _clean_lineitems
    "purchase_order_ids": Field("strlist"),
    "source_received_document": Field("ref", ref="received_documents"),
    **dict.fromkeys(_DOC_STRINGS, _STRING),
    **dict.fromkeys(_DOC_BOOLS, _BOOL),
    **dict.fromkeys(_DOC_MONEY, _DECIMAL),
    **dict.fromkeys(MARKING_FIELDS, Field("datetime")),
}
_DOC_REQUIRED = ("document_type", "document_number", "client", "currency")
_DOC_DATE_FIELDS = frozenset(_words("date date_due date_valid date_shipped"))
_DOC_TS_FIELDS = frozenset({*MARKING_FIELDS, "date_removed", "date_converted"})
_DOC_EXACT = ("document_number", "document_type", "document_template", "external_id", "currency")
_DOC_FLAGS = {f: f"date_{f}" for f in _words("accepted confirmed sent paid cancelled")}

_ITEM_SPEC: Spec = {
    **{k: v for k, v in _LINEITEM_SPEC.items() if k not in ("source_catalog_item", "position")},
    "product_code": _STRING,
    "interval": Field("choice", choices=("monthly", "bimonthly", "quarterly", "yearly")),
    "metered": _BOOL,
    "tax_category": Field("choice", choices=("default", "alternate", "custom")),
}
_ITEM_REQUIRED = ("description",)
#: What a line item that names only its ``source_catalog_item`` takes from the catalog.
_CATALOG_COPIED = _words(
    "description unit_cost quantity quantity_unit price is_taxable is_tax_inclusive "
    "has_jp_withholding_tax currency extended_data vendor_cost"
)

_ADDRESS_SPEC: Spec = dict.fromkeys(
    _words("format country_name street_address extended_address locality region postal_code"),
    _STRING,
)
_CONTACT_SPEC: Spec = {
    "contact_type": Field("choice", choices=("organization", "person")),
    **dict.fromkeys(
        _words("name family_name given_name title department phone_number fax_number"), _STRING
    ),
    "email": Field("email"),
    "addresses": Field("addresses"),
}
_CLIENT_SPEC: Spec = {
    "client_external_id": _STRING,
    "contacts": Field("skip"),  # validated by _validate_client_contacts
    "default_contact": Field("ref", ref="contacts"),
    "lang_code": _STRING,
    "date_cutoff": _INT,
}
_SETTINGS_SPEC: Spec = {
    **dict.fromkeys(_words("securesend_subject securesend_message"), _STRING),
    **dict.fromkeys(
        _words("send_by_secure_send send_by_post enable_cc_payments use_document_contact"), _BOOL
    ),
    "secure_send_contacts": Field("refs", ref="contacts"),
}
_ORDER_ADDRESS_KEYS = _words(
    "address_format country street_address extended_address locality region postal_code"
)
_ORDER_SPEC: Spec = {
    "recipient_organization": Field("ref", ref="clients"),
    "securesend_selected": _BOOL,
    "to_emails": Field("emails"),
    "send_to_contacts": Field("refs", ref="contacts"),
    **dict.fromkeys(_words("subject message"), _STRING),
    "enable_cc_payments": _BOOL,
    "sendbypost_selected": _BOOL,
    "stamp_type": Field("choice", choices=STAMP_TYPES),
    **dict.fromkeys(
        (f"recipient_contact_{k}" for k in _words("organization_name department title name")),
        _STRING,
    ),
    "recipient_honorific": _STRING,
    "recipient_address": Field("order_address"),
    **dict.fromkeys(
        _words("sender_contact_organization_name sender_contact_phone_number"), _STRING
    ),
    "sender_address": Field("order_address"),
    "external_id": _STRING,
}
_ORDER_REQUIRED = ("recipient_organization",)
_ORDER_ITEM_SPEC: Spec = {
    "position": _INT,
    "document": Field("ref", ref="documents"),
    "filename": _STRING,
}
_HISTORY_SPEC: Spec = {"event_name": _STRING, "action_flag": _INT, "object_repr": _STRING}

# Fields of "Visible Document Data" (a document as a recipient sees it).
_VISIBLE_FIELDS = (
    *_words(
        "document_number document_type title project_name bank_details_header bank_details "
        "message proviso group_lineitem_by_tax_rate has_hanko has_prices has_totals "
        "has_currency_code has_lineitem_tax_state signature display_tax_rate "
        "hide_tax_description has_tax_stamp jp_withholding_tax_type currency subtotal tax "
        "jp_withholding_tax tax_rate subtotal_sales_tax subtotal_withholding_tax total "
        "mixed_tax_rate_totals extended_data date date_due date_valid date_shipped"
    ),
    *(f for f in _DOC_STRINGS if f.startswith(("sender_", "recipient_"))),
    *_words("lineitems purchase_order_ids partner_tax_registration_number"),
)
_CANCEL_SPEC: Spec = {"securesend_cancelled": _BOOL, "sendbypost_cancelled": _BOOL}

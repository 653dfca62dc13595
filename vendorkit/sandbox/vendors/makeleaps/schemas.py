"""MakeLeaps' tables: origins, document types and states, the collections, reference URL
segments, and the field specs of every writable resource (kind, argument). Tables only."""

from __future__ import annotations

import re
import string
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from . import data as D

#: Origin URLs are stored with; rewritten to the request's origin on the way out.
ORIGIN = "https://api.makeleaps.com"
#: The browsable web app (``web_url``, pickup links): never rewritten.
APP_ORIGIN = "https://app.makeleaps.com"
#: Seed data is laid out backwards from this instant, so it does not depend on the clock.
ANCHOR = datetime(2024, 6, 28, 9, 0, tzinfo=UTC)

DOC_TYPES: tuple[str, ...] = tuple(D.DOCUMENT_TYPES)
LINE_KINDS = ("normal", "simple", "text", "subtotal")
STAMP_TYPES = (
    "invoice",
    "quote",
    "deliveryslip",
    "orderslip",
    "orderconfirmation",
    "acceptance",
    "receipt",
    "nostamp",
    "many_documents",
)
SECURESEND_STATES = ("draft", "not_selected", "cancelled", "viewed", "not_viewed")
SENDBYPOST_STATES = (
    "draft",
    "not_selected",
    "cancelled",
    "can_cancel",
    "preparing",
    "mailed",
    "info_not_available",
)
MARKING_FIELDS = ("date_paid", "date_sent", "date_cancelled", "date_accepted", "date_confirmed")
DEFAULT_TAX_RATE = Decimal("10")
ALTERNATE_TAX_RATE = Decimal("8")
_ALNUM = string.ascii_letters + string.digits


# (collection, newest first); the rest of the code refers to them by these names.
_COLLECTIONS = (
    ("partners", False),
    ("currencies", False),
    ("employees", False),
    ("templates", False),
    ("tags", False),
    ("catalog_items", False),
    ("clients", False),
    ("client_settings", False),
    ("contacts", False),
    ("documents", False),
    ("pickup_links", False),
    ("tasks", False),
    ("sending_orders", False),
    ("sending_order_items", False),
    ("history", True),
    ("inbox", True),
    ("received_documents", False),
    ("accepted_orders", False),
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
_REF_RE = re.compile(
    r"^/api/partner/([^/]+)/(client|contact|document|item|employee|"
    r"secureinbox/received-document)/([^/]+)/?$"
)

# Field kinds understood by ``_clean``: name -> (kind, argument).
Spec = dict[str, tuple[str, Any]]

_LINEITEM_SPEC: Spec = {
    "kind": ("choice", LINE_KINDS),
    "description": ("str", None),
    "unit_cost": ("decimal", None),
    "quantity": ("decimal", None),
    "quantity_unit": ("str", None),
    "price": ("decimal", None),
    "is_taxable": ("bool", None),
    "is_tax_inclusive": ("bool", None),
    "has_jp_withholding_tax": ("bool", None),
    "currency": ("currency", None),
    "tax_rate": ("decimal", None),
    "extended_data": ("any", None),
    "vendor_cost": ("decimal", None),
    "source_catalog_item": ("ref", "catalog_items"),
    "position": ("int", None),
}

_DOC_STRINGS = (
    "title",
    "project_name",
    "bank_details_header",
    "bank_details",
    "message",
    "proviso",
    "note",
    "sender_name",
    "sender_contact_department",
    "sender_contact_title",
    "sender_contact_name",
    "sender_address_format",
    "sender_country",
    "sender_postal_code",
    "sender_region",
    "sender_locality",
    "sender_street_address",
    "sender_extended_address",
    "sender_phone_number",
    "sender_fax_number",
    "recipient_name",
    "recipient_contact_department",
    "recipient_contact_title",
    "recipient_contact_name",
    "recipient_honorific",
    "recipient_address_format",
    "recipient_country",
    "recipient_postal_code",
    "recipient_region",
    "recipient_locality",
    "recipient_street_address",
    "recipient_extended_address",
    "recipient_phone_number",
    "recipient_fax_number",
    "partner_tax_registration_number",
)
_DOC_BOOLS = (
    "group_lineitem_by_tax_rate",
    "has_hanko",
    "has_prices",
    "has_totals",
    "has_currency_code",
    "has_lineitem_tax_state",
    "signature",
    "display_tax_rate",
    "hide_tax_description",
    "has_tax_stamp",
    "round_tax_down",
    "autocalculate",
    "use_virtual_account",
    "use_external_pdf",
)
_DOC_MONEY = (
    "subtotal",
    "tax",
    "jp_withholding_tax",
    "subtotal_sales_tax",
    "subtotal_withholding_tax",
    "total",
)
_DOC_SPEC: Spec = {
    "document_number": ("str", None),
    "document_type": ("choice", DOC_TYPES),
    "document_template": ("str", None),
    "currency": ("currency", None),
    "tax_rate": ("decimal", None),
    "mixed_tax_rate_totals": ("any", None),
    "extended_data": ("any", None),
    "external_id": ("str", None),
    "tags": ("strlist", None),
    "client": ("ref", "clients"),
    "client_contact": ("ref", "contacts"),
    "date": ("date", None),
    "date_due": ("date", None),
    "date_valid": ("date", None),
    "date_shipped": ("date", None),
    "lineitems": ("skip", None),  # validated by _clean_lineitems
    "purchase_order_ids": ("strlist", None),
    "source_received_document": ("ref", "received_documents"),
    **{f: ("str", None) for f in _DOC_STRINGS},
    **{f: ("bool", None) for f in _DOC_BOOLS},
    **{f: ("decimal", None) for f in _DOC_MONEY},
    **{f: ("datetime", None) for f in MARKING_FIELDS},
}
_DOC_REQUIRED = ("document_type", "document_number", "client", "currency")
_DOC_DATE_FIELDS = frozenset({"date", "date_due", "date_valid", "date_shipped"})
_DOC_TS_FIELDS = frozenset({*MARKING_FIELDS, "date_removed", "date_converted"})
_DOC_EXACT = ("document_number", "document_type", "document_template", "external_id", "currency")
_DOC_FLAGS = {
    "accepted": "date_accepted",
    "confirmed": "date_confirmed",
    "sent": "date_sent",
    "paid": "date_paid",
    "cancelled": "date_cancelled",
}

_ITEM_SPEC: Spec = {
    **{k: v for k, v in _LINEITEM_SPEC.items() if k not in ("source_catalog_item", "position")},
    "product_code": ("str", None),
    "interval": ("choice", ("monthly", "bimonthly", "quarterly", "yearly")),
    "metered": ("bool", None),
    "tax_category": ("choice", ("default", "alternate", "custom")),
}
_ITEM_REQUIRED = ("description",)

_ADDRESS_SPEC: Spec = {
    "format": ("str", None),
    "country_name": ("str", None),
    "street_address": ("str", None),
    "extended_address": ("str", None),
    "locality": ("str", None),
    "region": ("str", None),
    "postal_code": ("str", None),
}
_CONTACT_SPEC: Spec = {
    "contact_type": ("choice", ("organization", "person")),
    "name": ("str", None),
    "family_name": ("str", None),
    "given_name": ("str", None),
    "title": ("str", None),
    "department": ("str", None),
    "phone_number": ("str", None),
    "fax_number": ("str", None),
    "email": ("email", None),
    "addresses": ("addresses", None),
}
_CLIENT_SPEC: Spec = {
    "client_external_id": ("str", None),
    "contacts": ("client_contacts", None),
    "default_contact": ("ref", "contacts"),
    "lang_code": ("str", None),
    "date_cutoff": ("int", None),
}
_SETTINGS_SPEC: Spec = {
    "securesend_subject": ("str", None),
    "securesend_message": ("str", None),
    "send_by_secure_send": ("bool", None),
    "send_by_post": ("bool", None),
    "enable_cc_payments": ("bool", None),
    "use_document_contact": ("bool", None),
    "secure_send_contacts": ("refs", "contacts"),
}
_ORDER_ADDRESS_KEYS = (
    "address_format",
    "country",
    "street_address",
    "extended_address",
    "locality",
    "region",
    "postal_code",
)
_ORDER_SPEC: Spec = {
    "recipient_organization": ("ref", "clients"),
    "securesend_selected": ("bool", None),
    "to_emails": ("emails", None),
    "send_to_contacts": ("refs", "contacts"),
    "subject": ("str", None),
    "message": ("str", None),
    "enable_cc_payments": ("bool", None),
    "sendbypost_selected": ("bool", None),
    "stamp_type": ("choice", STAMP_TYPES),
    "recipient_contact_organization_name": ("str", None),
    "recipient_contact_department": ("str", None),
    "recipient_contact_title": ("str", None),
    "recipient_contact_name": ("str", None),
    "recipient_honorific": ("str", None),
    "recipient_address": ("order_address", None),
    "sender_contact_organization_name": ("str", None),
    "sender_contact_phone_number": ("str", None),
    "sender_address": ("order_address", None),
    "external_id": ("str", None),
}
_ORDER_REQUIRED = ("recipient_organization",)
_ORDER_ITEM_SPEC: Spec = {
    "position": ("int", None),
    "document": ("ref", "documents"),
    "filename": ("str", None),
}
_HISTORY_SPEC: Spec = {
    "event_name": ("str", None),
    "action_flag": ("int", None),
    "object_repr": ("str", None),
}

# Fields of "Visible Document Data" (a document as a recipient sees it).
_VISIBLE_FIELDS = (
    "document_number",
    "document_type",
    "title",
    "project_name",
    "bank_details_header",
    "bank_details",
    "message",
    "proviso",
    "group_lineitem_by_tax_rate",
    "has_hanko",
    "has_prices",
    "has_totals",
    "has_currency_code",
    "has_lineitem_tax_state",
    "signature",
    "display_tax_rate",
    "hide_tax_description",
    "has_tax_stamp",
    "jp_withholding_tax_type",
    "currency",
    "subtotal",
    "tax",
    "jp_withholding_tax",
    "tax_rate",
    "subtotal_sales_tax",
    "subtotal_withholding_tax",
    "total",
    "mixed_tax_rate_totals",
    "extended_data",
    "date",
    "date_due",
    "date_valid",
    "date_shipped",
    *(f for f in _DOC_STRINGS if f.startswith(("sender_", "recipient_"))),
    "lineitems",
    "purchase_order_ids",
    "partner_tax_registration_number",
)

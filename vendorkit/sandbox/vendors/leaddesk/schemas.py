"""LeadDesk's tables: collections, their writable fields (assumed: the docs name no fields),
filters, relations, unique fields, and the Laravel-style messages its 422s word the schema
engine's codes with. Tables only."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from ..._schema import Field

#: Collection -> the singular used in error ids (``user_not_found``).
SINGULAR = {
    "users": "user",
    "campaigns": "campaign",
    "contact_lists": "contact_list",
    "contacts": "contact",
    "products": "product",
    "calls": "call",
}
WRITABLE = ("users", "campaigns", "contact_lists", "contacts", "products")
#: Collections whose objects link a ``custom_fields`` sub-resource (the docs' user sample shows
#: ``"_links": {"self", "custom_fields"}``).
CUSTOM_FIELDS = ("users", "contacts")
#: Parent collection -> relation name -> related collection.
RELATIONS: dict[str, dict[str, str]] = {
    "campaigns": {"users": "users", "products": "products", "contact_lists": "contact_lists"},
    "contact_lists": {"contacts": "contacts"},
}
#: A call's ids that link the object they name (``_links.user``).
CALL_LINKS = (("user_id", "users"), ("campaign_id", "campaigns"), ("contact_id", "contacts"))


def _is_email(value: str) -> bool:
    return "@" in value and "." in value.rpartition("@")[2] and " " not in value


def _f(kind: str, required: bool = False, **options: Any) -> Field:
    return Field(kind, required=required, blank_is_null=True, **options)


_TEXT, _EMAIL = _f("string", max_length=255), _f("string", max_length=255, email=_is_email)
_BOOL, _DECIMAL = _f("bool", loose_bool=True), _f("decimal")

FIELDS: dict[str, dict[str, Field]] = {
    "users": {
        "username": _f("string", True, max_length=255),
        "first_name": _TEXT,
        "last_name": _TEXT,
        "email": _EMAIL,
        "phone": _TEXT,
        "role": _f("choice", choices=("agent", "teamleader", "admin")),
        "language": _TEXT,
        "active": _BOOL,
        "extension": _TEXT,
    },
    "campaigns": {
        "name": _f("string", True, max_length=255),
        "type": _f("choice", choices=("outbound", "inbound", "blended")),
        "description": _TEXT,
        "active": _BOOL,
    },
    "contact_lists": {
        "name": _f("string", True, max_length=255),
        "description": _TEXT,
        "active": _BOOL,
    },
    "contacts": {
        "first_name": _TEXT,
        "last_name": _TEXT,
        "phone": _f("string", True, max_length=255),
        "mobile": _TEXT,
        "email": _EMAIL,
        **dict.fromkeys(("company", "street_address", "postal_code", "city", "country"), _TEXT),
    },
    "products": {
        "name": _f("string", True, max_length=255),
        "code": _TEXT,
        "price": _DECIMAL,
        "currency": _TEXT,
        "vat_percent": _DECIMAL,
        "active": _BOOL,
    },
}
UNIQUE = {"users": ("username",), "products": ("code",)}
#: Fields a collection can be filtered on with ``?field=value``.
FILTERS: dict[str, tuple[str, ...]] = {
    **{c: tuple(FIELDS[c]) for c in WRITABLE},
    "calls": ("user_id", "campaign_id", "contact_id", "contact_list_id", "direction", "result"),
}

MESSAGES = {
    **dict.fromkeys(("required", "null", "blank"), "The {label} field is required."),
    "string": "The {label} must be a string.",
    "max_length": "The {label} may not be greater than {max} characters.",
    "email": "The {label} must be a valid email address.",
    "bool": "The {label} field must be true or false.",
    **dict.fromkeys(("decimal_type", "decimal"), "The {label} must be a number."),
    "choice": "The selected {label} is invalid.",
}

#: One error id per status: the reason phrase in snake case (``not_found``); 422 is the docs'
#: ``validation_failed``.
ERROR_CODES = {
    status: HTTPStatus(status).phrase.lower().replace(" ", "_")
    for status in (400, 401, 403, 404, 405, 406, 415, 429, 500, 501, 502, 503, 504)
} | {422: "validation_failed"}

"""LeanLaw's tables: each collection's URL segment, noun, writable fields (camelCase, as the
docs' samples), filters and optional blocks, and the messages its 400s word the schema engine's
codes with. Tables only."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

import attrs

from ..._schema import Field

_ZERO = Decimal(0)


def _is_email(value: str) -> bool:
    return "@" in value and not value.startswith("@") and not value.endswith("@")


def _text(required: bool = False, max_length: int = 500) -> Field:
    return Field("string", required=required, strip=True, max_length=max_length)


def _email(required: bool = False) -> Field:
    return Field("string", required=required, strip=True, max_length=500, email=_is_email)


def _money(required: bool = False) -> Field:
    return Field("decimal", required=required, minimum=_ZERO)


def _enum(*choices: str) -> Field:
    return Field("choice", choices=choices, fold_case=True)


def _ref(collection: str, required: bool = False) -> Field:
    return Field("ref", required=required, ref=collection, fold_case=True)


@attrs.frozen
class Schema:
    """One collection: URL segment, writable fields, filters, optional blocks, its noun."""

    segment: str
    noun: str
    fields: Mapping[str, Field]
    filters: tuple[str, ...] = ()
    blocks: tuple[str, ...] = ("meta",)


SCHEMAS: dict[str, Schema] = {
    "users": Schema(
        "users",
        "User",
        {
            "firstName": _text(True),
            "lastName": _text(True),
            "email": _email(True),
            "role": _enum("Admin", "Attorney", "Paralegal", "Billing"),
            "defaultRate": _money(),
            "isActive": Field("bool"),
        },
        filters=("role", "isActive"),
    ),
    "practice_areas": Schema(
        "practice-areas",
        "Practice area",
        {"name": _text(True), "code": _text(), "description": _text()},
    ),
    "clients": Schema(
        "clients",
        "Client",
        {
            "name": _text(True),
            "clientNumber": _text(),
            "status": _enum("Active", "Inactive"),
            "currency": _enum("USD", "CAD", "EUR", "GBP"),
            "billingRate": _money(),
            "notes": _text(max_length=4000),
            "contact": Field("object"),
        },
        filters=("status",),
        blocks=("contact", "meta"),
    ),
    "matters": Schema(
        "matters",
        "Matter",
        {
            "clientId": _ref("clients", True),
            "name": _text(True),
            "number": _text(),
            "status": _enum("Open", "Pending", "Closed"),
            "practiceAreaId": _ref("practice_areas"),
            "responsibleUserId": _ref("users"),
            "billingType": _enum("Hourly", "FixedFee", "Contingency"),
            "openDate": Field("date"),
            "closeDate": Field("date"),
            "description": _text(max_length=4000),
        },
        filters=("clientId", "status", "practiceAreaId", "responsibleUserId", "billingType"),
    ),
    "time_entries": Schema(
        "time-entries",
        "Time entry",
        {
            "matterId": _ref("matters", True),
            "userId": _ref("users", True),
            "date": Field("date", required=True),
            "hours": Field("decimal", required=True, minimum=_ZERO, exclusive=True),
            "rate": _money(),
            "description": _text(max_length=4000),
            "billable": Field("bool"),
            "status": _enum("Unbilled", "Billed"),
        },
        filters=("matterId", "userId", "status", "billable"),
    ),
    "expenses": Schema(
        "expenses",
        "Expense",
        {
            "matterId": _ref("matters", True),
            "date": Field("date", required=True),
            "amount": _money(True),
            "category": _text(),
            "description": _text(max_length=4000),
            "billable": Field("bool"),
        },
        filters=("matterId", "billable"),
    ),
    "fixed_fees": Schema(
        "fixed-fees",
        "Fixed fee",
        {
            "matterId": _ref("matters", True),
            "date": Field("date", required=True),
            "amount": _money(True),
            "description": _text(max_length=4000),
        },
        filters=("matterId",),
    ),
    "invoices": Schema(
        "invoices",
        "Invoice",
        {
            "clientId": _ref("clients", True),
            "matterId": _ref("matters"),
            "number": _text(),
            "status": _enum("Draft", "Sent", "Paid", "Void"),
            "issueDate": Field("date"),
            "dueDate": Field("date"),
            "total": _money(),
            "balance": _money(),
            "currency": _enum("USD", "CAD", "EUR", "GBP"),
        },
        filters=("clientId", "matterId", "status"),
    ),
}

MESSAGES = {
    **dict.fromkeys(("required", "null", "blank"), "The {name} field is required."),
    "string": "The {name} field must be a string.",
    "max_length": "The {name} field must be at most {max} characters.",
    "email": "The {name} field is not a valid e-mail address.",
    "decimal_type": "The {name} field must be a decimal number.",
    "decimal": "The value '{value}' is not a valid decimal.",
    "min": "The {name} field must be 0 or greater.",
    "positive": "The {name} field must be greater than 0.",
    "date_type": "The {name} field must be a date (YYYY-MM-DD).",
    "date": "The value '{value}' is not a valid date.",
    "bool": "The {name} field must be true or false.",
    "choice": "The value '{value}' is not one of: {choices}.",
    "ref": "{noun} '{value}' was not found.",
    "object": "The {name} field must be an object.",
}

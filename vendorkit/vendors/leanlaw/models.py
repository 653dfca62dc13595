"""LeanLaw records. The public docs describe the envelope, not the fields, so each model names
the fields LeanLaw's API is known to carry and everything else stays in ``record.raw``. Every
field is optional: a record missing one is still read. Wire names are camelCase."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import attrs

from vendorkit.core import Record

__all__ = [
    "Client",
    "Expense",
    "FixedFee",
    "Invoice",
    "Matter",
    "PracticeArea",
    "TimeEntry",
    "User",
]


@attrs.frozen(kw_only=True)
class Client(Record):
    id: str | None = None
    name: str | None = None
    status: str | None = None
    contact: dict[str, Any] | None = None
    meta: dict[str, Any] | None = None


@attrs.frozen(kw_only=True)
class Matter(Record):
    id: str | None = None
    client_id: str | None = None
    name: str | None = None
    number: str | None = None
    status: str | None = None
    practice_area_id: str | None = None
    billing_type: str | None = None
    meta: dict[str, Any] | None = None


@attrs.frozen(kw_only=True)
class TimeEntry(Record):
    id: str | None = None
    matter_id: str | None = None
    user_id: str | None = None
    date: date | None = None
    hours: Decimal | None = None
    rate: Decimal | None = None
    amount: Decimal | None = None
    description: str | None = None
    billable: bool | None = None
    meta: dict[str, Any] | None = None


@attrs.frozen(kw_only=True)
class Expense(Record):
    id: str | None = None
    matter_id: str | None = None
    date: date | None = None
    amount: Decimal | None = None
    description: str | None = None
    billable: bool | None = None
    meta: dict[str, Any] | None = None


@attrs.frozen(kw_only=True)
class FixedFee(Record):
    id: str | None = None
    matter_id: str | None = None
    date: date | None = None
    amount: Decimal | None = None
    description: str | None = None
    meta: dict[str, Any] | None = None


@attrs.frozen(kw_only=True)
class Invoice(Record):
    id: str | None = None
    client_id: str | None = None
    matter_id: str | None = None
    number: str | None = None
    status: str | None = None
    issue_date: date | None = None
    due_date: date | None = None
    total: Decimal | None = None
    balance: Decimal | None = None
    meta: dict[str, Any] | None = None


@attrs.frozen(kw_only=True)
class User(Record):
    id: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    role: str | None = None
    meta: dict[str, Any] | None = None


@attrs.frozen(kw_only=True)
class PracticeArea(Record):
    id: str | None = None
    name: str | None = None
    meta: dict[str, Any] | None = None

"""LeanLaw records. The public docs describe the envelope, not the fields, so each model names
the fields LeanLaw's API is known to carry and everything else stays in ``record.raw``. Every
field is optional: a record missing one is still read. Wire names are camelCase.

Ids (``id`` and the ``*_id`` references) are GUID strings per the contract, but the docs' own
example shows ``"id": 123``: an id is kept exactly as sent, string or integer, so
``record.id == record.raw["id"]`` always holds and the id can be passed back unchanged."""

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
    id: str | int | None = None
    name: str | None = None
    status: str | None = None
    # With ``select=contact``: kept as sent (an object, or a list of contacts).
    contact: Any = None
    meta: dict[str, Any] | None = None


@attrs.frozen(kw_only=True)
class Matter(Record):
    id: str | int | None = None
    client_id: str | int | None = None
    name: str | None = None
    number: str | None = None
    status: str | None = None
    practice_area_id: str | int | None = None
    billing_type: str | None = None
    meta: dict[str, Any] | None = None


@attrs.frozen(kw_only=True)
class TimeEntry(Record):
    id: str | int | None = None
    matter_id: str | int | None = None
    user_id: str | int | None = None
    date: date | None = None
    hours: Decimal | None = None
    rate: Decimal | None = None
    amount: Decimal | None = None
    description: str | None = None
    billable: bool | None = None
    meta: dict[str, Any] | None = None


@attrs.frozen(kw_only=True)
class Expense(Record):
    id: str | int | None = None
    matter_id: str | int | None = None
    date: date | None = None
    amount: Decimal | None = None
    description: str | None = None
    billable: bool | None = None
    meta: dict[str, Any] | None = None


@attrs.frozen(kw_only=True)
class FixedFee(Record):
    id: str | int | None = None
    matter_id: str | int | None = None
    date: date | None = None
    amount: Decimal | None = None
    description: str | None = None
    meta: dict[str, Any] | None = None


@attrs.frozen(kw_only=True)
class Invoice(Record):
    id: str | int | None = None
    client_id: str | int | None = None
    matter_id: str | int | None = None
    number: str | None = None
    status: str | None = None
    issue_date: date | None = None
    due_date: date | None = None
    total: Decimal | None = None
    balance: Decimal | None = None
    meta: dict[str, Any] | None = None


@attrs.frozen(kw_only=True)
class User(Record):
    id: str | int | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    role: str | None = None
    meta: dict[str, Any] | None = None


@attrs.frozen(kw_only=True)
class PracticeArea(Record):
    id: str | int | None = None
    name: str | None = None
    meta: dict[str, Any] | None = None

"""LeanLaw records. The public docs describe the envelope, not the fields, so each model names
the fields LeanLaw's API is known to carry and everything else stays in ``record.raw``. Wire
names are camelCase; ``docs/vendors/leanlaw.md`` lists every field.

``id`` is always sent (``leanlaw.txt``, "Responses": the one field its example object has), so
it is never None and a record without one fails to read, naming it; every other field is
optional. Ids (``id`` and the ``*_id`` references) are GUID strings per the contract, but the
docs' own example shows ``"id": 123``: an id is kept exactly as sent, string or integer, so
``record.id == record.raw["id"]`` always holds and the id goes back into a path or a filter
unchanged. A model built by hand for ``create`` has ``id=""`` until LeanLaw assigns one; an
empty id is never sent."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import attrs

from vendorkit.core import Record, always_sent

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
    """A client of the firm. ``contact`` (with ``select=contact``) is kept as sent: an object or
    a list of contacts; ``meta`` (with ``select=meta``) holds the created and modified stamps."""

    id: str | int = always_sent("")
    name: str | None = None
    status: str | None = None
    contact: Any = None
    meta: dict[str, Any] | None = None


@attrs.frozen(kw_only=True)
class Matter(Record):
    """A matter (a case or engagement) of one client (``client_id``)."""

    id: str | int = always_sent("")
    client_id: str | int | None = None
    name: str | None = None
    number: str | None = None
    status: str | None = None
    practice_area_id: str | int | None = None
    billing_type: str | None = None
    meta: dict[str, Any] | None = None


@attrs.frozen(kw_only=True)
class TimeEntry(Record):
    """Time worked on a matter: ``hours`` at ``rate`` (``amount`` as LeanLaw computes it)."""

    id: str | int = always_sent("")
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
    """An expense charged to a matter."""

    id: str | int = always_sent("")
    matter_id: str | int | None = None
    date: date | None = None
    amount: Decimal | None = None
    description: str | None = None
    billable: bool | None = None
    meta: dict[str, Any] | None = None


@attrs.frozen(kw_only=True)
class FixedFee(Record):
    """A fixed fee charged to a matter."""

    id: str | int = always_sent("")
    matter_id: str | int | None = None
    date: date | None = None
    amount: Decimal | None = None
    description: str | None = None
    meta: dict[str, Any] | None = None


@attrs.frozen(kw_only=True)
class Invoice(Record):
    """An invoice of a client (and optionally one matter): ``total`` and the unpaid ``balance``."""

    id: str | int = always_sent("")
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
    """A user of the firm's LeanLaw account (a timekeeper)."""

    id: str | int = always_sent("")
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    role: str | None = None
    meta: dict[str, Any] | None = None


@attrs.frozen(kw_only=True)
class PracticeArea(Record):
    """A practice area matters are filed under (``matter.practice_area_id``)."""

    id: str | int = always_sent("")
    name: str | None = None
    meta: dict[str, Any] | None = None

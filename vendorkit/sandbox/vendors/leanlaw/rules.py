"""LeanLaw's behaviour beyond its tables, as named hooks the generic handlers call: what the
server fills on create (numbers, statuses, a time entry's rate), the computed ``amount``, and
unique user e-mails. No I/O, no HTTP."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ..._problem import Problem
from ..._schema import cents

if TYPE_CHECKING:
    from .routes import LeanLawEmulator

__all__ = ["VALIDATION", "check", "defaults", "derive", "invalid"]

VALIDATION = "One or more validation errors occurred."


def invalid(field: str, message: str) -> Problem:
    """A 400 ``ValidationError`` with one ``details`` entry."""
    return Problem(400, VALIDATION, code="ValidationError", fields={field: [message]})


def check(emu: LeanLawEmulator, collection: str, changes: Mapping[str, Any], current: Any) -> None:
    """Refuse a user whose e-mail another user has."""
    email = changes.get("email") if collection == "users" else None
    if email is None:
        return
    own_id = current["id"] if current else None
    for uid, user in emu.store["users"].items():
        if uid != own_id and str(user.get("email", "")).lower() == email.lower():
            raise invalid("email", f"A user with the e-mail '{email}' already exists.")


def defaults(emu: LeanLawEmulator, collection: str, rec: dict[str, Any], today: date) -> None:
    """Fill what LeanLaw fills on create."""

    def number(counter: str, fmt: Callable[[int], str]) -> str:
        emu.numbers[counter] = emu.numbers.get(counter, 0) + 1
        return fmt(emu.numbers[counter])

    if collection == "clients":
        rec.setdefault("status", "Active")
        rec.setdefault("currency", "USD")
        if not rec.get("clientNumber"):
            rec["clientNumber"] = number("clients", lambda k: f"C-{k:05d}")
        rec.setdefault("contact", None)
    elif collection == "matters":
        rec.setdefault("status", "Open")
        rec.setdefault("billingType", "Hourly")
        rec.setdefault("openDate", today.isoformat())
        if not rec.get("number"):
            rec["number"] = number("matters", lambda k: f"{today.year}-{k:04d}")
    elif collection == "users":
        rec.setdefault("role", "Attorney")
        rec.setdefault("defaultRate", cents(300))
        rec.setdefault("isActive", True)
    elif collection == "time_entries":
        rec.setdefault("billable", True)
        rec.setdefault("status", "Unbilled")
        if rec.get("rate") is None:
            user = emu.store["users"].get(rec["userId"], {})
            rec["rate"] = user.get("defaultRate") or cents(300)
    elif collection == "expenses":
        rec.setdefault("billable", True)
    elif collection == "invoices":
        rec.setdefault("status", "Draft")
        rec.setdefault("currency", "USD")
        rec.setdefault("issueDate", today.isoformat())
        if rec.get("dueDate") is None:
            issued = date.fromisoformat(rec["issueDate"])
            rec["dueDate"] = (issued + timedelta(days=30)).isoformat()
        rec.setdefault("total", cents(0))
        rec.setdefault("balance", rec["total"])
        if not rec.get("number"):
            # The counter stands at the last number issued (seeded ones included): the next.
            rec["number"] = number("invoices", lambda k: f"INV-{k}")


def derive(collection: str, rec: dict[str, Any]) -> None:
    """A time entry's ``amount`` is ``hours * rate``."""
    if collection == "time_entries" and rec.get("hours") and rec.get("rate"):
        rec["amount"] = cents(Decimal(rec["hours"]) * Decimal(rec["rate"]))

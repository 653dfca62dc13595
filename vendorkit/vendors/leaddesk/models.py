"""LeadDesk records. The public docs describe the envelopes, not the resources' fields, so each
model names the fields a LeadDesk integration needs most (assumed, snake_case as LeadDesk's JSON
is) and everything else, ``_links`` included, stays in ``record.raw``; ``docs/vendors/leaddesk.md``
lists every field. Times are ISO 8601 with an offset.

``id`` is always sent (``leaddesk.txt``: "id is always present" in what a create returns, and the
object example opens with ``"id": 12345``), so it is typed ``int`` and a record without one fails
to read, naming it, even though LeadDesk records are otherwise read leniently (a field that does
not fit its assumed type is left ``None``). A model built by hand for ``create`` has ``id=0``
until LeadDesk assigns one; a zero id is never sent."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import attrs

from vendorkit.core import Record, always_sent

__all__ = [
    "Call",
    "Campaign",
    "Contact",
    "ContactList",
    "LeadDeskRecord",
    "Product",
    "User",
]


@attrs.frozen(kw_only=True)
class LeadDeskRecord(Record):
    """Base of the LeadDesk models: ``links`` is the object's ``_links`` (``self`` and the
    links to its sub-resources), absolute URLs that ``client.request("GET", url)`` accepts."""

    @property
    def links(self) -> dict[str, str]:
        value = self.raw.get("_links")
        return dict(value) if isinstance(value, dict) else {}


@attrs.frozen(kw_only=True)
class User(LeadDeskRecord):
    """A LeadDesk user (an agent, a team leader, an administrator)."""

    id: int = always_sent(0)
    username: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    role: str | None = None
    language: str | None = None
    active: bool | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


@attrs.frozen(kw_only=True)
class Campaign(LeadDeskRecord):
    """A calling campaign: its users, products and contact lists are sub-resources."""

    id: int = always_sent(0)
    name: str | None = None
    type: str | None = None
    description: str | None = None
    active: bool | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


@attrs.frozen(kw_only=True)
class ContactList(LeadDeskRecord):
    """A list of contacts to call, assigned to campaigns."""

    id: int = always_sent(0)
    name: str | None = None
    description: str | None = None
    active: bool | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


@attrs.frozen(kw_only=True)
class Contact(LeadDeskRecord):
    """A person to call, on a contact list."""

    id: int = always_sent(0)
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    mobile: str | None = None
    email: str | None = None
    company: str | None = None
    street_address: str | None = None
    postal_code: str | None = None
    city: str | None = None
    country: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


@attrs.frozen(kw_only=True)
class Product(LeadDeskRecord):
    """A product agents sell in campaigns (``price`` with ``vat_percent``)."""

    id: int = always_sent(0)
    name: str | None = None
    code: str | None = None
    price: Decimal | None = None
    currency: str | None = None
    vat_percent: Decimal | None = None
    active: bool | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


@attrs.frozen(kw_only=True)
class Call(LeadDeskRecord):
    """One call made or taken by an agent (read-only)."""

    id: int = always_sent(0)
    user_id: int | None = None
    campaign_id: int | None = None
    contact_id: int | None = None
    contact_list_id: int | None = None
    number: str | None = None
    direction: str | None = None
    result: str | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    duration: int | None = None
    talk_time: int | None = None

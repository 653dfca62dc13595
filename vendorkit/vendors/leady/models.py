"""Leady records. The docs name the resources, not their fields: each model names the fields a
Leady client needs most, everything else stays in ``record.raw``. All times are UTC (a timestamp
without an offset is read as UTC).

Always sent, and so typed without ``None`` (a record without it fails to read, naming it): a
tracked website's ``domain`` (what its sessions are listed under), the ``id`` of every other
record (Django REST Framework's primary key; ``int | str``, kept as sent, since the docs show no
record), a code list entry's ``code``. A model built by hand for ``create`` has ``id=0`` until
Leady assigns one; a zero id is never sent. ``docs/vendors/leady.md`` lists every field.

Assumed, since the docs are silent on shapes: fields that may be a scalar or a nested object
(references such as ``company``, ``resource``, ``session``, ``turnover``, ``magnitude``, and
``country``) are typed ``Any`` and kept exactly as sent, so no shape of theirs can make a record
unreadable."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs

from vendorkit.core import Record, always_sent

__all__ = [
    "Action",
    "BlacklistEntry",
    "Company",
    "Magnitude",
    "Person",
    "Resource",
    "SavedFilter",
    "Session",
    "Turnover",
]


@attrs.frozen(kw_only=True)
class Resource(Record):
    """A tracked website."""

    domain: str = always_sent("")
    id: int | str | None = None
    name: str | None = None


@attrs.frozen(kw_only=True)
class Session(Record):
    """A visit to a tracked website. ``duration`` is kept as sent: seconds (a number) or a
    Django ``DurationField`` string (``"00:02:21"``); the docs do not say which."""

    id: int | str = always_sent(0)
    # The tracked website: its domain, its id or a nested object (kept as sent).
    resource: Any = None
    company: Any = None
    start: datetime | None = None
    end: datetime | None = None
    duration: int | float | str | None = None
    referrer: str | None = None


@attrs.frozen(kw_only=True)
class Action(Record):
    """One page view within a session (``url``, ``title``, ``time``)."""

    id: int | str = always_sent(0)
    session: Any = None
    time: datetime | None = None
    url: str | None = None
    title: str | None = None


@attrs.frozen(kw_only=True)
class Company(Record):
    """A company Leady identified among the visitors (``turnover`` and ``magnitude`` are
    code-list references)."""

    id: int | str = always_sent(0)
    name: str | None = None
    domain: str | None = None
    # A country code or a nested object: kept as sent.
    country: Any = None
    turnover: Any = None
    magnitude: Any = None


@attrs.frozen(kw_only=True)
class Person(Record):
    """A person at a company."""

    id: int | str = always_sent(0)
    name: str | None = None
    email: str | None = None
    company: Any = None
    position: str | None = None


@attrs.frozen(kw_only=True)
class SavedFilter(Record):
    """A saved filter of the Leady app, by name."""

    id: int | str = always_sent(0)
    name: str | None = None


@attrs.frozen(kw_only=True)
class BlacklistEntry(Record):
    """A domain excluded from tracking."""

    id: int | str = always_sent(0)
    domain: str | None = None


@attrs.frozen(kw_only=True)
class Turnover(Record):
    """An entry of the turnover code list (the company's yearly turnover band)."""

    code: str | int = always_sent("")
    name: str | None = None


@attrs.frozen(kw_only=True)
class Magnitude(Record):
    """An entry of the magnitude code list (the company's size by employees)."""

    code: str | int = always_sent("")
    name: str | None = None

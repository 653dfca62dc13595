"""Leady records. The docs name the resources, not their fields: each model names the fields a
Leady client needs most, everything else stays in ``record.raw``. All times are UTC (a timestamp
without an offset is read as UTC).

Assumed, since the docs are silent on shapes: fields that may be a scalar or a nested object
(references such as ``company``, ``resource``, ``session``, ``turnover``, ``magnitude``, and
``country``) are typed ``Any`` and kept exactly as sent, so no shape of theirs can make a record
unreadable."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs

from vendorkit.core import Record

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

    id: int | str | None = None
    domain: str | None = None
    name: str | None = None


@attrs.frozen(kw_only=True)
class Session(Record):
    """A visit to a tracked website. ``duration`` is kept as sent: seconds (a number) or a
    Django ``DurationField`` string (``"00:02:21"``); the docs do not say which."""

    id: int | str | None = None
    # The tracked website: its domain, its id or a nested object (kept as sent).
    resource: Any = None
    company: Any = None
    start: datetime | None = None
    end: datetime | None = None
    duration: int | float | str | None = None
    referrer: str | None = None


@attrs.frozen(kw_only=True)
class Action(Record):
    id: int | str | None = None
    session: Any = None
    time: datetime | None = None
    url: str | None = None
    title: str | None = None


@attrs.frozen(kw_only=True)
class Company(Record):
    id: int | str | None = None
    name: str | None = None
    domain: str | None = None
    # A country code or a nested object: kept as sent.
    country: Any = None
    turnover: Any = None
    magnitude: Any = None


@attrs.frozen(kw_only=True)
class Person(Record):
    id: int | str | None = None
    name: str | None = None
    email: str | None = None
    company: Any = None
    position: str | None = None


@attrs.frozen(kw_only=True)
class SavedFilter(Record):
    id: int | str | None = None
    name: str | None = None


@attrs.frozen(kw_only=True)
class BlacklistEntry(Record):
    id: int | str | None = None
    domain: str | None = None


@attrs.frozen(kw_only=True)
class Turnover(Record):
    code: str | int | None = None
    name: str | None = None


@attrs.frozen(kw_only=True)
class Magnitude(Record):
    code: str | int | None = None
    name: str | None = None

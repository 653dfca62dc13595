"""Converter rules a ``VendorSpec`` names (``SendAsRead``, ``BareValueAs``, ``NoneUnless``) and
``lenient_structure``: pure, on made-up models."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import attrs
import pytest

from vendorkit.core import (
    BareValueAs,
    NoneUnless,
    Record,
    SendAsRead,
    lenient_structure,
    make_converter,
    structure,
    to_wire,
)
from vendorkit.errors import DecodeError


@attrs.frozen(kw_only=True)
class Price(Record):
    amount: Decimal | None = None
    currency: str | None = None


@attrs.frozen(kw_only=True)
class Mail(Record):
    address: str | None = None


@attrs.frozen(kw_only=True)
class Job(Record):
    name: str | None = None
    finished: datetime | None = None
    price: Price | None = None
    mail: Mail | None = None
    count: int | None = None


def _flag_free(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value[:1].isdigit())


RULES = (
    SendAsRead((Price, Mail)),
    NoneUnless(Job, "finished", _flag_free),
    BareValueAs(Mail, "address"),
)


def test_nested_values_go_back_as_read_and_new_nones_are_not_sent() -> None:
    conv = make_converter("snake", RULES)
    job = structure(conv, {"price": {"amount": "10", "currency": "JPY", "tax": "x"}}, Job)
    assert to_wire(conv, job)["price"] == {"amount": "10", "currency": "JPY", "tax": "x"}
    fresh = Job(price=Price(amount=Decimal("5")))
    assert to_wire(conv, fresh)["price"] == {"amount": "5"}  # currency=None not sent
    read_null = structure(conv, {"price": {"amount": "1", "currency": None}}, Job)
    assert to_wire(conv, read_null)["price"] == {"amount": "1", "currency": None}
    plain = make_converter("snake")
    assert to_wire(plain, fresh)["price"] == {"amount": "5", "currency": None}


def test_a_bare_string_is_read_as_the_named_field() -> None:
    conv = make_converter("snake", RULES)
    job = structure(conv, {"mail": "a@b.example"}, Job)
    assert job.mail == Mail(address="a@b.example")
    assert job.mail is not None and job.mail.raw == {"address": "a@b.example"}
    assert structure(conv, {"mail": {"address": "c@d.example"}}, Job).mail == Mail(
        address="c@d.example"
    )


def test_a_refused_value_is_read_as_none_and_kept_in_raw() -> None:
    conv = make_converter("snake", RULES)
    job = structure(conv, {"name": "x", "finished": True}, Job)
    assert job.finished is None and job.raw["finished"] is True
    done = structure(conv, {"finished": "2026-01-02T03:04:05Z"}, Job)
    assert done.finished is not None and done.finished.year == 2026
    assert structure(conv, {"name": "y"}, Job).finished is None


def test_lenient_structure_leaves_only_the_misfits_none() -> None:
    conv = make_converter("snake")
    data = {"name": "n", "count": "many", "finished": "2026-01-02T00:00:00Z", "extra": 1}
    with pytest.raises(DecodeError):
        structure(conv, data, Job)
    job = lenient_structure(conv, data, Job)
    assert job.name == "n" and job.count is None and job.finished is not None
    assert job.raw == data
    with pytest.raises(DecodeError):
        lenient_structure(conv, ["not", "an", "object"], Job)

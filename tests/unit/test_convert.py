"""Pins the converter: wire names per key style, money as ``Decimal`` (strings on the wire both
ways, never a float), aware datetimes (``Z``, offsets, naive = UTC), dates, unknown fields kept in
``record.raw``, ``to_wire``/``changed_fields``, and ``DecodeError`` with a path on bad input."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import attrs
import pytest

from vendorkit.core import Record, changed_fields, make_converter, structure, to_camel, to_wire
from vendorkit.errors import DecodeError


@attrs.frozen(kw_only=True)
class Invoice(Record):
    invoice_id: int | str
    total_amount: Decimal
    issued_at: datetime
    due_date: date | None = None
    tax_rate: Decimal | None = None
    note: str | None = None


SNAKE = make_converter("snake")
CAMEL = make_converter("camel")

WIRE = {
    "invoice_id": 7,
    "total_amount": "1234.50",
    "issued_at": "2024-03-01T09:30:00Z",
    "due_date": "2024-03-31",
    "tax_rate": "0.10",
    "note": None,
    "extra_field": {"kept": True},
}


def test_snake_structure_and_raw_keeps_unknown_fields() -> None:
    inv = structure(SNAKE, WIRE, Invoice)
    assert inv == Invoice(
        invoice_id=7,
        total_amount=Decimal("1234.50"),
        issued_at=datetime(2024, 3, 1, 9, 30, tzinfo=UTC),
        due_date=date(2024, 3, 31),
        tax_rate=Decimal("0.10"),
    )
    assert inv.raw == WIRE and inv.raw["extra_field"] == {"kept": True}


def test_camel_names_on_the_wire_snake_in_python() -> None:
    wire = {"invoiceId": "INV-1", "totalAmount": "5", "issuedAt": "2024-03-01T00:00:00Z"}
    inv = structure(CAMEL, wire, Invoice)
    assert (inv.invoice_id, inv.total_amount) == ("INV-1", Decimal("5"))
    assert to_wire(CAMEL, inv) == {
        "invoiceId": "INV-1",
        "totalAmount": "5",
        "issuedAt": "2024-03-01T00:00:00Z",
    }


def test_raw_takes_no_part_in_equality_or_repr() -> None:
    a = structure(SNAKE, WIRE, Invoice)
    b = structure(SNAKE, {**WIRE, "extra_field": "different"}, Invoice)
    assert a == b
    assert "extra_field" not in repr(a)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1234.50", "1234.50"),
        ("0.1", "0.1"),
        (0.1, "0.1"),  # a float on the wire: its shortest repr, not 0.1000000000000000055…
        (19.99, "19.99"),
        (12, "12"),
        ("-0.005", "-0.005"),
    ],
)
def test_money_is_decimal_and_round_trips_as_a_string(value: Any, expected: str) -> None:
    inv = structure(SNAKE, {**WIRE, "total_amount": value}, Invoice)
    assert isinstance(inv.total_amount, Decimal)
    assert str(inv.total_amount) == expected
    out = to_wire(SNAKE, inv)
    assert out["total_amount"] == expected and isinstance(out["total_amount"], str)
    assert f'"total_amount": "{expected}"' in json.dumps(out)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-01T09:30:00Z", datetime(2024, 3, 1, 9, 30, tzinfo=UTC)),
        ("2024-03-01T09:30:00z", datetime(2024, 3, 1, 9, 30, tzinfo=UTC)),
        ("2024-03-01T09:30:00.250Z", datetime(2024, 3, 1, 9, 30, 0, 250000, tzinfo=UTC)),
        (
            "2024-03-01T18:30:00+09:00",
            datetime(2024, 3, 1, 18, 30, tzinfo=timezone(timedelta(hours=9))),
        ),
        ("2024-03-01T09:30:00", datetime(2024, 3, 1, 9, 30, tzinfo=UTC)),  # naive: UTC
    ],
)
def test_timestamps_are_timezone_aware(text: str, expected: datetime) -> None:
    dt = structure(SNAKE, {**WIRE, "issued_at": text}, Invoice).issued_at
    assert dt == expected and dt.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize(
    ("dt", "wire"),
    [
        (datetime(2024, 3, 1, 9, 30, tzinfo=UTC), "2024-03-01T09:30:00Z"),
        (
            datetime(2024, 3, 1, 18, 30, tzinfo=timezone(timedelta(hours=9))),
            "2024-03-01T18:30:00+09:00",
        ),
        (
            datetime(2024, 3, 1, 4, 0, tzinfo=timezone(timedelta(hours=-5, minutes=-30))),
            "2024-03-01T04:00:00-05:30",
        ),
    ],
)
def test_timestamps_on_the_wire(dt: datetime, wire: str) -> None:
    inv = Invoice(invoice_id=1, total_amount=Decimal(1), issued_at=dt)
    assert to_wire(SNAKE, inv)["issued_at"] == wire


@pytest.mark.parametrize("text", ["2024-03-31", "2024-03-31T23:00:00Z"])
def test_dates(text: str) -> None:
    inv = structure(SNAKE, {**WIRE, "due_date": text}, Invoice)
    assert inv.due_date == date(2024, 3, 31)
    assert to_wire(SNAKE, inv)["due_date"] == "2024-03-31"


def test_to_wire_omits_none_and_raw_and_passes_dicts_through() -> None:
    inv = Invoice(
        invoice_id=1, total_amount=Decimal("2.00"), issued_at=datetime(2024, 1, 1, tzinfo=UTC)
    )
    assert to_wire(SNAKE, inv) == {
        "invoice_id": 1,
        "total_amount": "2.00",
        "issued_at": "2024-01-01T00:00:00Z",
    }
    payload = {"anything": 1.5, "as": "given"}
    assert to_wire(SNAKE, payload) is payload


def test_changed_fields_sends_only_what_changed_in_wire_names() -> None:
    inv = structure(
        CAMEL,
        {
            "invoiceId": 1,
            "totalAmount": "10.00",
            "issuedAt": "2024-01-01T00:00:00Z",
            "note": "a",
            "unknownThing": 1,
        },
        Invoice,
    )
    edited = attrs.evolve(inv, total_amount=Decimal("12.50"), note=None)
    assert changed_fields(CAMEL, edited) == {"totalAmount": "12.50", "note": None}
    assert changed_fields(CAMEL, inv) == {}


def test_changed_fields_of_a_hand_built_record_is_its_non_none_fields() -> None:
    inv = Invoice(
        invoice_id=3, total_amount=Decimal("1"), issued_at=datetime(2024, 1, 1, tzinfo=UTC)
    )
    assert changed_fields(SNAKE, inv) == to_wire(SNAKE, inv)


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"total_amount": "twelve"}, "total_amount"),
        ({"total_amount": True}, "total_amount"),
        ({"total_amount": [1]}, "total_amount"),
        ({"issued_at": "yesterday"}, "issued_at"),
        ({"issued_at": None}, "issued_at"),
        ({"due_date": "31/03/2024"}, "due_date"),
        ({"invoice_id": [7]}, "invoice_id"),
    ],
)
def test_bad_values_raise_decode_error_naming_the_field(change: dict[str, Any], where: str) -> None:
    with pytest.raises(DecodeError, match=where):
        structure(SNAKE, {**WIRE, **change}, Invoice)


def test_missing_required_field_is_a_decode_error() -> None:
    data = dict(WIRE)
    del data["total_amount"]
    with pytest.raises(DecodeError, match="total_amount"):
        structure(SNAKE, data, Invoice)


@pytest.mark.parametrize("data", [[WIRE], "invoice", None, 7])
def test_non_objects_are_a_decode_error(data: Any) -> None:
    with pytest.raises(DecodeError, match="expected a JSON object for Invoice"):
        structure(SNAKE, data, Invoice)


def test_plain_unions_keep_the_wire_type() -> None:
    assert structure(SNAKE, {**WIRE, "invoice_id": "A-1"}, Invoice).invoice_id == "A-1"
    assert structure(SNAKE, {**WIRE, "invoice_id": 9}, Invoice).invoice_id == 9


def test_key_style_is_validated() -> None:
    with pytest.raises(ValueError):
        make_converter("kebab")


@pytest.mark.parametrize(
    ("name", "camel"),
    [("total_amount", "totalAmount"), ("line_2_total", "line2Total"), ("id", "id")],
)
def test_to_camel(name: str, camel: str) -> None:
    assert to_camel(name) == camel

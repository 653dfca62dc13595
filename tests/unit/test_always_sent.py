"""``always_sent`` fields (ids, object URLs): typed without None, required when read (a clear
``DecodeError`` naming the field, nested or not, lenient or not), a placeholder that is never
sent when a model is built by hand. Pure, on made-up models; then each vendor's real models."""

from __future__ import annotations

import importlib
from typing import Any

import attrs
import pytest

from vendorkit.core import (
    Record,
    SendAsRead,
    always_sent,
    always_sent_fields,
    changed_fields,
    lenient_structure,
    make_converter,
    structure,
    to_wire,
)
from vendorkit.errors import DecodeError
from vendorkit.vendors import _typegen


@attrs.frozen(kw_only=True)
class Line(Record):
    url: str = always_sent("")
    text: str | None = None


@attrs.frozen(kw_only=True)
class Order(Record):
    mid: str = always_sent("")
    number: int = always_sent(0)
    name: str | None = None
    lines: list[Line] | None = None
    owner_id: str | None = None
    count: int | None = None


def test_a_complete_record_reads_and_keeps_its_types() -> None:
    conv = make_converter()
    order = structure(conv, {"mid": "M1", "number": 7, "lines": [{"url": "u", "x": 1}]}, Order)
    assert (order.mid, order.number, order.name) == ("M1", 7, None)
    assert order.lines is not None and order.lines[0].url == "u"


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({"number": 7}, "required field missing @ $.mid"),
        ({"mid": None, "number": 7}, "required field is null @ $.mid"),
        ({"mid": "M1"}, "required field missing @ $.number"),
        ({"mid": "M1", "number": 7, "lines": [{"url": "a"}, {"text": "b"}]}, "@ $.lines[1].url"),
    ],
)
def test_a_record_without_an_always_sent_field_names_it(data: dict[str, Any], problem: str) -> None:
    with pytest.raises(DecodeError) as caught:
        structure(make_converter(), data, Order)
    assert "Order does not fit the data" in str(caught.value)
    assert problem in str(caught.value)


def test_camel_case_wire_names_are_the_ones_checked() -> None:
    conv = make_converter("camel")
    assert structure(conv, {"mid": "M", "number": 1, "ownerId": "o"}, Order).owner_id == "o"
    with pytest.raises(DecodeError, match=r"\$\.mid"):
        structure(conv, {"number": 1}, Order)


def test_a_model_built_by_hand_has_placeholders_that_are_never_sent() -> None:
    conv = make_converter()
    draft = Order(name="new", lines=[Line(text="one")])
    assert (draft.mid, draft.number) == ("", 0)
    assert to_wire(conv, draft) == {"name": "new", "lines": [{"text": "one"}]}
    assert changed_fields(conv, draft) == {"name": "new", "lines": [{"text": "one"}]}
    # Once assigned, they are sent like any other field.
    assert to_wire(conv, attrs.evolve(draft, mid="M9"))["mid"] == "M9"


def test_send_as_read_value_objects_leave_placeholders_out_too() -> None:
    conv = make_converter(rules=[SendAsRead([Line])])
    assert to_wire(conv, Order(lines=[Line(text="new")])) == {"lines": [{"text": "new"}]}
    read = structure(conv, {"mid": "M", "number": 1, "lines": [{"url": "u", "k": 2}]}, Order)
    assert to_wire(conv, read)["lines"] == [{"url": "u", "k": 2}]


def test_an_update_of_a_read_record_does_not_resend_its_id() -> None:
    conv = make_converter()
    read = structure(conv, {"mid": "M", "number": 3, "name": "a"}, Order)
    assert changed_fields(conv, attrs.evolve(read, name="b")) == {"name": "b"}


def test_lenient_reading_still_requires_always_sent_fields() -> None:
    conv = make_converter()
    loose = lenient_structure(conv, {"mid": "M", "number": 2, "count": "many", "name": "n"}, Order)
    assert (loose.mid, loose.number, loose.count, loose.name) == ("M", 2, None, "n")
    assert loose.raw["count"] == "many"
    with pytest.raises(DecodeError, match=r"required field missing @ \$\.mid"):
        lenient_structure(conv, {"number": 2, "count": "many"}, Order)
    with pytest.raises(DecodeError, match=r"\$\.number"):
        lenient_structure(conv, {"mid": "M", "number": "seven"}, Order)


# -- the vendors' models -------------------------------------------------------------------------

ALWAYS = {
    "makeleaps": {
        "Partner": ("url",),
        "Employee": ("url", "mid"),
        "Document": ("url", "mid"),
        "CatalogItem": ("url", "mid"),
        "Client": ("url", "mid"),
        "Contact": ("url", "mid"),
        "SendingOrderItem": ("url",),
        "SendingOrder": ("url",),
        "HistoryEntry": ("mid",),
        "InboxEntry": ("mid", "url"),
        "PickupLink": ("mid", "url"),
        "Task": ("mid", "url"),
    },
    "leady": {
        "Resource": ("domain",),
        "Session": ("id",),
        "Action": ("id",),
        "Company": ("id",),
        "Person": ("id",),
        "SavedFilter": ("id",),
        "BlacklistEntry": ("id",),
        "Turnover": ("code",),
        "Magnitude": ("code",),
    },
    "leaddesk": {
        name: ("id",) for name in ("User", "Campaign", "ContactList", "Contact", "Product", "Call")
    },
    "leanlaw": {
        name: ("id",)
        for name in (
            "Client",
            "Matter",
            "TimeEntry",
            "Expense",
            "FixedFee",
            "Invoice",
            "User",
            "PracticeArea",
        )
    },
}


@pytest.mark.parametrize("vendor", sorted(ALWAYS))
def test_the_vendors_always_sent_fields_are_the_documented_ones(vendor: str) -> None:
    found = {
        cls.__name__: always_sent_fields(cls)
        for cls in _typegen.model_classes(vendor)
        if always_sent_fields(cls)
    }
    assert found == ALWAYS[vendor]


@pytest.mark.parametrize("vendor", sorted(ALWAYS))
def test_always_sent_fields_carry_no_none_and_every_model_is_described(vendor: str) -> None:
    for cls in _typegen.model_classes(vendor):
        assert (cls.__doc__ or "").strip(), f"{cls.__name__} has no docstring"
        hints = attrs.fields_dict(cls)
        for name in always_sent_fields(cls):
            assert "None" not in str(hints[name].type), (cls.__name__, name)
        cls()  # every model can be built with no arguments (for a create)


@pytest.mark.parametrize("vendor", sorted(ALWAYS))
def test_the_model_tables_on_the_vendor_page_are_current(vendor: str) -> None:
    page = _typegen.DOCS / f"{vendor}.md"
    text = page.read_text(encoding="utf-8")
    assert _typegen.docs_with_models(vendor, text) == text, (
        "run python -m vendorkit.vendors._typegen"
    )
    for cls in _typegen.model_classes(vendor):
        assert f"### `{cls.__name__}`" in text


def test_leanlaw_ids_are_kept_as_sent() -> None:
    """A GUID string or the integer of the docs' example: ``record.id == record.raw["id"]``."""
    models = importlib.import_module("vendorkit.vendors.leanlaw.models")
    conv = make_converter("camel")
    matter = structure(conv, {"id": 123, "clientId": 45}, models.Matter)
    assert (matter.id, matter.client_id, matter.raw["id"]) == (123, 45, 123)
    guid = "00000000-0000-4000-8000-000000000001"
    assert structure(conv, {"id": guid}, models.Matter).id == guid

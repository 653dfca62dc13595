"""``vendorkit.LeanLaw`` against a small LeanLaw server written from the contract and
``leanlaw.txt`` only (not from our sandbox emulator), varying wherever the docs leave room: money
as JSON numbers or strings, .NET-style timestamps (seven fractional digits, no offset), GUID and
integer ids (the docs' own example has ``"id": 123``), a server that caps ``limit`` below what was
asked, ``select=`` includes, sparse PUT, DELETE answered with an empty body or ``{"data": null}``,
several plausible error bodies, ``x-leanlaw-traceid`` on every answer, 401/403/429.

What all four adapters promise alike (construction, options, ``from_env``, 429 out of retries,
wrong credentials, ``request()`` refusals) is in ``test_contract.py``; this file keeps what only
this vendor has.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal

import attrs
import pytest
from aiohttp.test_utils import TestServer

from tests.contract._leanlaw_server import (
    API_KEY,
    LeanLawServer,
    _guid,
    listed,
)
from vendorkit import LeanLaw, errors
from vendorkit.vendors.leanlaw import models


@pytest.fixture
async def server() -> AsyncIterator[LeanLawServer]:
    srv = LeanLawServer()
    ts = TestServer(srv.app(), host="127.0.0.1")
    await ts.start_server()
    srv.ts = ts
    try:
        yield srv
    finally:
        await ts.close()


@pytest.fixture
async def ll(server: LeanLawServer) -> AsyncIterator[LeanLaw]:
    async with LeanLaw(api_key=API_KEY, base_url=server.url, max_retry_wait=5) as client:
        yield client


# -- construction -------------------------------------------------------------------------------


# -- resources ----------------------------------------------------------------------------------

RESOURCES = {
    "clients": ("clients", models.Client),
    "matters": ("matters", models.Matter),
    "time_entries": ("time-entries", models.TimeEntry),
    "expenses": ("expenses", models.Expense),
    "fixed_fees": ("fixed-fees", models.FixedFee),
    "invoices": ("invoices", models.Invoice),
    "users": ("users", models.User),
    "practice_areas": ("practice-areas", models.PracticeArea),
}


@pytest.mark.parametrize("attr", sorted(RESOURCES))
async def test_every_resource_lists_and_gets(ll: LeanLaw, server: LeanLawServer, attr: str) -> None:
    wire, model = RESOURCES[attr]
    res = getattr(ll, attr)
    assert {m for m in ("list", "get", "create", "update", "delete") if hasattr(res, m)} == {
        "list",
        "get",
        "create",
        "update",
        "delete",
    }
    records = await res.list().all()
    assert all(isinstance(r, model) for r in records)
    assert [r.raw for r in records] == listed(server, wire)
    assert server.requests("GET", f"/v2/{wire}")[0]["query"] == {"offset": "0", "limit": "1000"}
    one = await res.get(records[-1].id)
    row = server.data[wire][records[-1].id]
    assert one.raw == LeanLawServer._view(row, None, default_meta=True)
    assert one.id == one.raw["id"]  # a GUID string, or the integer the vendor sent
    assert isinstance(one.meta, dict)


async def test_snake_case_attributes_and_types(ll: LeanLaw, server: LeanLawServer) -> None:
    entries = await ll.time_entries.list().all()
    first, second = entries[0], entries[1]
    assert first.matter_id == _guid(200) and first.user_id == _guid(100)
    assert first.date == date(2024, 3, 10)
    assert first.hours == Decimal("1.5") and isinstance(first.hours, Decimal)
    assert first.rate == Decimal("250.00")
    assert first.amount == Decimal("375.0") and second.amount == Decimal("625")
    assert (first.billable, second.billable) == (False, True)
    assert first.description == "Drafting 0"

    matter = (await ll.matters.list(max_items=1).all())[0]
    assert (matter.client_id, matter.practice_area_id) == (_guid(0), 1)
    assert matter.billing_type == "FixedFee" and matter.number == "2024-000"

    invoice = await ll.invoices.get(_guid(600))
    assert invoice.issue_date == date(2024, 4, 1) and invoice.due_date == date(2024, 5, 1)
    assert invoice.total == Decimal("1234.50") and invoice.balance == Decimal(0)
    assert invoice.client_id == _guid(0) and invoice.number == "INV-1000"
    assert invoice.raw["lineItems"] == [{"description": "Services", "amount": 1234.5}]

    expense = (await ll.expenses.list().all())[1]
    assert expense.amount == Decimal("13.34") and expense.date == date(2024, 3, 21)
    fee = await ll.fixed_fees.get(_guid(501))
    assert fee.amount == Decimal("1500.00")
    user = await ll.users.get(_guid(101))
    assert (user.first_name, user.last_name, user.email) == (
        "First1",
        "Last1",
        "user1@firm.example",
    )
    client = await ll.clients.get(_guid(2))
    assert client.status == "Active" and client.raw["customFields"] == {"segment": "SMB"}


async def test_limit_offset_pages_with_a_total(ll: LeanLaw, server: LeanLawServer) -> None:
    pages = [p async for p in ll.time_entries.list(page_size=4).pages()]
    assert [len(p.records) for p in pages] == [4, 4, 1]
    assert {p.total for p in pages} == {9}
    offsets = [q["query"]["offset"] for q in server.requests("GET", "/v2/time-entries")]
    assert offsets == ["0", "4", "8"]

    fanned = await ll.time_entries.list(page_size=2, concurrency=4).all()
    assert [r.raw for r in fanned] == listed(server, "time-entries")
    assert [r.id async for r in ll.time_entries.list(max_items=5, page_size=2)] == [
        r["id"] for r in listed(server, "time-entries")[:5]
    ]
    big = await ll.time_entries.list(page_size=5000).all()  # LeanLaw's maximum is 1000
    assert len(big) == 9
    assert server.requests("GET", "/v2/time-entries")[-1]["query"]["limit"] == "1000"


async def test_leanlaws_own_limit_and_offset_parameters(ll: LeanLaw, server: LeanLawServer) -> None:
    pages = [p async for p in ll.time_entries.list(limit=4).pages()]
    assert [len(p.records) for p in pages] == [4, 4, 1]
    assert [q["query"]["limit"] for q in server.requests("GET", "/v2/time-entries")] == ["4"] * 3
    rest = await ll.time_entries.list(offset=3).all()
    assert [r.raw for r in rest] == listed(server, "time-entries")[3:]
    rows = await ll.paginate("/v2/time-entries", limit=2, offset=5, concurrency=2).all()
    assert rows == listed(server, "time-entries")[5:]


@pytest.mark.parametrize("concurrency", [1, 3])
async def test_a_server_that_caps_the_limit(
    ll: LeanLaw, server: LeanLawServer, concurrency: int
) -> None:
    server.max_limit = 2
    records = await ll.time_entries.list(concurrency=concurrency).all()
    assert [r.raw for r in records] == listed(server, "time-entries")


async def test_filters_and_select(ll: LeanLaw, server: LeanLawServer) -> None:
    mine = await ll.matters.list(clientId=_guid(1)).all()
    assert [m.id for m in mine] == [_guid(201), _guid(204), _guid(207)]
    same = await ll.clients.matters(_guid(1)).all()
    assert [m.raw for m in same] == [m.raw for m in mine]
    assert server.requests("GET", "/v2/matters")[-1]["query"]["clientId"] == _guid(1)

    with_contact = await ll.clients.list(select="contact,meta").all()
    assert with_contact[0].contact == {"email": "billing@client0.example", "phone": None}
    assert with_contact[1].contact == server.data["clients"][_guid(1)]["contact"]
    assert with_contact[0].meta == server.data["clients"][_guid(0)]["meta"]
    assert server.requests("GET", "/v2/clients")[-1]["query"]["select"] == "contact,meta"

    one = await ll.clients.get(_guid(3), select=["contact", "-meta"])
    assert server.requests("GET", f"/v2/clients/{_guid(3)}")[-1]["query"]["select"] == (
        "contact,-meta"
    )
    assert one.meta is None and one.contact is not None and "meta" not in one.raw


# -- writes -------------------------------------------------------------------------------------


async def test_create_from_a_dict_is_sent_as_given(ll: LeanLaw, server: LeanLawServer) -> None:
    body = {
        "name": "Acme LLP",
        "status": "Active",
        "contact": {"email": "ap@acme.example"},
        "customFields": {"segment": "Enterprise"},
    }
    made = await ll.clients.create(body)
    call = server.requests("POST", "/v2/clients")[-1]
    assert call["json"] == body
    assert call["headers"]["Content-Type"].startswith("application/json")
    assert isinstance(made, models.Client)
    assert made.raw == server.data["clients"][made.id]
    assert made.name == "Acme LLP"


async def test_create_from_a_model_uses_camel_case_and_money_strings(
    ll: LeanLaw, server: LeanLawServer
) -> None:
    matter = await ll.matters.create(
        models.Matter(client_id=_guid(0), name="M&A", billing_type="Hourly", practice_area_id=2)
    )
    assert server.requests("POST", "/v2/matters")[-1]["json"] == {
        "clientId": _guid(0),
        "name": "M&A",
        "billingType": "Hourly",
        "practiceAreaId": 2,
    }
    assert matter.client_id == _guid(0) and matter.billing_type == "Hourly"

    entry = await ll.time_entries.create(
        models.TimeEntry(
            matter_id=matter.id,
            user_id=_guid(100),
            date=date(2024, 6, 3),
            hours=Decimal("0.25"),
            rate=Decimal("300.00"),
            billable=True,
        )
    )
    assert server.requests("POST", "/v2/time-entries")[-1]["json"] == {
        "matterId": matter.id,
        "userId": _guid(100),
        "date": "2024-06-03",
        "hours": "0.25",
        "rate": "300.00",
        "billable": True,
    }
    assert entry.hours == Decimal("0.25") and entry.date == date(2024, 6, 3)
    area = await ll.practice_areas.create(models.PracticeArea(name="Tax"))
    assert area.id == area.raw["id"] and isinstance(area.id, int)


async def test_update_is_a_sparse_put(ll: LeanLaw, server: LeanLawServer) -> None:
    cid = _guid(4)
    before = dict(server.data["clients"][cid])
    updated = await ll.clients.update(cid, {"name": "Renamed LLP"})
    call = server.requests("PUT", f"/v2/clients/{cid}")[-1]
    assert call["json"] == {"name": "Renamed LLP"}
    assert updated.name == "Renamed LLP"
    assert server.data["clients"][cid] == {**before, "name": "Renamed LLP"}

    entry = await ll.time_entries.get(_guid(302))
    changed = await ll.time_entries.update(
        entry.id, attrs.evolve(entry, hours=Decimal("2.25"), description="Research")
    )
    assert server.requests("PUT", f"/v2/time-entries/{_guid(302)}")[-1]["json"] == {
        "hours": "2.25",
        "description": "Research",
    }
    assert changed.hours == Decimal("2.25") and changed.rate == Decimal("250.00")
    untouched = await ll.time_entries.update(entry.id, {})
    assert untouched.raw["description"] == "Research"


async def test_delete(ll: LeanLaw, server: LeanLawServer) -> None:
    # 200 with an empty body, then 200 with {"data": null}: both are None.
    assert await ll.clients.delete(_guid(5)) is None  # type: ignore[func-returns-value]
    assert await ll.expenses.delete(_guid(402)) is None  # type: ignore[func-returns-value]
    assert _guid(5) not in server.data["clients"] and _guid(402) not in server.data["expenses"]
    with pytest.raises(errors.NotFoundError) as info:
        await ll.clients.get(_guid(5))
    assert info.value.code == "NotFound" and info.value.message == "Resource not found."
    assert info.value.trace_id == server.trace_ids[-1]


# -- errors -------------------------------------------------------------------------------------


async def test_validation_errors_in_several_shapes(ll: LeanLaw, server: LeanLawServer) -> None:
    with pytest.raises(errors.BadRequestError) as info:
        await ll.clients.create({"status": "Active"})
    exc = info.value
    assert (exc.status, exc.vendor, exc.method) == (400, "leanlaw", "POST")
    assert exc.url.endswith("/v2/clients")
    assert exc.field_errors == {"name": ["Name is required."]}
    assert exc.message == "The request is invalid."
    assert exc.trace_id == server.trace_ids[-1]
    assert exc.body == {
        "message": "The request is invalid.",
        "errors": [{"field": "name", "message": "Name is required."}],
    }
    text = str(exc)
    assert "\n" not in text
    for part in ("leanlaw", "POST", "/v2/clients", "400", "The request is invalid", exc.trace_id):
        assert part in text

    with pytest.raises(errors.BadRequestError) as info:
        await ll.matters.create({"clientId": "no-such-client", "name": "x"})
    assert info.value.field_errors == {"clientId": ["Unknown client."]}
    assert "Unknown client." in str(info.value)

    with pytest.raises(errors.BadRequestError) as info:
        await ll.time_entries.update(_guid(300), {"hours": 0})
    assert info.value.field_errors == {"hours": ["Hours must be positive."]}
    assert info.value.message == "One or more validation errors occurred."
    assert info.value.method == "PUT"


async def test_a_401_carries_the_trace_id(server: LeanLawServer) -> None:
    """A wrong key (403 with the trace id): test_contract.py, with the other vendors' refusals."""
    server.force_401 = True
    async with LeanLaw(api_key=API_KEY, base_url=server.url) as client:
        with pytest.raises(errors.AuthenticationError) as missing:
            await client.users.get(_guid(100))
    assert missing.value.status == 401
    assert missing.value.trace_id == server.trace_ids[-1]
    assert missing.value.message == "No API key was provided."
    assert API_KEY not in str(missing.value) + repr(missing.value)


async def test_429_is_retried(ll: LeanLaw, server: LeanLawServer) -> None:
    server.throttle = ["0.05", None]  # with Retry-After, then without (backoff)
    assert len(await ll.users.list().all()) == 4
    assert len(server.requests("GET", "/v2/users")) == 3
    server.throttle = ["0"]
    made = await ll.practice_areas.create({"name": "Employment"})
    assert [a["name"] for a in server.data["practice-areas"].values()].count("Employment") == 1
    assert made.name == "Employment"


# -- generic access -----------------------------------------------------------------------------


async def test_generic_request(ll: LeanLaw, server: LeanLawServer) -> None:
    one = await ll.request("GET", f"/v2/users/{_guid(102)}")
    assert one == server.data["users"][_guid(102)]
    some = await ll.request("GET", "/v2/users", params={"limit": 2, "offset": 1})
    assert some == listed(server, "users")[1:3]
    made = await ll.request("POST", "/v2/practice-areas", json={"name": "IP"})
    assert made == server.data["practice-areas"][made["id"]]
    changed = await ll.request("PUT", f"/v2/practice-areas/{made['id']}", json={"name": "IP Law"})
    assert changed["name"] == "IP Law"
    assert await ll.request("DELETE", f"/v2/practice-areas/{made['id']}") is None
    assert await ll.request("DELETE", f"/v2/clients/{_guid(0)}") is None
    absolute = await ll.request("GET", f"{server.url}/v2/users/{_guid(102)}")
    assert absolute == one
    # Another origin refused, a missing path a NotFoundError: test_contract.py, every vendor.


async def test_generic_paginate(ll: LeanLaw, server: LeanLawServer) -> None:
    rows = await ll.paginate("/v2/time-entries", page_size=4, concurrency=2).all()
    assert rows == listed(server, "time-entries")
    pages = [p async for p in ll.paginate("/v2/matters", clientId=_guid(2)).pages()]
    assert [len(p.records) for p in pages] == [2] and pages[0].total == 2
    assert await ll.paginate("/v2/expenses", max_items=2).all() == listed(server, "expenses")[:2]
    with_meta = await ll.paginate("/v2/users", select=["meta"]).all()
    assert with_meta == list(server.data["users"].values())

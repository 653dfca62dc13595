"""The MakeLeaps adapter against the sandbox's MakeLeaps emulator: every resource listed through
all its pages, get/create/update/delete, only changed fields sent, HATEOAS ``follow``, partner
discovery, each documented error, token expiry, 429s survived, background tasks, sending orders,
``Accept-Language: ja``.

(The examples of ``docs/vendors/makeleaps.md`` run in ``tests/test_docs_examples.py``.)
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import aiohttp
import attrs
import pytest

from vendorkit import MakeLeaps, errors
from vendorkit.core import WireRequest, WireResponse
from vendorkit.sandbox import FaultProfile, Sandbox
from vendorkit.vendors.makeleaps import DOCUMENT_TYPES, _spec, models

pytestmark = pytest.mark.vendorkit_sandbox(
    vendors=["makeleaps"],
    records=45,
    seed=5,
    quotas={"makeleaps": None},
    faults=FaultProfile(retry_after=0.05),
)


@pytest.fixture
async def ml(vendorkit_sandbox: Sandbox) -> AsyncIterator[MakeLeaps]:
    async with vendorkit_sandbox.client("makeleaps") as client:
        yield client


def emu(sb: Sandbox) -> Any:
    return sb.emulator("makeleaps")


def store(sb: Sandbox, name: str) -> dict[str, dict[str, Any]]:
    return emu(sb).store[name]  # type: ignore[no-any-return]


def served(sb: Sandbox, value: Any) -> Any:
    """A stored value as the emulator serves it: URLs on the sandbox's own origin."""
    text = json.dumps(value).replace("https://api.makeleaps.com", sb.url("makeleaps").rstrip("/"))
    return json.loads(text)


def requests_to(sb: Sandbox, suffix: str, method: str = "GET") -> int:
    return sum(
        n
        for key, n in emu(sb).counters.requests.items()
        if key.startswith(method + " ") and key.endswith(suffix)
    )


class Recorder:
    """Keeps every request the client puts on the wire (method, URL, JSON body)."""

    def __init__(self, client: MakeLeaps) -> None:
        self.sent: list[WireRequest] = []
        original = client._transport.send

        async def send(request: WireRequest) -> WireResponse:
            self.sent.append(request)
            return await original(request)

        client._transport.send = send  # type: ignore[method-assign]

    def bodies(self, method: str) -> list[Any]:
        return [r.json for r in self.sent if r.method == method]


# -- lists ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["documents", "clients", "contacts", "catalog_items", "employees", "sending_orders"]
)
async def test_every_record_through_all_pages(
    vendorkit_sandbox: Sandbox, ml: MakeLeaps, name: str
) -> None:
    expected = store(vendorkit_sandbox, name)
    pages = [p async for p in getattr(ml, name).list().pages()]
    records = [r for p in pages for r in p.records]
    assert sorted(str(models.mid_from_url(r.url)) for r in records) == sorted(expected)
    assert {p.total for p in pages} == {len(expected)}
    if len(expected) > 20:
        assert len(pages) > 1


async def test_documents_list_in_order_with_total_and_max_items(
    vendorkit_sandbox: Sandbox, ml: MakeLeaps
) -> None:
    expected = list(store(vendorkit_sandbox, "documents"))
    docs = await ml.documents.list().all()
    assert [d.mid for d in docs] == expected
    some = await ml.documents.list(max_items=25).all()
    assert [d.mid for d in some] == expected[:25]


async def test_history_inbox_and_currencies_listed_in_full(
    vendorkit_sandbox: Sandbox, ml: MakeLeaps
) -> None:
    history = await ml.history.list().all()
    assert sorted(str(h.mid) for h in history) == sorted(store(vendorkit_sandbox, "history"))
    assert all(isinstance(h.action_time, datetime) and h.action_time.tzinfo for h in history)
    inbox = await ml.inbox.list().all()
    assert sorted(str(e.mid) for e in inbox) == sorted(store(vendorkit_sandbox, "inbox"))
    for entry in inbox:
        assert entry.type in ("received_doc", "accepted_order", "confirmed_doc")
        if entry.type == "received_doc":
            assert isinstance(entry.received_doc, models.ReceivedDocument)
        else:
            assert isinstance(entry.accepted_order, models.AcceptedOrder)
    currencies = await ml.currencies.list().all()
    assert [c.code for c in currencies] == list(store(vendorkit_sandbox, "currencies"))
    assert "JPY" in {c.code for c in currencies}


async def test_templates_for_one_type_and_for_every_type(
    vendorkit_sandbox: Sandbox, ml: MakeLeaps
) -> None:
    invoice = await ml.templates.list(document_type="invoice").all()
    assert invoice and {t.document_type for t in invoice} == {"invoice"}
    everything = await ml.templates.list().all()
    assert {t.document_type for t in everything} == set(DOCUMENT_TYPES)
    assert len(everything) == len(store(vendorkit_sandbox, "templates"))
    unarchived = await ml.templates.list(document_type="invoice", is_archived=False).all()
    assert {t.template_code for t in unarchived} <= {t.template_code for t in invoice}


async def test_filters_pass_through(vendorkit_sandbox: Sandbox, ml: MakeLeaps) -> None:
    stored = store(vendorkit_sandbox, "documents")
    invoices = await ml.documents.list(document_type="invoice").all()
    assert invoices and {d.document_type for d in invoices} == {"invoice"}
    assert len(invoices) == sum(1 for d in stored.values() if d["document_type"] == "invoice")
    dates = sorted(d["date"] for d in stored.values())
    pivot = date.fromisoformat(dates[len(dates) // 2])
    later = await ml.documents.list(date__gte=pivot).all()
    earlier = await ml.documents.list(date__lt=pivot).all()
    assert later and earlier and len(later) + len(earlier) == len(stored)
    assert all(d.date is not None and d.date >= pivot for d in later)
    assert all(d.date is not None and d.date < pivot for d in earlier)
    items = await ml.catalog_items.list().all()
    code = items[0].product_code
    assert code
    found = await ml.catalog_items.list(product_code=code).all()
    assert [i.mid for i in found] == [items[0].mid]


async def test_expand_returns_the_related_object(ml: MakeLeaps) -> None:
    doc = (await ml.documents.list(max_items=1, expand=["client"]).all())[0]
    assert isinstance(doc.client, dict)
    assert doc.client_url == doc.client["url"]
    plain = await ml.documents.get(doc.mid)
    assert isinstance(plain.client, str) and plain.client_url == doc.client_url


# -- partner discovery ---------------------------------------------------------------------------


async def test_partner_discovered_once_from_the_partner_list(vendorkit_sandbox: Sandbox) -> None:
    async with vendorkit_sandbox.client("makeleaps") as ml:
        assert ml.partner_mid is None
        await asyncio.gather(*(ml.documents.list(max_items=1).all() for _ in range(5)))
        assert ml.partner_mid == emu(vendorkit_sandbox).partner_mid
        assert requests_to(vendorkit_sandbox, "/api/partner/") == 1
        partners = await ml.partners.list().all()
        assert [p.partner_mid for p in partners] == [ml.partner_mid]


async def test_given_partner_mid_is_used_without_discovery(vendorkit_sandbox: Sandbox) -> None:
    mid = emu(vendorkit_sandbox).partner_mid
    async with vendorkit_sandbox.client("makeleaps", partner_mid=mid) as ml:
        await ml.documents.list(max_items=1).all()
        assert await ml.get_partner_mid() == mid
    assert requests_to(vendorkit_sandbox, "/api/partner/") == 0


# -- get, create, update, delete -----------------------------------------------------------------


async def test_get_document_with_typed_fields_and_unknown_fields_in_raw(
    vendorkit_sandbox: Sandbox, ml: MakeLeaps
) -> None:
    mid, stored = next(
        (m, d)
        for m, d in store(vendorkit_sandbox, "documents").items()
        if d["lineitems"] and d["mixed_tax_rate_totals"]
    )
    stored["x_future_field"] = {"kept": True}
    doc = await ml.documents.get(mid)
    assert doc.raw["x_future_field"] == {"kept": True}
    assert doc.mid == mid and doc.document_type == stored["document_type"]
    assert isinstance(doc.total, Decimal) and doc.total == Decimal(stored["total"])
    assert isinstance(doc.date, date)
    assert doc.lineitems and all(isinstance(li, models.LineItem) for li in doc.lineitems)
    assert doc.lineitems[0].raw == served(vendorkit_sandbox, stored["lineitems"][0])
    assert doc.mixed_tax_rate_totals
    for rate, totals in doc.mixed_tax_rate_totals.items():
        assert totals.subtotal is not None and isinstance(totals.subtotal.amount, Decimal)
        assert totals.subtotal.amount == Decimal(
            stored["mixed_tax_rate_totals"][rate]["subtotal"]["amount"]
        )
    # a record, its URL or its mid all name it
    assert (await ml.documents.get(doc)).mid == mid
    assert (await ml.documents.get(doc.url)).mid == mid


async def test_create_update_and_delete_a_client(vendorkit_sandbox: Sandbox, ml: MakeLeaps) -> None:
    created = await ml.clients.create(
        {
            "client_external_id": "CLIENT-12345",
            "contacts": [
                {"contact_type": "organization", "name": "Test Co", "addresses": []},
                {
                    "contact_type": "person",
                    "family_name": "Test",
                    "addresses": [],
                    "email": {"address": "test@example.com"},
                },
            ],
        }
    )
    assert created.mid in store(vendorkit_sandbox, "clients")
    assert created.display_name == "Test Co"
    contacts = await ml.clients.contacts(created).all()
    assert {c.contact_type for c in contacts} == {"organization", "person"}
    person = next(c for c in contacts if c.contact_type == "person")
    assert person.email == models.Email(address="test@example.com")

    recorder = Recorder(ml)
    updated = await ml.clients.update(
        created.mid, attrs.evolve(created, client_external_id="CLIENT-67890")
    )
    assert recorder.bodies("PATCH") == [{"client_external_id": "CLIENT-67890"}]
    assert updated.client_external_id == "CLIENT-67890"
    assert store(vendorkit_sandbox, "clients")[created.mid]["client_external_id"] == "CLIENT-67890"

    await ml.clients.delete(created)
    assert created.mid not in store(vendorkit_sandbox, "clients")
    with pytest.raises(errors.NotFoundError):
        await ml.clients.get(created.mid)


async def test_document_with_line_items_and_mixed_tax_rates(
    vendorkit_sandbox: Sandbox, ml: MakeLeaps
) -> None:
    client = (await ml.clients.list(max_items=1).all())[0]
    doc = await ml.documents.create(
        models.Document(
            document_type="invoice",
            document_number="T-0001",
            currency="JPY",
            date=date(2024, 6, 1),
            client=client.url,
            autocalculate=True,
            lineitems=[
                models.LineItem(
                    kind="normal",
                    description="Consulting",
                    unit_cost=Decimal("10000"),
                    quantity=Decimal("1"),
                    tax_rate=Decimal("10"),
                ),
                models.LineItem(
                    kind="normal",
                    description="Catering",
                    unit_cost=Decimal("10000"),
                    quantity=Decimal("1"),
                    tax_rate=Decimal("8"),
                ),
            ],
        )
    )
    assert doc.mid in store(vendorkit_sandbox, "documents")
    assert doc.subtotal == Decimal("20000")
    assert doc.tax == Decimal("1800")
    assert doc.total == Decimal("21800")
    totals = doc.mixed_tax_rate_totals or {}
    taxes = sorted(t.tax.amount for t in totals.values() if t.tax and t.tax.amount is not None)
    assert taxes == [Decimal("800"), Decimal("1000")]
    assert [li.price for li in doc.lineitems or []] == [Decimal("10000"), Decimal("10000")]

    recorder = Recorder(ml)
    extra = models.LineItem(
        kind="normal", description="Extra", unit_cost=Decimal("500"), quantity=Decimal("2")
    )
    grown = await ml.documents.update(
        doc, attrs.evolve(doc, lineitems=[*(doc.lineitems or []), extra])
    )
    (body,) = recorder.bodies("PATCH")
    assert list(body) == ["lineitems"]
    sent_extra = body["lineitems"][-1]
    # money as strings, nothing left None is sent for a new line item
    assert sent_extra == {
        "kind": "normal",
        "description": "Extra",
        "unit_cost": "500",
        "quantity": "2",
    }
    assert body["lineitems"][0] == doc.raw["lineitems"][0]  # an existing line goes back as read
    assert len(grown.lineitems or []) == 3


async def test_update_sends_only_changed_fields_and_none_unmarks(
    vendorkit_sandbox: Sandbox, ml: MakeLeaps
) -> None:
    mid = next(
        m
        for m, d in store(vendorkit_sandbox, "documents").items()
        if d["document_type"] == "invoice" and d["date_paid"] is None
    )
    doc = await ml.documents.get(mid)
    recorder = Recorder(ml)
    when = datetime.fromisoformat("2024-03-30T12:00:00+09:00")
    paid = await ml.documents.update(mid, attrs.evolve(doc, date_paid=when, title="Paid"))
    assert recorder.bodies("PATCH") == [{"title": "Paid", "date_paid": "2024-03-30T12:00:00+09:00"}]
    assert paid.date_paid is not None and paid.date_paid == when
    unpaid = await ml.documents.update(mid, attrs.evolve(paid, date_paid=None))
    assert recorder.bodies("PATCH")[-1] == {"date_paid": None}
    assert unpaid.date_paid is None
    again = await ml.documents.update(mid, {"note": "as given"})
    assert recorder.bodies("PATCH")[-1] == {"note": "as given"}
    assert again.note == "as given"


async def test_delete_a_document(vendorkit_sandbox: Sandbox, ml: MakeLeaps) -> None:
    doc = (await ml.documents.list(max_items=1).all())[0]
    await ml.documents.delete(doc.mid)
    with pytest.raises(errors.NotFoundError):
        await ml.documents.get(doc.mid)


async def test_contacts_crud(vendorkit_sandbox: Sandbox, ml: MakeLeaps) -> None:
    contact = await ml.contacts.create(
        {
            "contact_type": "organization",
            "name": "Test",
            "addresses": [
                {
                    "format": "jp_default",
                    "country_name": "JP",
                    "street_address": "0-0-0",
                    "extended_address": "サンプルビル1階",
                    "locality": "渋谷区恵比寿",
                    "region": "tokyo",
                    "postal_code": "000-0000",
                }
            ],
        }
    )
    assert contact.addresses and contact.addresses[0].region == "tokyo"
    renamed = await ml.contacts.update(contact, {"name": "New Name"})
    assert renamed.name == "New Name" and renamed.display_name == "New Name"
    await ml.contacts.delete(renamed)
    assert contact.mid not in store(vendorkit_sandbox, "contacts")


async def test_catalog_items_have_no_delete_and_update_by_patch(ml: MakeLeaps) -> None:
    assert not hasattr(ml.catalog_items, "delete")
    assert not hasattr(ml.currencies, "get")
    item = await ml.catalog_items.create(
        {
            "kind": "normal",
            "description": "Widget",
            "unit_cost": "1.17",
            "quantity": "3",
            "product_code": "TEST-WIDGET",
            "tax_category": "custom",
            "tax_rate": "5.00",
            "currency": "JPY",
        }
    )
    assert item.unit_cost == Decimal("1.17") and item.tax_rate == Decimal("5.00")
    changed = await ml.catalog_items.update(item, attrs.evolve(item, unit_cost=Decimal("2.50")))
    assert changed.unit_cost == Decimal("2.50")


async def test_client_settings_read_and_patched(vendorkit_sandbox: Sandbox, ml: MakeLeaps) -> None:
    client = (await ml.clients.list(max_items=1).all())[0]
    settings = await ml.clients.settings(client)
    assert isinstance(settings, models.ClientSettings)
    recorder = Recorder(ml)
    flipped = not settings.send_by_post
    new = await ml.clients.update_settings(client.mid, attrs.evolve(settings, send_by_post=flipped))
    assert recorder.bodies("PATCH") == [{"send_by_post": flipped}]
    assert new.send_by_post is flipped


async def test_employee_me(vendorkit_sandbox: Sandbox, ml: MakeLeaps) -> None:
    me = await ml.employees.me()
    assert me.mid in store(vendorkit_sandbox, "employees")
    assert (await ml.employees.get(me.mid)) == me


async def test_history_date_filters_and_create(vendorkit_sandbox: Sandbox, ml: MakeLeaps) -> None:
    entries = await ml.history.list().all()
    day = entries[len(entries) // 2].action_time
    assert day is not None
    same_day = await ml.history.list(date=day.date()).all()
    assert same_day and all(e.action_time and e.action_time.date() == day.date() for e in same_day)
    ranged = await ml.history.list(date_start=day, date_end=day).all()
    assert ranged and all(e.action_time == day for e in ranged)
    one = await ml.history.get(entries[0].mid)
    assert one.mid == entries[0].mid


# -- HATEOAS -------------------------------------------------------------------------------------


async def test_follow_a_relation(vendorkit_sandbox: Sandbox, ml: MakeLeaps) -> None:
    doc = (await ml.documents.list(max_items=1).all())[0]
    client = await ml.follow(doc.client)
    assert isinstance(client, models.Client)
    assert client.mid == models.mid_from_url(doc.client_url)
    contacts = await ml.follow(client.contacts[0] if client.contacts else "")
    assert isinstance(contacts, models.Contact)
    settings = await ml.follow(client.settings)
    assert isinstance(settings, models.ClientSettings)
    partner = await ml.follow(f"/api/partner/{ml.partner_mid}/")
    assert isinstance(partner, models.Partner)
    before = emu(vendorkit_sandbox).counters.total_requests
    with pytest.raises(errors.ConfigurationError):
        await ml.follow("https://evil.example/api/partner/x/client/y/")
    assert emu(vendorkit_sandbox).counters.total_requests == before


# -- errors --------------------------------------------------------------------------------------


async def test_validation_error_carries_field_errors(ml: MakeLeaps) -> None:
    with pytest.raises(errors.BadRequestError) as info:
        await ml.documents.create({"document_type": "invoice", "date": "not a date"})
    err = info.value
    assert err.status == 400 and err.vendor == "makeleaps"
    assert err.field_errors["currency"] == ["This field is required."]
    assert "date" in err.field_errors
    assert "currency" in str(err)


async def test_duplicate_number_is_a_non_field_error(
    vendorkit_sandbox: Sandbox, ml: MakeLeaps
) -> None:
    existing = (await ml.documents.list(document_type="invoice", max_items=1).all())[0]
    with pytest.raises(errors.BadRequestError) as info:
        await ml.documents.create(
            {
                "document_type": "invoice",
                "document_number": existing.document_number,
                "currency": "JPY",
                "date": "2024-01-01",
                "client": existing.client_url,
                "lineitems": [],
            }
        )
    assert info.value.non_field_errors and str(existing.document_number) in " ".join(
        info.value.non_field_errors
    )


async def test_not_found(ml: MakeLeaps) -> None:
    with pytest.raises(errors.NotFoundError) as info:
        await ml.documents.get("1234567890123456789")
    assert info.value.status == 404 and info.value.message


async def test_bad_credentials_are_an_authentication_error(vendorkit_sandbox: Sandbox) -> None:
    async with MakeLeaps(
        client_id="wrong", client_secret="wrong", base_url=vendorkit_sandbox.url("makeleaps")
    ) as ml:
        with pytest.raises(errors.AuthenticationError) as info:
            await ml.documents.list().all()
    assert info.value.code == "invalid_client"
    assert "wrong" not in str(info.value) and "wrong" not in repr(info.value)
    assert emu(vendorkit_sandbox).counters.token_requests["client_credentials"] == 1


def test_error_parser_reads_every_documented_shape() -> None:
    parse = _spec.parse_error
    mixed = parse(
        400,
        {
            "meta": {"status_code": 400},
            "response": {
                "currency": ["This field is required."],
                "non_field_errors": ["A document with type 'invoice' and number '011' exists."],
            },
        },
    )
    assert mixed.field_errors == {"currency": ["This field is required."]}
    assert mixed.non_field_errors == ["A document with type 'invoice' and number '011' exists."]
    bare = parse(
        401, {"status_code": 401, "detail": "Authentication credentials were not provided."}
    )
    assert bare.message == "Authentication credentials were not provided." and not bare.field_errors
    assert parse(500, {"meta": {"status_code": 500}, "detail": "Oops"}).message == "Oops"
    assert parse(503, {"meta": {"status_code": 503}, "response": {"detail": "Down"}}).message == (
        "Down"
    )
    token = parse(401, {"error": "invalid_client"})
    assert token.code == "invalid_client"


async def test_unenveloped_401_is_parsed(vendorkit_sandbox: Sandbox) -> None:
    # A request without a token gets MakeLeaps' bare 401 body.
    url = vendorkit_sandbox.url("makeleaps") + "/api/partner/"
    async with aiohttp.ClientSession() as session, session.get(url) as resp:
        body = await resp.json()
    assert resp.status == 401 and "meta" not in body
    info = _spec.parse_error(401, body)
    assert info.message == body["detail"]


# -- tokens, throttling --------------------------------------------------------------------------


@pytest.mark.vendorkit_sandbox(
    vendors=["makeleaps"], records=5, token_ttl=1, quotas={"makeleaps": None}
)
async def test_token_expiry_costs_exactly_one_new_token(vendorkit_sandbox: Sandbox) -> None:
    counters = emu(vendorkit_sandbox).counters
    async with vendorkit_sandbox.client("makeleaps") as ml:
        await ml.documents.list(max_items=1).all()
        assert counters.token_requests["client_credentials"] == 1
        # Only the first token is short-lived, so the new one cannot come due on a busy machine.
        emu(vendorkit_sandbox).tokens.ttl = 3600
        await asyncio.sleep(1.05)
        await asyncio.gather(*(ml.documents.list(max_items=1).all() for _ in range(4)))
    assert counters.token_requests["client_credentials"] == 2


async def test_revoked_token_is_replaced_once(vendorkit_sandbox: Sandbox, ml: MakeLeaps) -> None:
    counters = emu(vendorkit_sandbox).counters
    await ml.documents.list(max_items=1).all()
    emu(vendorkit_sandbox).tokens.expire_all()  # server-side: every 401 until a new token
    await asyncio.gather(*(ml.documents.list(max_items=1).all() for _ in range(3)))
    assert counters.token_requests["client_credentials"] == 2
    await ml.revoke_token()
    await ml.documents.list(max_items=1).all()
    assert counters.token_requests["client_credentials"] == 3


async def test_429_with_retry_after_is_survived(vendorkit_sandbox: Sandbox, ml: MakeLeaps) -> None:
    expected = sorted(store(vendorkit_sandbox, "documents"))
    await ml.get_partner_mid()
    emu(vendorkit_sandbox).inject("429", "429", path="/document/")
    docs = await ml.documents.list().all()
    assert sorted(str(d.mid) for d in docs) == expected
    assert emu(vendorkit_sandbox).counters.faults["429"] == 2


@pytest.mark.vendorkit_sandbox(vendors=["makeleaps"], records=5, quotas={"makeleaps": "2/second"})
async def test_429_beyond_max_retries_is_a_rate_limit_error(vendorkit_sandbox: Sandbox) -> None:
    async with vendorkit_sandbox.client("makeleaps", rate_limit=None, max_retries=0) as ml:
        with pytest.raises(errors.RateLimitError) as info:
            for _ in range(4):
                await ml.documents.list(max_items=1).all()
    assert info.value.retry_after is not None and info.value.retry_after > 0


# -- tasks, pickup links -------------------------------------------------------------------------


async def test_pickup_link_task_waited_for(vendorkit_sandbox: Sandbox, ml: MakeLeaps) -> None:
    doc = (await ml.documents.list(max_items=1).all())[0]
    task = await ml.pickup_links.create(doc)
    assert isinstance(task, models.Task) and task.completion == 0 and task.result_url
    seen: list[Decimal] = []

    async def progress(t: models.Task) -> None:
        assert t.completion is not None
        seen.append(t.completion)

    result = await ml.wait_for_task(task, timeout=5, poll_interval=0.01, on_progress=progress)
    assert seen[-1] == 100 and seen == sorted(seen)
    assert isinstance(result, list) and len(result) == 1
    link = result[0]
    assert link["mid"] in store(vendorkit_sandbox, "pickup_links") and link["link"]
    links = await ml.pickup_links.list(document=doc).all()
    assert link["mid"] in {pl.mid for pl in links}
    one = await ml.pickup_links.get(link["mid"])
    assert one.link == link["link"] and isinstance(one.created, datetime)
    await ml.pickup_links.cancel(one)
    assert (await ml.pickup_links.get(one)).is_cancelled is True
    await ml.pickup_links.uncancel(one.mid)
    assert (await ml.pickup_links.get(one)).is_cancelled is False
    finished = await ml.tasks.get(task.mid)
    assert finished.completion == 100 and finished.finished is not None
    assert (await ml.tasks.results(finished))[0]["mid"] == link["mid"]


async def test_pickup_link_create_and_wait(ml: MakeLeaps) -> None:
    doc = (await ml.documents.list(max_items=1).all())[0]
    links = await ml.pickup_links.create_and_wait(doc, poll_interval=0.01)
    assert len(links) == 1 and isinstance(links[0], models.PickupLink) and links[0].link


async def test_task_timeout(vendorkit_sandbox: Sandbox, ml: MakeLeaps) -> None:
    emu(vendorkit_sandbox).task_polls = 10_000
    doc = (await ml.documents.list(max_items=1).all())[0]
    task = await ml.pickup_links.create(doc.mid)
    with pytest.raises(errors.TaskTimeoutError):
        await ml.wait_for_task(task.url, timeout=0.2, poll_interval=0.05)
    with pytest.raises(TimeoutError):
        await ml.wait_for_task(task.mid, timeout=0, poll_interval=0.05)


# -- sending orders ------------------------------------------------------------------------------


async def test_sending_order_flow(vendorkit_sandbox: Sandbox, ml: MakeLeaps) -> None:
    doc = (await ml.documents.list(max_items=1).all())[0]
    order = await ml.sending_orders.create(
        {
            "recipient_organization": doc.client_url,
            "securesend_selected": True,
            "to_emails": ["myclient@example.com"],
            "subject": "Invoices for August",
            "message": "Invoices are attached.",
            "sendbypost_selected": False,
        }
    )
    assert order.url and order.items_url and order.send_url
    item = await ml.sending_orders.add_item(order, document=doc, position=0)
    assert item.document == doc.url
    pdf = b"%PDF-1.4\n% vendorkit test\n%%EOF\n"
    flyer = await ml.sending_orders.add_file(order, "flyer.pdf", pdf, position=1)
    assert flyer.filename == "flyer.pdf"
    # the emulator answers 400 unless a multipart ``content_file`` arrived
    writes = emu(vendorkit_sandbox).counters.writes
    assert sum(n for k, n in writes.items() if k.startswith("PUT ") and "upload" in k) == 1
    items = await ml.sending_orders.items(order).all()
    assert [i.position for i in items] == [0, 1]
    ready = await ml.sending_orders.validate(order, timeout=5, poll_interval=0.01)
    assert ready.is_ready, ready.validation_errors
    sent = await ml.sending_orders.send(ready)
    assert isinstance(sent, models.SendingOrder)
    assert sent.status["securesend"] == "not_viewed"
    status = await ml.sending_orders.cancel(sent, securesend=True, sendbypost=False)
    assert status["securesend_cancelled"] is True


async def test_sending_order_delete_item_and_order(
    vendorkit_sandbox: Sandbox, ml: MakeLeaps
) -> None:
    doc = (await ml.documents.list(max_items=1).all())[0]
    order = await ml.sending_orders.create(
        {"recipient_organization": doc.client_url, "securesend_selected": True}
    )
    item = await ml.sending_orders.add_item(order, document=doc.mid, position=0)
    await ml.sending_orders.delete_item(item)
    assert await ml.sending_orders.items(order).all() == []
    await ml.sending_orders.delete(order)
    with pytest.raises(errors.NotFoundError):
        await ml.sending_orders.get(order)


# -- language, configuration ---------------------------------------------------------------------


async def test_accept_language_ja_for_the_client_and_per_call(
    vendorkit_sandbox: Sandbox, ml: MakeLeaps
) -> None:
    async with vendorkit_sandbox.client("makeleaps", accept_language="ja") as ja:
        with pytest.raises(errors.BadRequestError) as info:
            await ja.documents.create({"document_type": "invoice"})
        assert info.value.field_errors["currency"] == ["このフィールドは必須です"]
    doc = (await ml.documents.list(max_items=1).all())[0]
    assert doc.display_name and "#" in doc.display_name
    ja_doc = await ml.documents.get(doc.mid, headers={"Accept-Language": "ja"})
    assert ja_doc.display_name and "番号" in ja_doc.display_name
    assert (await ml.documents.get(doc.mid)).display_name == doc.display_name


async def test_language_block_applies_to_every_call_in_it_and_only_there(
    vendorkit_sandbox: Sandbox, ml: MakeLeaps
) -> None:
    doc = (await ml.documents.list(max_items=1).all())[0]
    with ml.language("ja"):
        listed = await ml.documents.list(max_items=3).all()  # pages and prefetch included
        fetched = await ml.documents.get(doc.mid)
        other_task = asyncio.create_task(ml.documents.get(doc.mid))
        assert (await other_task).display_name == fetched.display_name
        english = await ml.documents.get(doc.mid, headers={"Accept-Language": "en"})
    assert fetched.display_name and "番号" in fetched.display_name
    assert listed[0].display_name and "番号" in listed[0].display_name
    assert english.display_name == doc.display_name
    assert (await ml.documents.get(doc.mid)).display_name == doc.display_name
    async with vendorkit_sandbox.client("makeleaps", accept_language="ja") as ja:
        with ja.language("en"):
            assert (await ja.documents.get(doc.mid)).display_name == doc.display_name


async def test_from_env(vendorkit_sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    creds = vendorkit_sandbox.credentials("makeleaps")
    monkeypatch.setenv("VENDORKIT_MAKELEAPS_CLIENT_ID", creds["client_id"])
    monkeypatch.setenv("VENDORKIT_MAKELEAPS_CLIENT_SECRET", creds["client_secret"])
    monkeypatch.setenv("VENDORKIT_MAKELEAPS_BASE_URL", creds["base_url"])
    monkeypatch.setenv("VENDORKIT_MAKELEAPS_PARTNER_MID", emu(vendorkit_sandbox).partner_mid)
    async with MakeLeaps.from_env(rate_limit=None) as ml:
        assert ml.partner_mid == emu(vendorkit_sandbox).partner_mid
        assert await ml.employees.list(max_items=1).all()
    monkeypatch.delenv("VENDORKIT_MAKELEAPS_CLIENT_SECRET")
    with pytest.raises(errors.ConfigurationError, match="VENDORKIT_MAKELEAPS_CLIENT_SECRET"):
        MakeLeaps.from_env()


def test_configuration_defaults_and_no_secret_in_repr() -> None:
    with pytest.raises(errors.ConfigurationError):
        MakeLeaps(client_id="", client_secret="x")
    ml = MakeLeaps(client_id="id-123", client_secret="s3cr3t-value")
    assert ml.base_url.rstrip("/") == "https://api.makeleaps.com"
    assert "s3cr3t" not in repr(ml) and "s3cr3t" not in repr(ml.auth)
    assert ml.rate_limiter is not None
    assert [(q.limit, q.per) for q in ml.rate_limiter.quotas] == [(120, 60.0), (5000, 86400.0)]
    assert MakeLeaps.resource_names() == [
        "partners",
        "currencies",
        "employees",
        "documents",
        "catalog_items",
        "clients",
        "contacts",
        "sending_orders",
        "history",
        "inbox",
        "pickup_links",
        "tasks",
        "templates",
    ]

"""``vendorkit.MakeLeaps`` against a small MakeLeaps server written from the contract and
``makeleaps.txt`` only (not from our sandbox emulator), varying wherever the docs leave room:
partners listed with a ``mid`` or only a ``url``, absolute ``meta.next`` links carrying
``page=N`` and every filter, ``count`` totals, ``response`` as a list or an object, money as
strings (a float is refused like the docs say), timestamps with ``+09:00`` offsets and ``Z``,
unknown fields, 201 creates, PATCH updates, 204 deletes, DRF style 400 bodies (English or
Japanese), 5xx ``detail``, 429 + ``Retry-After``, an un-enveloped 401 on an expired token,
202 + Task for pickup links, HATEOAS URLs for sending-order items/send/cancel.

What all four adapters promise alike (construction, options, ``from_env``, 429 out of retries,
wrong credentials, ``request()`` refusals) is in ``test_contract.py``; this file keeps what only
this vendor has.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Awaitable
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import attrs
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from yarl import URL

from tests.contract._makeleaps_server import (
    BASIC,
    CLIENT_ID,
    CLIENT_SECRET,
    MESSAGES,
    MONEY,
    P1,
    P2,
    MakeLeapsServer,
    _parse_ts,
    _start,
    make_client,
)
from vendorkit import MakeLeaps, errors
from vendorkit.vendors.makeleaps import models


@pytest.fixture
async def server() -> AsyncIterator[MakeLeapsServer]:
    srv = MakeLeapsServer()
    ts = await _start(srv)
    try:
        yield srv
    finally:
        await ts.close()


@pytest.fixture
async def ml(server: MakeLeapsServer) -> AsyncIterator[MakeLeaps]:
    async with make_client(server) as client:
        yield client


def _doc_mid(i: int) -> str:
    return f"1400000000000000{i}"


# -- construction and configuration -------------------------------------------------------------


async def test_default_quota_and_no_partner_mid() -> None:
    """Keyword-only construction, the default base URL and secret-free reprs are in
    ``test_contract.py`` (for every vendor); the default quota is MakeLeaps' own."""
    client = MakeLeaps(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    try:
        assert client.partner_mid is None
        assert client.rate_limiter is not None
        quotas = sorted((q.limit, q.per) for q in client.rate_limiter.quotas)
        assert quotas == [(120, 60.0), (5000, 86400.0)]
    finally:
        await client.aclose()
    unlimited = MakeLeaps(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, rate_limit=None)
    try:
        assert unlimited.rate_limiter is None
    finally:
        await unlimited.aclose()


# -- OAuth2 -------------------------------------------------------------------------------------


async def test_token_request_is_basic_auth_with_form_grant(server: MakeLeapsServer) -> None:
    async with make_client(server) as ml:
        results = await asyncio.gather(*(ml.employees.me() for _ in range(8)))
    assert {e.mid for e in results} == {"11000000000000000"}
    tokens = server.requests("POST", "/user/oauth2/token/")
    assert len(tokens) == 1  # one token however many tasks start at once
    sent = tokens[0]
    assert sent["headers"]["Authorization"] == f"Basic {BASIC}"
    assert sent["headers"]["Content-Type"].startswith("application/x-www-form-urlencoded")
    assert dict(URL("/?" + sent["raw"].decode()).query) == {"grant_type": "client_credentials"}
    for call in server.requests("GET", f"/api/partner/{P1}/employee/me/"):
        assert call["headers"]["Authorization"] == "Bearer tok0001abcdef"
    assert len(server.requests("GET", "/api/partner/")) == 1  # one discovery too


async def test_short_expires_in_renews_the_token_before_it_expires(
    server: MakeLeapsServer,
) -> None:
    server.ttl = 1
    async with make_client(server, partner_mid=P1) as ml:
        await ml.employees.me()
        await asyncio.sleep(1.05)
        await ml.employees.me()
    assert len(server.requests("POST", "/user/oauth2/token/")) == 2
    calls = server.requests("GET", f"/api/partner/{P1}/employee/me/")
    assert len(calls) == 2  # renewed ahead: the expired token was never sent
    assert calls[0]["headers"]["Authorization"] != calls[1]["headers"]["Authorization"]


async def test_expired_token_401_unenveloped_gets_one_new_token_and_a_replay(
    server: MakeLeapsServer,
) -> None:
    async with make_client(server, partner_mid=P1) as ml:
        await ml.employees.me()
        server.expire_tokens_now = True
        created = await ml.contacts.create({"contact_type": "person", "family_name": "Yamada"})
        assert created.family_name == "Yamada"
    posts = server.requests("POST", f"/api/partner/{P1}/contact/")
    assert len(posts) == 2  # refused once, replayed once with the new token
    assert posts[1]["headers"]["Authorization"] == "Bearer tok0002abcdef"
    assert len(server.requests("POST", "/user/oauth2/token/")) == 2
    assert len(server.data["contact"]) == 7  # created once


async def test_a_persistent_401_is_an_authentication_error(server: MakeLeapsServer) -> None:
    async with make_client(server, partner_mid=P1) as ml:
        await ml.employees.me()
        server.reject_tokens = True  # every token, new ones included, is refused
        with pytest.raises(errors.AuthenticationError) as info:
            await ml.employees.me()
    assert info.value.message == "Authentication credentials were not provided."
    assert len(server.requests("POST", "/user/oauth2/token/")) == 2  # one renewal, no loop


async def test_revoke_token(server: MakeLeapsServer) -> None:
    async with make_client(server, partner_mid=P1) as ml:
        await ml.employees.me()
        await ml.revoke_token()
        revoke = server.requests("POST", "/user/oauth2/revoke-token/")
        assert len(revoke) == 1
        assert revoke[0]["headers"]["Authorization"] == f"Basic {BASIC}"
        assert dict(URL("/?" + revoke[0]["raw"].decode()).query) == {"token": "tok0001abcdef"}
        assert "tok0001abcdef" not in server.tokens
        await ml.employees.me()  # a new token, no 401 on the way
    assert len(server.requests("POST", "/user/oauth2/token/")) == 2
    assert all(
        s["headers"]["Authorization"] == "Bearer tok0002abcdef"
        for s in server.requests("GET", f"/api/partner/{P1}/employee/me/")[1:]
    )


# -- partner discovery --------------------------------------------------------------------------


@pytest.mark.parametrize("style", ["url-only", "with-mid"])
async def test_partner_discovery_takes_the_first_partner(style: str) -> None:
    srv = MakeLeapsServer(partners=style, page_size=1)  # the partner list is paginated too
    ts = await _start(srv)
    try:
        async with make_client(srv) as ml:
            assert await ml.get_partner_mid() == P1
            assert ml.partner_mid == P1
            partners = await ml.partners.list().all()
            assert [p.partner_mid for p in partners] == [P1, P2]
            one = await ml.partners.get(P1)
            assert one.name == "Example Company" and one.raw["account_name"] == "example"
            ja = await ml.partners.get(P1, headers={"Accept-Language": "ja"})
            assert ja.name == "株式会社例"
        assert len(srv.requests("GET", "/api/partner/")) == 3  # discovery + the 2-page list
    finally:
        await ts.close()


# -- lists, envelopes, pagination ---------------------------------------------------------------


async def test_documents_walk_absolute_next_links_with_count(
    server: MakeLeapsServer, ml: MakeLeaps
) -> None:
    pages = [page async for page in ml.documents.list().pages()]
    assert [len(p.records) for p in pages] == [3, 3, 1]
    assert {p.total for p in pages} == {7}
    assert [d.mid for p in pages for d in p.records] == list(server.data["document"])
    queries = [s["query"] for s in server.requests("GET", f"/api/partner/{P1}/document/")]
    assert [q.get("page") for q in queries] == [None, "2", "3"]
    assert len(await ml.documents.list(max_items=4).all()) == 4
    everything = [d async for d in ml.documents.list(concurrency=3)]
    assert len(everything) == 7


async def test_document_filters_pass_through(server: MakeLeapsServer, ml: MakeLeaps) -> None:
    invoices = await ml.documents.list(document_type="invoice").all()
    assert {d.document_type for d in invoices} == {"invoice"} and len(invoices) == 4
    early = await ml.documents.list(date__lte=date(2017, 6, 17)).all()
    assert [d.date for d in early] == [date(2017, 6, 15), date(2017, 6, 16), date(2017, 6, 17)]
    window = await ml.documents.list(date__gte="2017-06-16", date__lt=date(2017, 6, 18)).all()
    assert [d.date for d in window] == [date(2017, 6, 16), date(2017, 6, 17)]
    paid = await ml.documents.list(paid=True, document_type="invoice").all()
    assert len(paid) == 4 and all(d.date_paid is not None for d in paid)
    found = await ml.documents.list(search="makeleaps").all()
    assert {d.title for d in found} == {"Maintenance makeleaps"}
    sent_before = await ml.documents.list(date_sent__lt=datetime(2014, 1, 1, tzinfo=UTC)).all()
    assert len(sent_before) == 7
    jst = timezone(timedelta(hours=9))
    assert (
        len(
            await ml.documents.list(date_sent__gte=datetime(2013, 11, 15, 15, 10, tzinfo=jst)).all()
        )
        == 7
    )
    assert (
        await ml.documents.list(date_sent__gte=datetime(2013, 11, 15, 15, 11, tzinfo=jst)).all()
        == []
    )
    assert {"date_sent__gte": "2013-11-15T15:11:00+09:00"} in [
        s["query"] for s in server.requests("GET", f"/api/partner/{P1}/document/")
    ]
    queries = [s["query"] for s in server.requests("GET", f"/api/partner/{P1}/document/")]
    assert {"date__lte": "2017-06-17"} in queries
    assert {"date__gte": "2017-06-16", "date__lt": "2017-06-18"} in queries
    assert {"paid": "true", "document_type": "invoice"} in queries
    # every filter survives on the next pages (they ride on the absolute next link)
    assert {"document_type": "invoice", "page": "2"} in queries


async def test_expand_replaces_a_url_with_the_object(
    server: MakeLeapsServer, ml: MakeLeaps
) -> None:
    docs = await ml.documents.list(expand=["client", "client_contact"], max_items=2).all()
    assert docs[0].client["display_name"] == "Org 0"
    assert docs[0].client_url == server.p("/client/13000000000000000/")
    assert docs[0].client_contact["mid"] == "12000000000000000"
    sent = server.requests("GET", f"/api/partner/{P1}/document/")[0]["query"]
    assert sent["expand"] == "client,client_contact"
    one = await ml.documents.get(_doc_mid(1), expand="client")
    assert one.client["mid"] == "13000000000000001"
    plain = await ml.documents.get(_doc_mid(1))
    assert plain.client == plain.client_url == server.p("/client/13000000000000001/")


async def test_records_money_timestamps_dates_and_raw(
    server: MakeLeapsServer, ml: MakeLeaps
) -> None:
    doc = await ml.documents.get(_doc_mid(0))
    assert doc.raw == server.data["document"][_doc_mid(0)]  # unknown fields included
    assert doc.raw["x_future_field"] == {"nested": [1, 2]}
    assert doc.total == Decimal("11000.50") and isinstance(doc.total, Decimal)
    assert doc.tax_rate == Decimal("10.00")
    assert doc.mixed_tax_rate_totals is not None
    ten = doc.mixed_tax_rate_totals["10"]
    assert ten.subtotal is not None and ten.subtotal.amount == Decimal("10000")
    assert doc.lineitems is not None and doc.lineitems[0].unit_cost == Decimal("1.17")
    assert doc.lineitems[0].raw["x_line_extra"] == "kept"
    assert doc.date == date(2017, 6, 15) and doc.date_due == date(2017, 7, 15)
    jst = timezone(timedelta(hours=9))
    assert doc.date_paid == datetime(2018, 3, 30, 12, 0, tzinfo=jst)
    assert doc.date_paid is not None and doc.date_paid.utcoffset() == timedelta(hours=9)
    assert doc.date_sent == datetime(2013, 11, 15, 6, 10, 21, 602000, tzinfo=UTC)
    employee = await ml.employees.get("11000000000000001")
    assert employee.start_date is not None and employee.start_date.tzinfo is not None
    history = await ml.history.list().all()
    assert history[0].action_time == datetime(2023, 1, 1, 9, tzinfo=UTC)


async def test_generic_request_and_paginate(server: MakeLeapsServer, ml: MakeLeaps) -> None:
    root = await ml.request("GET", "/api/")
    assert root["currencies"] == server.u("/api/currency/")
    one = await ml.request("GET", f"/api/partner/{P1}/document/{_doc_mid(2)}/")
    assert one == server.data["document"][_doc_mid(2)]
    templated = await ml.request("GET", "/api/partner/{partner_mid}/employee/me/")
    assert templated["mid"] == "11000000000000000"
    rows = await ml.paginate(f"/api/partner/{P1}/contact/", page_size=2, max_items=5).all()
    assert [r["mid"] for r in rows] == list(server.data["contact"])[:5]
    absolute = await ml.request("GET", server.p(f"/client/{'13000000000000002'}/"))
    assert absolute["client_external_id"] == "EXT-2"


# -- writes -------------------------------------------------------------------------------------


def _float_free(raw: bytes, keys: tuple[str, ...]) -> None:
    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                if k in keys:
                    assert isinstance(v, str), f"{k} sent as {v!r}"
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    walk(json.loads(raw))


async def test_create_from_dict_and_model_sends_money_as_strings(
    server: MakeLeapsServer, ml: MakeLeaps
) -> None:
    created = await ml.documents.create(
        {
            "document_type": "invoice",
            "document_number": "900",
            "currency": "JPY",
            "total": Decimal("5000"),
            "date": date(2024, 4, 1),
            "client": server.p("/client/13000000000000000/"),
        }
    )
    assert isinstance(created, models.Document)
    assert created.total == Decimal("5000") and created.date == date(2024, 4, 1)
    assert created.mid in server.data["document"]
    sent = json.loads(server.requests("POST", f"/api/partner/{P1}/document/")[0]["raw"])
    assert sent["total"] == "5000" and sent["date"] == "2024-04-01"

    model = models.Document(
        document_type="quote",
        document_number="901",
        currency="JPY",
        autocalculate=True,
        tax_rate=Decimal("8.00"),
        lineitems=[
            models.LineItem(
                kind="normal",
                position=0,
                description="Hours",
                unit_cost=Decimal("1.17"),
                quantity=Decimal("3"),
            )
        ],
        date_paid=datetime(2018, 3, 30, 12, 0, tzinfo=timezone(timedelta(hours=9))),
    )
    made = await ml.documents.create(model)
    assert made.lineitems is not None and made.lineitems[0].unit_cost == Decimal("1.17")
    raw = server.requests("POST", f"/api/partner/{P1}/document/")[1]["raw"]
    _float_free(raw, (*MONEY, "quantity", "tax_rate"))
    body = json.loads(raw)
    assert body["lineitems"] == [
        {
            "kind": "normal",
            "position": 0,
            "description": "Hours",
            "unit_cost": "1.17",
            "quantity": "3",
        }
    ]
    assert _parse_ts(body["date_paid"]) == datetime(2018, 3, 30, 3, 0, tzinfo=UTC)
    assert "mid" not in body and "url" not in body and "raw" not in body


async def test_update_is_a_patch_of_the_changed_fields(
    server: MakeLeapsServer, ml: MakeLeaps
) -> None:
    doc = await ml.documents.get(_doc_mid(0))
    updated = await ml.documents.update(doc, attrs.evolve(doc, date_paid=None, title="Renamed"))
    assert updated.date_paid is None and updated.title == "Renamed"
    sent = server.requests("PATCH", f"/api/partner/{P1}/document/{_doc_mid(0)}/")
    assert json.loads(sent[0]["raw"]) == {"date_paid": None, "title": "Renamed"}
    assert server.requests("PUT") == []
    await ml.documents.update(_doc_mid(1), {"date_paid": "2018-03-30T12:00:00+09:00"})
    sent = server.requests("PATCH", f"/api/partner/{P1}/document/{_doc_mid(1)}/")
    assert json.loads(sent[0]["raw"]) == {"date_paid": "2018-03-30T12:00:00+09:00"}
    assert server.data["document"][_doc_mid(1)]["total"] == "11001.50"  # untouched
    contact = await ml.contacts.update("12000000000000003", {"name": "New Name"})
    assert contact.name == "New Name" and contact.mid == "12000000000000003"
    item = await ml.catalog_items.update(
        server.p("/item/15000000000000001/"), {"unit_cost": Decimal("99.90")}
    )
    assert item.unit_cost == Decimal("99.90")
    assert json.loads(server.requests("PATCH")[-1]["raw"]) == {"unit_cost": "99.90"}


async def test_delete_answers_204_and_returns_none(server: MakeLeapsServer, ml: MakeLeaps) -> None:
    await ml.documents.delete(_doc_mid(6))  # returns None (typed so)
    assert _doc_mid(6) not in server.data["document"]
    client = await ml.clients.get("13000000000000003")
    await ml.clients.delete(client)
    await ml.contacts.delete(server.p("/contact/12000000000000005/"))
    assert "13000000000000003" not in server.data["client"]
    assert "12000000000000005" not in server.data["contact"]
    deletes = server.requests("DELETE")
    assert all(s["method"] == "DELETE" and s["raw"] == b"" for s in deletes) and len(deletes) == 3
    with pytest.raises(errors.NotFoundError) as info:
        await ml.documents.get(_doc_mid(6))
    assert info.value.message == "Not found."


# -- errors -------------------------------------------------------------------------------------


async def test_400_field_and_non_field_errors(server: MakeLeapsServer, ml: MakeLeaps) -> None:
    with pytest.raises(errors.BadRequestError) as info:
        await ml.documents.create(
            {"document_type": "invoice", "document_number": "100", "date": "20/06/2017"}
        )
    err = info.value
    assert err.status == 400
    assert err.field_errors == {
        "currency": ["This field is required."],
        "date": [MESSAGES["date"][0]],
    }
    assert err.non_field_errors == [
        "A document with type 'invoice' and number '100' already exists."
    ]
    assert "currency" in str(err) or "already exists" in str(err)
    # a field literally called "message" (sending orders have one) is a field error too
    with pytest.raises(errors.BadRequestError) as info:
        await ml.sending_orders.create({"message": "", "securesend_selected": True})
    assert info.value.field_errors == {"message": ["This field may not be blank."]}


async def test_accept_language_per_client_and_per_call(server: MakeLeapsServer) -> None:
    async with make_client(server, accept_language="ja") as ml:
        with pytest.raises(errors.BadRequestError) as info:
            await ml.documents.create({"document_type": "invoice"})
        assert info.value.field_errors == {"currency": ["このフィールドは必須です"]}
        doc = await ml.documents.get(_doc_mid(0))
        assert doc.display_name == "請求書番号100"
        partners = await ml.partners.list().all()
        assert partners[0].name == "株式会社例"
    assert all(
        s["headers"].get("Accept-Language") == "ja"
        for s in server.seen
        if s["path"].startswith("/api/")
    )
    async with make_client(server) as ml:
        doc = await ml.documents.get(_doc_mid(0))
        assert doc.display_name == "Invoice #100"
        doc = await ml.documents.get(_doc_mid(0), headers={"Accept-Language": "ja"})
        assert doc.display_name == "請求書番号100"
        docs = await ml.documents.list(max_items=1, headers={"Accept-Language": "ja"}).all()
        assert docs[0].display_name == "請求書番号100"
        with pytest.raises(errors.BadRequestError) as info:
            await ml.documents.create(
                {"document_type": "invoice"}, headers={"Accept-Language": "ja"}
            )
        assert info.value.field_errors["currency"] == ["このフィールドは必須です"]
        raw = await ml.request(
            "GET", f"/api/partner/{P1}/document/{_doc_mid(1)}/", headers={"Accept-Language": "ja"}
        )
        assert raw["display_name"].endswith("番号101")


async def test_5xx_detail_is_a_server_error(server: MakeLeapsServer, ml: MakeLeaps) -> None:
    await ml.get_partner_mid()
    server.failures = [(500, {"detail": "Internal server error, ref 77."})]
    with pytest.raises(errors.ServerError) as info:
        await ml.contacts.create({"contact_type": "person", "family_name": "Once"})
    assert info.value.status == 500 and info.value.message == "Internal server error, ref 77."
    assert len(server.requests("POST", f"/api/partner/{P1}/contact/")) == 1  # a write: not resent
    server.failures = [
        (503, {"meta": {"status_code": 503}, "response": {"detail": "Maintenance."}}),
    ]
    assert len(await ml.currencies.list().all()) == 2  # a read is retried
    server.failures = [(502, {"detail": "Bad gateway."})] * 2
    async with make_client(server, partner_mid=P1, max_retries=1) as brief:
        with pytest.raises(errors.ServerError) as info:
            await brief.currencies.list().all()
    assert info.value.message == "Bad gateway." and server.failures == []


async def test_429_retry_after_is_honoured(server: MakeLeapsServer, ml: MakeLeaps) -> None:
    await ml.get_partner_mid()
    server.throttle = ["1"]
    created = await ml.contacts.create({"contact_type": "person", "family_name": "Later"})
    assert created.family_name == "Later"
    posts = server.requests("POST", f"/api/partner/{P1}/contact/")
    assert len(posts) == 2  # a refused write is safe to resend
    assert posts[1]["at"] - posts[0]["at"] >= 0.95  # waited out Retry-After
    # Out of retries: test_contract.py::test_429_raised_when_out_of_retries.


# -- resources: documented paths and methods ----------------------------------------------------


async def test_every_resource_hits_its_documented_path(
    server: MakeLeapsServer, ml: MakeLeaps
) -> None:
    b = f"/api/partner/{P1}"
    expected: list[tuple[str, str]] = []

    async def check(call: Awaitable[Any], *hits: tuple[str, str]) -> Any:
        before = len(server.api_calls())
        result = await call
        got = server.api_calls()[before:]
        assert got == list(hits)
        expected.extend(hits)
        return result

    await ml.get_partner_mid()
    await check(ml.partners.list().all(), ("GET", "/api/partner/"))
    await check(ml.partners.get(P1), ("GET", f"{b}/"))
    currencies = await check(ml.currencies.list().all(), ("GET", "/api/currency/"))
    assert [c.code for c in currencies] == ["JPY", "USD"]
    await check(ml.employees.list().all(), ("GET", f"{b}/employee/"), ("GET", f"{b}/employee/"))
    await check(ml.employees.get("11000000000000002"), ("GET", f"{b}/employee/11000000000000002/"))
    me = await check(ml.employees.me(), ("GET", f"{b}/employee/me/"))
    assert me.is_owner is True
    await check(ml.documents.list(max_items=1).all(), ("GET", f"{b}/document/"))
    await check(ml.documents.get(_doc_mid(3)), ("GET", f"{b}/document/{_doc_mid(3)}/"))
    await check(ml.catalog_items.list(product_code__contains="ABC").all(), ("GET", f"{b}/item/"))
    item = await check(
        ml.catalog_items.create({"product_code": "NEW-1", "unit_cost": "10"}),
        ("POST", f"{b}/item/"),
    )
    await check(ml.catalog_items.get(item.mid), ("GET", f"{b}/item/{item.mid}/"))
    assert not hasattr(ml.catalog_items, "delete")
    await check(ml.clients.list().all(), ("GET", f"{b}/client/"), ("GET", f"{b}/client/"))
    cmid = "13000000000000000"
    contacts = await check(ml.clients.contacts(cmid).all(), ("GET", f"{b}/client/{cmid}/contact/"))
    assert [c.family_name for c in contacts] == ["", "Family4"]
    settings = await check(ml.clients.settings(cmid), ("GET", f"{b}/client/{cmid}/settings/"))
    assert settings.send_by_secure_send is True
    changed = await check(
        ml.clients.update_settings(cmid, attrs.evolve(settings, send_by_post=True)),
        ("PATCH", f"{b}/client/{cmid}/settings/"),
    )
    assert changed.send_by_post is True
    assert json.loads(server.requests("PATCH")[-1]["raw"]) == {"send_by_post": True}
    await check(
        ml.clients.update(cmid, {"client_external_id": "X"}), ("PATCH", f"{b}/client/{cmid}/")
    )
    await check(ml.contacts.list(search="Family5").all(), ("GET", f"{b}/contact/"))
    await check(ml.contacts.get("12000000000000001"), ("GET", f"{b}/contact/12000000000000001/"))
    await check(
        ml.history.list(date_start="2023-01-03T00:00:00.00Z").all(), ("GET", f"{b}/history/")
    )
    await check(ml.history.get("16000000000000000"), ("GET", f"{b}/history/16000000000000000/"))
    await check(
        ml.history.create({"event_name": "note", "object_repr": "x"}), ("POST", f"{b}/history/")
    )
    inbox = await check(ml.inbox.list().all(), ("GET", f"{b}/inbox/inbox/"))
    assert inbox[0].accepted_order is not None and inbox[0].accepted_order.signatory == "Jane"
    assert inbox[1].received_doc is not None and inbox[1].received_doc.vendor_name == "Supplier KK"
    templates = await check(
        ml.templates.list(document_type="invoice", is_archived=False).all(),
        ("GET", f"{b}/template/invoice/"),
    )
    assert [t.template_code for t in templates] == ["ja_JP_pro_1", "ja_JP_pro_2"]
    for name, methods in {
        "partners": {"list", "get"},
        "currencies": {"list"},
        "employees": {"list", "get"},
        "documents": {"list", "get", "create", "update", "delete"},
        "catalog_items": {"list", "get", "create", "update"},
        "clients": {"list", "get", "create", "update", "delete"},
        "contacts": {"list", "get", "create", "update", "delete"},
        "sending_orders": {"list", "get", "create", "update", "delete"},
        "history": {"list", "get", "create"},
        "inbox": {"list"},
        "tasks": {"get"},
        "templates": {"list"},
    }.items():
        res = getattr(ml, name)
        offered = {m for m in ("list", "get", "create", "update", "delete") if hasattr(res, m)}
        assert offered == methods, name
    assert all(path.endswith("/") for _, path in expected)


async def test_client_create_with_nested_contacts(server: MakeLeapsServer, ml: MakeLeaps) -> None:
    client = await ml.clients.create(
        {
            "client_external_id": "CLIENT-12345",
            "contacts": [
                {"contact_type": "organization", "name": "Test Co", "addresses": [], "email": None},
                {
                    "contact_type": "person",
                    "family_name": "Test",
                    "addresses": [],
                    "email": {"address": "test@example.com"},
                },
            ],
        }
    )
    assert client.client_external_id == "CLIENT-12345" and client.display_name == "Test Co"
    assert client.contacts is not None and len(client.contacts) == 2
    people = await ml.follow(client.contacts[1])
    assert isinstance(people, models.Contact)
    assert people.email is not None and people.email.address == "test@example.com"


async def test_sending_order_items_send_and_cancel(server: MakeLeapsServer, ml: MakeLeaps) -> None:
    b = f"/api/partner/{P1}"
    order = await ml.sending_orders.create(
        {
            "recipient_organization": server.p("/client/13000000000000000/"),
            "securesend_selected": True,
            "to_emails": ["myclient@example.com"],
            "subject": "Invoices for August",
            "message": "Invoices are attached.",
            "sendbypost_selected": False,
        }
    )
    omid = order.mid
    assert order.items_url == server.p(f"/sending/order/{omid}/items/")
    item = await ml.sending_orders.add_item(order, document=_doc_mid(0), position=0)
    assert item.document == server.p(f"/document/{_doc_mid(0)}/")
    posted = server.requests("POST", f"{b}/sending/order/{omid}/items/")
    assert json.loads(posted[0]["raw"]) == {"position": 0, "document": item.document}
    items = await ml.sending_orders.items(order).all()
    assert [i.url for i in items] == [item.url]
    ready = await ml.sending_orders.validate(order, timeout=1, poll_interval=0.05)
    assert ready.is_ready and not ready.validation_errors
    sent = await ml.sending_orders.send(ready)
    assert isinstance(sent, models.SendingOrder) and sent.status["securesend"] == "not_viewed"
    assert json.loads(server.requests("POST", f"{b}/sending/order/{omid}/send/")[0]["raw"]) == {}
    status = await ml.sending_orders.cancel(sent, securesend=True, sendbypost=False)
    assert status["securesend"] == "cancelled"
    assert json.loads(server.requests("POST", f"{b}/sending/order/{omid}/status/")[0]["raw"]) == {
        "securesend_cancelled": True,
        "sendbypost_cancelled": False,
    }
    await ml.sending_orders.delete_item(item)
    assert server.requests("DELETE", URL(item.url or "").path)
    renamed = await ml.sending_orders.update(omid, {"subject": "Re: August"})
    assert renamed.subject == "Re: August"
    await ml.sending_orders.delete(omid)
    assert omid not in server.data["sending/order"]


# -- background tasks ---------------------------------------------------------------------------


async def test_pickup_link_task_is_polled_to_completion(
    server: MakeLeapsServer, ml: MakeLeaps
) -> None:
    b = f"/api/partner/{P1}"
    task = await ml.pickup_links.create(_doc_mid(0))
    assert isinstance(task, models.Task)
    assert task.completion == 0 and task.result_url == server.p(f"/task/{task.mid}/results/")
    post = server.requests("POST", f"{b}/document/{_doc_mid(0)}/pickup-link/")
    assert post[0]["raw"] == b""  # "sending a POST request without a body"
    seen: list[Decimal | None] = []
    result = await ml.wait_for_task(
        task, timeout=5, poll_interval=0.01, on_progress=lambda t: seen.append(t.completion)
    )
    assert seen == [Decimal(50), Decimal(100)]
    assert isinstance(result, list) and result[0]["link"].startswith("https://example.com/")
    assert server.requests("GET", f"{b}/task/{task.mid}/results/")
    link_mid = result[0]["mid"]
    link = await ml.pickup_links.get(link_mid)
    assert link.expiration_date == datetime(2021, 4, 4, 14, 30, 38, tzinfo=UTC)
    assert [p.mid for p in await ml.pickup_links.list(document=_doc_mid(0)).all()] == [link_mid]
    await ml.pickup_links.cancel(link)
    assert server.links[link_mid]["is_cancelled"] is True
    await ml.pickup_links.uncancel(link_mid)
    assert server.links[link_mid]["is_cancelled"] is False
    again = await ml.tasks.get(task.mid)
    assert again.completion == 100 and again.finished is not None
    links = await ml.pickup_links.create_and_wait(
        await ml.documents.get(_doc_mid(1)), timeout=5, poll_interval=0.01
    )
    assert [type(x) for x in links] == [models.PickupLink] and links[0].link


async def test_wait_for_task_times_out(server: MakeLeapsServer, ml: MakeLeaps) -> None:
    server.stuck_tasks = True
    task = await ml.pickup_links.create(_doc_mid(2))
    with pytest.raises(errors.TaskTimeoutError):
        await ml.wait_for_task(task, timeout=0.2, poll_interval=0.05)
    assert len(server.requests("GET", f"/api/partner/{P1}/task/{task.mid}/")) >= 2
    assert not server.requests("GET", f"/api/partner/{P1}/task/{task.mid}/results/")


# -- HATEOAS ------------------------------------------------------------------------------------


async def test_follow_same_origin_only(server: MakeLeapsServer, ml: MakeLeaps) -> None:
    doc = await ml.documents.get(_doc_mid(1))
    client = await ml.follow(doc.client)
    assert isinstance(client, models.Client) and client.mid == "13000000000000001"
    contacts = await ml.follow(server.p("/contact/"))
    assert len(contacts) == 6 and all(isinstance(c, models.Contact) for c in contacts)

    foreign_hits: list[web.Request] = []

    async def catch_all(request: web.Request) -> web.Response:
        foreign_hits.append(request)
        return web.json_response({"meta": {"status": 200}, "response": {}})

    foreign_app = web.Application()
    foreign_app.router.add_route("*", "/{tail:.*}", catch_all)
    foreign = TestServer(foreign_app, host="127.0.0.1")
    await foreign.start_server()
    try:
        evil = str(foreign.make_url(f"/api/partner/{P1}/client/13000000000000001/"))
        with pytest.raises(errors.ConfigurationError):
            await ml.follow(evil)
        with pytest.raises(errors.ConfigurationError):
            await ml.request("GET", evil)
        with pytest.raises(errors.ConfigurationError):
            await ml.documents.get(evil)
        server.next_origin = foreign.make_url("/")
        with pytest.raises(errors.PaginationError):
            await ml.documents.list().all()
        with pytest.raises(errors.PaginationError):
            await ml.follow(server.p("/document/"))
    finally:
        await foreign.close()
    assert foreign_hits == []


# -- secrets ------------------------------------------------------------------------------------


async def test_no_secret_in_logs_errors_or_reprs(
    server: MakeLeapsServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    problems: list[BaseException] = []
    async with make_client(server, max_retries=1) as ml:
        await ml.documents.list().all()
        server.expire_tokens_now = True
        await ml.employees.me()
        server.failures = [(500, {"detail": "boom"})]
        try:
            await ml.documents.create({"currency": "JPY"})
        except errors.APIError as exc:
            problems.append(exc)
        try:
            await ml.documents.create({"document_type": "invoice"})
        except errors.APIError as exc:
            problems.append(exc)
        await ml.revoke_token()
        texts = [repr(ml), repr(ml.auth), repr(ml.documents)]
    async with make_client(server, client_secret="bad-" + CLIENT_SECRET) as bad:
        try:
            await bad.employees.me()
        except errors.APIError as exc:
            problems.append(exc)
    tokens = [t for t in server.tokens] + ["tok0001abcdef", "tok0002abcdef"]
    texts += [str(p) for p in problems] + [repr(p) for p in problems]
    texts += [r.getMessage() for r in caplog.records]
    assert len(problems) == 3 and caplog.records
    for text in texts:
        for secret in (CLIENT_SECRET, BASIC, *tokens):
            assert secret not in text


# -- where the docs leave room --------------------------------------------------------------------


async def test_currencies_fall_back_to_options_when_get_is_not_allowed(
    server: MakeLeapsServer, ml: MakeLeaps
) -> None:
    server.currency_get_allowed = False
    currencies = await ml.currencies.list().all()
    assert [(c.code, c.name) for c in currencies] == [("JPY", "Japanese Yen"), ("USD", "US Dollar")]
    assert [s["method"] for s in server.requests(path="/api/currency/")] == ["GET", "OPTIONS"]
    raw = await ml.currencies.list_raw().all()
    assert raw[0] == {"code": "JPY", "name": "Japanese Yen"}


async def test_templates_of_every_type_skip_types_the_company_lacks(
    server: MakeLeapsServer, ml: MakeLeaps
) -> None:
    templates = await ml.templates.list(is_archived=False).all()
    kinds = [t.document_type for t in templates]
    assert "timesheet" not in kinds and "acceptance" not in kinds
    assert len(templates) == 2 * 7 and kinds[:2] == ["order", "order"]
    with pytest.raises(errors.NotFoundError):
        await ml.templates.list(document_type="timesheet").all()


async def test_task_finished_as_a_flag_and_other_ways_to_name_the_document(
    server: MakeLeapsServer, ml: MakeLeaps
) -> None:
    server.task_finished_as_flag = True
    task = await ml.pickup_links.create(document_mid=_doc_mid(3))
    assert task.finished is None and task.raw["finished"] == "False"
    result = await ml.tasks.wait(task, timeout=5, poll_interval=0.01)
    assert len(result) == 1 and result[0]["mid"] in server.links
    polled = await ml.tasks.get(task.mid)
    assert polled.finished is None and polled.raw["finished"] == "True"
    doc = await ml.documents.get(_doc_mid(4))
    again = await ml.pickup_links.create({"document": doc.url})
    assert isinstance(again, models.Task)
    posts = [s["path"] for s in server.requests("POST") if s["path"].endswith("/pickup-link/")]
    assert posts == [
        f"/api/partner/{P1}/document/{_doc_mid(3)}/pickup-link/",
        f"/api/partner/{P1}/document/{_doc_mid(4)}/pickup-link/",
    ]
    with pytest.raises(errors.ConfigurationError):
        await ml.pickup_links.create()


async def test_paginate_takes_headers_per_call(server: MakeLeapsServer, ml: MakeLeaps) -> None:
    rows = await ml.paginate(
        f"/api/partner/{P1}/document/", headers={"Accept-Language": "ja"}, document_type="quote"
    ).all()
    assert [r["display_name"] for r in rows] == ["見積書番号101"]
    sent = server.requests("GET", f"/api/partner/{P1}/document/")[-1]
    assert sent["query"] == {"document_type": "quote"}
    assert sent["headers"]["Accept-Language"] == "ja"

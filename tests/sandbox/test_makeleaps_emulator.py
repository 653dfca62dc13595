"""The MakeLeaps emulator on the wire, driven by plain aiohttp (no vendorkit client), checked
against what ``makeleaps.txt`` documents: OAuth2 client credentials, the envelope, next-link
pagination, error bodies, Japanese messages, the 202 Task of pickup links, sending orders,
the throttle, every fault kind, and determinism under a seed."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from multidict import CIMultiDictProxy

from vendorkit.sandbox import FaultProfile, Sandbox
from vendorkit.sandbox.vendors.makeleaps import MakeLeapsEmulator

RECORDS = 45
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")


def basic(client_id: str, client_secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()


class Wire:
    """A logged-in plain-aiohttp caller of one sandboxed MakeLeaps."""

    def __init__(self, sb: Sandbox, session: aiohttp.ClientSession) -> None:
        self.sb = sb
        self.session = session
        self.base = sb.url("makeleaps")
        self.creds = sb.credentials("makeleaps")
        emu = sb.emulator("makeleaps")
        assert isinstance(emu, MakeLeapsEmulator)
        self.emu = emu
        self.partner = f"{self.base}/api/partner/{self.emu.partner_mid}"
        self.token = ""

    async def get_token(self, secret: str | None = None, **form: str) -> tuple[int, Any]:
        auth = basic(self.creds["client_id"], secret or self.creds["client_secret"])
        async with self.session.post(
            f"{self.base}/user/oauth2/token/",
            data=form or {"grant_type": "client_credentials"},
            headers={"Authorization": auth, "Accept": "application/json"},
        ) as r:
            return r.status, await r.json()

    async def login(self) -> None:
        status, body = await self.get_token()
        assert status == 200
        self.token = body["access_token"]

    async def call(
        self,
        method: str,
        url: str,
        *,
        json_body: Any = None,
        params: dict[str, str] | None = None,
        lang: str | None = None,
        token: str | None = None,
        headers: dict[str, str] | None = None,
        data: Any = None,
    ) -> tuple[int, Any, CIMultiDictProxy[str]]:
        if not url.startswith("http"):
            url = self.partner + url
        hdrs = {"Authorization": f"Bearer {self.token if token is None else token}"}
        if lang:
            hdrs["Accept-Language"] = lang
        hdrs.update(headers or {})
        async with self.session.request(
            method, url, json=json_body, params=params, headers=hdrs, data=data
        ) as r:
            raw = await r.read()
            body = json.loads(raw) if raw and r.content_type == "application/json" else raw
            return r.status, body, r.headers

    async def ok(self, method: str, url: str, status: int = 200, **kw: Any) -> Any:
        got, body, _ = await self.call(method, url, **kw)
        assert got == status, body
        return body["response"]

    async def walk(self, url: str) -> list[dict[str, Any]]:
        """Every record of a list, following ``meta.next`` to the end."""
        records: list[dict[str, Any]] = []
        next_url: str | None = url
        while next_url:
            status, body, _ = await self.call("GET", next_url)
            assert status == 200, body
            records += body["response"]
            next_url = body["meta"]["next"]
        return records


@pytest.fixture
async def ml() -> AsyncIterator[Wire]:
    async with (
        Sandbox(vendors=["makeleaps"], records=RECORDS, seed=7, quotas={"makeleaps": None}) as sb,
        aiohttp.ClientSession() as session,
    ):
        wire = Wire(sb, session)
        await wire.login()
        yield wire


async def a_client_url(ml: Wire) -> str:
    clients = await ml.ok("GET", "/client/")
    return str(clients[0]["url"])


# -- auth --------------------------------------------------------------------------------------


async def test_token_is_issued_for_basic_client_credentials(ml: Wire) -> None:
    status, body = await ml.get_token()
    assert status == 200
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 36000
    assert body["scope"] == "read write"
    assert body["access_token"] and body["access_token"] != ml.token
    assert ml.emu.counters.token_requests["client_credentials"] == 2
    assert ml.emu.default_quota == "120/minute;5000/day"


async def test_bad_credentials_are_invalid_client(ml: Wire) -> None:
    status, body = await ml.get_token(secret="wrong")
    assert (status, body) == (401, {"error": "invalid_client"})
    async with ml.session.post(
        f"{ml.base}/user/oauth2/token/", data={"grant_type": "client_credentials"}
    ) as r:
        assert (r.status, await r.json()) == (401, {"error": "invalid_client"})
    status, body = await ml.get_token(grant_type="password")
    assert (status, body) == (400, {"error": "unsupported_grant_type"})


async def test_api_calls_need_a_bearer_token(ml: Wire) -> None:
    async with ml.session.get(f"{ml.base}/api/partner/") as r:
        assert r.status == 401
        assert await r.json() == {
            "status_code": 401,
            "detail": "Authentication credentials were not provided.",
        }
    status, body, _ = await ml.call("GET", f"{ml.base}/api/partner/", token="not-a-token")
    assert status == 401
    assert body["status_code"] == 401 and body["detail"]


async def test_revoked_and_expired_tokens_stop_working(ml: Wire) -> None:
    assert (await ml.call("GET", "/"))[0] == 200
    auth = basic(ml.creds["client_id"], "wrong")
    async with ml.session.post(
        f"{ml.base}/user/oauth2/revoke-token/",
        data={"token": ml.token},
        headers={"Authorization": auth},
    ) as r:
        assert r.status == 401
    assert (await ml.call("GET", "/"))[0] == 200
    auth = basic(ml.creds["client_id"], ml.creds["client_secret"])
    async with ml.session.post(
        f"{ml.base}/user/oauth2/revoke-token/",
        data={"token": ml.token},
        headers={"Authorization": auth},
    ) as r:
        assert r.status == 200
    assert (await ml.call("GET", "/"))[0] == 401
    await ml.login()
    assert (await ml.call("GET", "/"))[0] == 200
    ml.emu.tokens.expire_all()
    assert (await ml.call("GET", "/"))[0] == 401


async def test_token_ttl_knob_shows_in_expires_in() -> None:
    async with (
        Sandbox(vendors=["makeleaps"], records=3, token_ttl=90) as sb,
        aiohttp.ClientSession() as session,
    ):
        status, body = await Wire(sb, session).get_token()
        assert status == 200 and body["expires_in"] == 90


# -- envelope, pagination, reading ------------------------------------------------------------


async def test_root_and_partner_discovery(ml: Wire) -> None:
    root = await ml.ok("GET", f"{ml.base}/api/")
    assert root["partners"][0]["url"] == ml.partner + "/"
    assert root["currencies"] == f"{ml.base}/api/currency/"
    status, body, _ = await ml.call("GET", f"{ml.base}/api/partner/")
    assert status == 200
    assert body["meta"] == {
        "status": 200,
        "status_code": 200,
        "next": None,
        "prev": None,
        "page": 1,
        "count": 1,
    }
    partner = body["response"][0]
    assert partner["url"].startswith(ml.base)
    assert partner["documents"] == ml.partner + "/document/"
    assert partner["name"] == "Sakura Digital Solutions K.K."
    assert (await ml.ok("GET", "/"))["url"] == partner["url"]


async def test_documents_paginate_by_next_links_to_the_end(ml: Wire) -> None:
    status, first, _ = await ml.call("GET", "/document/")
    assert status == 200
    meta = first["meta"]
    assert meta["count"] == RECORDS and meta["page"] == 1 and meta["prev"] is None
    assert meta["next"] == f"{ml.partner}/document/?page=2"
    assert len(first["response"]) == 20
    records = await ml.walk(f"{ml.partner}/document/")
    mids = [r["mid"] for r in records]
    assert len(mids) == RECORDS == len(set(mids))
    assert set(mids) == set(ml.emu.store["documents"])
    status, last, _ = await ml.call("GET", "/document/", params={"page": "3"})
    assert last["meta"]["next"] is None
    assert last["meta"]["prev"] == f"{ml.partner}/document/?page=2"
    assert [r["mid"] for r in last["response"]] == mids[40:]
    status, second, _ = await ml.call("GET", "/document/", params={"page": "2"})
    assert second["meta"]["prev"] == f"{ml.partner}/document/"
    status, body, _ = await ml.call("GET", "/document/", params={"page": "4"})
    assert status == 404
    assert body == {"meta": {"status_code": 404}, "response": {"detail": "Invalid page."}}


async def test_next_links_keep_the_filters(ml: Wire) -> None:
    ml.emu.page_size = 5
    status, body, _ = await ml.call("GET", "/document/", params={"sent": "true"})
    assert status == 200
    assert body["meta"]["next"] == f"{ml.partner}/document/?sent=true&page=2"
    sent = await ml.walk(f"{ml.partner}/document/?sent=true")
    assert len(sent) == body["meta"]["count"] > 0
    assert all(d["date_sent"] for d in sent)


async def test_get_by_mid_with_url_references_and_string_money(ml: Wire) -> None:
    mid = next(iter(ml.emu.store["documents"]))
    doc = await ml.ok("GET", f"/document/{mid}/")
    assert doc["mid"] == mid
    assert doc["url"] == f"{ml.partner}/document/{mid}/"
    for field in ("total", "subtotal", "tax"):
        assert isinstance(doc[field], str)
    assert all(isinstance(li["unit_cost"], str | None) for li in doc["lineitems"])
    assert doc["date_sent"] is None or TIMESTAMP.match(doc["date_sent"])
    assert re.match(r"^\d{4}-\d{2}-\d{2}$", doc["date"])
    client = await ml.ok("GET", doc["client"])
    assert client["url"] == doc["client"]
    assert doc["client_contact"] in client["contacts"]
    expanded = await ml.ok("GET", f"/document/{mid}/", params={"expand": "client,client_contact"})
    assert expanded["client"] == client
    assert expanded["client_contact"]["url"] == doc["client_contact"]


async def test_unknown_mid_and_partner_are_404(ml: Wire) -> None:
    not_found = {"meta": {"status_code": 404}, "response": {"detail": "Not found."}}
    for url in ("/document/123/", "/client/123/", "/contact/1/", "/task/1/"):
        status, body, _ = await ml.call("GET", url)
        assert (status, body) == (404, not_found)
    status, body, _ = await ml.call("GET", f"{ml.base}/api/partner/999/document/")
    assert (status, body) == (404, not_found)
    status, body, _ = await ml.call("DELETE", "/item/1/")
    assert status == 405 and body["meta"]["status_code"] == 405


async def test_missing_trailing_slash_redirects(ml: Wire) -> None:
    status, body, _ = await ml.call("GET", "/document", params={"search": "zzz-none"})
    assert status == 200 and body["meta"]["count"] == 0


async def test_document_filters_ranges_search(ml: Wire) -> None:
    docs = list(ml.emu.store["documents"].values())
    invoices = await ml.walk(f"{ml.partner}/document/?document_type=invoice")
    assert {d["mid"] for d in invoices} == {
        d["mid"] for d in docs if d["document_type"] == "invoice"
    }
    pivot = sorted(d["date"] for d in docs)[RECORDS // 2]
    lt = await ml.walk(f"{ml.partner}/document/?date__lt={pivot}")
    gte = await ml.walk(f"{ml.partner}/document/?date__gte={pivot}")
    assert len(lt) + len(gte) == RECORDS
    assert all(d["date"] < pivot for d in lt) and all(d["date"] >= pivot for d in gte)
    exact = await ml.walk(f"{ml.partner}/document/?date={pivot}")
    assert exact and all(d["date"] == pivot for d in exact)
    stamp = sorted(d["date_sent"] for d in docs if d["date_sent"])[3]
    upto = await ml.walk(f"{ml.partner}/document/?date_sent__lte={stamp[:16]}")
    assert all(d["date_sent"][:16] <= stamp[:16] for d in upto)
    status, body, _ = await ml.call("GET", "/document/", params={"date_sent__gte": "2024-01-01"})
    assert status == 400 and "date_sent__gte" in body["response"]
    status, body, _ = await ml.call("GET", "/document/", params={"date__lt": "yesterday"})
    assert status == 400 and body["meta"] == {"status_code": 400}
    target = docs[5]
    found = await ml.walk(f"{ml.partner}/document/?search={target['document_number']}")
    assert target["mid"] in {d["mid"] for d in found}
    client_mid = target["client"].rstrip("/").rsplit("/", 1)[-1]
    by_client = await ml.walk(f"{ml.partner}/document/?client={client_mid}")
    assert by_client and all(
        d["client"] == target["client"].replace("https://api.makeleaps.com", ml.base)
        for d in by_client
    )
    paid = await ml.walk(f"{ml.partner}/document/?paid=false&document_type=invoice")
    assert all(d["date_paid"] is None and d["document_type"] == "invoice" for d in paid)


# -- writes ------------------------------------------------------------------------------------


async def test_document_create_update_delete(ml: Wire) -> None:
    client_url = await a_client_url(ml)
    item = (await ml.ok("GET", "/item/", params={"product_code": "CONS-H"}))[0]
    payload = {
        "document_type": "invoice",
        "document_number": "T-0001",
        "client": client_url,
        "currency": "JPY",
        "date": "2024-07-01",
        "autocalculate": True,
        "lineitems": [
            {
                "kind": "normal",
                "description": "作業",
                "unit_cost": "1000",
                "quantity": "3",
                "tax_rate": "10",
            },
            {"kind": "normal", "source_catalog_item": item["url"]},
        ],
    }
    created = await ml.ok("POST", "/document/", 201, json_body=payload)
    mid = created["mid"]
    assert created["url"] == f"{ml.partner}/document/{mid}/"
    assert created["client"] == client_url
    assert created["display_name"] == "Invoice #T-0001"
    assert created["lineitems"][1]["description"] == item["description"]
    assert created["subtotal"] == str(3000 + int(item["unit_cost"]))
    assert created["total"] == str(int(created["subtotal"]) + int(created["tax"]))
    assert ml.emu.counters.total_writes == 1
    assert (await ml.ok("GET", f"/document/{mid}/"))["title"] == ""
    patched = await ml.ok(
        "PATCH",
        f"/document/{mid}/",
        json_body={"title": "7月分", "date_paid": "2024-07-10T12:00:00+09:00"},
    )
    assert patched["title"] == "7月分" and patched["date_paid"] == "2024-07-10T03:00:00.000000Z"
    status, body, _ = await ml.call("PUT", f"/document/{mid}/", json_body={"title": "x"})
    assert status == 400 and body["response"]["client"] == ["This field is required."]
    status, body, _ = await ml.call("DELETE", f"/document/{mid}/")
    assert status == 204 and body == b""
    assert (await ml.call("GET", f"/document/{mid}/"))[0] == 404
    history = await ml.ok("GET", "/history/")
    assert history[0]["event_name"] == "document_deleted"


async def test_a_zero_tax_rate_is_a_rate_and_a_null_position_keeps_the_order(ml: Wire) -> None:
    """A tax-exempt document (``tax_rate`` 0) gets no tax, not the default 10%; a line item
    whose ``position`` is null stays where it was given (found in review: it was a 500)."""
    client_url = await a_client_url(ml)
    payload = {
        "document_type": "invoice",
        "document_number": "T-0000",
        "client": client_url,
        "currency": "JPY",
        "date": "2024-07-01",
        "autocalculate": True,
        "tax_rate": "0",
        "lineitems": [
            {"kind": "normal", "description": "a", "unit_cost": "1000", "quantity": "1"},
            {
                "kind": "normal",
                "description": "b",
                "unit_cost": "500",
                "quantity": "2",
                "position": None,
            },
        ],
    }
    created = await ml.ok("POST", "/document/", 201, json_body=payload)
    assert [li["description"] for li in created["lineitems"]] == ["a", "b"]
    assert created["subtotal"] == "2000"
    assert created["tax"] == "0" and created["total"] == "2000"


async def test_validation_errors_have_the_documented_shape(ml: Wire) -> None:
    client_url = await a_client_url(ml)
    status, body, _ = await ml.call(
        "POST",
        "/document/",
        json_body={
            "document_type": "invoice",
            "document_number": "011",
            "client": client_url,
            "date": "11/05/2011",
        },
    )
    assert status == 400
    assert body == {
        "meta": {"status_code": 400},
        "response": {
            "currency": ["This field is required."],
            "date": ["Date has wrong format. Use one of these formats instead: YYYY[-MM[-DD]]."],
        },
    }
    good = {
        "document_type": "invoice",
        "document_number": "011",
        "client": client_url,
        "currency": "JPY",
    }
    await ml.ok("POST", "/document/", 201, json_body=good)
    status, body, _ = await ml.call("POST", "/document/", json_body=good)
    assert status == 400
    assert body["response"] == {
        "non_field_errors": ["A document with type 'invoice' and number '011' already exists."]
    }
    status, body, _ = await ml.call(
        "POST", "/document/", json_body={**good, "document_number": "012", "tax_rate": 10}
    )
    assert status == 400 and list(body["response"]) == ["tax_rate"]
    status, body, _ = await ml.call("POST", "/document/", json_body={**good, "client": "not a url"})
    assert body["response"]["client"] == ["Invalid hyperlink - No URL match."]
    status, body, _ = await ml.call(
        "PATCH",
        f"/document/{next(iter(ml.emu.store['documents']))}/",
        json_body={"document_type": "nope"},
    )
    assert status == 400 and body["response"]["document_type"] == ['"nope" is not a valid choice.']


async def test_accept_language_ja(ml: Wire) -> None:
    status, body, _ = await ml.call(
        "POST", "/document/", json_body={"document_type": "invoice"}, lang="ja"
    )
    assert status == 400 and body["response"]["currency"] == ["このフィールドは必須です"]
    partner = await ml.ok("GET", "/", lang="ja")
    assert partner["name"] == "株式会社さくらデジタルソリューションズ"
    invoice = next(d for d in ml.emu.store["documents"].values() if d["document_type"] == "invoice")
    ja = await ml.ok("GET", f"/document/{invoice['mid']}/", lang="ja-JP,ja;q=0.9")
    assert ja["display_name"] == f"請求書番号{invoice['document_number']}"
    en = await ml.ok("GET", f"/document/{invoice['mid']}/")
    assert en["display_name"] == f"Invoice #{invoice['document_number']}"
    listed = await ml.ok("GET", "/document/", lang="ja")
    assert all("番号" in d["display_name"] for d in listed)
    status, body, _ = await ml.call("GET", "/document/1/", lang="ja")
    assert body["response"]["detail"] == "見つかりませんでした。"
    async with ml.session.get(f"{ml.base}/api/", headers={"Accept-Language": "ja"}) as r:
        assert r.status == 401 and (await r.json())["detail"] == "認証情報が含まれていません。"


async def test_clients_with_nested_contacts_and_settings(ml: Wire) -> None:
    payload = {
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
    client = await ml.ok("POST", "/client/", 201, json_body=payload)
    assert client["display_name"] == "Test Co" and client["is_organization"] is True
    assert len(client["contacts"]) == 2 and client["default_contact"] in client["contacts"]
    contacts = await ml.ok("GET", client["url"] + "contact/")
    assert {c["display_name"] for c in contacts} == {"Test Co", "Test"}
    assert all(c["owner"] == client["url"] for c in contacts)
    settings = await ml.ok("PATCH", client["settings"], json_body={"send_by_post": True})
    assert settings["send_by_post"] is True
    status, body, _ = await ml.call(
        "PATCH",
        client["settings"],
        json_body={"use_document_contact": True, "secure_send_contacts": [client["contacts"][0]]},
    )
    assert status == 400 and "secure_send_contacts" in body["response"]
    status, body, _ = await ml.call(
        "POST",
        "/client/",
        json_body={
            "contacts": [
                {"contact_type": "organization", "name": "A"},
                {"contact_type": "organization", "name": "B"},
            ]
        },
    )
    assert status == 400 and body["response"]["non_field_errors"]
    status, body, _ = await ml.call("POST", "/client/", json_body={})
    assert body["response"] == {"contacts": ["This field is required."]}
    org = next(c for c in contacts if c["contact_type"] == "organization")
    status, body, _ = await ml.call("DELETE", org["url"])
    assert status == 400 and body["response"]["non_field_errors"]
    kept = [u for u in client["contacts"] if u == org["url"]]
    patched = await ml.ok(
        "PATCH", client["url"], json_body={"contacts": kept, "client_external_id": "X"}
    )
    assert patched["contacts"] == kept and patched["client_external_id"] == "X"
    assert (await ml.call("DELETE", client["url"]))[0] == 204
    assert (await ml.call("GET", org["url"]))[0] == 404
    used = next(iter(ml.emu.store["documents"].values()))["client"]
    status, body, _ = await ml.call("DELETE", used.replace("https://api.makeleaps.com", ml.base))
    assert status == 400 and body["response"]["non_field_errors"]


async def test_contact_crud(ml: Wire) -> None:
    contact = await ml.ok(
        "POST",
        "/contact/",
        201,
        json_body={
            "contact_type": "organization",
            "name": "Test",
            "format": "default",
            "email": None,
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
        },
    )
    assert contact["owner"] is None and contact["display_name"] == "Test"
    assert contact["default_address"].startswith("〒000-0000")
    renamed = await ml.ok("PATCH", contact["url"], json_body={"name": "New Name"})
    assert renamed["display_name"] == "New Name"
    status, body, _ = await ml.call("POST", "/contact/", json_body={"contact_type": "person"})
    assert status == 400
    assert body["response"] == {"family_name": ["This field is required."]}
    assert (await ml.call("DELETE", contact["url"]))[0] == 204


async def test_catalog_items(ml: Wire) -> None:
    items = await ml.ok("GET", "/item/", params={"product_code__contains": "FOOD"})
    assert {i["product_code"] for i in items} == {"FOOD-BENTO", "FOOD-COFFEE"}
    created = await ml.ok(
        "POST",
        "/item/",
        201,
        json_body={
            "description": "Widget",
            "unit_cost": "1.17",
            "quantity": "3",
            "currency": "USD",
        },
    )
    assert created["price"] == "3.51" and created["kind"] == "normal"
    status, body, _ = await ml.call("PATCH", created["url"], json_body={"tax_category": "custom"})
    assert status == 400 and "tax_rate" in body["response"]
    updated = await ml.ok(
        "PUT",
        created["url"],
        json_body={"description": "Widget 2", "tax_category": "custom", "tax_rate": "8"},
    )
    assert updated["description"] == "Widget 2"


# -- tasks, pickup links, sending orders -------------------------------------------------------


async def test_pickup_link_task_completes_over_polls(ml: Wire) -> None:
    doc = next(iter(ml.emu.store["documents"].values()))
    links_url = f"{ml.partner}/document/{doc['mid']}/pickup-link/"
    before = len(await ml.walk(links_url))
    status, body, _ = await ml.call("POST", links_url)
    assert status == 202 and body["meta"]["status"] == 202
    task = body["response"]
    assert task["completion"] == 0 and task["finished"] is None
    assert task["url"] == f"{ml.partner}/task/{task['mid']}/"
    assert task["result_url"] == task["url"] + "results/"
    status, early, _ = await ml.call("GET", task["result_url"])
    assert status == 400 and early["response"]["non_field_errors"]
    seen = []
    for _ in range(10):
        task = await ml.ok("GET", task["url"])
        seen.append(task["completion"])
        if task["completion"] == 100:
            break
    assert seen[-1] == 100 and len(seen) >= 2 and 0 < seen[0] < 100
    assert seen == sorted(seen) and task["finished"] and task["uilongtask"]["finished"] is True
    results = await ml.ok("GET", task["result_url"])
    assert len(results) == 1
    link = results[0]
    assert link["link"].startswith("https://") and link["is_cancelled"] is False
    assert len(await ml.walk(links_url)) == before + 1
    assert (await ml.ok("POST", link["cancel_url"]))["is_cancelled"] is True
    assert (await ml.ok("GET", link["url"]))["is_cancelled"] is True
    assert (await ml.ok("POST", link["uncancel_url"]))["is_cancelled"] is False


async def test_sending_order_flow(ml: Wire) -> None:
    doc = next(d for d in ml.emu.store["documents"].values() if d["date_sent"] is None)
    client_url = doc["client"].replace("https://api.makeleaps.com", ml.base)
    order = await ml.ok(
        "POST",
        "/sending/order/",
        201,
        json_body={
            "recipient_organization": client_url,
            "securesend_selected": True,
            "to_emails": ["myclient@example.com"],
            "subject": "Invoices for August",
            "message": "Invoices are attached.",
        },
    )
    assert order["ready_to_order"] is False and order["status"]["securesend"] == "draft"
    item = await ml.ok(
        "POST",
        order["items_url"],
        201,
        json_body={
            "position": 0,
            "document": doc["url"].replace("https://api.makeleaps.com", ml.base),
        },
    )
    assert item["sending_order"] == order["url"]
    status, body, _ = await ml.call("POST", order["items_url"], json_body={"position": 1})
    assert status == 400 and body["response"]["non_field_errors"]
    flyer = await ml.ok(
        "POST", order["items_url"], 201, json_body={"position": 1, "filename": "flyer.pdf"}
    )
    form = aiohttp.FormData()
    form.add_field(
        "content_file", b"%PDF-1.4 flyer", filename="flyer.pdf", content_type="application/pdf"
    )
    await ml.ok("PUT", flyer["upload_url"], data=form)
    status, body, _ = await ml.call("POST", order["send_url"], json_body={})
    assert status == 400  # still being validated
    checked = await ml.ok("GET", order["url"])
    assert checked["ready_to_order"] is False  # the first look still sees validation running
    ready = await ml.ok("GET", order["url"])
    assert ready["ready_to_order"] is True and ready["validation_errors"] == []
    assert [i["position"] for i in ready["items"]] == [0, 1]
    sent = await ml.ok("POST", order["send_url"], json_body={})
    assert sent["status"]["securesend"] == "not_viewed"
    assert sent["status"]["sendbypost"] == "not_selected"
    assert (await ml.ok("GET", doc["url"].replace("https://api.makeleaps.com", ml.base)))[
        "date_sent"
    ]
    status, body, _ = await ml.call("PATCH", order["url"], json_body={"subject": "x"})
    assert status == 400
    cancelled = await ml.ok(
        "POST",
        sent["status"]["url"],
        json_body={"securesend_cancelled": True, "sendbypost_cancelled": False},
    )
    assert cancelled["securesend"] == "cancelled" and cancelled["securesend_cancelled"] is True
    listed = await ml.walk(f"{ml.partner}/sending/order/?securesend_status=cancelled")
    assert order["url"] in {o["url"] for o in listed}


async def test_sending_order_validation_errors_are_listed(ml: Wire) -> None:
    ml.emu.validation_polls = 0
    client_url = await a_client_url(ml)
    order = await ml.ok(
        "POST",
        "/sending/order/",
        201,
        json_body={"recipient_organization": client_url, "sendbypost_selected": True},
    )
    assert order["ready_to_order"] is False
    assert len(order["validation_errors"]) == 2  # no items, no recipient address
    status, body, _ = await ml.call("POST", order["send_url"], json_body={})
    assert status == 400 and len(body["response"]["non_field_errors"]) == 2
    status, body, _ = await ml.call("POST", "/sending/order/", json_body={})
    assert body["response"] == {"recipient_organization": ["This field is required."]}
    assert (await ml.call("DELETE", order["url"]))[0] == 204


# -- other resources --------------------------------------------------------------------------


async def test_employees_templates_currencies(ml: Wire) -> None:
    me = await ml.ok("GET", "/employee/me/")
    assert me["is_owner"] is True and me["mid"]
    assert (await ml.ok("GET", f"/employee/{me['mid']}/")) == me
    found = await ml.ok("GET", "/employee/", params={"search": me["email"][:6]})
    assert me["mid"] in {e["mid"] for e in found}
    templates = await ml.ok(
        "GET", "/template/invoice/", params={"hide_archived": "y", "is_archived": "false"}
    )
    assert {
        "template_code": "ja_JP_pro_3",
        "document_type": "invoice",
        "display_name": "Professional (Japanese)",
        "language_code": "ja",
    } in templates
    assert all(t["template_code"] != "ja_JP_classic_1" for t in templates)
    assert (await ml.call("GET", "/template/nope/"))[0] == 404
    currencies = await ml.ok("GET", f"{ml.base}/api/currency/")
    assert "JPY" in {c["code"] for c in currencies}


async def test_history_and_inbox(ml: Wire) -> None:
    history = await ml.walk(f"{ml.partner}/history/")
    times = [h["action_time"] for h in history]
    assert times == sorted(times, reverse=True)
    day = times[len(times) // 2][:10]
    on_day = await ml.walk(f"{ml.partner}/history/?date={day}T00:00:00.00Z")
    assert on_day and all(h["action_time"][:10] == day for h in on_day)
    window = await ml.walk(
        f"{ml.partner}/history/?date_start={day}T00:00:00.00Z&date_end={day}T23:59:59.00Z"
    )
    assert {h["mid"] for h in window} == {h["mid"] for h in on_day}
    entry = await ml.ok(
        "POST",
        "/history/",
        201,
        json_body={"event_name": "synced", "action_flag": 2, "object_repr": "ERP"},
    )
    assert (await ml.ok("GET", f"/history/{entry['mid']}/"))["event_name"] == "synced"
    inbox = await ml.walk(f"{ml.partner}/inbox/inbox/")
    received = [e["time_received"] for e in inbox]
    assert received == sorted(received, reverse=True) and inbox
    for e in inbox:
        assert (e["received_doc"] is None) != (e["accepted_order"] is None)
    received_only = await ml.walk(f"{ml.partner}/inbox/inbox/?type=received_doc")
    assert all(e["type"] == "received_doc" for e in received_only)


# -- throttle and faults ----------------------------------------------------------------------


async def test_throttle_answers_429_with_retry_after() -> None:
    async with (
        Sandbox(vendors=["makeleaps"], records=3, quotas={"makeleaps": "3/second"}) as sb,
        aiohttp.ClientSession() as session,
    ):
        wire = Wire(sb, session)
        await wire.login()
        statuses = []
        for _ in range(4):
            status, body, headers = await wire.call("GET", "/")
            statuses.append(status)
        # the token request (/user/oauth2/) does not use up the API's quota
        assert statuses == [200, 200, 200, 429]
        assert int(headers["Retry-After"]) >= 1
        assert body["meta"] == {"status_code": 429}
        assert "throttled" in body["response"]["detail"]
        assert wire.emu.counters.throttled >= 1


async def test_fault_503_429_html_truncated(ml: Wire) -> None:
    ml.emu.inject("503")
    status, body, _ = await ml.call("GET", "/document/")
    assert status == 503 and body == {
        "meta": {"status_code": 503},
        "response": {"detail": "Service temporarily unavailable."},
    }
    ml.emu.inject("429")
    status, body, headers = await ml.call("GET", "/document/")
    assert status == 429 and headers["Retry-After"] == "1"
    ml.emu.inject("html")
    status, body, headers = await ml.call("GET", "/document/")
    assert status == 502 and headers["Content-Type"].startswith("text/html")
    ml.emu.inject("truncated")
    async with ml.session.get(
        f"{ml.partner}/document/", headers={"Authorization": f"Bearer {ml.token}"}
    ) as r:
        assert r.status == 200
        with pytest.raises(ValueError):
            json.loads(await r.read())
    assert (await ml.call("GET", "/document/"))[0] == 200
    assert ml.emu.counters.faults == {"503": 1, "429": 1, "html": 1, "truncated": 1}


async def test_fault_drops_before_and_after_the_write(ml: Wire) -> None:
    contacts = ml.emu.store["contacts"]
    count = len(contacts)
    new = {"contact_type": "organization", "name": "Dropped Co"}
    ml.emu.inject("drop_before")
    with pytest.raises(aiohttp.ClientError):
        await ml.call("POST", "/contact/", json_body=new)
    assert len(contacts) == count and ml.emu.counters.total_writes == 0
    ml.emu.inject("drop_after")
    with pytest.raises(aiohttp.ClientError):
        await ml.call("POST", "/contact/", json_body=new)
    assert len(contacts) == count + 1 and ml.emu.counters.total_writes == 1
    found = await ml.ok("GET", "/contact/", params={"search": "Dropped Co"})
    assert [c["name"] for c in found] == ["Dropped Co"]


async def test_fault_slow_still_answers() -> None:
    async with (
        Sandbox(vendors=["makeleaps"], records=3, faults=FaultProfile(slow_seconds=0.05)) as sb,
        aiohttp.ClientSession() as session,
    ):
        wire = Wire(sb, session)
        await wire.login()
        wire.emu.inject("slow")
        status, body, _ = await wire.call("GET", "/document/")
        assert status == 200 and body["meta"]["count"] == 3
        assert wire.emu.counters.faults["slow"] == 1


# -- determinism ------------------------------------------------------------------------------


async def _snapshot(seed: int) -> tuple[dict[str, Any], list[Any]]:
    async with (
        Sandbox(vendors=["makeleaps"], records=25, seed=seed, quotas={"makeleaps": None}) as sb,
        aiohttp.ClientSession() as session,
    ):
        wire = Wire(sb, session)
        await wire.login()
        pages = []
        for path in ("/document/", "/client/", "/contact/", "/history/", "/inbox/inbox/"):
            status, body, _ = await wire.call(
                "GET", path, params={"page": "2"} if path == "/contact/" else None
            )
            assert status == 200
            pages.append(json.loads(json.dumps(body).replace(wire.base, "ORIGIN")))
        creds = {k: v for k, v in wire.creds.items() if k != "base_url"}
        return creds, pages


async def test_same_seed_same_data_different_seed_different_data() -> None:
    first = await _snapshot(1)
    again = await _snapshot(1)
    other = await _snapshot(2)
    assert first == again
    assert first[0] != other[0]
    assert first[1][0]["response"] != other[1][0]["response"]


async def test_reset_restores_the_seeded_state(ml: Wire) -> None:
    before = await ml.ok("GET", "/contact/")
    await ml.ok(
        "POST", "/contact/", 201, json_body={"contact_type": "person", "family_name": "Temp"}
    )
    ml.sb.reset("makeleaps")
    await ml.login()
    assert await ml.ok("GET", "/contact/") == before
    assert ml.emu.counters.total_writes == 0


async def test_small_wire_details(ml: Wire) -> None:
    colon = {"Authorization": f"Bearer: {ml.token}"}
    async with ml.session.get(f"{ml.partner}/", headers=colon) as r:
        assert r.status == 200  # the docs spell the header "Bearer: <token>"
    status, body, _ = await ml.call("GET", "/document/", params={"page": "last"})
    assert status == 200 and body["meta"]["page"] == 3 and body["meta"]["next"] is None
    doc = await ml.ok("GET", f"/document/{next(iter(ml.emu.store['documents']))}/")
    status, pdf, headers = await ml.call("GET", doc["pdf_content_url"])
    assert (
        status == 200 and headers["Content-Type"] == "application/pdf" and pdf.startswith(b"%PDF")
    )
    status, body, _ = await ml.call(
        "POST", "/contact/", data="name=x", headers={"Content-Type": "text/plain"}
    )
    assert status == 415 and body["meta"] == {"status_code": 415}
    status, body, _ = await ml.call(
        "POST", "/contact/", data="{oops", headers={"Content-Type": "application/json"}
    )
    assert status == 400 and body["response"]["detail"].startswith("JSON parse error")
    status, body, _ = await ml.call("POST", "/contact/", json_body=[1, 2])
    assert status == 400 and body["response"]["non_field_errors"]
    partner = await ml.ok("GET", "/")
    tags = await ml.ok("GET", partner["tags"])
    assert {t["name"] for t in tags} >= {"monthly", "retainer"}
    orders = await ml.ok("GET", "/sending/order/", params={"expand": "recipient_organization"})
    assert all(isinstance(o["recipient_organization"], dict) for o in orders)
    assert all("mid" not in o for o in orders)  # the docs list no mid on sending orders

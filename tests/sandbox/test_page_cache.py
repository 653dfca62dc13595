"""Cached list pages (``Emulator.cached_page``) are never stale and never shared.

Each vendor's list page is read twice (the second answer is the cached one, byte for byte), then
a write goes through the API (create, update, delete, and what else the vendor changes: a
MakeLeaps document sent, a LeadDesk relation, a Leady blacklist entry, a LeanLaw client's
matters) and the same page, read again, shows it. Then many different requests of one list
(filters, page, page size, cursor, select, sort order, language, host) are all cached and each
still answers exactly what it answers uncached.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from vendorkit.sandbox import Sandbox
from vendorkit.sandbox._emulator import Emulator

VENDORS = ("makeleaps", "leady", "leaddesk", "leanlaw")
ORIGIN = "https://api.makeleaps.com"


class Api:
    """Plain HTTP against one vendor of the sandbox, logged in."""

    def __init__(self, sb: Sandbox, http: aiohttp.ClientSession, vendor: str) -> None:
        self.sb, self.http, self.vendor = sb, http, vendor
        self.base = sb.url(vendor)
        self.headers: dict[str, str] = {}

    @property
    def emu(self) -> Emulator:
        return self.sb.emulator(self.vendor)

    def count_renders(self) -> list[Any]:
        """The pages the emulator renders and keeps from now on (a spy on ``pages.put``)."""
        pages, put, kept = self.emu.pages, self.emu.pages.put, []

        def spy(collection: Any, key: Any, value: Any) -> None:
            kept.append(key)
            put(collection, key, value)

        pages.put = spy  # type: ignore[method-assign]
        return kept

    async def login(self) -> None:
        creds = self.sb.credentials(self.vendor)
        if self.vendor == "leanlaw":
            self.headers = {"Authorization": f"Bearer {creds['api_key']}"}
        elif self.vendor == "leady":
            self.headers = {"Authorization": f"Token {creds['token']}"}
        elif self.vendor == "leaddesk":
            body = {
                "grant_type": "password",
                "client_id": creds["client_id"],
                "client_secret": creds["client_secret"],
                **self.sb.login("leaddesk"),
            }
            async with self.http.post(self.base + "/oauth/access-token", json=body) as r:
                self.headers = {"Authorization": f"Bearer {(await r.json())['access_token']}"}
        else:
            basic = base64.b64encode(f"{creds['client_id']}:{creds['client_secret']}".encode())
            async with self.http.post(
                self.base + "/user/oauth2/token/",
                data={"grant_type": "client_credentials"},
                headers={"Authorization": "Basic " + basic.decode()},
            ) as r:
                self.headers = {"Authorization": f"Bearer {(await r.json())['access_token']}"}

    async def raw(self, path: str, **headers: str) -> tuple[int, bytes]:
        url = path if path.startswith("http") else self.base + path
        async with self.http.get(url, headers={**self.headers, **headers}) as r:
            return r.status, await r.read()

    async def get(self, path: str) -> Any:
        status, body = await self.raw(path)
        assert status == 200, body
        return json.loads(body)

    async def cached(self, path: str) -> Any:
        """The page, read twice: rendered once (after a write, anew), then answered from the
        cache, byte for byte."""
        rendered = self.count_renders()
        first = await self.raw(path)
        assert first[0] == 200, first
        assert await self.raw(path) == first
        assert len(rendered) == 1, rendered
        return json.loads(first[1])

    async def send(self, method: str, path: str, body: Any = None, **kw: Any) -> Any:
        headers = {**self.headers, **kw.pop("headers", {})}
        url = path if path.startswith("http") else self.base + path
        async with self.http.request(method, url, json=body, headers=headers, **kw) as r:
            text = await r.read()
            assert r.status < 300, (r.status, text)
            return json.loads(text) if text else None


@pytest.fixture
async def sb() -> AsyncIterator[Sandbox]:
    async with Sandbox(
        vendors=list(VENDORS), records=40, seed=5, quotas=dict.fromkeys(VENDORS)
    ) as s:
        yield s


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def api(sb: Sandbox, http: aiohttp.ClientSession, vendor: str) -> Api:
    a = Api(sb, http, vendor)
    await a.login()
    return a


# -- every write shows on the next read of the same page ------------------------------------------


async def test_makeleaps_document_pages_show_create_update_send_and_delete(
    sb: Sandbox, http: aiohttp.ClientSession
) -> None:
    ml = await api(sb, http, "makeleaps")
    emu: Any = ml.emu
    p = f"/api/partner/{emu.partner_mid}"
    docs, by_number = f"{p}/document/?page=last", f"{p}/document/?document_number=C-900"
    count = (await ml.cached(docs))["meta"]["count"]
    assert (await ml.cached(by_number))["response"] == []
    client = next(iter(emu.store["clients"].values()))["url"].replace(ORIGIN, ml.base)
    new = {"document_type": "invoice", "document_number": "C-900", "client": client}
    created = await ml.send("POST", f"{p}/document/", {**new, "currency": "JPY"})
    assert (await ml.cached(docs))["meta"]["count"] == count + 1
    (listed,) = (await ml.cached(by_number))["response"]
    assert listed["mid"] == created["response"]["mid"] and listed["title"] == ""
    url = created["response"]["url"]
    await ml.send("PATCH", url, {"title": "Renamed"})
    assert [d["title"] for d in (await ml.cached(by_number))["response"]] == ["Renamed"]
    assert (await ml.cached(by_number + "&title=Renamed"))["meta"]["count"] == 1

    # Sending the document (a sending order with it) sets its date_sent.
    emu.validation_polls = 0
    order = await ml.send(
        "POST",
        f"{p}/sending/order/",
        {"recipient_organization": client, "securesend_selected": True, "to_emails": ["a@b.jp"]},
    )
    await ml.send("POST", order["response"]["items_url"], {"position": 0, "document": url})
    assert [d["date_sent"] for d in (await ml.cached(by_number))["response"]] == [None]
    await ml.send("POST", order["response"]["send_url"], {})
    (sent,) = (await ml.cached(by_number))["response"]
    assert sent["date_sent"] is not None
    history = await ml.cached(f"{p}/history/?event_name=document_sent")
    assert history["meta"]["count"] >= 1

    await ml.send("DELETE", url)
    assert (await ml.cached(by_number))["response"] == []
    assert (await ml.cached(docs))["meta"]["count"] == count


async def test_makeleaps_client_contact_and_item_pages_show_writes(
    sb: Sandbox, http: aiohttp.ClientSession
) -> None:
    ml = await api(sb, http, "makeleaps")
    emu: Any = ml.emu
    p = f"/api/partner/{emu.partner_mid}"
    used = next(iter(emu.store["documents"].values()))["client"]
    client = emu.store["clients"][used.rstrip("/").rsplit("/", 1)[1]]
    contacts = f"{p}/client/{client['mid']}/contact/"
    before = (await ml.cached(contacts))["response"]
    await ml.send("PATCH", before[0]["url"], {"name": "Renamed Contact"})
    after = (await ml.cached(contacts))["response"]
    assert after != before and after[0]["name"] == "Renamed Contact"
    # A page that shows another collection's records (``?expand=client``) follows them too.
    expanded = f"{p}/document/?expand=client&client={client['mid']}"
    docs = (await ml.cached(expanded))["response"]
    assert docs and {d["client"]["client_external_id"] for d in docs} != {"EXT-42"}
    await ml.send("PATCH", client["url"].replace(ORIGIN, ml.base), {"client_external_id": "EXT-42"})
    docs = (await ml.cached(expanded))["response"]
    assert {d["client"]["client_external_id"] for d in docs} == {"EXT-42"}
    listed = (await ml.cached(f"{p}/client/?client_external_id=EXT-42"))["response"]
    assert [c["mid"] for c in listed] == [client["mid"]]
    item = {
        "product_code": "P-1",
        "name": "Thing",
        "description": "A thing",
        "price": "10",
        "currency": "JPY",
    }
    assert (await ml.cached(f"{p}/item/?product_code=P-1"))["meta"]["count"] == 0
    await ml.send("POST", f"{p}/item/", item)
    assert (await ml.cached(f"{p}/item/?product_code=P-1"))["meta"]["count"] == 1
    # The page size is a knob a test turns without a write: pages follow it.
    assert len((await ml.cached(f"{p}/client/"))["response"]) == 20
    emu.page_size = 5
    assert len((await ml.cached(f"{p}/client/"))["response"]) == 5


async def test_leady_pages_show_create_update_delete_and_blacklist(
    sb: Sandbox, http: aiohttp.ClientSession
) -> None:
    ld = await api(sb, http, "leady")
    filters = "/saved-filters/?page_size=1000"
    before = (await ld.cached(filters))["results"]
    made = await ld.send("POST", "/saved-filters/", {"name": "Praha", "filter": {"a": [1]}})
    after = (await ld.cached(filters))["results"]
    assert len(after) == len(before) + 1 and after[-1]["name"] == "Praha"
    await ld.send("PATCH", f"/saved-filters/{made['id']}/", {"name": "Prague"})
    assert (await ld.cached(filters))["results"][-1]["name"] == "Prague"
    await ld.send("DELETE", f"/saved-filters/{made['id']}/")
    assert (await ld.cached(filters))["results"] == before

    blacklist = "/blacklist/?page_size=1000"
    listed = (await ld.cached(blacklist))["results"]
    entry = await ld.send("POST", "/blacklist/", {"domain": "rival.example.cz"})
    assert (await ld.cached(blacklist))["results"] == [*listed, entry]
    await ld.send("DELETE", f"/blacklist/{entry['id']}/")
    assert (await ld.cached(blacklist))["results"] == listed

    # A reset is a change too; so is a record added by hand (the collection's size).
    await ld.send("POST", "/blacklist/", {"domain": "rival.example.cz"})
    sb.reset("leady")
    assert (await ld.cached(blacklist))["results"] == listed
    store = ld.emu.store["blacklist"]
    store[10**6] = {"id": 10**6, "domain": "byhand.cz", "company": None, "created": "x"}
    assert (await ld.cached(blacklist))["results"][-1]["domain"] == "byhand.cz"
    store[10**6]["domain"] = "edited.cz"  # in place: the test says so
    ld.emu.invalidate()
    assert (await ld.cached(blacklist))["results"][-1]["domain"] == "edited.cz"


async def test_leaddesk_pages_show_create_update_delete_and_relations(
    sb: Sandbox, http: aiohttp.ClientSession
) -> None:
    ld = await api(sb, http, "leaddesk")
    users = "/users?per_page=500"
    before = (await ld.cached(users))["collection"]
    made = await ld.send("POST", "/users", {"username": "cached", "first_name": "Ella"})
    after = (await ld.cached(users))["collection"]
    assert len(after) == len(before) + 1 and after[-1]["username"] == "cached"
    filtered = "/users?username=cached&per_page=5"
    assert (await ld.cached(filtered))["_meta"]["total"] == 1
    await ld.send("PATCH", f"/users/{made['id']}", {"last_name": "Aho"})
    assert (await ld.cached(users))["collection"][-1]["last_name"] == "Aho"

    cid = next(iter(ld.emu.store["campaigns"]))
    members = f"/campaigns/{cid}/users?per_page=500"
    listed = [u["id"] for u in (await ld.cached(members))["collection"]]
    await ld.send("POST", f"/campaigns/{cid}/users", [{"id": made["id"]}])
    assert [u["id"] for u in (await ld.cached(members))["collection"]] == [*listed, made["id"]]
    await ld.send("DELETE", f"/campaigns/{cid}/users/{made['id']}")
    assert [u["id"] for u in (await ld.cached(members))["collection"]] == listed

    await ld.send("DELETE", f"/users/{made['id']}")
    assert (await ld.cached(users))["collection"] == before
    assert (await ld.cached(filtered))["_meta"]["total"] == 0


async def test_leanlaw_pages_show_create_update_delete_and_matters(
    sb: Sandbox, http: aiohttp.ClientSession
) -> None:
    ll = await api(sb, http, "leanlaw")
    clients = "/v2/clients?limit=1000"
    before = (await ll.cached(clients))["data"]
    made = (await ll.send("POST", "/v2/clients", {"name": "Cached LLP"}))["data"]
    after = (await ll.cached(clients))["data"]
    assert len(after) == len(before) + 1 and after[-1]["name"] == "Cached LLP"
    await ll.send("PUT", f"/v2/clients/{made['id']}", {"name": "Renamed LLP"})
    assert (await ll.cached(clients))["data"][-1]["name"] == "Renamed LLP"
    await ll.send("PUT", f"/v2/clients/{made['id']}", {"status": "Inactive"})
    inactive = (await ll.cached("/v2/clients?status=inactive&limit=1000"))["data"]
    assert made["id"] in [c["id"] for c in inactive]

    matters = f"/v2/clients/{made['id']}/matters"
    assert (await ll.cached(matters))["data"] == []
    matter = await ll.send("POST", "/v2/matters", {"clientId": made["id"], "name": "Lease"})
    assert [m["id"] for m in (await ll.cached(matters))["data"]] == [matter["data"]["id"]]
    await ll.send("DELETE", f"/v2/matters/{matter['data']['id']}")
    assert (await ll.cached(matters))["data"] == []

    await ll.send("DELETE", f"/v2/clients/{made['id']}")
    assert (await ll.cached(clients))["data"] == before


# -- different requests never share a cached page ---------------------------------------------


def _variants(sb: Sandbox, vendor: str) -> list[tuple[str, dict[str, str]]]:
    """Requests of one list that differ in one thing each (query, page, size, headers)."""
    emu: Any = sb.emulator(vendor)
    if vendor == "makeleaps":
        d = f"/api/partner/{emu.partner_mid}/document/"
        port = sb.url(vendor).rsplit(":", 1)[1]
        return [
            (d, {}),
            (d + "?page=2", {}),
            (d + "?page=last", {}),
            (d + "?page=1", {}),
            (d + "?document_type=invoice", {}),
            (d + "?document_type=quote", {}),
            (d + "?page=1&document_type=invoice", {}),
            (d + "?expand=client", {}),
            (d, {"Accept-Language": "ja"}),
            (d, {"Host": f"localhost:{port}"}),
            (f"/api/partner/{emu.partner_mid}/client/", {}),
        ]
    if vendor == "leady":
        return [
            ("/companies/", {}),
            ("/companies/?page_size=5", {}),
            ("/companies/?page_size=6", {}),
            ("/companies/?page_size=5&country=CZ", {}),
            ("/companies/?country=SK", {}),
            ("/persons/?page_size=5", {}),
        ]
    if vendor == "leaddesk":
        return [
            ("/contacts", {}),
            ("/contacts?page=2", {}),
            ("/contacts?per_page=5", {}),
            ("/contacts?per_page=5&page=2", {}),
            ("/contacts?page=2&per_page=5", {}),
            ("/users?per_page=5", {}),
            ("/contacts?per_page=5", {"Accept": "application/json"}),
        ]
    return [
        ("/v2/time-entries", {}),
        ("/v2/time-entries?limit=5", {}),
        ("/v2/time-entries?limit=5&offset=5", {}),
        ("/v2/time-entries?offset=5&limit=5", {}),
        ("/v2/time-entries?limit=5&select=meta", {}),
        ("/v2/time-entries?limit=5&select=-meta", {}),
        ("/v2/time-entries?limit=5&status=Billed", {}),
        ("/v2/time-entries?limit=5&status=billed", {}),
        ("/v2/clients?limit=5", {}),
    ]


@pytest.mark.parametrize("vendor", VENDORS)
async def test_different_requests_never_share_a_cached_page(
    sb: Sandbox, http: aiohttp.ClientSession, vendor: str
) -> None:
    a = await api(sb, http, vendor)
    variants = _variants(sb, vendor)
    if vendor == "leady":  # a cursor of the first page: the second page
        page = await a.get("/companies/?page_size=5")
        variants.append((page["next"].removeprefix(a.base), {}))
    fresh = []  # each answer rendered with nothing else cached
    for path, headers in variants:
        a.emu.invalidate()
        fresh.append(await a.raw(path, **headers))
        assert fresh[-1][0] == 200, (path, fresh[-1])
    a.emu.invalidate()
    rendered = a.count_renders()
    cached = [await a.raw(path, **headers) for path, headers in variants]
    assert len(rendered) == len(set(rendered)) == len(variants)  # one page each, none shared
    assert [await a.raw(path, **headers) for path, headers in variants] == cached == fresh
    assert len(rendered) == len(variants) and len(a.emu.pages) == len(variants)
    assert len({body for _, body in fresh}) > len(variants) // 2  # the variants do differ


async def test_makeleaps_lists_a_get_changes_are_not_cached(
    sb: Sandbox, http: aiohttp.ClientSession
) -> None:
    """A sending order's validation advances with each GET of the order (no write): its list
    shows it at once, as MakeLeaps does."""
    ml = await api(sb, http, "makeleaps")
    emu: Any = ml.emu
    p = f"/api/partner/{emu.partner_mid}"
    doc = next(iter(emu.store["documents"].values()))
    client = doc["client"].replace(ORIGIN, ml.base)
    body = {"recipient_organization": client, "securesend_selected": True, "to_emails": ["a@b.jp"]}
    order = (await ml.send("POST", f"{p}/sending/order/", body))["response"]
    await ml.send("POST", order["items_url"], {"position": 0, "document": doc["url"]})
    orders = f"{p}/sending/order/?recipient_organization={client}"

    async def ready() -> list[bool]:
        page = await ml.get(orders)
        return [o["ready_to_order"] for o in page["response"] if o["url"] == order["url"]]

    assert await ready() == [False] and await ready() == [False]  # being validated
    await ml.get(order["url"])  # the first look still sees validation running ...
    assert await ready() == [True]  # ... and moves it on: the list shows it

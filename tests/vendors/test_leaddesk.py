"""The LeadDesk client against the sandbox's LeadDesk emulator.

Every record through every page, CRUD, relations, the documented errors, the three initial
grants, token renewal through the refresh grant (once, however many tasks), 429s, ``raw``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import attrs
import pytest

from vendorkit import LeadDesk, errors
from vendorkit.core import OAuth2
from vendorkit.sandbox import FaultProfile, Sandbox
from vendorkit.sandbox.vendors.leaddesk import LeadDeskEmulator
from vendorkit.vendors.leaddesk import models
from vendorkit.vendors.leaddesk._spec import SPEC, parse_error

RESOURCES = ("users", "campaigns", "contact_lists", "contacts", "products", "calls")


@pytest.fixture
async def sb() -> AsyncIterator[Sandbox]:
    async with Sandbox(vendors=["leaddesk"], records=60, seed=5) as sandbox:
        yield sandbox


@pytest.fixture
async def ld(sb: Sandbox) -> AsyncIterator[LeadDesk]:
    async with sb.client("leaddesk") as client:
        yield client


def emu(sb: Sandbox) -> LeadDeskEmulator:
    e = sb.emulator("leaddesk")
    assert isinstance(e, LeadDeskEmulator)
    return e


# -- lists -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", RESOURCES)
async def test_list_every_record_through_all_pages(sb: Sandbox, ld: LeadDesk, name: str) -> None:
    store = emu(sb).store[name]
    records = await getattr(ld, name).list(page_size=7).all()
    assert [r.id for r in records] == list(store)
    for record in records:
        assert {k: v for k, v in record.raw.items() if k != "_links"} == store[record.id]
        assert record.links["self"].endswith(f"/{name}/{record.id}")
    pages = [p async for p in getattr(ld, name).list(page_size=7).pages()]
    assert len(pages) == -(-len(store) // 7)
    assert {p.total for p in pages} == {len(store)}


async def test_default_page_is_the_maximum_and_fan_out_keeps_order(
    sb: Sandbox, ld: LeadDesk
) -> None:
    e = emu(sb)
    e.counters.clear()
    contacts = await ld.contacts.list().all()
    assert len(contacts) == len(e.store["contacts"])
    assert e.counters.requests["GET /stable/contacts"] == 1  # per_page=500: one page
    fanned = await ld.contacts.list(page_size=6, concurrency=4).all()
    assert [c.id for c in fanned] == list(e.store["contacts"])


async def test_filters_and_max_items(sb: Sandbox, ld: LeadDesk) -> None:
    campaign_id = next(iter(emu(sb).store["campaigns"]))
    calls = await ld.calls.list(campaign_id=campaign_id, page_size=3).all()
    expected = [c["id"] for c in emu(sb).store["calls"].values() if c["campaign_id"] == campaign_id]
    assert [c.id for c in calls] == expected
    assert len(await ld.contacts.list(max_items=9, page_size=4).all()) == 9


async def test_generic_request_and_paginate(sb: Sandbox, ld: LeadDesk) -> None:
    campaign = (await ld.campaigns.list(max_items=1).all())[0]
    body = await ld.request("GET", campaign.links["users"])
    assert [u["id"] for u in body["collection"]] == list(
        emu(sb).relations["campaigns.users"][campaign.id]
    )
    raw = await ld.paginate("/users", page_size=4).all()
    assert [u["id"] for u in raw] == list(emu(sb).store["users"])


# -- CRUD ----------------------------------------------------------------------------------------


async def test_get_create_update_delete(sb: Sandbox, ld: LeadDesk) -> None:
    e = emu(sb)
    created = await ld.users.create({"username": "ella.aho", "first_name": "Ella"})
    assert isinstance(created, models.User)
    assert created.id in e.store["users"] and created.username == "ella.aho"
    assert created.created_at is not None and created.created_at.tzinfo is not None
    got = await ld.users.get(created.id)
    assert got == created
    updated = await ld.users.update(created.id, {"last_name": "Aho", "active": False})
    assert (updated.first_name, updated.last_name, updated.active) == ("Ella", "Aho", False)
    assert e.store["users"][created.id]["last_name"] == "Aho"
    assert await ld.users.delete(created.id) is None
    assert created.id not in e.store["users"]
    with pytest.raises(errors.NotFoundError) as info:
        await ld.users.get(created.id)
    assert info.value.code == "user_not_found"


async def test_models_go_out_in_wire_names_with_money_as_strings(sb: Sandbox, ld: LeadDesk) -> None:
    product = await ld.products.create(
        models.Product(name="Laajakaista 2G", code="NET-2000", price=Decimal("59.90"))
    )
    assert product.price == Decimal("59.90") and product.currency is None
    assert emu(sb).store["products"][product.id]["price"] == "59.90"
    changed = attrs.evolve(product, price=Decimal("54.90"))
    e = emu(sb)
    before = e.store["products"][product.id]["name"]
    updated = await ld.products.update(product.id, changed)
    assert updated.price == Decimal("54.90") and updated.name == before


async def test_calls_are_read_only(ld: LeadDesk) -> None:
    assert not hasattr(ld.calls, "create")
    assert not hasattr(ld.calls, "delete")
    assert hasattr(ld.users, "delete")


async def test_unknown_fields_are_kept_in_raw(sb: Sandbox, ld: LeadDesk) -> None:
    e = emu(sb)
    call_id = next(iter(e.store["calls"]))
    call = await ld.calls.get(call_id)
    assert call.raw["hangup_cause"] == e.store["calls"][call_id]["hangup_cause"]
    user_id = next(iter(e.store["users"]))
    e.store["users"][user_id]["nickname"] = {"fi": "Tepi", "en": "Ted"}
    user = await ld.users.get(user_id)
    assert user.raw["nickname"] == {"fi": "Tepi", "en": "Ted"}
    assert not hasattr(user, "nickname")


async def test_a_value_that_does_not_fit_an_assumed_field_is_left_none(
    sb: Sandbox, ld: LeadDesk
) -> None:
    e = emu(sb)
    call_id = next(iter(e.store["calls"]))
    e.store["calls"][call_id]["duration"] = "00:03:20"
    call = await ld.calls.get(call_id)
    assert call.duration is None and call.raw["duration"] == "00:03:20"
    assert call.talk_time == e.store["calls"][call_id]["talk_time"]


# -- relations -----------------------------------------------------------------------------------


async def test_campaign_relations(sb: Sandbox, ld: LeadDesk) -> None:
    e = emu(sb)
    cid = next(iter(e.store["campaigns"]))
    users = ld.campaigns.users(cid)
    before = [u.id for u in await users.list().all()]
    assert before == list(e.relations["campaigns.users"][cid])
    others = [u for u in e.store["users"] if u not in before][:3]
    await users.add(others[:2])
    assert [u.id for u in await users.list(page_size=2).all()] == [*before, *others[:2]]
    one = await ld.users.get(others[2])
    await users.add(one)  # a record is an id too
    await users.replace([others[0], {"id": others[2]}])
    assert [u.id for u in await users.list().all()] == [others[0], others[2]]
    await users.remove(others[0])
    assert list(e.relations["campaigns.users"][cid]) == [others[2]]
    with pytest.raises(errors.NotFoundError):
        await users.remove([others[0]])
    await users.replace([])
    assert await users.list().all() == []

    products = ld.campaigns.products(cid)
    await products.replace(list(e.store["products"])[:2])
    got = await products.list().all()
    assert all(isinstance(p, models.Product) for p in got) and len(got) == 2
    lists = ld.campaigns.contact_lists(cid)
    await lists.add(list(e.store["contact_lists"])[-1])
    assert (await lists.list().all())[-1].id == list(e.store["contact_lists"])[-1]


async def test_contact_list_contacts(sb: Sandbox, ld: LeadDesk) -> None:
    e = emu(sb)
    contact = await ld.contacts.create({"phone": "+358401112223", "first_name": "Aino"})
    lid = next(iter(e.store["contact_lists"]))
    members = ld.contact_lists.contacts(lid)
    before = [c.id for c in await members.list().all()]
    await members.add([contact.id])
    after = await members.list().all()
    assert [c.id for c in after] == [*before, contact.id]
    assert isinstance(after[-1], models.Contact) and after[-1].first_name == "Aino"
    await members.remove([contact])
    assert [c.id for c in await members.list().all()] == before


async def test_relation_validation_error(sb: Sandbox, ld: LeadDesk) -> None:
    cid = next(iter(emu(sb).store["campaigns"]))
    with pytest.raises(errors.UnprocessableEntityError) as info:
        await ld.campaigns.users(cid).add([123456789])
    assert info.value.code == "validation_failed"
    # ``add`` POSTs to the campaign as the docs show ({"users": [..]}): the entry is users.0.id.
    assert info.value.field_errors == {"users.0.id": ["The selected users.0.id is invalid."]}


# -- errors ----------------------------------------------------------------------------------------


async def test_validation_error(ld: LeadDesk) -> None:
    with pytest.raises(errors.UnprocessableEntityError) as info:
        await ld.users.create({"email": "not-an-address"})
    err = info.value
    assert (err.status, err.code, err.message) == (
        422,
        "validation_failed",
        "Parameter validation failed",
    )
    assert err.field_errors == {
        "username": ["The username field is required."],
        "email": ["The email must be a valid email address."],
    }
    assert "leaddesk" in str(err) and "422" in str(err)


async def test_not_found_unsupported_media_and_method(sb: Sandbox, ld: LeadDesk) -> None:
    with pytest.raises(errors.NotFoundError) as nf:
        await ld.campaigns.get(1)
    assert nf.value.code == "campaign_not_found"
    with pytest.raises(errors.APIError) as media:
        await ld.request(
            "POST", "/users", json={"username": "x"}, headers={"Content-Type": "text/plain"}
        )
    assert (media.value.status, media.value.code) == (415, "unsupported_media_type")
    call_id = next(iter(emu(sb).store["calls"]))
    with pytest.raises(errors.APIError) as method:
        await ld.request("DELETE", f"/calls/{call_id}")
    assert (method.value.status, method.value.code) == (405, "method_not_allowed")


async def test_bad_credentials(sb: Sandbox) -> None:
    creds = sb.credentials("leaddesk")
    async with LeadDesk(**{**creds, "password": "wrong"}) as ld:
        with pytest.raises(errors.AuthenticationError) as info:
            await ld.users.list().all()
    assert info.value.code == "invalid_credentials"
    assert "wrong" not in str(info.value) and creds["client_secret"] not in str(info.value)
    async with LeadDesk(**{**creds, "client_secret": "nope"}) as ld:
        with pytest.raises(errors.AuthenticationError) as info:
            await ld.users.get(1001)
    assert info.value.code == "invalid_client"
    async with LeadDesk(
        client_id=creds["client_id"],
        client_secret=creds["client_secret"],
        leaddesk_client_id=9,
        base_url=creds["base_url"],
    ) as ld:
        with pytest.raises(errors.PermissionDeniedError) as denied:
            await ld.users.get(1001)
    assert denied.value.code == "access_denied"


# -- grants and tokens -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("grant", "extra"),
    [
        ("password", None),
        ("leaddesk_client_id", {"leaddesk_client_id": 1}),
        ("client_user", {"leaddesk_client_id": "1", "username": None}),
    ],
)
async def test_each_initial_grant(sb: Sandbox, grant: str, extra: dict[str, Any] | None) -> None:
    creds = sb.credentials("leaddesk")
    kwargs: dict[str, Any] = dict(creds)
    if extra is not None:
        kwargs = {"client_id": creds["client_id"], "client_secret": creds["client_secret"]}
        kwargs["base_url"] = creds["base_url"]
        kwargs.update(extra)
        if "username" in extra:
            kwargs["username"] = list(emu(sb).store["users"].values())[2]["username"]
    async with LeadDesk(**kwargs) as ld:
        assert ld.grant_type == grant
        results = await asyncio.gather(*(ld.users.get(1001) for _ in range(10)))
    assert {u.id for u in results} == {1001}
    assert dict(emu(sb).counters.token_requests) == {grant: 1}


async def test_expired_token_is_refreshed_once_under_concurrency() -> None:
    async with (
        Sandbox(vendors=["leaddesk"], records=20, token_ttl=1) as sb,
        sb.client("leaddesk") as ld,
    ):
        e = emu(sb)
        await ld.users.get(1001)
        first = e.counters.token_requests.copy()
        assert dict(first) == {"password": 1}
        # Only the first token is short-lived: the refreshed one must not itself come due while
        # twenty walks run on a busy machine (that was a flake: two refreshes, both right).
        e.tokens.ttl = 3600
        await asyncio.sleep(1.05)
        results = await asyncio.gather(*(ld.contacts.list(max_items=3).all() for _ in range(20)))
        assert all(len(r) == 3 for r in results)
        assert dict(e.counters.token_requests) == {"password": 1, "refresh_token": 1}


async def test_revoked_tokens_cause_one_refresh_for_fifty_401s(sb: Sandbox, ld: LeadDesk) -> None:
    e = emu(sb)
    await ld.users.get(1001)
    e.tokens.revoke_where(kind="access")
    results = await asyncio.gather(*(ld.users.get(1001) for _ in range(50)))
    assert len(results) == 50
    assert dict(e.counters.token_requests) == {"password": 1, "refresh_token": 1}


async def test_refused_refresh_falls_back_to_the_original_grant(sb: Sandbox, ld: LeadDesk) -> None:
    e = emu(sb)
    await ld.users.get(1001)
    e.tokens.clear()  # access and refresh tokens gone (e.g. the refresh token expired too)
    assert (await ld.users.get(1001)).id == 1001
    assert dict(e.counters.token_requests) == {"password": 2, "refresh_token": 1}


async def test_429_is_survived() -> None:
    async with (
        Sandbox(vendors=["leaddesk"], records=20, faults=FaultProfile(retry_after=0.05)) as sb,
        sb.client("leaddesk") as ld,
    ):
        e = emu(sb)
        await ld.users.get(1001)
        e.inject("429", "429", path=r"/stable/contacts")
        contacts = await ld.contacts.list(page_size=5).all()
        assert [c.id for c in contacts] == list(e.store["contacts"])
        assert e.counters.faults["429"] == 2


# -- construction ----------------------------------------------------------------------------------


def test_construction_needs_a_complete_grant() -> None:
    with pytest.raises(errors.ConfigurationError):
        LeadDesk(client_id="a", client_secret="b", username="u")
    with pytest.raises(errors.ConfigurationError, match="leaddesk_client_id="):
        LeadDesk(client_id="a", client_secret="b", username="u", grant_type="client_user")
    with pytest.raises(errors.ConfigurationError, match="unknown"):
        LeadDesk(client_id="a", client_secret="b", username="u", grant_type="implicit")
    full = {"username": "u", "password": "p", "leaddesk_client_id": "1"}
    assert LeadDesk(client_id="a", client_secret="b", **full).grant_type == "password"
    chosen = LeadDesk(client_id="a", client_secret="b", **full, grant_type="client_user")
    assert chosen.grant_type == "client_user"
    with pytest.raises(errors.ConfigurationError):
        LeadDesk(client_id="a", client_secret="", username="u", password="p")
    ld = LeadDesk(client_id="a", client_secret="s3cret", username="u", password="pw")
    assert ld.base_url == "https://restapi-nor.leaddesk.com/stable"
    assert "s3cret" not in repr(ld) and "pw" not in repr(ld.auth)


async def test_from_env(sb: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    creds = sb.credentials("leaddesk")
    for field in ("client_id", "client_secret", "username", "password", "base_url"):
        monkeypatch.setenv(f"VENDORKIT_LEADDESK_{field.upper()}", str(creds[field]))
    async with LeadDesk.from_env() as ld:
        assert ld.grant_type == "password"
        assert (await ld.users.get(1001)).id == 1001
    monkeypatch.delenv("VENDORKIT_LEADDESK_PASSWORD")
    with pytest.raises(errors.ConfigurationError, match="VENDORKIT_LEADDESK_PASSWORD"):
        LeadDesk.from_env()
    monkeypatch.setenv("VENDORKIT_LEADDESK_LEADDESK_CLIENT_ID", "1")
    async with LeadDesk.from_env() as ld:
        assert ld.grant_type == "client_user"
        assert (await ld.users.get(1001)).id == 1001
    monkeypatch.delenv("VENDORKIT_LEADDESK_CLIENT_SECRET")
    with pytest.raises(errors.ConfigurationError, match="VENDORKIT_LEADDESK_CLIENT_SECRET"):
        LeadDesk.from_env()


# -- pure: the declaration -------------------------------------------------------------------------


def test_token_request_is_json_with_the_client_in_the_body() -> None:
    ld = LeadDesk(
        client_id="cid",
        client_secret="sec",
        username="u",
        leaddesk_client_id=1,
        base_url=("https://restapi-nor.leaddesk.com/stable"),
    )
    assert isinstance(ld.auth, OAuth2)
    request = ld.auth.token_request({"grant_type": "refresh_token", "refresh_token": "r"})
    assert str(request.url) == "https://restapi-nor.leaddesk.com/stable/oauth/access-token"
    assert request.form is None
    assert request.json == {
        "grant_type": "refresh_token",
        "refresh_token": "r",
        "client_id": "cid",
        "client_secret": "sec",
    }
    initial = ld.auth.token_request(ld.auth._grant)
    assert initial.json == {
        "grant_type": "client_user",
        "username": "u",
        "leaddesk_client_id": 1,
        "client_id": "cid",
        "client_secret": "sec",
    }


def test_envelope_reads_total_or_count() -> None:
    page = SPEC.envelope.page({"collection": [{"id": 1}], "_links": {}, "_meta": {"count": 7}})
    assert (page.total, page.next, page.records) == (7, None, [{"id": 1}])
    page = SPEC.envelope.page(
        {"collection": [], "_links": {"next": "https://x/stable/users?page=2"}, "_meta": {}}
    )
    assert (page.total, page.next) == (None, "https://x/stable/users?page=2")


def test_error_parser() -> None:
    info = parse_error(
        422,
        {
            "error": "validation_failed",
            "error_description": "Parameter validation failed",
            "error_validation": {"per_page": ["The per page must be at least 1."]},
        },
    )
    assert info.code == "validation_failed"
    assert info.message == "Parameter validation failed"
    assert info.field_errors == {"per_page": ["The per page must be at least 1."]}
    info = parse_error(404, {"error": "user_not_found"})
    assert (info.code, info.message) == ("user_not_found", "user_not_found")
    assert parse_error(500, ["boom"]).message == "boom"

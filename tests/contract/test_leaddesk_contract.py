"""``vendorkit.LeadDesk`` against a small LeadDesk server written here from the public contract
(``api-contract.md``) and LeadDesk's REST API docs (``leaddesk.txt``) only, not from our sandbox
emulator: what an independent emulator may do, the client must cope with.

The server (``FakeLeadDesk``) varies what the docs leave open: token answers with or without
``refresh_token`` and ``expires_in``, ``_meta.total`` or ``_meta.count`` or no total, ``_links``
present or absent, a ``per_page`` cap, create answering ``200 {"id": N}`` (with or without more
values), relations served in the documented forms (``POST``/``PATCH /campaigns/<id>
{"products": [{"id": 1}]}``, ``PATCH /campaigns/<id>/users [{"id": 1}]``, ``DELETE
/campaigns/<id>/users/<id>``) or only in the sub-resource form, the status a refused refresh
token gets, 429 with ``Retry-After``.

What all four adapters promise alike (construction, options, ``from_env``, 429 out of retries,
wrong credentials, ``request()`` refusals) is in ``test_contract.py``; this file keeps what only
this vendor has.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import aiohttp
import attrs
import pytest

from tests.contract._leaddesk_server import (
    BASE,
    CLIENT_ID,
    CLIENT_SECRET,
    HELSINKI,
    LD_CLIENT,
    PASSWORD,
    READ_ONLY,
    RESOURCES,
    USERNAME,
    FakeLeadDesk,
    Harness,
)
from vendorkit import LeadDesk, errors


@pytest.fixture
async def harness() -> AsyncIterator[Harness]:
    h = Harness()
    try:
        yield h
    finally:
        await h.close()


@pytest.fixture
async def fake(harness: Harness) -> FakeLeadDesk:
    return await harness.serve()


@pytest.fixture
def ld(harness: Harness, fake: FakeLeadDesk) -> LeadDesk:
    return harness.client(fake)


def token_bodies(fake: FakeLeadDesk) -> list[dict[str, Any]]:
    return [s.json() for s in fake.seen if s.path == f"{BASE}/oauth/access-token"]


# -- authentication ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("credentials", "sent"),
    [
        (
            {"username": USERNAME, "password": PASSWORD},
            {"grant_type": "password", "username": USERNAME, "password": PASSWORD},
        ),
        (
            {"leaddesk_client_id": LD_CLIENT},
            {"grant_type": "leaddesk_client_id", "leaddesk_client_id": LD_CLIENT},
        ),
        (
            {"leaddesk_client_id": str(LD_CLIENT)},
            {"grant_type": "leaddesk_client_id", "leaddesk_client_id": LD_CLIENT},
        ),
        (
            {"username": USERNAME, "leaddesk_client_id": LD_CLIENT},
            {"grant_type": "client_user", "username": USERNAME, "leaddesk_client_id": LD_CLIENT},
        ),
    ],
)
async def test_each_initial_grant_sends_exactly_the_documented_json_fields(
    harness: Harness, fake: FakeLeadDesk, credentials: dict[str, Any], sent: dict[str, Any]
) -> None:
    ld = harness.client(fake, **credentials)
    assert ld.grant_type == sent["grant_type"]
    user = await ld.users.get(1)
    assert user.id == 1
    (token_call,) = [s for s in fake.seen if s.path.endswith("/access-token")]
    assert token_call.method == "POST" and token_call.path == f"{BASE}/oauth/access-token"
    assert token_call.headers["Content-Type"].startswith("application/json")
    assert "Authorization" not in token_call.headers
    assert token_call.json() == {
        **sent,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
    }
    (api_call,) = fake.api_requests()
    assert api_call.headers["Authorization"] == "Bearer access-0001-S3CRET"
    assert "json" in api_call.headers["Accept"]


async def test_concurrent_first_requests_share_one_token(fake: FakeLeadDesk, ld: LeadDesk) -> None:
    users = await asyncio.gather(*(ld.users.get(i) for i in range(1, 11)))
    assert [u.id for u in users] == list(range(1, 11))
    assert fake.grants() == ["password"]


async def test_an_expired_token_is_renewed_once_with_the_refresh_grant(
    fake: FakeLeadDesk, ld: LeadDesk
) -> None:
    await ld.users.get(1)
    fake.expired |= set(fake.access)
    got = await asyncio.gather(*(ld.users.get(1 + i % 12) for i in range(20)))
    assert len(got) == 20
    assert fake.grants() == ["password", "refresh_token"]
    assert token_bodies(fake)[1] == {
        "grant_type": "refresh_token",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "refresh_token": "refresh-0001-S3CRET",
    }
    assert fake.api_requests()[-1].headers["Authorization"] == "Bearer access-0002-S3CRET"


async def test_refresh_rotation_uses_the_newest_refresh_token(
    fake: FakeLeadDesk, ld: LeadDesk
) -> None:
    for _ in range(3):
        await ld.users.get(1)
        fake.expired |= set(fake.access)
    await ld.users.get(1)
    # Each refresh killed the previous refresh token: using an old one would have failed and
    # shown up as a fresh password grant.
    assert fake.grants() == ["password", "refresh_token", "refresh_token", "refresh_token"]
    used = [b["refresh_token"] for b in token_bodies(fake)[1:]]
    assert used == ["refresh-0001-S3CRET", "refresh-0002-S3CRET", "refresh-0003-S3CRET"]


async def test_a_refresh_answer_without_refresh_token_keeps_the_old_one(
    harness: Harness,
) -> None:
    fake = await harness.serve(refresh_sends_refresh_token=False)
    ld = harness.client(fake)
    for _ in range(2):
        await ld.users.get(1)
        fake.expired |= set(fake.access)
    await ld.users.get(1)
    assert fake.grants() == ["password", "refresh_token", "refresh_token"]
    assert [b["refresh_token"] for b in token_bodies(fake)[1:]] == ["refresh-0001-S3CRET"] * 2


@pytest.mark.parametrize("status", [400, 401, 403, 422])
@pytest.mark.parametrize(
    "credentials",
    [
        {"username": USERNAME, "password": PASSWORD},
        {"leaddesk_client_id": LD_CLIENT},
        {"username": USERNAME, "leaddesk_client_id": LD_CLIENT},
    ],
    ids=["password", "leaddesk_client_id", "client_user"],
)
async def test_a_refused_refresh_falls_back_to_the_original_grant(
    harness: Harness, status: int, credentials: dict[str, Any]
) -> None:
    fake = await harness.serve(bad_refresh_status=status)
    ld = harness.client(fake, **credentials)
    await ld.users.get(1)
    grant = fake.grants()[0]
    fake.refresh.clear()  # the refresh token has expired on the server
    fake.expired |= set(fake.access)
    assert (await ld.users.get(2)).id == 2
    assert fake.grants() == [grant, "refresh_token", grant]


async def test_expires_in_renews_ahead_of_expiry_and_its_absence_waits_for_a_401(
    harness: Harness,
) -> None:
    fake = await harness.serve(expires_in=0)
    ld = harness.client(fake)
    await ld.users.get(1)
    await ld.users.get(2)
    assert fake.grants() == ["password", "refresh_token"]
    assert all(s.method == "GET" for s in fake.api_requests())
    assert len(fake.api_requests()) == 2  # renewed before sending: no 401 round trip

    fake2 = await harness.serve(expires_in=None)
    ld2 = harness.client(fake2)
    for i in range(1, 4):
        await ld2.users.get(i)
    assert fake2.grants() == ["password"]
    fake2.expired |= set(fake2.access)
    await ld2.users.get(1)
    assert fake2.grants() == ["password", "refresh_token"]


async def test_token_endpoint_validation_errors_carry_field_errors(
    harness: Harness, fake: FakeLeadDesk
) -> None:
    ld = harness.client(fake, leaddesk_client_id="acme")
    with pytest.raises(errors.UnprocessableEntityError) as info:
        await ld.users.get(1)
    err = info.value
    assert (err.code, err.message) == ("validation_failed", "Parameter validation failed")
    assert err.field_errors == {
        "leaddesk_client_id": ["The leaddesk client id must be an integer."]
    }
    assert fake.api_requests() == []


async def test_secrets_never_reach_reprs_errors_or_logs(
    harness: Harness, fake: FakeLeadDesk, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="vendorkit")
    ld = harness.client(fake, max_retries=0)
    await ld.users.get(1)
    fake.expired |= set(fake.access)
    await ld.users.list(page_size=5).all()
    caught: list[errors.APIError] = []
    for call in (
        ld.users.get(999),
        ld.users.create({"first_name": "No username"}),
        ld.request("GET", "/nothing-here"),
    ):
        with pytest.raises(errors.APIError) as info:
            await call
        caught.append(info.value)
    fake.throttle = 1
    with pytest.raises(errors.RateLimitError) as limited:
        await ld.users.get(1)
    caught.append(limited.value)
    texts = [repr(ld), repr(ld.auth), repr(ld.users), repr(ld.token_store), caplog.text]
    texts += [str(e) for e in caught] + [repr(e) for e in caught]
    for text in texts:
        assert "S3CRET" not in text, text
    assert all("\n" not in str(e) for e in caught)


# -- lists ---------------------------------------------------------------------------------------

NAMES = tuple(RESOURCES)


@pytest.mark.parametrize("name", NAMES)
async def test_every_resource_lists_every_record_with_raw_kept_whole(
    fake: FakeLeadDesk, ld: LeadDesk, name: str
) -> None:
    pager = getattr(ld, name).list(page_size=5)
    pages = [p async for p in pager.pages()]
    assert [len(p.records) for p in pages] == [5, 5, 2]
    assert {p.total for p in pages} == {12}
    records = [r for p in pages for r in p.records]
    assert [r.id for r in records] == list(range(1, 13))
    for r in records:
        assert r.raw == fake.render(name, fake.store[name][r.id])  # exact, _links included
        assert r.links["self"] == f"{fake.origin}{BASE}/{name}/{r.id}"
    sent = [s.query for s in fake.api_requests()]
    assert sent == [{"page": str(n), "per_page": "5"} for n in (1, 2, 3)]


@pytest.mark.parametrize("total_key", ["total", "count", None])
@pytest.mark.parametrize("links", [True, False], ids=["links", "no-links"])
@pytest.mark.parametrize("page_size", [4, 5])
async def test_lists_end_on_the_total_the_next_link_or_a_short_page(
    harness: Harness, total_key: str | None, links: bool, page_size: int
) -> None:
    fake = await harness.serve(total_key=total_key, links=links)
    ld = harness.client(fake)
    pages = [p async for p in ld.contacts.list(page_size=page_size).pages()]
    records = [r for p in pages for r in p.records]
    assert [r.id for r in records] == list(range(1, 13))
    assert {p.total for p in pages} == {12 if total_key else None}
    # Never more than one request past the last record (an empty page is the only end signal
    # when the server sends neither a total nor links and the last page is full).
    extra = 1 if (total_key is None and not links and 12 % page_size == 0) else 0
    assert len(fake.api_requests()) == -(-12 // page_size) + extra


@pytest.mark.parametrize("total_key", ["total", None])
async def test_a_server_capping_per_page_loses_no_record(
    harness: Harness, total_key: str | None
) -> None:
    fake = await harness.serve(max_per_page=5, total_key=total_key)
    ld = harness.client(fake)
    records = await ld.users.list().all()
    assert [r.id for r in records] == list(range(1, 13))
    assert fake.api_requests()[0].query["per_page"] == "500"  # the documented maximum
    fanned = await ld.users.list(concurrency=4).all()
    assert [r.id for r in fanned] == list(range(1, 13))


async def test_page_size_is_capped_at_the_documented_maximum(harness: Harness) -> None:
    fake = await harness.serve(reject_over_max=True)
    ld = harness.client(fake)
    assert len(await ld.products.list(page_size=5000).all()) == 12
    assert [s.query["per_page"] for s in fake.api_requests()] == ["500"]


async def test_max_items_concurrency_and_filters(fake: FakeLeadDesk, ld: LeadDesk) -> None:
    assert [u.id for u in await ld.users.list(page_size=5, max_items=7).all()] == list(range(1, 8))
    assert len(fake.api_requests()) == 2
    fanned = await ld.users.list(page_size=2, concurrency=4).all()
    assert [u.id for u in fanned] == list(range(1, 13))
    calls = await ld.calls.list(campaign_id=2, page_size=2).all()
    assert [c.id for c in calls] == [i for i in range(1, 13) if 1 + i % 3 == 2]
    assert all(s.query.get("campaign_id") == "2" for s in fake.api_requests()[-2:])
    async for user in ld.users.list(page_size=3):
        assert user.id == 1
        break


async def test_generic_request_and_paginate(fake: FakeLeadDesk, ld: LeadDesk) -> None:
    raw = await ld.paginate("/users", page_size=5).all()
    assert raw == [fake.render("users", fake.store["users"][i]) for i in range(1, 13)]
    pages = [p async for p in ld.paginate("/products", page_size=5, max_items=6).pages()]
    assert [len(p.records) for p in pages] == [5, 1] and pages[0].total == 12
    one = await ld.request("GET", "/users/3")
    assert one == fake.render("users", fake.store["users"][3])
    # An object's _links are absolute URLs on the vendor's origin: accepted as paths.
    campaign = await ld.campaigns.get(1)
    related = await ld.request("GET", campaign.links["users"])
    assert [u["id"] for u in related["collection"]] == [1, 2]
    via_links = await ld.paginate(campaign.links["products"]).all()
    assert [p["id"] for p in via_links] == [3]
    assert await ld.request("PATCH", "/users/3", json={"first_name": "X"}) is None
    assert fake.store["users"][3]["first_name"] == "X"
    created = await ld.request("POST", "/products", json={"name": "New"})
    assert set(created) == {"id"}
    # Another origin refused, a missing path a NotFoundError: test_contract.py, every vendor.


# -- objects ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("price_as_string", [False, True])
async def test_records_have_decimals_aware_datetimes_and_exact_raw(
    harness: Harness, price_as_string: bool
) -> None:
    fake = await harness.serve(price_as_string=price_as_string)
    ld = harness.client(fake)
    product = await ld.products.get(2)
    assert isinstance(product.price, Decimal)
    assert product.price == (Decimal("29.90") if price_as_string else Decimal("19.9"))
    assert product.vat_percent == Decimal(24)
    assert product.raw == fake.render("products", fake.store["products"][2])
    assert product.created_at == datetime(2018, 12, 30, 16, 18, 40, tzinfo=HELSINKI)
    assert product.created_at is not None and product.created_at.utcoffset() == timedelta(hours=2)
    call = await ld.calls.get(4)
    assert call.started_at is not None and call.started_at.tzinfo is not None
    assert call.duration == 120 and call.raw["unknown_nested"] == {"a": [1, 2, {"b": None}]}
    assert not hasattr(call, "unknown_nested")


@pytest.mark.parametrize("name", [n for n in NAMES if n not in READ_ONLY])
@pytest.mark.parametrize("create_extra", [False, True])
async def test_create_update_delete_each_writable_resource(
    harness: Harness, name: str, create_extra: bool
) -> None:
    fake = await harness.serve(create_extra=create_extra)
    ld = harness.client(fake)
    res = getattr(ld, name)
    data = {"username": "ella"} if name == "users" else {"name": "Ella"}
    data["description"] = "made by the contract suite"
    created = await res.create(data)
    new_id = created.id
    assert isinstance(new_id, int) and new_id in fake.store[name]
    assert created.raw == fake.render(name, fake.store[name][new_id])
    post = next(s for s in fake.api_requests() if s.method == "POST")
    assert post.path == f"{BASE}/{name}" and post.json() == data
    assert post.headers["Content-Type"].startswith("application/json")

    updated = await res.update(new_id, {"description": "changed"})
    assert updated.raw["description"] == "changed" and updated.id == new_id
    patch = next(s for s in fake.api_requests() if s.method == "PATCH")
    assert patch.path == f"{BASE}/{name}/{new_id}" and patch.json() == {"description": "changed"}

    assert await res.delete(new_id) is None
    delete = next(s for s in fake.api_requests() if s.method == "DELETE")
    assert delete.path == f"{BASE}/{name}/{new_id}" and delete.body == b""
    with pytest.raises(errors.NotFoundError) as info:
        await res.get(new_id)
    assert info.value.code == f"{RESOURCES[name][0]}_not_found"
    with pytest.raises(errors.NotFoundError):
        await res.delete(new_id)


async def test_models_are_sent_in_wire_names_with_money_as_strings(
    fake: FakeLeadDesk, ld: LeadDesk
) -> None:
    from vendorkit.vendors.leaddesk import models

    product = await ld.products.create(models.Product(name="Fiber", price=Decimal("59.90")))
    post = next(s for s in fake.api_requests() if s.method == "POST")
    assert post.json() == {"name": "Fiber", "price": "59.90"}
    assert product.price == Decimal("59.90")
    changed = attrs.evolve(product, price=Decimal("54.90"))
    updated = await ld.products.update(product.id, changed)
    patch = next(s for s in fake.api_requests() if s.method == "PATCH")
    assert patch.json() == {"price": "54.90"}
    assert updated.price == Decimal("54.90") and updated.name == "Fiber"


async def test_calls_are_read_only(ld: LeadDesk) -> None:
    for method in ("create", "update", "delete"):
        assert not hasattr(ld.calls, method)
    for name in NAMES:
        for method in ("list", "get"):
            assert hasattr(getattr(ld, name), method)


# -- errors ----------------------------------------------------------------------------------------


async def test_validation_errors_carry_code_message_and_field_errors(
    fake: FakeLeadDesk, ld: LeadDesk
) -> None:
    with pytest.raises(errors.UnprocessableEntityError) as info:
        await ld.users.create({"first_name": "No username"})
    err = info.value
    assert (err.status, err.code) == (422, "validation_failed")
    assert err.message == "Parameter validation failed"
    assert err.field_errors == {"username": ["The username field is required."]}
    assert err.body == {
        "error": "validation_failed",
        "error_description": "Parameter validation failed",
        "error_validation": {"username": ["The username field is required."]},
    }
    assert (err.vendor, err.method) == ("leaddesk", "POST") and err.url.endswith("/stable/users")
    assert str(err).count("\n") == 0 and "422" in str(err) and "/stable/users" in str(err)
    with pytest.raises(errors.UnprocessableEntityError) as per_page:
        await ld.request("GET", "/users", params={"per_page": 0})
    assert per_page.value.field_errors == {"per_page": ["The per page must be at least 1."]}
    assert isinstance(err, errors.APIError) and isinstance(err, errors.VendorkitError)


async def test_a_malformed_body_is_a_415_api_error(fake: FakeLeadDesk, ld: LeadDesk) -> None:
    with pytest.raises(errors.APIError) as info:
        await ld.request("POST", "/users", json=["not", "an", "object"])
    err = info.value
    assert (err.status, err.code, err.message) == (415, "malformed_json", "Expected a JSON object")
    assert "415" in str(err)


async def test_429_is_retried_after_retry_after(harness: Harness) -> None:
    fake = await harness.serve()
    ld = harness.client(fake)
    await ld.users.get(1)
    fake.throttle = 2
    assert (await ld.users.get(2)).id == 2
    created = await ld.products.create({"name": "after 429"})  # a refused POST is safe to resend
    assert created.name == "after 429"
    assert len([s for s in fake.api_requests() if s.method == "POST"]) == 1
    # Out of retries: test_contract.py::test_429_raised_when_out_of_retries.


async def test_5xx_and_405_are_typed(fake: FakeLeadDesk, ld: LeadDesk) -> None:
    with pytest.raises(errors.APIError) as info:
        await ld.request("POST", "/calls", json={"x": 1})
    assert info.value.status == 405 and info.value.code == "method_not_allowed"


# -- relations -------------------------------------------------------------------------------------

DOCUMENTED_ADD = [("POST", "/campaigns/1", {"products": [{"id": 5}, {"id": 6}]})]
DOCUMENTED_REPLACE = [
    ("PATCH", "/campaigns/1", {"products": [{"id": 6}, {"id": 7}]}),
    ("PATCH", "/campaigns/1/products", [{"id": 6}, {"id": 7}]),
]


def writes(fake: FakeLeadDesk) -> list[tuple[str, str, Any]]:
    return [
        (s.method, s.path.removeprefix(BASE), s.json() if s.body else None)
        for s in fake.api_requests()
        if s.method != "GET"
    ]


async def test_relations_use_the_documented_requests(fake: FakeLeadDesk, ld: LeadDesk) -> None:
    from vendorkit.vendors.leaddesk import models

    products = ld.campaigns.products(1)
    assert [p.id for p in await products.list().all()] == [3]
    await products.add([5, 6])
    # "This request would add products having ids 1 and 6 to campaign 123."
    assert writes(fake) == DOCUMENTED_ADD
    assert fake.related[("campaigns", 1, "products")] == [3, 5, 6]
    listed = await products.list(page_size=2).all()
    assert [p.id for p in listed] == [3, 5, 6]
    assert all(isinstance(p, models.Product) for p in listed)

    fake.seen.clear()
    await products.replace([{"id": 6}, 7])
    (replace,) = writes(fake)  # one of the two documented, equivalent forms; one request
    assert replace in DOCUMENTED_REPLACE
    assert fake.related[("campaigns", 1, "products")] == [6, 7]

    fake.seen.clear()
    seven = await ld.products.get(7)
    await products.remove(seven)
    assert writes(fake) == [("DELETE", "/campaigns/1/products/7", None)]
    assert fake.related[("campaigns", 1, "products")] == [6]
    with pytest.raises(errors.NotFoundError):
        await products.remove(7)

    await products.replace([])
    assert fake.related[("campaigns", 1, "products")] == []


@pytest.mark.parametrize(
    "forms",
    [
        frozenset({"parent"}),
        frozenset({"sub_patch", "sub_post"}),
        frozenset({"parent", "sub_patch", "sub_post"}),
    ],
    ids=["parent-only", "sub-resource-only", "all-forms"],
)
async def test_relations_work_whichever_documented_form_the_server_takes(
    harness: Harness, forms: frozenset[str]
) -> None:
    fake = await harness.serve(relation_forms=forms)
    ld = harness.client(fake)
    users = ld.campaigns.users(1)
    await users.add([3, {"id": 4}])
    assert fake.related[("campaigns", 1, "users")] == [1, 2, 3, 4]
    await users.add(3)  # already related: nothing changes
    assert fake.related[("campaigns", 1, "users")] == [1, 2, 3, 4]
    await users.replace([4, 5])
    assert fake.related[("campaigns", 1, "users")] == [4, 5]
    # A server without relation keys on PATCH /campaigns/<id> must not have stored them as
    # plain fields (the write went to the sub-resource instead).
    assert "users" not in fake.store["campaigns"][1]
    await users.remove([4])
    assert [u.id for u in await users.list().all()] == [5]
    lists = ld.contact_lists.contacts(2)
    await lists.add([1, 2])
    await lists.replace([2, 3])
    await lists.remove(2)
    assert [c.id for c in await lists.list().all()] == [3]
    with pytest.raises(errors.UnprocessableEntityError) as info:
        await users.add([999])
    assert info.value.code == "validation_failed" and info.value.field_errors
    with pytest.raises(errors.NotFoundError):
        await ld.campaigns.users(999).add([1])


# -- construction ----------------------------------------------------------------------------------


async def test_constructor_forms_and_common_options(harness: Harness, fake: FakeLeadDesk) -> None:
    from vendorkit.core import MemoryTokenStore

    # Keyword-only, and the default base URL: test_contract.py, for every vendor.
    for incomplete in ({}, {"password": PASSWORD}, {"username": USERNAME}):
        with pytest.raises(errors.ConfigurationError):
            LeadDesk(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, **incomplete)
    store = MemoryTokenStore()
    async with aiohttp.ClientSession() as session:
        ld = harness.client(
            fake,
            username=USERNAME,
            password=PASSWORD,
            session=session,
            timeout=5.0,
            max_retries=1,
            max_retry_wait=1.0,
            rate_limit=None,
            token_store=store,
            user_agent="contract-suite/1.0",
        )
        twin = harness.client(fake, username=USERNAME, password=PASSWORD, token_store=store)
        async with ld:
            assert (await ld.users.get(1)).id == 1
            assert (await twin.users.get(2)).id == 2
        assert not session.closed  # borrowed: never closed by vendorkit
    assert fake.grants() == ["password"]  # the shared store holds one token for the account
    assert fake.api_requests()[0].headers["User-Agent"] == "contract-suite/1.0"


async def test_from_env_with_a_leaddesk_client_id_uses_the_client_user_grant(
    harness: Harness, fake: FakeLeadDesk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each missing variable named, and the password grant from the environment:
    test_contract.py, for every vendor. Without a password, LeadDesk's own grant."""
    for key in list(os.environ):
        if key.startswith("VENDORKIT_LEADDESK_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("VENDORKIT_LEADDESK_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("VENDORKIT_LEADDESK_CLIENT_SECRET", CLIENT_SECRET)
    monkeypatch.setenv("VENDORKIT_LEADDESK_USERNAME", USERNAME)
    monkeypatch.setenv("VENDORKIT_LEADDESK_BASE_URL", fake.origin + BASE)
    monkeypatch.setenv("VENDORKIT_LEADDESK_LEADDESK_CLIENT_ID", str(LD_CLIENT))
    async with LeadDesk.from_env() as ld:
        assert ld.grant_type == "client_user"
        assert (await ld.users.get(1)).id == 1
    assert token_bodies(fake)[-1] == {
        "grant_type": "client_user",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "username": USERNAME,
        "leaddesk_client_id": LD_CLIENT,
    }


async def test_a_relation_read_back_as_a_bare_array_is_one_page(harness: Harness) -> None:
    fake = await harness.serve(bare_relations=True)
    ld = harness.client(fake)
    users = ld.campaigns.users(1)
    pages = [p async for p in users.list(page_size=1).pages()]
    assert [[u.id for u in p.records] for p in pages] == [[1, 2]]
    assert pages[0].total is None
    assert pages[0].records[0].raw == fake.render("users", fake.store["users"][1])
    assert [u["id"] for u in await ld.paginate("/campaigns/1/users").all()] == [1, 2]


async def test_the_vendors_own_per_page_and_page_parameters_are_honoured(
    fake: FakeLeadDesk, ld: LeadDesk
) -> None:
    pages = [p async for p in ld.users.list(per_page=5).pages()]
    assert [len(p.records) for p in pages] == [5, 5, 2]
    assert [s.query["per_page"] for s in fake.api_requests()] == ["5", "5", "5"]
    rest = await ld.paginate("/users", per_page=4, page=2).all()
    assert [u["id"] for u in rest] == list(range(5, 13))

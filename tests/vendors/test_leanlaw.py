"""The LeanLaw adapter against the sandbox's LeanLaw emulator: every resource listed in full, the
CRUD methods, sparse PUT, ``select=``, relations, each documented error, 429s survived."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from typing import Any

import aiohttp
import attrs
import pytest

from vendorkit import LeanLaw, errors
from vendorkit.sandbox import FaultProfile, Sandbox
from vendorkit.vendors.leanlaw import models
from vendorkit.vendors.leanlaw._spec import parse_error

pytestmark = pytest.mark.vendorkit_sandbox(
    vendors=["leanlaw"], records=40, seed=3, faults=FaultProfile(retry_after=0.05)
)

STORE_NAMES = {
    "clients": "clients",
    "matters": "matters",
    "time_entries": "time_entries",
    "expenses": "expenses",
    "fixed_fees": "fixed_fees",
    "invoices": "invoices",
    "users": "users",
    "practice_areas": "practice_areas",
}
TRACE = re.compile(r"^[0-9a-f]{32}$")


@pytest.fixture
async def ll(vendorkit_sandbox: Sandbox) -> AsyncIterator[LeanLaw]:
    async with vendorkit_sandbox.client("leanlaw") as client:
        yield client


def store(sb: Sandbox, name: str) -> dict[str, dict[str, Any]]:
    return sb.emulator("leanlaw").store[STORE_NAMES[name]]


# -- lists ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(STORE_NAMES))
async def test_every_record_of_every_resource(
    vendorkit_sandbox: Sandbox, ll: LeanLaw, name: str
) -> None:
    records = await getattr(ll, name).list(page_size=9).all()
    expected = store(vendorkit_sandbox, name)
    assert [r.id for r in records] == list(expected)
    for record in records:
        stored = expected[record.id]
        # Lists leave the meta block out unless selected; everything else is there, as sent.
        assert record.raw == {k: v for k, v in stored.items() if k not in ("meta", "contact")}


async def test_pages_report_the_total_and_fan_out_in_order(
    vendorkit_sandbox: Sandbox, ll: LeanLaw
) -> None:
    expected = list(store(vendorkit_sandbox, "time_entries"))
    pages = [p async for p in ll.time_entries.list(page_size=7, concurrency=4).pages()]
    assert [p.total for p in pages] == [len(expected)] * len(pages)
    assert len(pages) == -(-len(expected) // 7)
    assert [r.id for p in pages for r in p.records] == expected
    some = await ll.time_entries.list(page_size=7, max_items=10).all()
    assert [r.id for r in some] == expected[:10]


async def test_models_carry_python_types_and_keep_unknown_fields(
    vendorkit_sandbox: Sandbox, ll: LeanLaw
) -> None:
    entry = (await ll.time_entries.list(max_items=1).all())[0]
    assert isinstance(entry.hours, Decimal) and isinstance(entry.amount, Decimal)
    assert isinstance(entry.date, date)
    assert entry.amount == (entry.hours * entry.rate).quantize(Decimal("0.01"))
    client = (await ll.clients.list(max_items=1).all())[0]
    assert client.raw["clientNumber"].startswith("C-")  # not modelled, kept in raw
    store(vendorkit_sandbox, "clients")[client.id]["brandNewField"] = {"nested": [1, 2]}
    again = await ll.clients.get(client.id)
    assert again.raw["brandNewField"] == {"nested": [1, 2]}
    assert again == attrs.evolve(client, meta=again.meta)


async def test_select_as_list_and_as_string(vendorkit_sandbox: Sandbox, ll: LeanLaw) -> None:
    cid = next(iter(store(vendorkit_sandbox, "clients")))
    plain = await ll.clients.get(cid)
    assert plain.meta is not None and plain.contact is None
    for select in (["contact", "-meta"], "contact,-meta", ("contact", "-meta")):
        one = await ll.clients.get(cid, select=select)
        assert one.contact is not None and one.contact["address"]["city"]
        assert one.meta is None and "meta" not in one.raw
    listed = await ll.clients.list(select=["contact", "meta"], max_items=3).all()
    assert all(c.contact and c.meta and c.meta["createdAt"].endswith("Z") for c in listed)


async def test_matters_of_a_client(vendorkit_sandbox: Sandbox, ll: LeanLaw) -> None:
    matters = store(vendorkit_sandbox, "matters")
    cid = next(iter(matters.values()))["clientId"]
    expected = [m for m, v in matters.items() if v["clientId"] == cid]
    assert [m.id for m in await ll.clients.matters(cid).all()] == expected
    assert [m.id for m in await ll.matters.list(clientId=cid).all()] == expected
    entries = store(vendorkit_sandbox, "time_entries")
    mid = next(iter(entries.values()))["matterId"]
    mine = await ll.time_entries.list(matterId=mid).all()
    assert [e.id for e in mine] == [e for e, v in entries.items() if v["matterId"] == mid]


# -- writes --------------------------------------------------------------------------------------


async def test_create_get_update_delete(vendorkit_sandbox: Sandbox, ll: LeanLaw) -> None:
    created = await ll.clients.create({"name": "Docs Example LLP", "billingRate": "410.00"})
    assert created.name == "Docs Example LLP" and created.id
    assert created.raw["billingRate"] == "410.00"
    assert created.id in store(vendorkit_sandbox, "clients")
    updated = await ll.clients.update(created.id, {"name": "Docs Example LLC"})
    assert updated.name == "Docs Example LLC" and updated.raw["billingRate"] == "410.00"
    got = await ll.clients.get(created.id)
    assert got.name == "Docs Example LLC"
    assert await ll.clients.delete(created.id) is None
    assert created.id not in store(vendorkit_sandbox, "clients")
    with pytest.raises(errors.NotFoundError):
        await ll.clients.get(created.id)


async def test_create_from_a_model_sends_camel_case_and_strings(
    vendorkit_sandbox: Sandbox, ll: LeanLaw
) -> None:
    matter = next(iter(store(vendorkit_sandbox, "matters").values()))
    user = next(iter(store(vendorkit_sandbox, "users").values()))
    entry = await ll.time_entries.create(
        models.TimeEntry(
            matter_id=matter["id"],
            user_id=user["id"],
            date=date(2024, 6, 3),
            hours=Decimal("2.25"),
            rate=Decimal("300"),
            description="Drafted response",
        )
    )
    assert entry.matter_id == matter["id"] and entry.hours == Decimal("2.25")
    assert entry.amount == Decimal("675.00")
    assert store(vendorkit_sandbox, "time_entries")[entry.id]["date"] == "2024-06-03"


async def test_update_with_a_model_sends_only_changed_fields(
    vendorkit_sandbox: Sandbox, ll: LeanLaw
) -> None:
    cid = next(iter(store(vendorkit_sandbox, "clients")))
    client = await ll.clients.get(cid)
    # Someone else changes the status meanwhile: a sparse update of the name must not undo it.
    store(vendorkit_sandbox, "clients")[cid]["status"] = "Inactive"
    updated = await ll.clients.update(cid, attrs.evolve(client, name="Renamed Client"))
    assert updated.name == "Renamed Client"
    assert updated.status == "Inactive"
    assert store(vendorkit_sandbox, "clients")[cid]["status"] == "Inactive"


# -- errors --------------------------------------------------------------------------------------


async def test_404_has_code_message_and_trace_id(ll: LeanLaw) -> None:
    with pytest.raises(errors.NotFoundError) as info:
        await ll.matters.get("00000000-0000-4000-8000-000000000000")
    err = info.value
    assert err.status == 404 and err.vendor == "leanlaw" and err.code == "NotFound"
    assert "was not found" in err.message
    assert err.trace_id and TRACE.match(err.trace_id)
    assert err.trace_id in str(err)


async def test_validation_error_lists_fields(vendorkit_sandbox: Sandbox, ll: LeanLaw) -> None:
    with pytest.raises(errors.BadRequestError) as info:
        await ll.matters.create({"name": 12})
    err = info.value
    assert err.code == "ValidationError"
    assert set(err.field_errors) == {"clientId", "name"}
    assert err.field_errors["clientId"] == ["The clientId field is required."]
    assert err.trace_id and TRACE.match(err.trace_id)
    before = dict(store(vendorkit_sandbox, "users"))
    with pytest.raises(errors.BadRequestError):
        await ll.users.update(next(iter(before)), {"role": "Wizard"})
    assert store(vendorkit_sandbox, "users") == before


async def test_wrong_key_is_permission_denied(vendorkit_sandbox: Sandbox) -> None:
    async with LeanLaw(api_key="ll_wrong", base_url=vendorkit_sandbox.url("leanlaw")) as bad:
        with pytest.raises(errors.PermissionDeniedError) as info:
            await bad.clients.list().all()
    err = info.value
    assert err.status == 403 and err.code == "Forbidden"
    assert err.trace_id and TRACE.match(err.trace_id)
    assert "ll_wrong" not in str(err) and "ll_wrong" not in repr(err)


async def test_missing_key_is_authentication_error(vendorkit_sandbox: Sandbox) -> None:
    """A proxy that strips the Authorization header: LeanLaw answers 401 (no API key)."""

    async def strip_auth(
        request: aiohttp.ClientRequest, handler: aiohttp.ClientHandlerType
    ) -> aiohttp.ClientResponse:
        request.headers.pop("Authorization", None)
        return await handler(request)

    async with aiohttp.ClientSession(middlewares=(strip_auth,)) as session:
        async with vendorkit_sandbox.client("leanlaw", session=session) as ll:
            with pytest.raises(errors.AuthenticationError) as info:
                await ll.users.get("00000000-0000-4000-8000-000000000000")
    assert info.value.status == 401 and info.value.code == "Unauthorized"
    assert info.value.trace_id and TRACE.match(info.value.trace_id)


async def test_read_only_key_cannot_write(vendorkit_sandbox: Sandbox) -> None:
    emu: Any = vendorkit_sandbox.emulator("leanlaw")
    key = emu.issue_api_key(read_only=True)
    async with LeanLaw(api_key=key, base_url=vendorkit_sandbox.url("leanlaw")) as ro:
        assert await ro.users.list(max_items=1).all()
        with pytest.raises(errors.PermissionDeniedError):
            await ro.practice_areas.create({"name": "Space Law"})


# -- throttling and faults -----------------------------------------------------------------------


async def test_injected_429_and_503_are_survived(vendorkit_sandbox: Sandbox, ll: LeanLaw) -> None:
    emu = vendorkit_sandbox.emulator("leanlaw")
    emu.inject("429", "503", "429")
    users = await ll.users.list().all()
    assert [u.id for u in users] == list(store(vendorkit_sandbox, "users"))
    assert emu.counters.faults == {"429": 2, "503": 1}


async def test_post_is_retried_after_429_but_not_after_500(
    vendorkit_sandbox: Sandbox, ll: LeanLaw
) -> None:
    emu = vendorkit_sandbox.emulator("leanlaw")
    emu.inject("429", path="/v2/practice-areas$")
    area = await ll.practice_areas.create({"name": "Maritime"})
    assert area.name == "Maritime"
    emu.inject("500", path="/v2/practice-areas$")
    with pytest.raises(errors.ServerError) as info:
        await ll.practice_areas.create({"name": "Aviation"})
    assert info.value.trace_id
    assert emu.counters.writes["POST /v2/practice-areas"] == 1


async def test_real_throttle_is_survived(vendorkit_sandbox_factory: Any) -> None:
    sb = await vendorkit_sandbox_factory(
        vendors=["leanlaw"], records=6, quotas={"leanlaw": "3/second"}
    )
    # The client's own quota off: it meets the emulator's 429s and must wait them out.
    async with sb.client("leanlaw", rate_limit=None) as ll:
        users = await ll.users.list(page_size=1).all()
    assert len(users) == len(sb.emulator("leanlaw").store["users"]) == 4
    assert sb.emulator("leanlaw").counters.throttled >= 1


# -- error bodies other LeanLaw deployments may send ---------------------------------------------


@pytest.mark.parametrize(
    ("body", "message", "code", "fields"),
    [
        (
            {"error": {"code": "ValidationError", "message": "Invalid.", "details": [
                {"field": "name", "message": "The name field is required."}]}},
            "Invalid.",
            "ValidationError",
            {"name": ["The name field is required."]},
        ),
        (
            {"error": {"code": "Bad", "message": "Invalid.", "details": {"name": ["Required"]}}},
            "Invalid.",
            "Bad",
            {"name": ["Required"]},
        ),
        (
            {"title": "One or more validation errors occurred.", "status": 400,
             "errors": {"Name": ["The Name field is required."]}},
            "One or more validation errors occurred.",
            None,
            {"Name": ["The Name field is required."]},
        ),
        (
            {"message": "Bad request", "errors": [
                {"propertyName": "clientId", "errorMessage": "Unknown client"}]},
            "Bad request",
            None,
            {"clientId": ["Unknown client"]},
        ),
        ({"error": "invalid_key"}, "invalid_key", "invalid_key", {}),
    ],
)  # fmt: skip
def test_error_body_shapes(
    body: dict[str, Any], message: str, code: str | None, fields: dict[str, list[str]]
) -> None:
    info = parse_error(400, body)
    assert (info.message, info.code, dict(info.field_errors)) == (message, code, fields)

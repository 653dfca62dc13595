"""The Leady adapter against the sandbox's Leady emulator: every list walked through its cursors,
sessions of a website and actions of a session, saved-filter CRUD, the blacklist, tokens
(obtain, reset), errors, 429s survived."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest

from vendorkit import Leady, errors
from vendorkit.export import Job, export, exportable_resources
from vendorkit.sandbox import FaultProfile, Sandbox
from vendorkit.vendors.leady import models

pytestmark = pytest.mark.vendorkit_sandbox(
    vendors=["leady"],
    records=50,
    seed=4,
    faults=FaultProfile(retry_after=0.05, slow_seconds=0.3),
)

LISTS = {
    "resources": "resources",
    "companies": "companies",
    "persons": "persons",
    "saved_filters": "saved_filters",
    "blacklist": "blacklist",
    "turnovers": "turnovers",
    "magnitudes": "magnitudes",
}
DOMAIN = "www.kovoprofil.cz"


@pytest.fixture
async def leady(vendorkit_sandbox: Sandbox) -> AsyncIterator[Leady]:
    async with vendorkit_sandbox.client("leady") as client:
        yield client


def store(sb: Sandbox, name: str) -> dict[Any, dict[str, Any]]:
    return sb.emulator("leady").store[name]


def ordered(sb: Sandbox, name: str) -> list[dict[str, Any]]:
    data = store(sb, name)
    return [data[k] for k in sorted(data)]


# -- lists ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(LISTS))
async def test_every_record_through_all_pages(
    vendorkit_sandbox: Sandbox, leady: Leady, name: str
) -> None:
    records = await getattr(leady, name).list(page_size=6).all()
    assert [r.raw for r in records] == ordered(vendorkit_sandbox, LISTS[name])
    pages = [p async for p in getattr(leady, name).list(page_size=6).pages()]
    assert all(p.total is None for p in pages)  # DRF cursor pages have no total


async def test_default_page_size_walk(vendorkit_sandbox_factory: Any) -> None:
    sb = await vendorkit_sandbox_factory(vendors=["leady"], records=230)
    async with sb.client("leady") as leady:
        companies = await leady.companies.list().all()
    assert [c.id for c in companies] == sorted(sb.emulator("leady").store["companies"])
    assert sb.emulator("leady").counters.requests["GET /v1/companies/"] == 3


async def test_sessions_of_a_website_and_their_actions(
    vendorkit_sandbox: Sandbox, leady: Leady
) -> None:
    sessions = await leady.sessions.list(resource=DOMAIN, page_size=8).all()
    expected = [s for s in ordered(vendorkit_sandbox, "sessions") if s["resource"] == DOMAIN]
    assert [s.raw for s in sessions] == expected
    first = sessions[0]
    assert isinstance(first.start, datetime) and first.start.tzinfo is not None
    assert first.start.utcoffset() == timedelta(0)
    assert isinstance(first.duration, int) and first.resource == DOMAIN
    assert first.raw["landing_page"].startswith(f"https://{DOMAIN}/")  # unknown field kept

    actions = await leady.sessions.actions(first.id, page_size=2).all()
    assert [a.raw for a in actions] == [
        a for a in ordered(vendorkit_sandbox, "actions") if a["session"] == first.id
    ]
    assert all(isinstance(a.time, datetime) for a in actions)
    same = await leady.actions.list(session=first.id).all()
    assert same == actions


async def test_period_filters_take_datetimes_and_strings(
    vendorkit_sandbox: Sandbox, leady: Leady
) -> None:
    sessions = await leady.sessions.list(resource=DOMAIN).all()
    lo, hi = sessions[2].start, sessions[9].start
    assert lo is not None and hi is not None
    window = await leady.sessions.list(resource=DOMAIN, period_start=lo, period_end=hi).all()
    assert [s.id for s in window] == [s.id for s in sessions[2:10]]
    # An aware datetime in another zone means the same instant.
    prague = lo.astimezone(datetime.now(UTC).astimezone().tzinfo)
    again = await leady.sessions.list(
        resource=DOMAIN, period_start=prague, period_end=hi.isoformat()
    ).all()
    assert [s.id for s in again] == [s.id for s in window]
    with pytest.raises(errors.BadRequestError) as info:
        await leady.sessions.list(resource=DOMAIN, period_start="last tuesday").all()
    assert info.value.field_errors == {"period_start": ["Enter a valid date/time."]}


async def test_duration_as_a_django_duration_string_is_kept(
    vendorkit_sandbox: Sandbox, leady: Leady
) -> None:
    sid = next(s["id"] for s in ordered(vendorkit_sandbox, "sessions") if s["resource"] == DOMAIN)
    store(vendorkit_sandbox, "sessions")[sid]["duration"] = "00:02:21"
    sessions = await leady.sessions.list(resource=DOMAIN, max_items=1).all()
    assert sessions[0].id == sid and sessions[0].duration == "00:02:21"


async def test_get_by_domain_and_id(vendorkit_sandbox: Sandbox, leady: Leady) -> None:
    site = await leady.resources.get(DOMAIN)
    assert site.domain == DOMAIN and site.raw == store(vendorkit_sandbox, "resources")[DOMAIN]
    company = ordered(vendorkit_sandbox, "companies")[5]
    got = await leady.companies.get(company["id"])
    assert got.id == company["id"] and got.name == company["name"]
    assert got.raw["ico"] == company["ico"]
    person = ordered(vendorkit_sandbox, "persons")[3]
    assert (await leady.persons.get(person["id"])).raw == person
    # Leady's docs name no filter of persons: an undocumented one goes in params=.
    staff = await leady.persons.list(params={"company": person["company"]}).all()
    assert person in [p.raw for p in staff]


# -- writes --------------------------------------------------------------------------------------


async def test_saved_filters_crud(vendorkit_sandbox: Sandbox, leady: Leady) -> None:
    created = await leady.saved_filters.create(
        {"name": "Praha", "filter": {"city": ["Praha"]}, "resource": DOMAIN}
    )
    assert created.name == "Praha" and created.raw["filter"] == {"city": ["Praha"]}
    assert store(vendorkit_sandbox, "saved_filters")[created.id]["resource"] == DOMAIN
    renamed = await leady.saved_filters.update(created.id, {"name": "Prague"})
    assert renamed.name == "Prague" and renamed.raw["filter"] == {"city": ["Praha"]}
    # A model instance sends only what changed (PATCH): the filter set meanwhile survives.
    store(vendorkit_sandbox, "saved_filters")[created.id]["filter"] = {"city": ["Brno"]}
    again = await leady.saved_filters.update(created.id, attrs.evolve(renamed, name="Brno"))
    assert again.name == "Brno" and again.raw["filter"] == {"city": ["Brno"]}
    assert (await leady.saved_filters.get(created.id)).name == "Brno"
    assert await leady.saved_filters.delete(created.id) is None
    assert created.id not in store(vendorkit_sandbox, "saved_filters")
    with pytest.raises(errors.NotFoundError) as info:
        await leady.saved_filters.get(created.id)
    assert info.value.message == "Not found."


async def test_saved_filter_from_a_model(leady: Leady) -> None:
    created = await leady.saved_filters.create(models.SavedFilter(name="Z modelu"))
    assert created.name == "Z modelu" and created.raw["filter"] == {}


async def test_blacklist_add_and_delete_only(vendorkit_sandbox: Sandbox, leady: Leady) -> None:
    assert not hasattr(leady.blacklist, "get") and not hasattr(leady.blacklist, "update")
    entry = await leady.blacklist.create({"domain": "konkurence.cz"})
    assert isinstance(entry, models.BlacklistEntry) and entry.domain == "konkurence.cz"
    assert entry.id in store(vendorkit_sandbox, "blacklist")
    with pytest.raises(errors.BadRequestError) as info:
        await leady.blacklist.create({"domain": "konkurence.cz"})
    assert list(info.value.field_errors) == ["domain"]
    await leady.blacklist.delete(entry.id)
    assert entry.id not in store(vendorkit_sandbox, "blacklist")


async def test_read_only_resources_offer_no_writes(leady: Leady) -> None:
    for name in ("resources", "companies", "persons"):
        res = getattr(leady, name)
        assert hasattr(res, "get") and not hasattr(res, "create")
    for name in ("turnovers", "magnitudes", "sessions", "actions"):
        assert not hasattr(getattr(leady, name), "get")


# -- tokens --------------------------------------------------------------------------------------


async def test_obtain_token_with_the_sandbox_login(vendorkit_sandbox: Sandbox) -> None:
    url = vendorkit_sandbox.url("leady")
    token = await Leady.obtain_token(base_url=url, **vendorkit_sandbox.login("leady"))
    assert token == vendorkit_sandbox.credentials("leady")["token"]
    async with Leady(token=token, base_url=url) as leady:
        assert len(await leady.magnitudes.list().all()) == 15
    with pytest.raises(errors.BadRequestError) as info:
        await Leady.obtain_token(base_url=url, email="api@kovoprofil.cz", password="wrong")
    assert info.value.non_field_errors == ["Unable to log in with provided credentials."]
    assert "wrong" not in str(info.value)


async def test_reset_token_kills_the_old_one(vendorkit_sandbox: Sandbox, leady: Leady) -> None:
    old = vendorkit_sandbox.credentials("leady")["token"]
    new = await leady.reset_token()
    assert new != old and vendorkit_sandbox.credentials("leady")["token"] == new
    assert await leady.turnovers.list().all()  # the client uses the new token
    async with Leady(token=old, base_url=vendorkit_sandbox.url("leady")) as stale:
        with pytest.raises(errors.AuthenticationError) as info:
            await stale.turnovers.list().all()
    assert info.value.message == "Invalid token."
    assert old not in str(info.value) and old not in repr(info.value)


async def test_request_in_flight_during_a_reset_is_replayed(
    vendorkit_sandbox: Sandbox, leady: Leady
) -> None:
    emu = vendorkit_sandbox.emulator("leady")
    company = ordered(vendorkit_sandbox, "companies")[0]
    emu.inject("slow", path=r"/companies/\d+/$")
    pending = asyncio.ensure_future(leady.companies.get(company["id"]))
    for _ in range(100):  # wait until the request has reached the emulator
        if emu.counters.faults["slow"]:
            break
        await asyncio.sleep(0.005)
    assert emu.counters.faults["slow"] == 1
    await leady.reset_token()
    got = await pending  # refused with the old token, replayed once with the new one
    assert got.id == company["id"]
    assert emu.counters.requests["GET /v1/companies/{id}/"] == 2


async def test_bad_token_is_authentication_error(vendorkit_sandbox: Sandbox) -> None:
    async with Leady(token="f" * 32, base_url=vendorkit_sandbox.url("leady")) as leady:
        with pytest.raises(errors.AuthenticationError) as info:
            await leady.companies.list().all()
    assert info.value.status == 401 and info.value.message == "Invalid token."


async def test_404_detail(leady: Leady) -> None:
    with pytest.raises(errors.NotFoundError) as info:
        await leady.companies.get(1)
    assert info.value.message == "Not found." and info.value.vendor == "leady"
    with pytest.raises(errors.NotFoundError):
        await leady.sessions.list(resource="nobody.example").all()


# -- throttling and faults -----------------------------------------------------------------------


async def test_injected_429_and_503_are_survived(vendorkit_sandbox: Sandbox, leady: Leady) -> None:
    emu = vendorkit_sandbox.emulator("leady")
    emu.inject("429", "503", "429")
    persons = await leady.persons.list(page_size=20).all()
    assert [p.id for p in persons] == sorted(store(vendorkit_sandbox, "persons"))
    assert emu.counters.faults == {"429": 2, "503": 1}


async def test_real_throttle_is_survived(vendorkit_sandbox_factory: Any) -> None:
    sb = await vendorkit_sandbox_factory(vendors=["leady"], records=3, quotas={"leady": "3/second"})
    async with sb.client("leady", rate_limit=None) as leady:
        codes = await leady.magnitudes.list(page_size=4).all()
    assert len(codes) == 15
    assert sb.emulator("leady").counters.throttled >= 1


async def test_bulk_export_reaches_every_session_and_action(
    vendorkit_sandbox_factory: Any, tmp_path: Path
) -> None:
    sb = await vendorkit_sandbox_factory(vendors=["leady"], records=15)
    emu = sb.emulator("leady")
    async with sb.client("leady") as leady:
        names = exportable_resources(leady)
        assert {"sessions", "actions"} <= set(names)
        result = await export([Job(client=leady, resource=n) for n in names], out=tmp_path)
    by_name = {r.resource: r for r in result.jobs}
    assert all(r.status == "done" for r in result.jobs), result.jobs
    for name in ("sessions", "actions", "companies", "persons"):
        assert by_name[name].records == len(emu.store[name]), name
    lines = (tmp_path / "leady" / "actions.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(emu.store["actions"])

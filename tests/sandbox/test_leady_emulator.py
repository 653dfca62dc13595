"""The Leady emulator on the wire, checked against ``leady.txt`` and the contract's DRF shapes with
plain aiohttp (no vendorkit client, so a client bug cannot hide behind an emulator bug)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from vendorkit.sandbox import Sandbox
from vendorkit.sandbox.vendors.leady import LeadyEmulator

pytestmark = pytest.mark.vendorkit_sandbox(vendors=["leady"], records=60, seed=2)

UTC_TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


class Wire:
    def __init__(self, sb: Sandbox, http: aiohttp.ClientSession) -> None:
        self.sb = sb
        self.http = http
        self.base = sb.url("leady")
        self.token: str | None = sb.credentials("leady")["token"]

    @property
    def emu(self) -> LeadyEmulator:
        emu = self.sb.emulator("leady")
        assert isinstance(emu, LeadyEmulator)
        return emu

    async def call(
        self,
        method: str,
        path_or_url: str,
        *,
        token: str | None = "default",
        json: Any = None,
        data: bytes | None = None,
        params: dict[str, str] | None = None,
    ) -> tuple[int, Any, Any]:
        headers = {}
        token = self.token if token == "default" else token
        if token is not None:
            headers["Authorization"] = f"Token {token}"
        url = path_or_url if "://" in path_or_url else self.base + path_or_url
        async with self.http.request(
            method, url, headers=headers, json=json, data=data, params=params
        ) as resp:
            body = await resp.json() if resp.content_type == "application/json" else None
            return resp.status, body, resp.headers

    async def walk(self, path: str, **params: str) -> list[dict[str, Any]]:
        """Every record by following ``next`` links; checks each page's shape on the way."""
        records: list[dict[str, Any]] = []
        url: str | None = self.base + path
        first = True
        while url:
            status, body, _ = await self.call("GET", url, params=params if first else None)
            assert status == 200, body
            assert set(body) == {"next", "previous", "results"}
            assert (body["previous"] is None) == first
            records += body["results"]
            url, first = body["next"], False
        return records


@pytest.fixture
def wire(vendorkit_sandbox: Sandbox, http: aiohttp.ClientSession) -> Wire:
    return Wire(vendorkit_sandbox, http)


# -- tokens and auth -----------------------------------------------------------------------------


async def test_api_token_get_returns_the_users_long_lasting_token(wire: Wire) -> None:
    login = wire.sb.login("leady")
    assert set(login) == {"email", "password"}
    status, body, _ = await wire.call("POST", "/api-token-get/", token=None, json=login)
    assert status == 200 and body == {"token": wire.token}
    status, body, _ = await wire.call("POST", "/api-token-get/", token=None, json=login)
    assert body == {"token": wire.token}  # the same token until it is reset
    assert wire.emu.counters.token_requests["api-token-get"] == 2


async def test_api_token_get_errors(wire: Wire) -> None:
    status, body, _ = await wire.call(
        "POST", "/api-token-get/", token=None, json={"email": wire.emu.email, "password": "x"}
    )
    assert status == 400
    assert body == {"non_field_errors": ["Unable to log in with provided credentials."]}
    status, body, _ = await wire.call("POST", "/api-token-get/", token=None, json={})
    assert status == 400
    assert body == {"email": ["This field is required."], "password": ["This field is required."]}
    status, body, _ = await wire.call("POST", "/api-token-get/", token=None, data=b"{oops")
    assert status == 400 and body["detail"].startswith("JSON parse error")
    status, body, _ = await wire.call("GET", "/api-token-get/", token=None)
    assert status == 405 and body == {"detail": 'Method "GET" not allowed.'}


async def test_missing_and_wrong_tokens_are_401_with_detail(wire: Wire) -> None:
    status, body, headers = await wire.call("GET", "/companies/", token=None)
    assert status == 401
    assert body == {"detail": "Authentication credentials were not provided."}
    assert headers["WWW-Authenticate"] == "Token"
    status, body, _ = await wire.call("GET", "/companies/", token="0" * 32)
    assert status == 401 and body == {"detail": "Invalid token."}
    async with wire.http.get(
        wire.base + "/companies/", headers={"Authorization": f"Bearer {wire.token}"}
    ) as resp:
        assert resp.status == 401
    async with wire.http.get(wire.base + "/companies/", headers={"Authorization": "Token"}) as r:
        assert r.status == 401
        assert (await r.json())["detail"] == "Invalid token header. No credentials provided."


async def test_token_reset_kills_the_old_token_at_once(wire: Wire) -> None:
    old = wire.token
    status, body, _ = await wire.call("POST", "/api-token-reset/")
    assert status == 200
    new = body["token"]
    assert new and new != old
    status, body, _ = await wire.call("GET", "/resources/", token=old)
    assert status == 401 and body == {"detail": "Invalid token."}
    status, _, _ = await wire.call("GET", "/resources/", token=new)
    assert status == 200
    # api-token-get now hands out the new token, and so does the sandbox.
    _, body, _ = await wire.call("POST", "/api-token-get/", token=None, json=wire.sb.login("leady"))
    assert body == {"token": new}
    assert wire.sb.credentials("leady")["token"] == new
    status, _, _ = await wire.call("POST", "/api-token-reset/", token=old)
    assert status == 401


async def test_token_ttl_expires_tokens(
    vendorkit_sandbox_factory: Any, http: aiohttp.ClientSession
) -> None:
    sb = await vendorkit_sandbox_factory(vendors=["leady"], records=3, token_ttl=60)
    wire = Wire(sb, http)
    assert (await wire.call("GET", "/turnovers/"))[0] == 200
    sb.emulator("leady").tokens.expire_all()
    assert (await wire.call("GET", "/turnovers/"))[0] == 401
    _, body, _ = await wire.call("POST", "/api-token-get/", token=None, json=sb.login("leady"))
    assert body["token"] != wire.token
    assert (await wire.call("GET", "/turnovers/", token=body["token"]))[0] == 200


# -- lists and cursors ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "collection"),
    [
        ("/companies/", "companies"),
        ("/persons/", "persons"),
        ("/saved-filters/", "saved_filters"),
        ("/blacklist/", "blacklist"),
        ("/turnovers/", "turnovers"),
        ("/magnitudes/", "magnitudes"),
        ("/resources/", "resources"),
    ],
)
async def test_lists_walk_to_the_end_without_duplicates(
    wire: Wire, path: str, collection: str
) -> None:
    records = await wire.walk(path, page_size="7")
    store = wire.emu.store[collection]
    assert len(records) == len(store)
    assert records == [store[k] for k in sorted(store)]


async def test_default_page_size_and_cap(
    vendorkit_sandbox_factory: Any, http: aiohttp.ClientSession
) -> None:
    sb = await vendorkit_sandbox_factory(vendors=["leady"], records=1200)
    wire = Wire(sb, http)
    _, body, _ = await wire.call("GET", "/companies/")
    assert len(body["results"]) == 100 and "cursor=" in body["next"]
    _, body, _ = await wire.call("GET", "/companies/", params={"page_size": "5000"})
    assert len(body["results"]) == 1000 and body["next"] is not None
    _, body, _ = await wire.call("GET", "/companies/", params={"page_size": "10"})
    assert len(body["results"]) == 10 and "page_size=10" in body["next"]


async def test_previous_link_walks_back(wire: Wire) -> None:
    _, first, _ = await wire.call("GET", "/persons/", params={"page_size": "5"})
    _, second, _ = await wire.call("GET", first["next"])
    _, third, _ = await wire.call("GET", second["next"])
    _, back, _ = await wire.call("GET", third["previous"])
    assert back["results"] == second["results"]
    _, back, _ = await wire.call("GET", back["previous"])
    assert back["results"] == first["results"] and back["previous"] is None


async def test_cursor_survives_inserts_and_deletes(wire: Wire) -> None:
    _, first, _ = await wire.call("GET", "/blacklist/", params={"page_size": "2"})
    seen = [r["id"] for r in first["results"]]
    # A record already seen disappears and a new one arrives during the walk.
    await wire.call("DELETE", f"/blacklist/{seen[0]}/")
    status, _, _ = await wire.call("POST", "/blacklist/", json={"domain": "rival.example.cz"})
    assert status == 201
    url = first["next"]
    while url:
        _, page, _ = await wire.call("GET", url)
        seen += [r["id"] for r in page["results"]]
        url = page["next"]
    assert len(seen) == len(set(seen)) == 4


async def test_invalid_cursor_is_404(wire: Wire) -> None:
    for cursor in ("not-base64!", "cD1hYmM=", "eD0x"):  # garbage, p=abc, x=1
        status, body, _ = await wire.call("GET", "/companies/", params={"cursor": cursor})
        assert status == 404 and body == {"detail": "Invalid cursor"}


# -- resources, sessions, actions ----------------------------------------------------------------


async def test_resources_are_keyed_by_domain(wire: Wire) -> None:
    sites = await wire.walk("/resources/")
    assert [s["domain"] for s in sites] == sorted(wire.emu.store["resources"])
    status, body, _ = await wire.call("GET", f"/resources/{sites[0]['domain']}/")
    assert status == 200 and body == sites[0]
    status, body, _ = await wire.call("GET", "/resources/unknown.example/")
    assert status == 404 and body == {"detail": "Not found."}
    status, body, _ = await wire.call("GET", "/resources/unknown.example/sessions/")
    assert status == 404


async def test_sessions_of_a_website_and_period_filters(wire: Wire) -> None:
    store = wire.emu.store["sessions"]
    domain = "www.kovoprofil.cz"
    sessions = await wire.walk(f"/resources/{domain}/sessions/", page_size="9")
    expected = [s for k, s in sorted(store.items()) if s["resource"] == domain]
    assert sessions == expected
    assert all(UTC_TS.match(s["start"]) and UTC_TS.match(s["end"]) for s in sessions)
    assert all(s["start"] <= s["end"] for s in sessions)

    lo, hi = sessions[3]["start"], sessions[10]["start"]
    window = await wire.walk(
        f"/resources/{domain}/sessions/", period_start=lo, period_end=hi, page_size="3"
    )
    assert [s["id"] for s in window] == [s["id"] for s in sessions[3:11]]
    day = sessions[0]["start"][:10]
    same_day = await wire.walk(f"/resources/{domain}/sessions/", period_start=day, period_end=day)
    assert [s["id"] for s in same_day] == [s["id"] for s in sessions if s["start"][:10] == day]
    status, body, _ = await wire.call(
        "GET", f"/resources/{domain}/sessions/", params={"period_end": "yesterday"}
    )
    assert status == 400 and body == {"period_end": ["Enter a valid date/time."]}


async def test_actions_of_a_session(wire: Wire) -> None:
    session = next(iter(wire.emu.store["sessions"].values()))
    actions = await wire.walk(f"/sessions/{session['id']}/actions/", page_size="2")
    assert len(actions) == session["pageviews"] >= 1
    assert all(a["session"] == session["id"] for a in actions)
    times = [a["time"] for a in actions]
    assert times == sorted(times) and times[0] == session["start"]
    assert all(a["url"].startswith(f"https://{session['resource']}/") for a in actions)
    status, _, _ = await wire.call("GET", "/sessions/1/actions/")
    assert status == 404
    status, body, _ = await wire.call("GET", f"/sessions/{session['id']}/")
    assert status == 200 and body == session


async def test_companies_and_persons(wire: Wire) -> None:
    company = next(iter(wire.emu.store["companies"].values()))
    status, body, _ = await wire.call("GET", f"/companies/{company['id']}/")
    assert status == 200 and body == company
    assert (await wire.call("GET", "/companies/999/"))[0] == 404
    assert (await wire.call("GET", "/companies/abc/"))[0] == 404
    cz = await wire.walk("/companies/", country="CZ")
    assert cz and all(c["country"] == "CZ" for c in cz)
    assert all(re.fullmatch(r"\d{8}", c["ico"]) for c in cz)
    person = next(iter(wire.emu.store["persons"].values()))
    staff = await wire.walk("/persons/", company=str(person["company"]))
    assert person in staff and all(p["company"] == person["company"] for p in staff)
    status, body, _ = await wire.call("GET", f"/persons/{person['id']}/")
    assert body == person


# -- saved filters and blacklist -----------------------------------------------------------------


async def test_saved_filters_crud(wire: Wire) -> None:
    status, created, _ = await wire.call(
        "POST", "/saved-filters/", json={"name": "Praha", "filter": {"city": ["Praha"]}}
    )
    assert status == 201
    fid = created["id"]
    assert created["name"] == "Praha" and UTC_TS.match(created["created"])
    status, patched, _ = await wire.call("PATCH", f"/saved-filters/{fid}/", json={"name": "Prague"})
    assert status == 200 and patched["name"] == "Prague" and patched["filter"] == created["filter"]
    status, body, _ = await wire.call("PUT", f"/saved-filters/{fid}/", json={"filter": {}})
    assert status == 400 and body == {"name": ["This field is required."]}
    status, got, _ = await wire.call("GET", f"/saved-filters/{fid}/")
    assert got == wire.emu.store["saved_filters"][fid] == patched
    status, body, _ = await wire.call("DELETE", f"/saved-filters/{fid}/")
    assert status == 204 and body is None
    assert (await wire.call("GET", f"/saved-filters/{fid}/"))[0] == 404
    status, body, _ = await wire.call("POST", "/saved-filters/", json={"filter": []})
    assert status == 400 and set(body) == {"name", "filter"}


async def test_blacklist_list_add_delete_only(wire: Wire) -> None:
    company = next(iter(wire.emu.store["companies"].values()))
    listed = {b["domain"] for b in await wire.walk("/blacklist/")}
    domain = next(
        c["domain"] for c in wire.emu.store["companies"].values() if c["domain"] not in listed
    )
    status, entry, _ = await wire.call("POST", "/blacklist/", json={"domain": domain})
    assert status == 201 and entry["domain"] == domain and entry["company"] is not None
    status, body, _ = await wire.call("POST", "/blacklist/", json={"domain": domain})
    assert status == 400 and list(body) == ["domain"]
    status, body, _ = await wire.call("POST", "/blacklist/", json={})
    assert status == 400 and body == {"domain": ["This field is required."]}
    status, body, _ = await wire.call("GET", f"/blacklist/{entry['id']}/")
    assert status == 405 and body == {"detail": 'Method "GET" not allowed.'}
    status, _, _ = await wire.call("DELETE", f"/blacklist/{entry['id']}/")
    assert status == 204
    assert entry["id"] not in wire.emu.store["blacklist"]
    assert company  # the store had companies to pick from


# -- throttle, faults, determinism ---------------------------------------------------------------


async def test_throttle_answers_429_with_retry_after(
    vendorkit_sandbox_factory: Any, http: aiohttp.ClientSession
) -> None:
    sb = await vendorkit_sandbox_factory(vendors=["leady"], records=3, quotas={"leady": "3/second"})
    wire = Wire(sb, http)
    for _ in range(3):
        assert (await wire.call("GET", "/turnovers/"))[0] == 200
    status, body, headers = await wire.call("GET", "/turnovers/")
    assert status == 429
    assert int(headers["Retry-After"]) >= 1
    assert body["detail"].startswith("Request was throttled.")


async def test_injected_faults(wire: Wire) -> None:
    wire.emu.inject("503", "429", path="/companies/")
    status, body, _ = await wire.call("GET", "/persons/")
    assert status == 200  # the script only matches companies
    status, body, _ = await wire.call("GET", "/companies/")
    assert status == 503 and set(body) == {"detail"}
    status, body, headers = await wire.call("GET", "/companies/")
    assert status == 429 and "Retry-After" in headers
    wire.emu.inject("truncated")
    async with wire.http.get(
        wire.base + "/companies/", headers={"Authorization": f"Token {wire.token}"}
    ) as resp:
        assert resp.status == 200
        with pytest.raises(ValueError):
            await resp.json()
    # token endpoints are spared by default
    wire.emu.inject("500")
    status, _, _ = await wire.call(
        "POST", "/api-token-get/", token=None, json=wire.sb.login("leady")
    )
    assert status == 200
    assert (await wire.call("GET", "/magnitudes/"))[0] == 500


def test_same_seed_same_data_other_seed_other_data() -> None:
    a, b, c = (LeadyEmulator(records=25, seed=s) for s in (5, 5, 6))
    assert a.store == b.store
    assert a.store["companies"] != c.store["companies"]
    assert a.login() == b.login()
    assert len(a.store["sessions"]) == 25 and len(a.store["companies"]) == 25


def test_seed_data_is_realistic() -> None:
    emu = LeadyEmulator(records=80, seed=0)
    companies = emu.store["companies"]
    names = [c["name"] for c in companies.values()]
    assert len(set(names)) == len(names)
    assert any("s.r.o." in n for n in names)
    assert len({c["domain"] for c in companies.values()}) == len(companies)
    for s in emu.store["sessions"].values():
        assert s["resource"] in emu.store["resources"]
        assert s["company"] is None or s["company"] in companies
    for p in emu.store["persons"].values():
        assert p["email"].endswith("@" + companies[p["company"]]["domain"])
    starts = [s["start"] for _, s in sorted(emu.store["sessions"].items())]
    assert starts == sorted(starts)

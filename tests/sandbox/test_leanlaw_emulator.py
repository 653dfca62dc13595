"""The LeanLaw emulator on the wire, checked against ``leanlaw.txt`` with plain aiohttp.

No vendorkit client here: these tests pin what the emulator sends, so a client bug cannot hide
behind a matching emulator bug.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from vendorkit.sandbox import Sandbox
from vendorkit.sandbox.vendors.leanlaw import LeanLawEmulator

pytestmark = pytest.mark.vendorkit_sandbox(vendors=["leanlaw"], records=45, seed=1)

TRACE = "x-leanlaw-traceid"
MONEY = re.compile(r"^\d+\.\d{2}$")
UTC_TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
COLLECTIONS = {
    "clients": "clients",
    "matters": "matters",
    "time-entries": "time_entries",
    "expenses": "expenses",
    "fixed-fees": "fixed_fees",
    "invoices": "invoices",
    "users": "users",
    "practice-areas": "practice_areas",
}


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


class Wire:
    """Plain HTTP against one running LeanLaw emulator."""

    def __init__(self, sb: Sandbox, http: aiohttp.ClientSession) -> None:
        self.sb = sb
        self.http = http
        self.base = sb.url("leanlaw")
        self.key = sb.credentials("leanlaw")["api_key"]
        self.traces: list[str] = []

    @property
    def emu(self) -> LeanLawEmulator:
        emu = self.sb.emulator("leanlaw")
        assert isinstance(emu, LeanLawEmulator)
        return emu

    async def call(
        self,
        method: str,
        path: str,
        *,
        key: str | None = "default",
        json: Any = None,
        data: bytes | None = None,
        params: dict[str, str] | None = None,
    ) -> tuple[int, Any, Any]:
        headers = {}
        if key == "default":
            key = self.key
        if key is not None:
            headers["Authorization"] = f"Bearer {key}"
        async with self.http.request(
            method, self.base + path, headers=headers, json=json, data=data, params=params
        ) as resp:
            trace = resp.headers.get(TRACE)
            assert trace, f"{method} {path} -> {resp.status} has no {TRACE}"
            self.traces.append(trace)
            body = await resp.json() if resp.content_type == "application/json" else None
            return resp.status, body, resp.headers


@pytest.fixture
def wire(vendorkit_sandbox: Sandbox, http: aiohttp.ClientSession) -> Wire:
    return Wire(vendorkit_sandbox, http)


# -- auth ----------------------------------------------------------------------------------------


async def test_no_key_is_401_wrong_key_is_403(wire: Wire) -> None:
    status, body, _ = await wire.call("GET", "/v2/clients", key=None)
    assert status == 401
    assert body["error"]["code"] == "Unauthorized" and body["error"]["message"]
    status, _, _ = await wire.call("GET", "/v2/clients", key="")
    assert status == 401
    async with wire.http.get(
        wire.base + "/v2/clients", headers={"Authorization": f"Basic {wire.key}"}
    ) as resp:
        assert resp.status == 401 and resp.headers[TRACE]
    status, body, _ = await wire.call("GET", "/v2/clients", key="ll_not-a-real-key")
    assert status == 403
    assert body["error"]["code"] == "Forbidden"
    status, _, _ = await wire.call("GET", "/v2/clients")
    assert status == 200


async def test_read_only_key_may_read_but_not_write(wire: Wire) -> None:
    key = wire.emu.issue_api_key(read_only=True)
    status, _, _ = await wire.call("GET", "/v2/users", key=key)
    assert status == 200
    before = len(wire.emu.store["clients"])
    status, body, _ = await wire.call("POST", "/v2/clients", key=key, json={"name": "Nope LLP"})
    assert status == 403 and "not authorized" in body["error"]["message"]
    assert len(wire.emu.store["clients"]) == before


async def test_revoked_key_is_403(wire: Wire) -> None:
    wire.emu.tokens.revoke(wire.key)
    status, _, _ = await wire.call("GET", "/v2/clients")
    assert status == 403


# -- envelopes and paging ------------------------------------------------------------------------


@pytest.mark.parametrize("segment", sorted(COLLECTIONS))
async def test_every_collection_pages_to_the_end_without_duplicates(
    wire: Wire, segment: str
) -> None:
    store = wire.emu.store[COLLECTIONS[segment]]
    seen: list[str] = []
    offset = 0
    while True:
        status, body, _ = await wire.call(
            "GET", f"/v2/{segment}", params={"limit": "7", "offset": str(offset)}
        )
        assert status == 200
        assert set(body) == {"data", "pagination"}
        assert body["pagination"] == {"limit": 7, "offset": offset, "total": len(store)}
        assert len(body["data"]) <= 7
        seen += [r["id"] for r in body["data"]]
        offset += 7
        if offset >= body["pagination"]["total"]:
            break
    assert seen == list(store)
    assert len(set(seen)) == len(seen)
    for rid in seen[:3]:
        assert uuid.UUID(rid).version == 4


async def test_object_envelope_and_wire_formats(wire: Wire) -> None:
    entry_id = next(iter(wire.emu.store["time_entries"]))
    status, body, _ = await wire.call("GET", f"/v2/time-entries/{entry_id}")
    assert status == 200 and set(body) == {"data"}
    entry = body["data"]
    assert entry["id"] == entry_id
    assert {"matterId", "userId", "hours", "rate", "amount", "billable"} <= set(entry)
    for money in ("hours", "rate", "amount"):
        assert isinstance(entry[money], str) and MONEY.match(entry[money])
    assert entry["amount"] == f"{float(entry['hours']) * float(entry['rate']):.2f}"
    assert UTC_TS.match(entry["meta"]["createdAt"]) and UTC_TS.match(entry["meta"]["modifiedAt"])
    assert all("_" not in k for k in entry)  # camelCase keys


async def test_limit_is_clamped_to_1000_and_defaults_to_100(wire: Wire) -> None:
    _, body, _ = await wire.call("GET", "/v2/time-entries", params={"limit": "5000"})
    assert body["pagination"]["limit"] == 1000
    assert len(body["data"]) == len(wire.emu.store["time_entries"]) == 90
    _, body, _ = await wire.call("GET", "/v2/time-entries")
    assert body["pagination"] == {"limit": 100, "offset": 0, "total": 90}
    _, body, _ = await wire.call("GET", "/v2/clients", params={"offset": "1000"})
    assert body["data"] == [] and body["pagination"]["total"] == 45


@pytest.mark.parametrize(
    ("params", "field"),
    [({"limit": "0"}, "limit"), ({"limit": "ten"}, "limit"), ({"offset": "-1"}, "offset")],
)
async def test_bad_paging_parameters_are_validation_errors(
    wire: Wire, params: dict[str, str], field: str
) -> None:
    status, body, _ = await wire.call("GET", "/v2/clients", params=params)
    assert status == 400
    assert body["error"]["code"] == "ValidationError"
    assert [d["field"] for d in body["error"]["details"]] == [field]


# -- select --------------------------------------------------------------------------------------


async def test_select_includes_and_excludes_blocks(wire: Wire) -> None:
    _, body, _ = await wire.call("GET", "/v2/clients", params={"limit": "3"})
    assert all("contact" not in c and "meta" not in c for c in body["data"])
    _, body, _ = await wire.call("GET", "/v2/clients", params={"limit": "3", "select": "contact"})
    assert all("contact" in c and "meta" not in c for c in body["data"])
    assert body["data"][0]["contact"]["address"]["country"] == "US"
    _, body, _ = await wire.call(
        "GET", "/v2/clients", params={"limit": "3", "select": "contact,meta"}
    )
    assert all("contact" in c and "meta" in c for c in body["data"])

    cid = next(iter(wire.emu.store["clients"]))
    _, body, _ = await wire.call("GET", f"/v2/clients/{cid}")
    assert "meta" in body["data"] and "contact" not in body["data"]
    _, body, _ = await wire.call("GET", f"/v2/clients/{cid}", params={"select": "contact,-meta"})
    assert "contact" in body["data"] and "meta" not in body["data"]
    _, body, _ = await wire.call("GET", "/v2/matters", params={"limit": "2", "select": "meta"})
    assert all(UTC_TS.match(m["meta"]["createdAt"]) for m in body["data"])


async def test_unknown_select_is_a_validation_error(wire: Wire) -> None:
    status, body, _ = await wire.call("GET", "/v2/matters", params={"select": "contact"})
    assert status == 400
    assert body["error"]["details"][0]["field"] == "select"


# -- relations and filters -----------------------------------------------------------------------


async def test_matters_filter_by_client_and_nested_path(wire: Wire) -> None:
    matters = wire.emu.store["matters"]
    client_id = next(iter(matters.values()))["clientId"]
    expected = [m for m, v in matters.items() if v["clientId"] == client_id]
    _, body, _ = await wire.call("GET", "/v2/matters", params={"clientId": client_id})
    assert [m["id"] for m in body["data"]] == expected
    assert body["pagination"]["total"] == len(expected)
    _, body, _ = await wire.call("GET", "/v2/matters", params={"clientid": client_id})
    assert [m["id"] for m in body["data"]] == expected  # ASP.NET binds query names loosely
    _, body, _ = await wire.call("GET", f"/v2/clients/{client_id}/matters")
    assert [m["id"] for m in body["data"]] == expected
    status, body, _ = await wire.call("GET", f"/v2/clients/{uuid.uuid4()}/matters")
    assert status == 404 and body["error"]["code"] == "NotFound"


# -- writes --------------------------------------------------------------------------------------


async def test_post_creates_with_201_and_defaults(wire: Wire) -> None:
    client_id = next(iter(wire.emu.store["clients"]))
    status, body, _ = await wire.call(
        "POST",
        "/v2/matters",
        json={"clientId": client_id, "name": "Lease renewal", "somethingElse": 1},
    )
    assert status == 201
    matter = body["data"]
    assert uuid.UUID(matter["id"]).version == 4
    assert matter["clientId"] == client_id and matter["name"] == "Lease renewal"
    assert matter["status"] == "Open" and matter["billingType"] == "Hourly"
    assert "somethingElse" not in matter and "meta" in matter
    assert wire.emu.store["matters"][matter["id"]]["name"] == "Lease renewal"
    assert wire.emu.counters.writes["POST /v2/matters"] == 1

    user_id = next(iter(wire.emu.store["users"]))
    status, body, _ = await wire.call(
        "POST",
        "/v2/time-entries",
        json={"matterId": matter["id"], "userId": user_id, "date": "2024-05-02", "hours": 1.5},
    )
    assert status == 201
    entry = body["data"]
    assert entry["hours"] == "1.50"
    assert entry["rate"] == wire.emu.store["users"][user_id]["defaultRate"]
    assert entry["amount"] == f"{1.5 * float(entry['rate']):.2f}"


async def test_a_created_invoice_takes_the_number_after_the_last_seeded_one(wire: Wire) -> None:
    """Numbers run on without a gap (found in review: one was skipped)."""
    numbers = sorted(
        int(i["number"].removeprefix("INV-")) for i in wire.emu.store["invoices"].values()
    )
    client_id = next(iter(wire.emu.store["clients"]))
    status, body, _ = await wire.call("POST", "/v2/invoices", json={"clientId": client_id})
    assert status == 201, body
    assert body["data"]["number"] == f"INV-{numbers[-1] + 1}"


async def test_missing_required_fields_are_listed(wire: Wire) -> None:
    status, body, _ = await wire.call("POST", "/v2/time-entries", json={"hours": "-2"})
    assert status == 400
    error = body["error"]
    assert error["code"] == "ValidationError" and error["message"]
    fields = {d["field"] for d in error["details"]}
    assert fields == {"matterId", "userId", "date", "hours"}
    assert all(d["message"] for d in error["details"])


async def test_bad_references_and_bodies_are_400(wire: Wire) -> None:
    status, body, _ = await wire.call(
        "POST", "/v2/matters", json={"clientId": str(uuid.uuid4()), "name": "X"}
    )
    assert status == 400 and body["error"]["details"][0]["field"] == "clientId"
    status, body, _ = await wire.call("POST", "/v2/clients", data=b"{nope")
    assert status == 400 and "JSON" in body["error"]["message"]
    status, body, _ = await wire.call("POST", "/v2/clients", json=["a list"])
    assert status == 400
    user = next(iter(wire.emu.store["users"].values()))
    status, body, _ = await wire.call(
        "POST",
        "/v2/users",
        json={"firstName": "A", "lastName": "B", "email": user["email"].upper()},
    )
    assert status == 400 and body["error"]["details"][0]["field"] == "email"


async def test_put_is_sparse(wire: Wire) -> None:
    cid, before = next(iter(wire.emu.store["clients"].items()))
    before = {**before, "contact": dict(before["contact"])}
    status, body, _ = await wire.call(
        "PUT", f"/v2/clients/{cid}", json={"name": "Renamed LLP"}, params={"select": "contact"}
    )
    assert status == 200
    after = body["data"]
    assert after["name"] == "Renamed LLP"
    for key in ("clientNumber", "status", "currency", "billingRate", "contact"):
        assert after[key] == before[key], key
    assert after["meta"]["createdAt"] == before["meta"]["createdAt"]
    stored = wire.emu.store["clients"][cid]
    assert stored["name"] == "Renamed LLP" and stored["status"] == before["status"]

    # A nested block is merged too: only the properties sent change.
    _, body, _ = await wire.call(
        "PUT",
        f"/v2/clients/{cid}",
        json={"contact": {"phone": "+1 206-555-0000"}},
        params={"select": "contact"},
    )
    assert body["data"]["contact"]["phone"] == "+1 206-555-0000"
    assert body["data"]["contact"]["email"] == before["contact"]["email"]


async def test_invalid_put_changes_nothing(wire: Wire) -> None:
    mid, matter = next(iter(wire.emu.store["matters"].items()))
    snapshot = dict(matter)
    status, body, _ = await wire.call(
        "PUT", f"/v2/matters/{mid}", json={"name": "Fine", "status": "Archived"}
    )
    assert status == 400
    assert [d["field"] for d in body["error"]["details"]] == ["status"]
    assert wire.emu.store["matters"][mid] == snapshot


async def test_delete_answers_200_then_404(wire: Wire) -> None:
    eid = next(iter(wire.emu.store["expenses"]))
    status, body, _ = await wire.call("DELETE", f"/v2/expenses/{eid}")
    assert status == 200 and body["data"]["id"] == eid
    assert eid not in wire.emu.store["expenses"]
    status, body, _ = await wire.call("GET", f"/v2/expenses/{eid}")
    assert status == 404
    assert body["error"]["code"] == "NotFound" and eid in body["error"]["message"]
    status, _, _ = await wire.call("DELETE", f"/v2/expenses/{eid}")
    assert status == 404


async def test_unsupported_method_and_unknown_path(wire: Wire) -> None:
    cid = next(iter(wire.emu.store["clients"]))
    status, body, _ = await wire.call("PATCH", f"/v2/clients/{cid}", json={"name": "x"})
    assert status == 405 and body["error"]["code"] == "MethodNotAllowed"
    status, body, _ = await wire.call("GET", "/v2/widgets")
    assert status == 404 and body["error"]["code"] == "NotFound"


# -- trace ids, throttle, faults -----------------------------------------------------------------


async def test_every_response_has_a_distinct_trace_id(wire: Wire) -> None:
    await wire.call("GET", "/v2/clients", key=None)
    await wire.call("GET", "/v2/clients", key="bad")
    await wire.call("GET", "/v2/clients")
    await wire.call("GET", "/v2/nothing-here")
    await wire.call("POST", "/v2/clients", json={})
    assert len(wire.traces) == len(set(wire.traces)) == 5
    assert all(re.fullmatch(r"[0-9a-f]{32}", t) for t in wire.traces)


async def test_throttle_answers_429_with_retry_after(
    vendorkit_sandbox_factory: Any, http: aiohttp.ClientSession
) -> None:
    sb = await vendorkit_sandbox_factory(
        vendors=["leanlaw"], records=5, quotas={"leanlaw": "3/second"}
    )
    wire = Wire(sb, http)
    statuses = [(await wire.call("GET", "/v2/users"))[0] for _ in range(3)]
    assert statuses == [200, 200, 200]
    status, body, headers = await wire.call("GET", "/v2/users")
    assert status == 429
    assert int(headers["Retry-After"]) >= 1
    assert body["error"]["message"]
    assert sb.emulator("leanlaw").counters.throttled == 1


async def test_injected_faults(wire: Wire) -> None:
    wire.emu.inject("503", "html", "500")
    status, body, _ = await wire.call("GET", "/v2/users")
    assert status == 503 and body["error"]["code"] == "ServiceUnavailable"
    status, body, headers = await wire.call("GET", "/v2/users")
    assert status == 502 and body is None and "text/html" in headers["Content-Type"]
    status, body, _ = await wire.call("GET", "/v2/users")
    assert status == 500 and body["error"]["code"] == "InternalServerError"
    status, _, _ = await wire.call("GET", "/v2/users")
    assert status == 200

    wire.emu.inject("drop_after", path="/v2/practice-areas$")
    before = len(wire.emu.store["practice_areas"])
    with pytest.raises(aiohttp.ClientError):
        await wire.call("POST", "/v2/practice-areas", json={"name": "Maritime"})
    assert len(wire.emu.store["practice_areas"]) == before + 1  # applied, answer lost
    assert wire.emu.counters.faults == {"503": 1, "html": 1, "500": 1, "drop_after": 1}


# -- determinism ---------------------------------------------------------------------------------


def test_same_seed_same_data_other_seed_other_data() -> None:
    a = LeanLawEmulator(records=20, seed=7)
    b = LeanLawEmulator(records=20, seed=7)
    c = LeanLawEmulator(records=20, seed=8)
    assert a.store == b.store
    assert a.store["clients"] != c.store["clients"]
    assert len(a.store["clients"]) == 20 and len(a.store["time_entries"]) == 40
    a.store["clients"].clear()
    a.reset()
    assert a.store == b.store


async def test_created_ids_are_deterministic_too(http: aiohttp.ClientSession) -> None:
    ids = []
    for _ in range(2):
        async with Sandbox(vendors=["leanlaw"], records=3, seed=4) as sb:
            wire = Wire(sb, http)
            _, body, _ = await wire.call("POST", "/v2/practice-areas", json={"name": "Admiralty"})
            ids.append(body["data"]["id"])
    assert ids[0] == ids[1]


def test_seed_data_is_realistic() -> None:
    emu = LeanLawEmulator(records=30, seed=0)
    clients, matters = emu.store["clients"], emu.store["matters"]
    assert all(m["clientId"] in clients for m in matters.values())
    assert all(e["matterId"] in matters for e in emu.store["time_entries"].values())
    assert all(e["userId"] in emu.store["users"] for e in emu.store["time_entries"].values())
    for inv in emu.store["invoices"].values():
        assert MONEY.match(inv["total"]) and MONEY.match(inv["balance"])
        assert inv["dueDate"] > inv["issueDate"]
    assert len({c["name"] for c in clients.values()}) > 20

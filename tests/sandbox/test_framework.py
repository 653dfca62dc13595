"""The machinery every emulator shares: fault plans, throttling, counters, tokens, 404 bodies.

Driven through a tiny emulator of a made-up vendor served by a real aiohttp server, so these
tests pin the base class without depending on any one vendor's emulator.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Mapping
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from vendorkit.sandbox import FaultProfile
from vendorkit.sandbox._emulator import Emulator, json_response, read_json
from vendorkit.sandbox._faults import FaultPlan


class Tiny(Emulator):
    name = "tiny"
    base_path = "/api"
    auth_paths = frozenset({"/token"})

    def seed_data(self) -> None:
        self.store["items"] = {i: {"id": i, "n": self.rng.randint(0, 10**6)} for i in range(5)}

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post("/api/token", self.token)
        app.router.add_get("/api/items", self.list_items)
        app.router.add_post("/api/items", self.create_item)

    def credentials(self, base_url: str) -> dict[str, Any]:
        return {"base_url": base_url}

    def error_response(
        self,
        request: web.Request,
        status: int,
        message: str,
        *,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> web.Response:
        return json_response({"error": code or str(status), "message": message}, status, headers)

    async def token(self, request: web.Request) -> web.Response:
        self.counters.token_requests["password"] += 1
        return json_response({"token": self.tokens.issue("t-")})

    async def list_items(self, request: web.Request) -> web.Response:
        return json_response(list(self.store["items"].values()))

    async def create_item(self, request: web.Request) -> web.Response:
        body = await read_json(request)
        new_id = len(self.store["items"])
        self.store["items"][new_id] = {"id": new_id, **body}
        self.count_write(request)
        return json_response(self.store["items"][new_id], 201)


@pytest.fixture
async def tiny(request: pytest.FixtureRequest) -> AsyncIterator[tuple[Tiny, str]]:
    options = getattr(request, "param", {})
    emu = Tiny(**options)
    server = TestServer(emu.make_app())
    await server.start_server()
    try:
        yield emu, str(server.make_url("/api"))
    finally:
        await server.close()


def test_fault_plan_script_then_rate_is_deterministic() -> None:
    profile = FaultProfile(rate=0.5, kinds=("503", "429"), script=("html",), seed=3)
    a, b = FaultPlan(profile), FaultPlan(profile)
    draws_a = [a.next_fault("/x", is_auth=False) for _ in range(50)]
    draws_b = [b.next_fault("/x", is_auth=False) for _ in range(50)]
    assert draws_a == draws_b
    assert draws_a[0] == "html"
    assert {"503", "429", None} == set(draws_a[1:])


def test_fault_plan_spares_auth_and_respects_paths() -> None:
    plan = FaultPlan(FaultProfile(rate=1.0, paths=r"/items"))
    assert plan.next_fault("/token", is_auth=True) is None
    assert plan.next_fault("/other", is_auth=False) is None
    assert plan.next_fault("/items", is_auth=False) == "503"
    plan.inject("504", path="/special")
    assert plan.next_fault("/items", is_auth=False) == "503"
    assert plan.next_fault("/special", is_auth=False) == "504"


def test_unknown_fault_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown fault kind"):
        FaultProfile(kinds=("teapot",))


def test_same_seed_same_data() -> None:
    assert Tiny(seed=1).store == Tiny(seed=1).store
    assert Tiny(seed=1).store != Tiny(seed=2).store


async def test_counts_routes_writes_and_tokens(tiny: tuple[Tiny, str]) -> None:
    emu, url = tiny
    async with aiohttp.ClientSession() as s:
        await (await s.post(url + "/token")).read()
        for _ in range(3):
            await (await s.get(url + "/items")).read()
        r = await s.post(url + "/items", json={"n": 7})
        assert r.status == 201
    assert emu.counters.requests["GET /api/items"] == 3
    assert emu.counters.writes["POST /api/items"] == 1
    assert emu.counters.token_requests["password"] == 1
    assert emu.store["items"][5]["n"] == 7


async def test_unknown_route_gets_the_vendor_error_body(tiny: tuple[Tiny, str]) -> None:
    _, url = tiny
    async with aiohttp.ClientSession() as s, s.get(url + "/nope") as r:
        assert r.status == 404
        assert (await r.json())["error"] == "404"


@pytest.mark.parametrize("tiny", [{"quota": "2/minute"}], indirect=True)
async def test_throttle_answers_429_with_retry_after(tiny: tuple[Tiny, str]) -> None:
    emu, url = tiny
    async with aiohttp.ClientSession() as s:
        statuses = []
        for _ in range(3):
            async with s.get(url + "/items") as r:
                statuses.append(r.status)
                retry_after = r.headers.get("Retry-After")
    assert statuses == [200, 200, 429]
    assert retry_after is not None and 1 <= int(retry_after) <= 60
    assert emu.counters.throttled == 1


async def test_each_fault_kind(tiny: tuple[Tiny, str]) -> None:
    emu, url = tiny
    async with aiohttp.ClientSession() as s:
        emu.inject("503", "429", "html", "truncated")
        async with s.get(url + "/items") as r:
            assert r.status == 503
        async with s.get(url + "/items") as r:
            assert r.status == 429 and r.headers["Retry-After"] == "1"
        async with s.get(url + "/items") as r:
            assert r.status == 502 and r.content_type == "text/html"
        async with s.get(url + "/items") as r:
            assert r.status == 200
            with pytest.raises(json.JSONDecodeError):
                json.loads(await r.read())

        emu.inject("drop_before")
        with pytest.raises(aiohttp.ServerDisconnectedError):
            async with s.post(url + "/items", json={"n": 1}) as r:
                await r.read()
        assert len(emu.store["items"]) == 5

        emu.inject("drop_after")
        with pytest.raises(aiohttp.ServerDisconnectedError):
            async with s.post(url + "/items", json={"n": 2}) as r:
                await r.read()
        assert len(emu.store["items"]) == 6  # applied, but the client never heard

    assert emu.counters.faults == {
        "503": 1,
        "429": 1,
        "html": 1,
        "truncated": 1,
        "drop_before": 1,
        "drop_after": 1,
    }


@pytest.mark.parametrize(
    "tiny", [{"faults": FaultProfile(script=("slow",), slow_seconds=0.3)}], indirect=True
)
async def test_slow_fault_delays_the_answer(tiny: tuple[Tiny, str]) -> None:
    _, url = tiny
    async with aiohttp.ClientSession() as s:
        with pytest.raises(asyncio.TimeoutError):
            async with s.get(url + "/items", timeout=aiohttp.ClientTimeout(total=0.1)) as r:
                await r.read()
        async with s.get(url + "/items") as r:
            assert r.status == 200


async def test_tokens_expire_and_revoke() -> None:
    emu = Tiny(token_ttl=0.05)
    token = emu.tokens.issue("x-", user="a")
    assert emu.tokens.lookup(token) == {"user": "a"}
    await asyncio.sleep(0.08)
    assert emu.tokens.lookup(token) is None
    other = emu.tokens.issue(ttl=100, user="b")
    assert emu.tokens.revoke_where(user="b") == 1
    assert emu.tokens.lookup(other) is None


def test_reset_restores_seeded_state() -> None:
    emu = Tiny(seed=4)
    before = json.dumps(emu.store, sort_keys=True)
    emu.store["items"].clear()
    emu.counters.requests["GET /x"] += 1
    emu.reset()
    assert json.dumps(emu.store, sort_keys=True) == before
    assert emu.counters.total_requests == 0


async def test_reset_keeps_account_keys_so_existing_clients_keep_working() -> None:
    from vendorkit.sandbox import Sandbox

    async with Sandbox(vendors=["leanlaw", "leady"], records=5) as sb:
        before = {v: sb.credentials(v) for v in sb.vendors}
        async with sb.client("leanlaw") as ll, sb.client("leady") as ld:
            await ll.clients.list().all()
            sb.emulator("leanlaw").store["clients"].clear()
            sb.reset()
            assert {v: sb.credentials(v) for v in sb.vendors} == before
            assert len(await ll.clients.list().all()) == 5
            assert len(await ld.companies.list().all()) == 5


def test_one_vendor_as_a_string_and_unknown_vendors() -> None:
    from vendorkit.sandbox import Sandbox

    assert Sandbox(vendors="leanlaw", records=1).vendors == ("leanlaw",)
    with pytest.raises(ValueError, match="unknown vendor"):
        Sandbox(vendors=["acme"])


async def test_serve_without_throttle_never_answers_429() -> None:
    import base64
    import re

    import aiohttp

    from vendorkit.sandbox._serve import serve

    lines: list[str] = []
    stop, ready = asyncio.Event(), asyncio.Event()

    def echo(line: str) -> None:
        lines.append(line)
        if "running" in line:
            ready.set()

    task = asyncio.create_task(
        serve(["makeleaps"], records=3, throttle=False, echo=echo, stop=stop)
    )
    try:
        await asyncio.wait_for(ready.wait(), 10)
        match = re.search(r"(http://\S+)\s+credentials: (\{.*?\})", lines[0])
        assert match
        base, creds = match.group(1), json.loads(match.group(2))
        basic = base64.b64encode(f"{creds['client_id']}:{creds['client_secret']}".encode())
        async with aiohttp.ClientSession() as s:
            async with s.post(
                base + "/user/oauth2/token/",
                data={"grant_type": "client_credentials"},
                headers={"Authorization": "Basic " + basic.decode()},
            ) as r:
                token = (await r.json())["access_token"]
            statuses = set()
            for _ in range(130):  # more than MakeLeaps' 120 a minute
                async with s.get(
                    base + "/api/partner/", headers={"Authorization": f"Bearer {token}"}
                ) as r:
                    statuses.add(r.status)
        assert statuses == {200}
    finally:
        stop.set()
        await task


@pytest.mark.parametrize("port", [70000, -1, True, "8080", 1.5])
def test_a_port_that_cannot_be_is_a_configuration_error(port: object) -> None:
    """Past 65535 bind() raised OverflowError, which no caller expects of a sandbox."""
    from vendorkit.errors import ConfigurationError
    from vendorkit.sandbox import Sandbox

    with pytest.raises(ConfigurationError, match="leanlaw: a port is 0-65535"):
        Sandbox(vendors=["leanlaw"], ports={"leanlaw": port})  # type: ignore[dict-item]

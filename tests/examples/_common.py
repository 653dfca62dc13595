"""What the two example apps' tests share: two customers, each with their own sandbox (so a
request answered with the other customer's data is caught), a third whose LeanLaw key is wrong, a
fourth whose MakeLeaps quota is spent, and a fifth whose LeanLaw "vendor" is a hand-made server
that never answers (to see a caller that goes away cancel the vendor call).

The apps are run as they would be in production, over real HTTP on 127.0.0.1, and asked over
real HTTP with aiohttp."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import attrs
from aiohttp import web

from tests._http import serving
from vendorkit.sandbox import Sandbox

LIMIT = 5


@attrs.define
class Hanging:
    """A LeanLaw that takes requests and never answers; it notes when a request's connection
    is closed from the other end (its handler is cancelled: ``handler_cancellation=True``)."""

    url: str = ""
    arrived: asyncio.Event = attrs.Factory(asyncio.Event)
    cancelled: asyncio.Event = attrs.Factory(asyncio.Event)

    async def handle(self, request: web.Request) -> web.Response:
        self.arrived.set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            self.cancelled.set()
            raise
        return web.json_response({})  # pragma: no cover - never reached


@attrs.define
class World:
    tenants: dict[str, dict[str, dict[str, Any]]]
    sandboxes: dict[str, Sandbox]
    hanging: Hanging


@contextlib.asynccontextmanager
async def world() -> AsyncIterator[World]:
    async with contextlib.AsyncExitStack() as stack:
        boxes = {
            name: await stack.enter_async_context(
                Sandbox(vendors=["makeleaps", "leanlaw"], records=30, seed=seed)
            )
            for name, seed in (("acme", 1), ("globex", 2))
        }
        spent = await stack.enter_async_context(
            Sandbox(vendors=["makeleaps"], records=5, seed=3, quotas={"makeleaps": "1/minute"})
        )
        hanging = Hanging()
        vendor = web.Application()
        vendor.router.add_get("/v2/matters", hanging.handle)
        hanging.url = await stack.enter_async_context(serving(vendor, handler_cancellation=True))
        tenants = {
            name: {"makeleaps": sb.credentials("makeleaps"), "leanlaw": sb.credentials("leanlaw")}
            for name, sb in boxes.items()
        }
        wrong = dict(boxes["acme"].credentials("leanlaw"), api_key="ll_wrong_key_000000000")
        tenants["wrongkey"] = {"leanlaw": wrong}
        # Its one request a minute goes on the token; the client-side quota (the same) then has
        # no slot for a minute and max_quota_wait=0 says so at once.
        tenants["spent"] = {
            "makeleaps": dict(
                spent.credentials("makeleaps"), rate_limit="1/minute", max_quota_wait=0
            )
        }
        tenants["hanging"] = {
            "leanlaw": {"api_key": "ll_hanging_0000000000", "base_url": hanging.url}
        }
        yield World(tenants, {**boxes, "spent": spent}, hanging)


def invoices_of(sb: Sandbox) -> list[str]:
    docs = sb.emulator("makeleaps").store["documents"].values()
    return [d["mid"] for d in docs if d.get("document_type") == "invoice"]


def matters_of(sb: Sandbox) -> list[str]:
    return [str(m["id"]) for m in sb.emulator("leanlaw").store["matters"].values()]


async def get(base: str, path: str) -> tuple[int, Any, dict[str, str]]:
    async with aiohttp.ClientSession() as http, http.get(base + path) as resp:
        body = (
            await resp.json(content_type=None)
            if resp.content_type == "application/json"
            else await resp.text()
        )
        return resp.status, body, dict(resp.headers)


async def check_the_app(base: str, w: World) -> None:
    """What both apps must do, asked over HTTP at ``base``."""
    # Each customer sees their own vendor accounts' records, and only those.
    for name in ("acme", "globex"):
        status, body, _ = await get(base, f"/customers/{name}/invoices?limit={LIMIT}")
        assert status == 200, body
        mids = [d["mid"] for d in body]
        assert len(mids) == min(LIMIT, len(invoices_of(w.sandboxes[name])))
        assert set(mids) <= set(invoices_of(w.sandboxes[name]))
        assert all(d["document_type"] == "invoice" for d in body)
        status, body, _ = await get(base, f"/customers/{name}/matters?limit={LIMIT}")
        assert status == 200, body
        assert {str(m["id"]) for m in body} <= set(matters_of(w.sandboxes[name]))
        assert len(body) == LIMIT
    # One client per customer for the app's life: twenty requests, one token request.
    before = w.sandboxes["acme"].emulator("makeleaps").counters.token_requests["client_credentials"]
    results = await asyncio.gather(
        *(get(base, "/customers/acme/invoices?limit=1") for _ in range(20))
    )
    assert {status for status, _, _ in results} == {200}
    after = w.sandboxes["acme"].emulator("makeleaps").counters.token_requests["client_credentials"]
    assert after == before  # the token from the first request is still the client's
    assert before == 1
    # An unknown customer, and a vendor account the customer does not have: 404 from the app.
    assert (await get(base, "/customers/nobody/invoices"))[0] == 404
    assert (await get(base, "/customers/wrongkey/invoices"))[0] == 404
    # The vendor refused the app's credentials: a 502 naming the vendor, no secret in it.
    status, body, _ = await get(base, "/customers/wrongkey/matters")
    assert status == 502
    assert body["error"] == "vendor_auth" and body["vendor"] == "leanlaw"
    assert "ll_wrong_key" not in str(body)
    # A spent quota: 503 with a Retry-After the caller can use.
    status, body, headers = await get(base, "/customers/spent/invoices")
    assert status == 503, body
    assert body["error"] == "vendor_quota"
    assert 1 <= int(headers["Retry-After"]) <= 62  # the minute window, plus its guard, rounded up


async def check_a_caller_going_away_cancels_the_vendor_call(base: str, w: World) -> None:
    """The caller gives up (its connection closes) while the app waits on the vendor: the app's
    vendor call is cancelled, which closes its connection to the vendor."""
    async with aiohttp.ClientSession() as http:
        asking = asyncio.ensure_future(http.get(base + "/customers/hanging/matters"))
        await asyncio.wait_for(w.hanging.arrived.wait(), 20)
        asking.cancel()  # the browser goes away: its connection to the app is closed
        with contextlib.suppress(asyncio.CancelledError):
            await asking
    await asyncio.wait_for(w.hanging.cancelled.wait(), 20)

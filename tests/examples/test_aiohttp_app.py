"""examples/aiohttp_app run as in production (an ``AppRunner`` with handler cancellation, on a
real port) against the sandbox, asked over real HTTP (``_common``)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from examples.aiohttp_app.app import CLIENTS, make_app
from tests._http import serving
from tests.examples._common import (
    World,
    check_a_caller_going_away_cancels_the_vendor_call,
    check_the_app,
    get,
    world,
)
from vendorkit.errors import ClientStateError


@pytest.fixture
async def served() -> AsyncIterator[tuple[str, World, web.Application]]:
    async with world() as w:
        app = make_app(w.tenants)
        async with serving(app, handler_cancellation=True) as url:
            yield url, w, app


async def test_the_aiohttp_app_serves_each_customer_their_own_records(
    served: tuple[str, World, web.Application],
) -> None:
    base, w, app = served
    await check_the_app(base, w)
    registry = app[CLIENTS]["makeleaps"]
    assert set(registry.tenants) == {"acme", "globex", "spent"}


async def test_a_caller_going_away_cancels_the_aiohttp_apps_vendor_call(
    served: tuple[str, World, web.Application],
) -> None:
    base, w, app = served
    await check_a_caller_going_away_cancels_the_vendor_call(base, w)
    registry = app[CLIENTS]["leanlaw"]
    # The lease ended with the cancelled handler: the client is idle, nothing holds it.
    for _ in range(100):
        if registry.in_use("hanging") == 0:
            break
        await asyncio.sleep(0.05)
    assert registry.in_use("hanging") == 0


async def test_the_aiohttp_app_closes_every_client_when_it_stops() -> None:
    async with world() as w:
        app = make_app(w.tenants)
        async with serving(app) as url:
            assert (await get(url, "/customers/acme/matters"))[0] == 200
            registry = app[CLIENTS]["leanlaw"]
            async with registry.client("acme") as ll:
                assert not ll.closed
        assert ll.closed
        assert len(registry) == 0
        with pytest.raises(ClientStateError):
            async with registry.client("acme"):
                pass

"""Finding (soak): the server receives more sends than vendorkit's retry loop made.

aiohttp (3.10+) resends an idempotent request once, on its own, when a kept-alive connection
turns out to be closed; vendorkit's ``max_retries`` does not see that resend. With
``max_retries=0`` a GET whose connection drops reaches the server twice. Fails today; passes
once every send is bounded by ``max_retries`` (issue 8, "max_retries=N bounds every send").
"""

from __future__ import annotations

import contextlib

from vendorkit import errors
from vendorkit.sandbox import Sandbox


async def test_a_dropped_get_is_sent_once_with_max_retries_0() -> None:
    async with Sandbox(vendors=["leanlaw"], records=3) as sb:
        emu = sb.emulator("leanlaw")
        async with sb.client("leanlaw", max_retries=0) as ll:
            await ll.clients.list().all()  # opens a kept-alive connection
            emu.inject("drop_before", path="/v2/clients$")
            # Today the call even succeeds: aiohttp resent it, unseen by max_retries=0.
            with contextlib.suppress(errors.TransportError):
                await ll.clients.list().all()
        assert emu.counters.requests["GET /v2/clients"] == 2  # today: 3

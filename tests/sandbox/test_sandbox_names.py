"""A vendor's name is taken in any case by every ``Sandbox`` method, as the constructor takes it."""

from __future__ import annotations

from vendorkit.sandbox import Sandbox


async def test_any_case_names_the_same_vendor() -> None:
    async with Sandbox(vendors=["LeanLaw"], records=3) as sb:
        assert sb.url("LEANLAW") == sb.url("leanlaw")
        assert sb.emulator("LeanLaw") is sb.emulator("leanlaw")
        assert sb.credentials("LeanLaw") == sb.credentials("leanlaw")
        async with sb.client("LeanLaw") as ll:
            assert len(await ll.clients.list().all()) == 3  # type: ignore[attr-defined]

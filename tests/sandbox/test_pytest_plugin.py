"""The pytest plugin registered through the ``pytest11`` entry point: fixtures and marker."""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any

import pytest

from vendorkit.sandbox import FaultProfile, Sandbox


def test_plugin_is_registered_as_an_entry_point() -> None:
    plugins = {ep.name: ep.value for ep in entry_points(group="pytest11")}
    assert plugins.get("vendorkit") == "vendorkit.sandbox.pytest_plugin"


async def test_default_fixture_runs_all_four(vendorkit_sandbox: Sandbox) -> None:
    assert set(vendorkit_sandbox.vendors) == {"makeleaps", "leady", "leaddesk", "leanlaw"}
    for vendor in vendorkit_sandbox.vendors:
        assert vendorkit_sandbox.url(vendor).startswith("http://127.0.0.1:")


@pytest.mark.vendorkit_sandbox(
    vendors=["leanlaw"], records=7, seed=3, faults=FaultProfile(script=("503",))
)
async def test_marker_configures_the_fixture(vendorkit_sandbox: Sandbox) -> None:
    assert vendorkit_sandbox.vendors == ("leanlaw",)
    async with vendorkit_sandbox.client("leanlaw") as ll:
        assert len(await ll.clients.list().all()) == 7
    assert vendorkit_sandbox.emulator("leanlaw").counters.faults["503"] == 1


async def test_factory_starts_independent_sandboxes(
    vendorkit_sandbox_factory: Callable[..., Any],
) -> None:
    a = await vendorkit_sandbox_factory(vendors=["leady"], records=5, seed=1)
    b = await vendorkit_sandbox_factory(vendors=["leady"], records=5, seed=2)
    assert a.url("leady") != b.url("leady")
    assert a.emulator("leady").store != b.emulator("leady").store

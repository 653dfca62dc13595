"""The pytest plugin registered through the ``pytest11`` entry point: fixtures and marker, inside
this suite (auto mode). ``test_plugin_fresh_project.py`` runs it as a new project meets it."""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any

import pytest

from vendorkit.sandbox import FaultProfile, Sandbox
from vendorkit.sandbox.pytest_plugin import ThreadedSandbox
from vendorkit.vendors.leanlaw.models import Client


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


@pytest.fixture(scope="session")
def vendorkit_sandbox_session_options() -> dict[str, Any]:
    return {"vendors": ["leanlaw"], "records": 6, "seed": 4}


def test_the_session_sandbox_is_started_once(
    vendorkit_sandbox_session: Sandbox, request: pytest.FixtureRequest
) -> None:
    assert isinstance(vendorkit_sandbox_session, ThreadedSandbox)
    assert vendorkit_sandbox_session.vendors == ("leanlaw",)
    assert request.getfixturevalue("vendorkit_sandbox_session") is vendorkit_sandbox_session


async def test_the_session_sandbox_serves_a_test_on_its_own_loop(
    vendorkit_sandbox_session: Sandbox,
) -> None:
    sb = vendorkit_sandbox_session
    async with sb.client("leanlaw") as ll:
        await ll.clients.create(Client(name="Kept between tests"))
        assert len(await ll.clients.list().all()) == 7
    sb.reset()  # on the server's loop
    async with sb.client("leanlaw") as ll:
        assert len(await ll.clients.list().all()) == 6


def test_a_threaded_sandbox_stops_its_thread() -> None:
    sb = ThreadedSandbox(vendors=["leady"], records=2)
    sb.start_in_thread()
    thread = sb._thread
    assert thread is not None and thread.is_alive()
    assert sb.url("leady").startswith("http://127.0.0.1:")
    sb.stop_thread()
    assert not thread.is_alive()
    sb.stop_thread()  # twice is harmless

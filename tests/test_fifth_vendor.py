"""``docs/adding-a-vendor.md``, proven: a toy fifth vendor, Tasklist (``docs/examples/toy_vendor``:
an adapter and an emulator, under 200 lines together), works end to end over real HTTP.

The adapter is a declaration on public ``vendorkit.core`` names only (no private ``BaseClient``
method, so core refactors cannot break it); the emulator is built on the sandbox framework and
imports nothing from ``vendorkit.core``. The page shows both files, and
``test_the_page_shows_the_files`` keeps what it shows identical to them."""

from __future__ import annotations

import ast
import importlib.util
import re
import sys
import time
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from aiohttp import web

from vendorkit.errors import (
    AuthenticationError,
    ConflictError,
    NotFoundError,
    UnprocessableEntityError,
)
from vendorkit.sandbox import FaultProfile

ROOT = Path(__file__).resolve().parent.parent
TOY = ROOT / "docs" / "examples" / "toy_vendor"
PAGE = ROOT / "docs" / "adding-a-vendor.md"
FILES = ("adapter.py", "emulator.py")
SECTION = "## A whole vendor in under 200 lines"
ITEM = "GET /v1/tasks/{id}"


def _load(name: str) -> ModuleType:
    """``docs/examples/toy_vendor/<name>.py`` as a module (registered, so that the converter can
    resolve the models' annotations)."""
    module_name = f"vendorkit_toy_{name}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, TOY / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


adapter = _load("adapter")
emulator = _load("emulator")


@pytest.fixture
async def served() -> AsyncIterator[tuple[Any, str]]:
    """The toy emulator on a free port of 127.0.0.1, with 47 seeded tasks; its base URL."""
    emu = emulator.TasklistEmulator(records=47, faults=FaultProfile(retry_after=0.3))
    runner = web.AppRunner(emu.make_app(), access_log=None, handle_signals=False)
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        port = runner.addresses[0][1]
        yield emu, f"http://127.0.0.1:{port}{emu.base_path}"
    finally:
        await runner.cleanup()


def _client(served: tuple[Any, str], **options: Any) -> Any:
    emu, url = served
    return adapter.Tasklist(**{**emu.credentials(url), **options})


# -- the budget and the boundaries ----------------------------------------------------------


def test_adapter_and_emulator_are_under_200_lines_together() -> None:
    # What ``cat docs/examples/toy_vendor/*.py | wc -l`` counts: every line, blank ones and
    # docstrings included.
    assert sorted(p.name for p in TOY.glob("*.py")) == sorted(FILES)
    lines = sum((TOY / name).read_bytes().count(b"\n") for name in FILES)
    assert lines < 200, lines


def _imports(name: str) -> list[tuple[str, list[str]]]:
    tree = ast.parse((TOY / name).read_text(encoding="utf-8"))
    found: list[tuple[str, list[str]]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "the example is outside the package: absolute imports"
            found.append((node.module or "", [alias.name for alias in node.names]))
    return found


def test_the_emulator_imports_nothing_from_core() -> None:
    imports = _imports("emulator.py")
    assert any(module.startswith("vendorkit.sandbox") for module, _ in imports)
    for module, names in imports:
        assert not (module == "vendorkit.core" or module.startswith("vendorkit.core.")), module
        assert not (module == "vendorkit" and "core" in names), names


def test_the_adapter_uses_only_public_names_of_the_core() -> None:
    imports = _imports("adapter.py")
    assert ("vendorkit.core", ["BaseClient"]) != imports  # sanity: it does import the core
    for module, names in imports:
        if module.startswith("vendorkit"):
            assert module in ("vendorkit.core", "vendorkit.errors"), module
            assert not [n for n in names if n.startswith("_")], names
    tree = ast.parse((TOY / "adapter.py").read_text(encoding="utf-8"))
    private = [
        node.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and node.attr.startswith("_")
        and not (node.attr.startswith("__") and node.attr.endswith("__"))
    ]
    assert private == []  # no self._x, cls._x or super()._x into BaseClient


def test_the_page_shows_the_files() -> None:
    text = PAGE.read_text(encoding="utf-8")
    assert text.count(SECTION) == 1
    section = text[text.index(SECTION) :]
    assert "\n## " not in section[len(SECTION) :], "the section is the page's last"
    for name in FILES:
        shown = re.search(
            rf"`docs/examples/toy_vendor/{name}`.*?\n```python\n(.*?)```\n", section, re.S
        )
        assert shown is not None, name
        assert shown.group(1) == (TOY / name).read_text(encoding="utf-8"), name


# -- the toy vendor at work -----------------------------------------------------------------


async def test_create_get_update_delete(served: tuple[Any, str]) -> None:
    emu, _ = served
    async with _client(served) as tl:
        made = await tl.tasks.create(adapter.Task(title="Write the docs", due=date(2026, 12, 24)))
        assert isinstance(made, adapter.Task)
        assert (made.title, made.done, made.due) == ("Write the docs", False, date(2026, 12, 24))
        assert made.id in emu.store["tasks"]
        got = await tl.tasks.get(made.id)
        assert got == made
        done = await tl.tasks.update(made.id, {"done": True})
        assert (done.id, done.title, done.done) == (made.id, "Write the docs", True)
        assert emu.store["tasks"][made.id]["done"] is True
        await tl.tasks.delete(made.id)
        assert made.id not in emu.store["tasks"]
        with pytest.raises(NotFoundError) as caught:
            await tl.tasks.get(made.id)
    assert caught.value.code == "not_found"
    assert emu.counters.writes == {
        "POST /v1/tasks": 1,
        "PATCH /v1/tasks/{id}": 1,
        "DELETE /v1/tasks/{id}": 1,
    }


@pytest.mark.parametrize("concurrency", [1, 4])
async def test_a_list_walks_every_page(served: tuple[Any, str], concurrency: int) -> None:
    emu, _ = served
    async with _client(served) as tl:
        tasks = await tl.tasks.list(page_size=10, concurrency=concurrency).all()
    assert [t.id for t in tasks] == list(emu.store["tasks"])  # 47 tasks, in order, once each
    assert len(tasks) == 47
    assert all(isinstance(t, adapter.Task) for t in tasks)
    assert emu.counters.requests["GET /v1/tasks"] == 5  # pages of 10, 10, 10, 10 and 7


async def test_concurrency_1_and_4_read_the_same_records(served: tuple[Any, str]) -> None:
    async with _client(served) as tl:
        one = await tl.tasks.list(page_size=6).all()
        four = await tl.tasks.list(page_size=6, concurrency=4).all()
    assert len(one) == 47
    assert four == one


async def test_errors_are_mapped_to_their_classes(served: tuple[Any, str]) -> None:
    emu, url = served
    async with _client(served) as tl:
        with pytest.raises(UnprocessableEntityError) as invalid:
            await tl.tasks.create({"done": "maybe"})
        with pytest.raises(ConflictError) as taken:
            await tl.tasks.create({"id": "t-0001", "title": "Again"})
    assert invalid.value.status == 422
    assert invalid.value.code == "invalid"
    assert invalid.value.message == "The task is not valid."
    assert invalid.value.field_errors == {"title": ["required"], "done": ["bool"]}
    assert taken.value.code == "conflict"
    assert emu.store["tasks"]["t-0001"]["title"] == "Task 1"
    async with adapter.Tasklist(api_key="tl_wrong", base_url=url) as wrong:
        with pytest.raises(AuthenticationError) as refused:
            await wrong.tasks.get("t-0001")
    assert refused.value.code == "unauthorized"
    assert emu.counters.total_writes == 0


async def test_a_429_with_retry_after_is_waited_out(served: tuple[Any, str]) -> None:
    emu, _ = served
    emu.inject("429")
    async with _client(served) as tl:
        began = time.monotonic()
        task = await tl.tasks.get("t-0002")
        waited = time.monotonic() - began
    assert task.id == "t-0002"
    assert emu.counters.faults["429"] == 1
    assert emu.counters.requests[ITEM] == 2  # the 429, then the answer
    assert waited >= 0.3  # Retry-After: 0.3 was honoured


@pytest.mark.parametrize("tid", ["team/alpha", "a/b?c=d#e", "50%/x y", "../t-0001"])
async def test_an_id_with_a_slash_stays_one_path_segment(served: tuple[Any, str], tid: str) -> None:
    emu, _ = served
    async with _client(served) as tl:
        made = await tl.tasks.create({"id": tid, "title": "Slashed"})
        assert made.id == tid
        assert (await tl.tasks.get(tid)).title == "Slashed"
        assert (await tl.tasks.update(tid, {"title": "Still one"})).title == "Still one"
        await tl.tasks.delete(tid)
    assert tid not in emu.store["tasks"]
    assert emu.store["tasks"]["t-0001"]["title"] == "Task 1"  # no other task was reached
    # Each call met the item route with the whole id as its one segment, not a longer path.
    assert emu.counters.requests[ITEM] == 1
    assert emu.counters.writes == {
        "POST /v1/tasks": 1,
        "PATCH /v1/tasks/{id}": 1,
        "DELETE /v1/tasks/{id}": 1,
    }

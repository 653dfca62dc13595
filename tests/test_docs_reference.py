"""The API reference (``docs/reference/``) documents every public name, so it cannot fall behind.

A public module is one whose dotted path has no part starting with ``_`` (``vendorkit.core``,
``vendorkit.vendors.leanlaw.models``, ``vendorkit.export.celery``), except the emulators'
insides under ``vendorkit.sandbox.vendors`` (routes and rules the ``Sandbox`` loads by name; the
emulator classes users meet are ``vendorkit.sandbox``'s). Every name in such a module's
``__all__`` must be rendered by a mkdocstrings directive on a reference page: ``::: path.Name``,
or ``::: path.module`` (all of its ``__all__``, or its ``members:`` list when it has one). A name
counts as documented wherever the same object is rendered under the same name, so
``vendorkit.LeanLaw`` covers ``vendorkit.vendors.leanlaw.LeanLaw`` too. ``mkdocs build
--strict`` (``nox -s docs``) then proves each directive resolves.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import vendorkit

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "docs" / "reference"
# Emulator internals: loaded by name by ``Sandbox``, not imported by users.
NOT_PUBLIC = ("vendorkit.sandbox.vendors",)
DIRECTIVE = re.compile(r"^::: (?P<path>[\w.]+)[ \t]*\n(?P<options>(?:[ \t]+\S.*\n?)*)", re.M)
MEMBER = re.compile(r"^\s+- (\w+)\s*$")


def public_modules() -> list[str]:
    names = ["vendorkit"]
    for info in pkgutil.walk_packages(vendorkit.__path__, "vendorkit."):
        parts = info.name.split(".")
        if any(p.startswith("_") for p in parts) or info.name.startswith(NOT_PUBLIC):
            continue
        names.append(info.name)
    return sorted(names)


def resolve(path: str) -> Any:
    """The object a mkdocstrings identifier names: the longest importable module prefix, then
    attributes."""
    parts = path.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)
        return obj
    raise ImportError(path)


def directives(text: str) -> Iterator[tuple[str, list[str] | None]]:
    """Each ``::: path`` of a page, with its ``members:`` list (None without one)."""
    for match in DIRECTIVE.finditer(text):
        members: list[str] | None = None
        lines = match["options"].splitlines()
        for i, line in enumerate(lines):
            if line.strip() == "members:":
                members = []
                for item in lines[i + 1 :]:
                    found = MEMBER.match(item)
                    if found is None:
                        break
                    members.append(found.group(1))
        yield match["path"], members


def documented(pages: dict[str, str]) -> list[tuple[str, Any]]:
    """``(name, object)`` for everything the directives of ``pages`` render."""
    found: list[tuple[str, Any]] = []
    for text in pages.values():
        for path, members in directives(text):
            obj = resolve(path)
            found.append((path.rsplit(".", 1)[-1], obj))
            if isinstance(obj, ModuleType):
                names = members if members is not None else list(getattr(obj, "__all__", []))
                found += [(name, getattr(obj, name)) for name in names]
    return found


def missing(pages: dict[str, str], modules: list[str]) -> list[str]:
    """``module.name`` for each public name that ``pages`` do not render."""
    rendered = documented(pages)
    absent = []
    for module_name in modules:
        module = importlib.import_module(module_name)
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name)
            if not any(n == name and o is obj for n, o in rendered):
                absent.append(f"{module_name}.{name}")
    return absent


def reference_pages() -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(REFERENCE.glob("*.md"))}


def test_the_public_modules_are_the_ones_users_import() -> None:
    modules = public_modules()
    for expected in (
        "vendorkit",
        "vendorkit.errors",
        "vendorkit.core",
        "vendorkit.export",
        "vendorkit.export.celery",
        "vendorkit.sandbox",
        "vendorkit.sandbox.pytest_plugin",
        "vendorkit.vendors.makeleaps",
        "vendorkit.vendors.leanlaw.models",
    ):
        assert expected in modules
    assert not any(".sandbox.vendors" in m or "._" in m for m in modules)


def test_every_public_name_is_in_the_reference() -> None:
    assert missing(reference_pages(), public_modules()) == []


@pytest.mark.parametrize("vendor", ["makeleaps", "leady", "leaddesk", "leanlaw"])
def test_every_model_and_its_fields_are_in_the_reference(vendor: str) -> None:
    """A model is rendered with its fields: the module is rendered whole, not a members list."""
    page = reference_pages()[f"{vendor}.md"]
    assert (f"vendorkit.vendors.{vendor}.models", None) in list(directives(page))


def test_a_name_left_out_is_reported() -> None:
    """The checker itself: a members list without a name, a module not rendered at all."""
    page = "::: vendorkit.sandbox\n    options:\n      members:\n        - Sandbox\n\nprose\n"
    assert list(directives(page)) == [("vendorkit.sandbox", ["Sandbox"])]
    absent = missing({"p.md": page}, ["vendorkit.sandbox"])
    assert "vendorkit.sandbox.Sandbox" not in absent
    assert "vendorkit.sandbox.FaultProfile" in absent
    assert missing({"p.md": "::: vendorkit.sandbox\n"}, ["vendorkit.sandbox"]) == []
    assert missing({}, ["vendorkit.errors"]) == [f"vendorkit.errors.{n}" for n in _all("errors")]
    # The same object under the name users import it by counts.
    assert missing({"p.md": "::: vendorkit.LeanLaw\n"}, ["vendorkit.vendors.leanlaw"]) == [
        "vendorkit.vendors.leanlaw.Clients",
        "vendorkit.vendors.leanlaw.LeanLawOptions",
        "vendorkit.vendors.leanlaw.models",
    ]


def _all(module: str) -> list[str]:
    return list(importlib.import_module(f"vendorkit.{module}").__all__)

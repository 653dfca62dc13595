"""The core's shape, checked from its source: layers that call only downward.

- no import circle among ``vendorkit/core/*.py`` (imports under ``TYPE_CHECKING`` and inside
  functions count too: a circle hidden there is still a circle for the reader);
- the send stack is ``_client`` > ``_api`` > ``_call`` > ``_retryloop`` > ``_attempt`` >
  ``_transport``, and only ``_transport`` opens an aiohttp request;
- no core module names a vendor;
- no adapter (nor the export engine or the CLI) touches a private name of ``BaseClient``: they
  use its protected API (its base ``vendorkit.core.ClientAPI``).
"""

from __future__ import annotations

import ast
import itertools
import re
from pathlib import Path

import vendorkit
from vendorkit.core import BaseClient

PACKAGE = Path(vendorkit.__file__).parent
CORE = PACKAGE / "core"
VENDORS = ("makeleaps", "leady", "leaddesk", "leanlaw")
SEND_STACK = ("_client", "_api", "_call", "_retryloop", "_attempt", "_transport")


def package_imports(folder: Path, package: str) -> dict[str, set[str]]:
    """Each module of the package in ``folder`` (named ``package``) and the modules of that
    package it imports, however it imports them (relative or absolute, a module or a name from
    it); a name taken from the package itself counts as importing ``__init__``."""
    modules = {p.stem for p in folder.glob("*.py")}

    def inside(module: str, names: list[str]) -> set[str]:
        # ``module``: the part after the package ("" for the package itself).
        if module:
            return {module.split(".")[0]}
        return {n if n in modules else "__init__" for n in names}

    graph: dict[str, set[str]] = {}
    for path in folder.glob("*.py"):
        deps: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                names = [alias.name for alias in node.names]
                if node.level == 1:
                    deps |= inside(node.module or "", names)
                elif node.module == package or (node.module or "").startswith(package + "."):
                    deps |= inside(node.module.removeprefix(package).lstrip("."), names)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith(package + "."):
                        deps |= inside(alias.name.removeprefix(package + "."), [])
        graph[path.stem] = (deps & modules) - {path.stem}
    return graph


def core_imports() -> dict[str, set[str]]:
    """Each core module and the core modules it imports."""
    return package_imports(CORE, "vendorkit.core")


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle, as the list of modules along it, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for dep in sorted(graph.get(node, ())):
            if state.get(dep) == 1:
                return [*path[path.index(dep) :], dep]
            if dep not in state:
                found = visit(dep)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_core_has_no_import_circle() -> None:
    graph = core_imports()
    assert "_client" in graph and "_resource" in graph
    cycle = find_cycle(graph)
    assert cycle is None, " -> ".join(cycle or [])


def test_the_send_stack_calls_only_downward() -> None:
    graph = core_imports()
    for upper, lower in itertools.pairwise(SEND_STACK):
        assert lower in graph[upper], f"{upper} should sit directly on {lower}"
    for i, lower in enumerate(SEND_STACK):
        for upper in SEND_STACK[:i]:
            assert upper not in graph[lower], f"{lower} imports {upper}, a layer above it"


def test_only_the_transport_opens_an_aiohttp_request() -> None:
    for path in CORE.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        if path.stem == "_transport":
            assert "session.request(" in text
        else:
            assert "session.request(" not in text, path.name
            assert ".ClientSession(" not in text, path.name


def test_no_core_module_names_a_vendor() -> None:
    pattern = re.compile("|".join(VENDORS), re.IGNORECASE)
    for path in CORE.glob("*.py"):
        found = pattern.search(path.read_text(encoding="utf-8"))
        assert found is None, f"{path.name} names {found.group(0) if found else ''}"


def base_client_private_names() -> set[str]:
    """The private names of ``BaseClient`` (its own and its base ``ClientAPI``'s): methods and
    the attributes they set or read on ``self``."""
    names = {n for n in dir(BaseClient) if n.startswith("_") and not n.startswith("__")}
    for module, cls in (("_client.py", "BaseClient"), ("_api.py", "ClientAPI")):
        tree = ast.parse((CORE / module).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and node.name == cls:
                for sub in ast.walk(node):
                    if (
                        isinstance(sub, ast.Attribute)
                        and isinstance(sub.value, ast.Name)
                        and sub.value.id == "self"
                        and sub.attr.startswith("_")
                        and not sub.attr.startswith("__")
                    ):
                        names.add(sub.attr)
    return names


def private_uses(path: Path, names: set[str]) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute) and node.attr in names:
            found.append(f"{path.relative_to(PACKAGE)}:{node.lineno}: {ast.unparse(node)}")
    return found


def test_the_private_names_are_found() -> None:
    names = base_client_private_names()
    assert {"_transport", "_attempts", "_base_url", "_scoped", "_get_body", "_model_for"} <= names


def test_no_adapter_touches_a_private_name_of_the_client() -> None:
    names = base_client_private_names()
    users = [
        *sorted((PACKAGE / "vendors").rglob("*.py")),
        *sorted((PACKAGE / "export").rglob("*.py")),
        *sorted((PACKAGE / "_cli").rglob("*.py")),
    ]
    found = [use for path in users for use in private_uses(path, names)]
    assert found == []


def test_the_private_use_check_sees_one() -> None:
    names = base_client_private_names()
    sample = CORE / "_client.py"
    assert any("self._transport" in use for use in private_uses(sample, names))

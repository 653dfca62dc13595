"""The CLI package's shape, checked from its source: its modules call only downward.

``vendorkit/_cli/`` is split by concept (``_text`` < ``_output`` < ``_progress``, ``_summary``,
``_resources`` < the command modules < ``__init__``): no import circle among its modules, and
none of them imports the package itself (only ``__init__`` puts the commands together), so a
name is looked up in one place, the module that defines it.
"""

from __future__ import annotations

from pathlib import Path

import vendorkit

from .test_core_layers import find_cycle, package_imports

CLI = Path(vendorkit.__file__).parent / "_cli"


def cli_imports() -> dict[str, set[str]]:
    """Each module of ``vendorkit/_cli/`` and the modules of the package it imports."""
    return package_imports(CLI, "vendorkit._cli")


def test_the_cli_package_has_no_import_circle() -> None:
    graph = cli_imports()
    assert {"__init__", "_text", "_output", "_export", "_demo"} <= set(graph)
    cycle = find_cycle(graph)
    assert cycle is None, " -> ".join(cycle or [])


def test_no_cli_module_imports_the_package_itself() -> None:
    graph = cli_imports()
    assert [m for m, deps in graph.items() if "__init__" in deps] == []
    assert "_export" in graph["__init__"] and "_output" in graph["_export"]


def test_the_text_module_is_the_bottom_layer() -> None:
    assert cli_imports()["_text"] == set()

"""The one vendor registry (``vendorkit._registry``): what the CLI and the sandbox both read."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import vendorkit
from vendorkit._registry import REGISTRY, VENDORS, vendor_entry
from vendorkit.sandbox import VENDORS as SANDBOX_VENDORS
from vendorkit.sandbox import Emulator
from vendorkit.sandbox._sandbox import emulator_class


def test_every_vendor_has_its_public_client_and_an_emulator() -> None:
    assert VENDORS == ("makeleaps", "leady", "leaddesk", "leanlaw")
    for name, entry in REGISTRY.items():
        assert entry.name == name
        cls = entry.client_class()
        assert cls is getattr(vendorkit, entry.client_name)
        assert cls.spec.name == name
        emulator = entry.emulator_class()
        assert issubclass(emulator, Emulator)
        assert emulator_class(name) is emulator


def test_the_cli_and_the_sandbox_read_the_same_registry() -> None:
    from vendorkit._cli import _demo, _export, _get, _resources

    for module in (_demo, _export, _get, _resources):
        assert module.VENDORS is VENDORS
    assert SANDBOX_VENDORS is VENDORS
    for name in VENDORS:
        assert _resources._client_class(name) is vendor_entry(name).client_class()


@pytest.mark.parametrize("name", ["acme", "", "MakeLeaps", None])
def test_an_unknown_vendor_is_a_value_error_naming_the_known_ones(name: object) -> None:
    with pytest.raises(ValueError, match="known: makeleaps, leady, leaddesk, leanlaw"):
        vendor_entry(name)  # type: ignore[arg-type]


def test_the_registry_imports_no_client_and_no_emulator() -> None:
    """Names by import path only: the sandbox may import it and stay free of ``vendorkit.core``."""
    source = Path(vendorkit.__file__).with_name("_registry.py").read_text()
    imported: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            imported.append(node.module or "")
    assert not [m for m in imported if m.startswith("vendorkit")]

"""The vendors vendorkit knows: each one's name, client class and emulator class. No I/O.

One table serves the CLI (which client ``vendorkit export VENDOR`` builds) and the sandbox (which
emulator ``Sandbox(vendors=[...])`` runs and which client ``sb.client(vendor)`` returns). Classes
are named by import path and imported on first use: this module imports neither the clients (so
the sandbox may use it and its emulators still import nothing from ``vendorkit.core``) nor the
emulators (so the CLI's ``get`` and ``export`` load no emulator).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import attrs

__all__ = ["REGISTRY", "VENDORS", "VendorEntry", "vendor_entry"]


def _load(target: str) -> Any:
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


@attrs.frozen(kw_only=True)
class VendorEntry:
    """One vendor: ``client`` and ``emulator`` are ``"module:Class"`` import paths."""

    name: str
    client: str
    emulator: str

    @property
    def client_name(self) -> str:
        """The client's public name (``MakeLeaps``), as ``vendorkit`` exports it."""
        return self.client.rpartition(":")[2]

    def client_class(self) -> Any:
        """The client class, imported now."""
        return _load(self.client)

    def emulator_class(self) -> Any:
        """The emulator class, imported now."""
        return _load(self.emulator)


def _entry(name: str, client: str, emulator: str) -> VendorEntry:
    return VendorEntry(
        name=name,
        client=f"vendorkit.vendors.{name}:{client}",
        emulator=f"vendorkit.sandbox.vendors.{name}:{emulator}",
    )


#: Every vendor, in the order the CLI and the sandbox list them.
REGISTRY: Mapping[str, VendorEntry] = MappingProxyType(
    {
        e.name: e
        for e in (
            _entry("makeleaps", "MakeLeaps", "MakeLeapsEmulator"),
            _entry("leady", "Leady", "LeadyEmulator"),
            _entry("leaddesk", "LeadDesk", "LeadDeskEmulator"),
            _entry("leanlaw", "LeanLaw", "LeanLawEmulator"),
        )
    }
)

#: The vendors' names, in order.
VENDORS: tuple[str, ...] = tuple(REGISTRY)


def vendor_entry(name: str) -> VendorEntry:
    """The entry of vendor ``name``; ``ValueError`` naming the known ones for any other."""
    try:
        return REGISTRY[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown vendor {name!r}; known: {', '.join(VENDORS)}") from None

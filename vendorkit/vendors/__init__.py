"""The vendor adapters, one package each. Each is imported when first named
(``vendorkit.vendors.leanlaw``), as ``vendorkit.LeanLaw`` is: a program that talks to one vendor
does not load the other three."""

from __future__ import annotations

import importlib as _importlib
import typing as _typing

_VENDORS = frozenset({"leaddesk", "leady", "leanlaw", "makeleaps"})


def __getattr__(name: str) -> _typing.Any:
    if name in _VENDORS:
        return _importlib.import_module(f"vendorkit.vendors.{name}")  # sets the attribute itself
    raise AttributeError(f"module 'vendorkit.vendors' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_VENDORS})

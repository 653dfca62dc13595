"""Vendors and their resources as the commands name them: the client class of a vendor name (read
from the one registry, ``vendorkit._registry``) and shell completion of a RESOURCE argument.
Apart because ``export`` and ``get`` both need them and neither command should import the
other's module for it."""

from __future__ import annotations

from typing import Any

import click

from vendorkit._registry import VENDORS, vendor_entry


def _client_class(vendor: str) -> Any:
    return vendor_entry(vendor).client_class()


def _complete_resources(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[click.shell_completion.CompletionItem]:
    """Shell completion of a RESOURCE argument: the named vendor's resource names (those it can
    export, for ``export``; those it can read one by one, for ``get``); nothing before a known
    vendor is typed."""
    from click.shell_completion import CompletionItem

    vendor = ctx.params.get("vendor")
    if vendor not in VENDORS:
        return []
    cls = _client_class(vendor)
    if ctx.command.name == "export":
        from vendorkit.export import exportable_resources

        names = exportable_resources(cls)
        names = [n for n in names if n not in (ctx.params.get("resources") or ())]
    else:
        names = [n for n in cls.resource_names() if "get" in getattr(cls, n).endpoint.actions]
    return [CompletionItem(n) for n in names if n.startswith(incomplete)]

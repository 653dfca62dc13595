"""``vendorkit get``: one record as JSON on stdout, with its three failures (not found,
credentials refused, no answer) told apart. The record is printed exactly, its hidden
characters as JSON escapes (``visible_json``)."""

from __future__ import annotations

import json
from typing import Any

import click

from vendorkit._registry import VENDORS

from ._output import _CommandError, _run
from ._resources import _client_class, _complete_resources
from ._text import _secrets, visible_json


@click.command("get")
@click.argument("vendor", type=click.Choice(VENDORS))
@click.argument("resource", shell_complete=_complete_resources)
@click.argument("id")
def get_cmd(vendor: str, resource: str, id: str) -> None:
    """Print one record of VENDOR's RESOURCE as JSON (credentials from VENDORKIT_* variables).

    \b
    Examples:
      vendorkit get leanlaw clients 0d6c4c3e-...
      vendorkit get makeleaps documents 3711421905762803312
    """
    from vendorkit.core import Record
    from vendorkit.errors import (
        AuthenticationError,
        NotFoundError,
        PermissionDeniedError,
        TransportError,
    )

    async def run() -> Any:
        async with _client_class(vendor).from_env() as client:
            _secrets.clients = [client]
            if resource not in type(client).resource_names():
                names = ", ".join(type(client).resource_names())
                raise _CommandError(f"unknown resource {resource}; {vendor} has: {names}", 2)
            res = getattr(client, resource)
            if not hasattr(res, "get"):
                raise _CommandError(f"{vendor} {resource} cannot be read one by one", 2)
            try:
                return await res.get(id)
            except (NotFoundError, AuthenticationError, PermissionDeniedError, TransportError) as e:
                raise _CommandError(_get_failure(vendor, resource, id, e)) from None

    record = _run(run, usage_code=1)
    raw = record.raw if isinstance(record, Record) else record
    # JSON escapes C0 controls itself; DEL, C1, bidi overrides and lone surrogates it leaves.
    text = visible_json(json.dumps(raw, ensure_ascii=False, indent=2))
    try:
        click.echo(text)
    except UnicodeEncodeError:  # a terminal that cannot show it: \u escapes instead
        click.echo(json.dumps(raw, indent=2))


def _get_failure(vendor: str, resource: str, id: str, error: Exception) -> str:
    """``get``'s failures told apart: nothing there, credentials refused, no answer in time,
    no connection."""
    from vendorkit.errors import NotFoundError, RequestTimeoutError, TransportError

    variables = f"VENDORKIT_{vendor.upper()}_*"
    if isinstance(error, NotFoundError):
        return f"not found: {vendor} has no {resource} with id {id!r} ({error})"
    if isinstance(error, RequestTimeoutError):
        return f"{vendor} did not answer in time: {error}"
    if isinstance(error, TransportError):
        return f"could not reach {vendor}: {error} (check VENDORKIT_{vendor.upper()}_BASE_URL)"
    return f"authentication failed: {vendor} refused the credentials in {variables} ({error})"

"""Where the example apps find each customer's vendor credentials: a JSON file named by
``EXAMPLE_TENANTS`` (``{"acme": {"makeleaps": {...}, "leanlaw": {...}}}``, each inner object
the keyword arguments of that vendor's client). A real app reads a database or a secret store;
the point here is that the credentials are looked up per customer, when a customer is first
served, not at start-up for everyone."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp

from vendorkit import LeanLaw, MakeLeaps
from vendorkit.web import ClientRegistry

MAX_CLIENTS = 100

Tenants = dict[str, dict[str, dict[str, Any]]]


def load_tenants(path: str | None = None) -> Tenants:
    """The tenants file at ``path`` (default: ``$EXAMPLE_TENANTS``)."""
    where = path or os.environ.get("EXAMPLE_TENANTS")
    if not where:
        raise SystemExit("set EXAMPLE_TENANTS to a JSON file of each customer's credentials")
    data: Tenants = json.loads(Path(where).read_text())
    return data


def registries(tenants: Tenants) -> dict[str, Callable[[aiohttp.ClientSession], Any]]:
    """One registry per vendor, for ``open_clients``/``cleanup_ctx``/``lifespan``: each
    customer's client made from their own credentials, on the app's shared session."""
    return {
        "makeleaps": lambda session: ClientRegistry(
            lambda customer: MakeLeaps(**tenants[customer]["makeleaps"], session=session),
            max_clients=MAX_CLIENTS,
        ),
        "leanlaw": lambda session: ClientRegistry(
            lambda customer: LeanLaw(**tenants[customer]["leanlaw"], session=session),
            max_clients=MAX_CLIENTS,
        ),
    }

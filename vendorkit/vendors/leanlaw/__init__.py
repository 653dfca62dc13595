"""LeanLaw (legal time and billing): ``LeanLaw(api_key=...)``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Unpack

from vendorkit.core import BaseClient, ClientOptions, CrudResource, HeaderAuth, Pager, resource
from vendorkit.errors import ConfigurationError

from . import models
from ._spec import ENDPOINTS, SPEC

if TYPE_CHECKING:
    from . import _typed

__all__ = ["Clients", "LeanLaw", "LeanLawOptions", "models"]


class LeanLawOptions(ClientOptions, total=False):
    """``LeanLaw``'s keyword arguments, as ``from_env`` overrides and ``Sandbox.client`` options
    take them (each optional there): typed, so a misspelt one is a type error."""

    api_key: str


class Clients(CrudResource[models.Client]):
    """LeanLaw's clients, plus ``matters(client_id)``: the matters of one client."""

    def matters(
        self, client_id: str | int, **params: Unpack[_typed.MattersListArgs]
    ) -> Pager[models.Matter]:
        """The matters of one client (``/v2/matters?clientId=...``); takes the options and
        filters of ``matters.list()``."""
        if "clientId" in params:
            raise ConfigurationError("leanlaw clients.matters() got the client twice (clientId=)")
        matters: _typed.Matters = self._client.matters  # type: ignore[attr-defined]
        args: dict[str, Any] = {**params, "clientId": client_id}
        return matters.list(**args)


class LeanLaw(BaseClient):
    """LeanLaw's v2 API. ``select=`` takes a string or a list (``["contact", "-meta"]``) on
    ``list`` and ``get``; ``update`` is LeanLaw's sparse PUT (only the fields sent change)."""

    spec = SPEC
    env_fields = (("api_key", True),)

    clients: _typed.Clients = resource(ENDPOINTS["clients"], Clients)
    matters: _typed.Matters = resource(ENDPOINTS["matters"])
    time_entries: _typed.TimeEntries = resource(ENDPOINTS["time_entries"])
    expenses: _typed.Expenses = resource(ENDPOINTS["expenses"])
    fixed_fees: _typed.FixedFees = resource(ENDPOINTS["fixed_fees"])
    invoices: _typed.Invoices = resource(ENDPOINTS["invoices"])
    users: _typed.Users = resource(ENDPOINTS["users"])
    practice_areas: _typed.PracticeAreas = resource(ENDPOINTS["practice_areas"])

    def __init__(self, *, api_key: str, **options: Unpack[ClientOptions]) -> None:
        if not api_key:
            raise ConfigurationError("LeanLaw needs api_key=")
        super().__init__(auth=HeaderAuth(api_key, scheme="Bearer"), **options)

    @classmethod
    def from_env(cls, **overrides: Unpack[LeanLawOptions]) -> LeanLaw:
        """From ``VENDORKIT_LEANLAW_API_KEY`` (and optional ``VENDORKIT_LEANLAW_BASE_URL``)."""
        return cls(**cls.options_from_env(**overrides))


# Presented as ``vendorkit.LeanLaw``, where users meet it (the package imports it lazily).
LeanLaw.__module__ = "vendorkit"

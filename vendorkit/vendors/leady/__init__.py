"""Leady (B2B visitor and lead tracking): ``Leady(token=...)``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Unpack

import aiohttp

from vendorkit.core import (
    BaseClient,
    ClientOptions,
    CreateMixin,
    DeleteMixin,
    HeaderAuth,
    ListMixin,
    ListResource,
    NoAuth,
    Pager,
    resource,
    unknown_option,
)
from vendorkit.errors import ConfigurationError, DecodeError

from . import models
from ._spec import ENDPOINTS, SPEC

if TYPE_CHECKING:
    from . import _typed

    class _SessionsListArgs(_typed.SessionsListArgs, total=False):
        domain: str  # the website, under the name Leady's UI gives it


__all__ = ["Leady", "LeadyOptions", "models"]


class LeadyOptions(ClientOptions, total=False):
    """``Leady``'s keyword arguments, as ``from_env`` overrides and ``Sandbox.client`` options
    take them (each optional there): typed, so a misspelt one is a type error."""

    token: str


class Sessions(ListResource[models.Session]):
    """Visits to one tracked website: ``list(resource="example.com", period_start=...,
    period_end=...)``, and each session's actions. The website may also be given positionally
    (``list("example.com")``), as ``domain=``, or as a ``models.Resource``."""

    def list(
        self,
        website: str | models.Resource | None = None,
        /,
        **params: Unpack[_SessionsListArgs],
    ) -> Pager[models.Session]:
        """The sessions of one tracked website (``resources/<domain>/sessions/``); filters
        ``period_start``/``period_end`` (datetimes, dates or strings) are passed through."""
        args: dict[str, Any] = dict(params)
        if website is not None:
            if "resource" in args or "domain" in args:
                raise ConfigurationError("sessions.list() got the website twice")
            args["resource"] = website
        elif "resource" not in args and "domain" in args:
            args["resource"] = args.pop("domain")
        if isinstance(args.get("resource"), models.Resource):
            args["resource"] = args["resource"].domain
        return super().list(**args)

    def actions(
        self, session: int | str | models.Session, /, **params: Unpack[_typed.ActionsListArgs]
    ) -> Pager[models.Action]:
        """The actions (page views, events) of one session (its id or a ``models.Session``)."""
        if "session" in params:
            raise ConfigurationError("sessions.actions() got the session twice (session=)")
        if isinstance(session, models.Session):
            session = session.id
        actions: _typed.Actions = self._client.actions  # type: ignore[attr-defined]
        args: dict[str, Any] = {**params, "session": session}
        return actions.list(**args)


class Blacklist(
    ListMixin[models.BlacklistEntry],
    CreateMixin[models.BlacklistEntry],
    DeleteMixin[models.BlacklistEntry],
):
    """Companies excluded from tracking: list, add (``create``), delete."""


class _Anonymous(BaseClient):
    """api-token-get's client: no token yet; the password it sends is still a secret."""

    spec = SPEC

    def __init__(self, *, secrets: tuple[str, ...] = (), **options: Any) -> None:
        super().__init__(auth=NoAuth(secrets=secrets), **options)


# What ``obtain_token`` passes on besides its own base_url= and session=: the client options.
_TOKEN_GET_OPTIONS = tuple(
    k for k in ClientOptions.__annotations__ if k not in {"base_url", "session"}
)


class Leady(BaseClient):
    """Leady's open API. Every call carries ``Authorization: Token <token>``."""

    spec = SPEC
    env_fields = (("token", True),)

    resources: _typed.Resources = resource(ENDPOINTS["resources"])
    sessions: _typed.Sessions = resource(ENDPOINTS["sessions"], Sessions)
    actions: _typed.Actions = resource(ENDPOINTS["actions"])
    companies: _typed.Companies = resource(ENDPOINTS["companies"])
    persons: _typed.Persons = resource(ENDPOINTS["persons"])
    saved_filters: _typed.SavedFilters = resource(ENDPOINTS["saved_filters"])
    blacklist: _typed.Blacklist = resource(ENDPOINTS["blacklist"], Blacklist)
    turnovers: _typed.Turnovers = resource(ENDPOINTS["turnovers"])
    magnitudes: _typed.Magnitudes = resource(ENDPOINTS["magnitudes"])

    def __init__(self, *, token: str, **options: Unpack[ClientOptions]) -> None:
        if not token:
            raise ConfigurationError("Leady needs token= (see Leady.obtain_token)")
        self._header_auth = HeaderAuth(token, scheme="Token")
        super().__init__(auth=self._header_auth, **options)

    @classmethod
    def from_env(cls, **overrides: Unpack[LeadyOptions]) -> Leady:
        """From ``VENDORKIT_LEADY_TOKEN`` (and optional ``VENDORKIT_LEADY_BASE_URL``)."""
        return cls(**cls.options_from_env(**overrides))

    @classmethod
    async def obtain_token(
        cls,
        *,
        email: str,
        password: str,
        base_url: str | None = None,
        session: aiohttp.ClientSession | None = None,
        **options: Any,
    ) -> str:
        """Call api-token-get with a user's e-mail and password; returns the API token (the
        user's long-lasting token: the same one each time until it is reset). Wrong credentials
        raise ``BadRequestError`` (Leady answers 400 with ``non_field_errors``)."""
        for name in sorted(options):  # checked here, so the error names what the user called
            if name not in _TOKEN_GET_OPTIONS:
                raise unknown_option("Leady.obtain_token", name, _TOKEN_GET_OPTIONS)
        options.setdefault("rate_limit", None)
        async with _Anonymous(
            base_url=base_url, session=session, secrets=(password,), **options
        ) as c:
            body = await c.request(
                "POST", "/api-token-get/", json={"email": email, "password": password}
            )
        return _token_of(body)

    async def reset_token(self) -> str:
        """Call api-token-reset: the old token dies at once; this client uses the new one.
        The POST carries an empty JSON object (``{}``): the call takes no input, and a server
        that reads a JSON body from every POST must not trip over a missing one."""
        body = await self.request("POST", "/api-token-reset/", json={})
        token = _token_of(body)
        self._header_auth.set_token(token)
        return token


def _token_of(body: Any) -> str:
    """The token of an api-token-get/-reset answer: text that can be sent as an
    ``Authorization: Token ...`` header (no line breaks, no spaces, printable ASCII), or a
    ``DecodeError``: a token that fails every later call is no answer (and after a reset the
    old token is already dead, so the error must say it was Leady's answer, not the caller's)."""
    token = body.get("token") if isinstance(body, dict) else None
    if not isinstance(token, str) or not token:
        raise DecodeError("Leady answered without a token")
    if not all("!" <= c <= "~" for c in token):
        raise DecodeError("Leady answered with a token that cannot be sent in a header")
    return token


# Presented as ``vendorkit.Leady``, where users meet it (the package imports it lazily).
Leady.__module__ = "vendorkit"

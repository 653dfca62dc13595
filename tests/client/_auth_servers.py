"""A hand-made token endpoint for the auth tests, in both styles the core supports:

- ``style="basic"``: MakeLeaps-like, client credentials as HTTP Basic, a form body,
  ``grant_type=client_credentials``;
- ``style="json"``: LeadDesk-like, the client id and secret in a JSON body with a ``password``
  grant (user name and password).

Both issue rotating refresh tokens and protect ``GET /me``. The server counts token requests by
grant as they arrive (before anything else happens to them), and can be told to misbehave:
``faults`` are applied to the next token requests in order (an error status, a 429 with
``Retry-After``, a dropped connection), ``gate`` holds token requests until it is set, ``echo``
makes every error answer repeat what the client sent (secrets included), ``refuse_refresh``
refuses every refresh token, ``revoke_all`` kills every access and refresh token, and
``user_revoked`` makes the original grant fail as well (a removed user or API account).
"""

from __future__ import annotations

import asyncio
import base64
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from .conftest import CLIENT_ID, CLIENT_SECRET, Handler, OAuthClient, ok

USERNAME = "agent-7"
PASSWORD = "pass-S3CRET-0003"
GRANTS = {"basic": "client_credentials", "json": "password"}
STYLES = ("basic", "json")

Fault = Callable[[web.Request], Awaitable[web.StreamResponse]]


def status(code: int, *, retry_after: str | None = None) -> Fault:
    """Answer ``code`` (with a ``Retry-After`` if given) instead of a token."""

    async def fault(request: web.Request) -> web.StreamResponse:
        headers = {"Retry-After": retry_after} if retry_after is not None else None
        return web.json_response(
            {"error": "temporarily_unavailable", "error_description": f"try again ({code})"},
            status=code,
            headers=headers,
        )

    return fault


async def drop(request: web.Request) -> web.StreamResponse:
    """Close the connection without answering."""
    assert request.transport is not None
    request.transport.close()
    await asyncio.sleep(0.01)
    raise web.HTTPInternalServerError  # never reaches the client


def oauth_client(make: Any, server: Any, style: str, **options: Any) -> OAuthClient:
    """An ``OAuthClient`` for a ``TokenServer`` of ``style``."""
    if style == "json":
        options.setdefault(
            "grant", {"grant_type": "password", "username": USERNAME, "password": PASSWORD}
        )
        options.setdefault("client_auth", "body")
        options.setdefault("encoding", "json")
    client: OAuthClient = make(OAuthClient, server, **options)
    return client


class TokenServer:
    def __init__(
        self,
        style: str,
        *,
        expires_in: float = 3600.0,
        faults: list[Fault] | None = None,
        echo: bool = False,
    ) -> None:
        assert style in STYLES
        self.style = style
        self.grant = GRANTS[style]
        self.expires_in = expires_in
        self.faults = list(faults or [])
        self.echo = echo
        self.refuse_refresh = False
        self.user_revoked = False
        self.gate: asyncio.Event | None = None
        self.arrived = asyncio.Event()
        self.grants: Counter[str] = Counter()
        self.issued = 0
        self.valid: dict[str, float] = {}
        self.refresh_tokens: set[str] = set()
        self.used: list[str] = []
        self.unauthorized = 0
        self.raw: dict[int, str] = {}

    def routes(self) -> dict[str, Handler]:
        return {"POST /oauth/token": self.token, "GET /me": self.me}

    def revoke_all(self) -> None:
        self.valid.clear()
        self.refresh_tokens.clear()

    def accept(self, access: str, *, lifetime: float = 3600.0) -> None:
        """Make ``access`` a valid access token (for a token a test put in the store)."""
        self.valid[access] = time.monotonic() + lifetime

    @property
    def token_requests(self) -> int:
        return sum(self.grants.values())

    async def _fields(self, request: web.Request) -> dict[str, Any]:
        self.raw[id(request)] = (await request.read()).decode()
        if self.style == "json":
            body = await request.json()
            return dict(body) if isinstance(body, dict) else {}
        return {k: str(v) for k, v in (await request.post()).items()}

    def _refuse(
        self, status: int, code: str, description: str, request: web.Request, fields: Any
    ) -> web.StreamResponse:
        body: dict[str, Any] = {"error": code, "error_description": description}
        if self.echo:
            # A hostile endpoint: everything the client sent comes back, in every field, as
            # sent (URL- or JSON-encoded) and decoded (the Basic value too).
            raw = self.raw.get(id(request), "")
            header = request.headers.get("Authorization", "")
            plain = ""
            if header.startswith("Basic "):
                plain = base64.b64decode(header.removeprefix("Basic ")).decode()
            secret = fields.get("client_secret") or plain.partition(":")[2]
            sent = f"{header} ({plain}) {fields} {raw}"
            body["error_description"] = f"{description}; you sent {sent}"
            body["error"] = f"{code}:{fields.get('password') or fields.get('refresh_token')}"
            body["error_validation"] = {
                str(secret): [sent],
                "refresh_token": [str(fields.get("refresh_token"))],
            }
            body["echo"] = {"headers": dict(request.headers), "fields": fields, "raw": raw}
        return web.json_response(body, status=status)

    async def token(self, request: web.Request) -> web.StreamResponse:
        fields = await self._fields(request)
        grant = str(fields.get("grant_type"))
        self.grants[grant] += 1
        self.arrived.set()
        if self.faults:
            return await self.faults.pop(0)(request)
        if self.gate is not None:
            await self.gate.wait()
        if self.style == "basic":
            expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
            client_ok = request.headers.get("Authorization") == f"Basic {expected}"
        else:
            client_ok = (fields.get("client_id"), fields.get("client_secret")) == (
                CLIENT_ID,
                CLIENT_SECRET,
            )
        if not client_ok:
            return self._refuse(
                401, "invalid_client", "client authentication failed", request, fields
            )
        if grant == "refresh_token":
            presented = str(fields.get("refresh_token"))
            if self.refuse_refresh or presented not in self.refresh_tokens:
                return self._refuse(400, "invalid_grant", "refresh token refused", request, fields)
            self.refresh_tokens.discard(presented)
        elif grant != self.grant:
            return self._refuse(400, "unsupported_grant_type", grant, request, fields)
        elif self.user_revoked or (
            grant == "password"
            and (fields.get("username"), fields.get("password")) != (USERNAME, PASSWORD)
        ):
            return self._refuse(
                401, "invalid_credentials", "the credentials were incorrect", request, fields
            )
        self.issued += 1
        access = f"access-{self.issued}-S3CRET"
        refresh = f"refresh-{self.issued}-S3CRET"
        self.valid[access] = time.monotonic() + self.expires_in
        self.refresh_tokens.add(refresh)
        return web.json_response(
            {
                "access_token": access,
                "token_type": "Bearer",
                "expires_in": self.expires_in,
                "refresh_token": refresh,
            }
        )

    async def me(self, request: web.Request) -> web.StreamResponse:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        self.used.append(token)
        expiry = self.valid.get(token)
        if expiry is None or time.monotonic() >= expiry:
            self.unauthorized += 1
            return web.json_response({"detail": "invalid token"}, status=401)
        return ok({"token": token})

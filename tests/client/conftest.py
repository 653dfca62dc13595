"""Shared helpers for testing ``BaseClient`` against a real local aiohttp server.

- ``serve({"GET /path": handler, ...})`` starts a ``TestServer`` and returns a ``Server`` that
  records every request it receives (method, path, query, headers, body, arrival time) before the
  handler runs, so tests count what really reached the wire;
- ``make(ClientClass, server, **options)`` builds a test client pointed at the server and closes
  it at teardown;
- tiny test-only clients: ``TokenClient`` (HeaderAuth, next links), ``PagedClient`` (page/per_page
  with a total), ``OffsetClient`` (limit/offset with a total), ``OAuthClient`` (OAuth2);
- ``OAuthBackend``: a token endpoint plus a protected resource with real token bookkeeping.
"""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any, TypeVar

import attrs
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from vendorkit.core import (
    BaseClient,
    Endpoint,
    Envelope,
    HeaderAuth,
    NextLink,
    OAuth2,
    OffsetLimit,
    PageNumber,
    VendorSpec,
    resource,
)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
C = TypeVar("C", bound=BaseClient)

API_KEY = "api-key-S3CRET-0001"
CLIENT_ID = "client-id-42"
CLIENT_SECRET = "client-S3CRET-0002"


@attrs.define
class Seen:
    """One request as the server received it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    at: float  # time.monotonic() on arrival
    wall: float  # time.time() on arrival


class Server:
    """A running ``TestServer`` and what it saw."""

    def __init__(self) -> None:
        self.seen: list[Seen] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.ts: TestServer | None = None

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        body = await request.read()
        self.seen.append(
            Seen(
                request.method,
                request.path,
                dict(request.query),
                dict(request.headers),
                body,
                time.monotonic(),
                time.time(),
            )
        )
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            return await handler(request)
        finally:
            self.in_flight -= 1

    @property
    def url(self) -> str:
        """The base URL, e.g. ``http://127.0.0.1:PORT`` (no trailing slash)."""
        assert self.ts is not None
        return str(self.ts.make_url("")).rstrip("/")

    def hits(self, method: str | None = None, path: str | None = None) -> int:
        return len(self.requests(method, path))

    def requests(self, method: str | None = None, path: str | None = None) -> list[Seen]:
        return [
            s
            for s in self.seen
            if (method is None or s.method == method) and (path is None or s.path == path)
        ]


@pytest.fixture
async def serve() -> AsyncIterator[Callable[[Mapping[str, Handler]], Awaitable[Server]]]:
    started: list[Server] = []

    async def start(routes: Mapping[str, Handler]) -> Server:
        server = Server()
        app = web.Application(middlewares=[server.middleware])
        for key, handler in routes.items():
            method, path = key.split(" ", 1)
            app.router.add_route(method, path, handler)
        ts = TestServer(app)
        await ts.start_server()
        server.ts = ts
        started.append(server)
        return server

    yield start
    for server in started:
        assert server.ts is not None
        await server.ts.close()


@pytest.fixture
async def make() -> AsyncIterator[Callable[..., Any]]:
    made: list[BaseClient] = []

    def build(cls: type[C], server: Server, **options: Any) -> C:
        client = cls(base_url=server.url, **options)
        made.append(client)
        return client

    yield build
    for client in made:
        await client.aclose()


def ok(data: Any = None, *, status: int = 200, headers: Mapping[str, str] | None = None) -> Any:
    """A JSON answer in the test vendors' ``{"data": ...}`` envelope."""
    return web.json_response({"data": data}, status=status, headers=headers)


def page(records: list[Any], *, total: int | None = None, next: str | None = None) -> web.Response:
    meta: dict[str, Any] = {}
    if total is not None:
        meta["total"] = total
    if next is not None:
        meta["next"] = next
    return web.json_response({"data": records, "meta": meta})


# -- test-only clients --------------------------------------------------------------------------

ENVELOPE = Envelope(records="data", total="meta.total", next="meta.next", item="data")
ENVELOPE_TOTAL = Envelope(records="data", total="meta.total", item="data")


def make_spec(**overrides: Any) -> VendorSpec:
    args: dict[str, Any] = dict(
        name="testkit",
        base_url="https://vendor.invalid",
        envelope=ENVELOPE,
        paginator=NextLink(size_param="per_page"),
        trace_id_header="X-Request-Id",
    )
    args.update(overrides)
    return VendorSpec(**args)


def _fast(client: BaseClient) -> None:
    # Tiny backoff so that retry tests stay fast; Retry-After floors are still honoured.
    client.retry_policy = attrs.evolve(
        client.retry_policy, backoff_base=0.01, backoff_max=0.05, retry_after_jitter=0.02
    )


class TokenClient(BaseClient):
    """HeaderAuth (``Authorization: Token <key>``), ``{"data": ...}`` envelope, next links."""

    spec = make_spec()
    items: Any = resource(Endpoint(path="/items"))
    currencies: Any = resource(Endpoint(path="/currencies", actions=frozenset({"list", "get"})))

    def __init__(self, *, api_key: str = API_KEY, scheme: str = "Token", **options: Any) -> None:
        super().__init__(auth=HeaderAuth(api_key, scheme=scheme), **options)
        _fast(self)


class PagedClient(TokenClient):
    """``?page=N&per_page=M`` with ``meta.total``."""

    spec = make_spec(envelope=ENVELOPE_TOTAL, paginator=PageNumber(default_size=10))


class PagedNextClient(TokenClient):
    """``?page=N&per_page=M`` with a ``meta.next`` link and no total."""

    spec = make_spec(envelope=ENVELOPE, paginator=PageNumber(default_size=10))


class OffsetClient(TokenClient):
    """``?offset=N&limit=M`` with ``meta.total``."""

    spec = make_spec(envelope=ENVELOPE_TOTAL, paginator=OffsetLimit(default_size=10))


class OAuthClient(BaseClient):
    """OAuth2 client credentials (HTTP Basic), refresh with rotation."""

    spec = make_spec(name="oauthkit")

    def __init__(
        self,
        *,
        client_id: str = CLIENT_ID,
        client_secret: str = CLIENT_SECRET,
        grant: Mapping[str, Any] | None = None,
        client_auth: str = "basic",
        encoding: str = "form",
        refresh_margin: float = 60.0,
        **options: Any,
    ) -> None:
        auth = OAuth2(
            token_path="/oauth/token",
            client_id=client_id,
            client_secret=client_secret,
            grant=grant or {"grant_type": "client_credentials"},
            client_auth=client_auth,
            encoding=encoding,
            refresh_margin=refresh_margin,
        )
        super().__init__(auth=auth, **options)
        _fast(self)


class OAuthBackend:
    """A token endpoint and a protected ``GET /me`` with real token bookkeeping.

    Access tokens expire ``expires_in`` seconds after issue (server clock). With ``rotate``, each
    refresh issues a new refresh token and invalidates the one presented. ``reject_refresh``
    refuses every refresh token with ``reject_status``.
    """

    def __init__(
        self,
        *,
        expires_in: float = 3600.0,
        rotate: bool = True,
        reject_refresh: bool = False,
        reject_status: int = 400,
        delay: float = 0.0,
    ) -> None:
        self.expires_in = expires_in
        self.rotate = rotate
        self.reject_refresh = reject_refresh
        self.reject_status = reject_status
        self.delay = delay
        self.issued = 0
        self.valid: dict[str, float] = {}
        self.refresh_tokens: set[str] = set()
        self.grants: list[str] = []
        self.presented_refresh: list[str] = []
        self.unauthorized = 0
        self.used: list[str] = []

    def routes(self) -> dict[str, Handler]:
        return {"POST /oauth/token": self.token, "GET /me": self.me}

    def revoke_all(self) -> None:
        self.valid.clear()

    async def token(self, request: web.Request) -> web.StreamResponse:
        expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        form = await request.post()
        grant = str(form.get("grant_type"))
        self.grants.append(grant)
        if request.headers.get("Authorization") != f"Basic {expected}":
            return web.json_response({"error": "invalid_client"}, status=401)
        if self.delay:
            await asyncio.sleep(self.delay)
        if grant == "refresh_token":
            presented = str(form.get("refresh_token"))
            self.presented_refresh.append(presented)
            if self.reject_refresh or presented not in self.refresh_tokens:
                return web.json_response(
                    {"error": "invalid_grant", "error_description": "refresh token refused"},
                    status=self.reject_status,
                )
            if self.rotate:
                self.refresh_tokens.discard(presented)
        elif grant != "client_credentials":
            return web.json_response({"error": "unsupported_grant_type"}, status=400)
        self.issued += 1
        access = f"access-{self.issued}-S3CRET"
        self.valid[access] = time.monotonic() + self.expires_in
        body: dict[str, Any] = {
            "access_token": access,
            "token_type": "bearer",
            "expires_in": self.expires_in,
        }
        if grant != "refresh_token" or self.rotate:
            refresh_out = f"refresh-{self.issued}-S3CRET"
            self.refresh_tokens.add(refresh_out)
            body["refresh_token"] = refresh_out
        return web.json_response(body)

    async def me(self, request: web.Request) -> web.StreamResponse:
        header = request.headers.get("Authorization", "")
        token = header.removeprefix("Bearer ")
        self.used.append(token)
        expiry = self.valid.get(token)
        if not header.startswith("Bearer ") or expiry is None or time.monotonic() >= expiry:
            self.unauthorized += 1
            return web.json_response({"detail": "invalid token"}, status=401)
        return ok({"token": token})

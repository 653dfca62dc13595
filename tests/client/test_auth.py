"""Auth against a real token endpoint: single flight, proactive refresh, 401 replay, rotation."""

from __future__ import annotations

import asyncio
import base64
from typing import Any

import pytest
from aiohttp import web

from vendorkit.errors import AuthenticationError

from .conftest import API_KEY, CLIENT_ID, CLIENT_SECRET, OAuthBackend, OAuthClient, TokenClient, ok


@pytest.mark.parametrize("scheme", ["Token", "Bearer"])
async def test_header_auth_sends_scheme_and_key(serve: Any, make: Any, scheme: str) -> None:
    async def me(request: web.Request) -> web.StreamResponse:
        return ok({})

    server = await serve({"GET /me": me})
    client = make(TokenClient, server, scheme=scheme)
    await client.request("GET", "/me")
    assert server.seen[0].headers["Authorization"] == f"{scheme} {API_KEY}"


async def test_header_auth_401_is_not_replayed(serve: Any, make: Any) -> None:
    async def me(request: web.Request) -> web.StreamResponse:
        return web.json_response({"detail": "Invalid token."}, status=401)

    server = await serve({"GET /me": me})
    client = make(TokenClient, server)
    with pytest.raises(AuthenticationError) as info:
        await client.request("GET", "/me")
    assert info.value.status == 401
    assert server.hits() == 1


async def test_header_auth_replays_after_token_swap(serve: Any, make: Any) -> None:
    """A request that took the old key and got a 401 is replayed once with the swapped key."""
    arrived = asyncio.Event()
    release = asyncio.Event()

    async def me(request: web.Request) -> web.StreamResponse:
        if request.headers["Authorization"] == "Token new-key":
            return ok({"ok": True})
        arrived.set()
        await release.wait()
        return web.json_response({"detail": "Invalid token."}, status=401)

    server = await serve({"GET /me": me})
    client = make(TokenClient, server)
    task = asyncio.create_task(client.request("GET", "/me"))
    await arrived.wait()
    client.auth.set_token("new-key")
    release.set()
    assert await task == {"ok": True}
    assert [s.headers["Authorization"] for s in server.seen] == [
        f"Token {API_KEY}",
        "Token new-key",
    ]


async def test_token_request_uses_basic_client_auth_and_form(serve: Any, make: Any) -> None:
    backend = OAuthBackend()
    server = await serve(backend.routes())
    client = make(OAuthClient, server)
    assert await client.request("GET", "/me") == {"token": "access-1-S3CRET"}
    token_req = server.requests("POST", "/oauth/token")[0]
    expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    assert token_req.headers["Authorization"] == f"Basic {expected}"
    assert token_req.body == b"grant_type=client_credentials"
    # token_type "bearer" (lower case) is sent as "Bearer".
    assert server.requests("GET", "/me")[0].headers["Authorization"] == "Bearer access-1-S3CRET"


async def test_token_request_json_body_client_auth(serve: Any, make: Any) -> None:
    bodies: list[Any] = []

    async def token(request: web.Request) -> web.StreamResponse:
        bodies.append(await request.json())
        return web.json_response({"access_token": "tok", "expires_in": 3600})

    async def me(request: web.Request) -> web.StreamResponse:
        return ok(request.headers["Authorization"])

    server = await serve({"POST /oauth/token": token, "GET /me": me})
    client = make(
        OAuthClient,
        server,
        client_auth="body",
        encoding="json",
        grant={"grant_type": "password", "username": "u", "password": "p"},
    )
    assert await client.request("GET", "/me") == "Bearer tok"
    assert bodies == [
        {
            "grant_type": "password",
            "username": "u",
            "password": "p",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
        }
    ]
    assert "Authorization" not in server.requests("POST", "/oauth/token")[0].headers


async def test_cold_client_fifty_concurrent_requests_one_token_request(
    serve: Any, make: Any
) -> None:
    backend = OAuthBackend(delay=0.05)
    server = await serve(backend.routes())
    client = make(OAuthClient, server)
    results = await asyncio.gather(*(client.request("GET", "/me") for _ in range(50)))
    assert server.hits("POST", "/oauth/token") == 1
    assert client.auth.token_requests == 1
    assert {r["token"] for r in results} == {"access-1-S3CRET"}
    assert server.hits("GET", "/me") == 50
    assert backend.unauthorized == 0


async def test_token_is_refreshed_before_expiry(serve: Any, make: Any) -> None:
    backend = OAuthBackend(expires_in=0.5)
    server = await serve(backend.routes())
    client = make(OAuthClient, server)
    assert (await client.request("GET", "/me"))["token"] == "access-1-S3CRET"
    # A short-lived token is not renewed on every request.
    assert (await client.request("GET", "/me"))["token"] == "access-1-S3CRET"
    assert backend.grants == ["client_credentials"]
    await asyncio.sleep(0.5)
    results = await asyncio.gather(*(client.request("GET", "/me") for _ in range(20)))
    assert {r["token"] for r in results} == {"access-2-S3CRET"}
    # Renewed once, with the refresh token, before sending: the server never had to say 401.
    assert backend.grants == ["client_credentials", "refresh_token"]
    assert backend.presented_refresh == ["refresh-1-S3CRET"]
    assert backend.unauthorized == 0
    assert server.hits("GET", "/me") == 22


async def test_401_causes_one_refresh_and_one_replay(serve: Any, make: Any) -> None:
    backend = OAuthBackend()
    server = await serve(backend.routes())
    client = make(OAuthClient, server)
    await client.request("GET", "/me")
    backend.revoke_all()
    assert (await client.request("GET", "/me"))["token"] == "access-2-S3CRET"
    assert backend.grants == ["client_credentials", "refresh_token"]
    assert backend.used == ["access-1-S3CRET", "access-1-S3CRET", "access-2-S3CRET"]
    assert backend.unauthorized == 1


async def test_401_on_a_write_is_replayed_once(serve: Any, make: Any) -> None:
    backend = OAuthBackend()
    bodies: list[bytes] = []

    async def create(request: web.Request) -> web.StreamResponse:
        bodies.append(await request.read())
        return await backend.me(request)

    server = await serve({**backend.routes(), "POST /things": create})
    client = make(OAuthClient, server)
    await client.request("GET", "/me")
    backend.revoke_all()
    # A 401 is a refusal before processing: replaying a write after it is safe.
    assert await client.request("POST", "/things", json={"a": 1}) == {"token": "access-2-S3CRET"}
    assert bodies == [b'{"a": 1}', b'{"a": 1}']


async def test_401_after_replay_raises_without_looping(serve: Any, make: Any) -> None:
    backend = OAuthBackend()

    async def never(request: web.Request) -> web.StreamResponse:
        backend.unauthorized += 1
        return web.json_response({"detail": "no"}, status=401)

    server = await serve({"POST /oauth/token": backend.token, "GET /me": never})
    client = make(OAuthClient, server)
    with pytest.raises(AuthenticationError) as info:
        await client.request("GET", "/me")
    assert info.value.status == 401
    assert server.hits("GET", "/me") == 2
    assert backend.grants == ["client_credentials", "refresh_token"]


async def test_fifty_concurrent_401s_with_same_stale_token_cause_one_refresh(
    serve: Any, make: Any
) -> None:
    backend = OAuthBackend(delay=0.05)
    server = await serve(backend.routes())
    client = make(OAuthClient, server)
    await client.request("GET", "/me")
    backend.revoke_all()
    results = await asyncio.gather(*(client.request("GET", "/me") for _ in range(50)))
    assert {r["token"] for r in results} == {"access-2-S3CRET"}
    assert backend.grants == ["client_credentials", "refresh_token"]
    assert server.hits("POST", "/oauth/token") == 2
    # All fifty really were refused with the stale token, each replayed once.
    assert backend.unauthorized == 50
    assert backend.used.count("access-2-S3CRET") == 50


async def test_refresh_token_rotation(serve: Any, make: Any) -> None:
    backend = OAuthBackend(rotate=True)
    server = await serve(backend.routes())
    client = make(OAuthClient, server)
    await client.request("GET", "/me")
    for expected in ("access-2-S3CRET", "access-3-S3CRET", "access-4-S3CRET"):
        backend.revoke_all()
        assert (await client.request("GET", "/me"))["token"] == expected
    # Each refresh presented the refresh token issued by the previous one (the old one is dead),
    # so the original grant was never needed again.
    assert backend.presented_refresh == ["refresh-1-S3CRET", "refresh-2-S3CRET", "refresh-3-S3CRET"]
    assert backend.grants == ["client_credentials"] + ["refresh_token"] * 3
    assert server.hits("POST", "/oauth/token") == 4


async def test_refresh_without_rotation_keeps_refresh_token(serve: Any, make: Any) -> None:
    backend = OAuthBackend(rotate=False)
    server = await serve(backend.routes())
    client = make(OAuthClient, server)
    await client.request("GET", "/me")
    for _ in range(2):
        backend.revoke_all()
        await client.request("GET", "/me")
    assert backend.presented_refresh == ["refresh-1-S3CRET", "refresh-1-S3CRET"]
    assert backend.grants == ["client_credentials", "refresh_token", "refresh_token"]


@pytest.mark.parametrize("status", [400, 401])
async def test_rejected_refresh_falls_back_to_original_grant(
    serve: Any, make: Any, status: int
) -> None:
    backend = OAuthBackend(reject_refresh=True, reject_status=status)
    server = await serve(backend.routes())
    client = make(OAuthClient, server)
    await client.request("GET", "/me")
    backend.revoke_all()
    assert (await client.request("GET", "/me"))["token"] == "access-2-S3CRET"
    assert backend.grants == ["client_credentials", "refresh_token", "client_credentials"]


async def test_rejected_refresh_on_expiry_falls_back_to_original_grant(
    serve: Any, make: Any
) -> None:
    backend = OAuthBackend(expires_in=0.3, reject_refresh=True)
    server = await serve(backend.routes())
    client = make(OAuthClient, server)
    await client.request("GET", "/me")
    await asyncio.sleep(0.3)
    assert (await client.request("GET", "/me"))["token"] == "access-2-S3CRET"
    assert backend.grants == ["client_credentials", "refresh_token", "client_credentials"]
    assert backend.unauthorized == 0


async def test_bad_client_credentials_raise_authentication_error(serve: Any, make: Any) -> None:
    backend = OAuthBackend()
    server = await serve(backend.routes())
    client = make(OAuthClient, server, client_secret="wrong-S3CRET")
    with pytest.raises(AuthenticationError) as info:
        await client.request("GET", "/me")
    assert info.value.status == 401
    assert info.value.code == "invalid_client"
    assert "wrong-S3CRET" not in str(info.value)
    # The token endpoint is not hammered and the API was never called without a token.
    assert server.hits("POST", "/oauth/token") == 1
    assert server.hits("GET", "/me") == 0

"""Found in review, fixed; kept as the test that would catch it again. What was found:

A token shared through Redis must only be handed to a client that holds the credentials it was
issued for.

The Redis key names the account by base URL, token path, client id and (LeadDesk) grant, user
name and LeadDesk client id, but never by anything derived from the secret the grant proves
(the password, the client secret). So a client built with a user's *name* and a wrong password
finds that user's token in the shared store and acts as that user without a single token
request: the password is never checked. In the most common shared-Redis setup (a web app whose
users log in to LeadDesk through one app client id) any user who knows a colleague's user name
reads and writes as the colleague. The same holds for MakeLeaps with a wrong client secret.

Broken promise: issue 8, "Redis: ... (a Redis shared with other applications is common)" and
contract section 9, "two accounts ... never share a token"; a token is a credential and must
not outlive the check of the secret it stands for.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from tests._redis_url import REDIS_URL
from vendorkit import LeadDesk, MakeLeaps
from vendorkit.errors import AuthenticationError

ALICE_PASSWORD = "alice-REAL-passw0rd"
ALICE_TOKEN = "alice-access-TOKEN-7f3a"


def _routes(grants: list[dict[str, Any]]) -> dict[str, Any]:
    async def token(request: web.Request) -> web.Response:
        body = await request.json()
        grants.append(body)
        if body.get("password") != ALICE_PASSWORD:
            return web.json_response(
                {"error": "invalid_grant", "error_description": "wrong user name or password"},
                status=401,
            )
        return web.json_response(
            {
                "access_token": ALICE_TOKEN,
                "token_type": "Bearer",
                "expires_in": 3600,
                "refresh_token": "alice-refresh-TOKEN-1",
            }
        )

    async def contact(request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {ALICE_TOKEN}":
            return web.json_response({"error": "invalid_token"}, status=401)
        return web.json_response({"id": 1, "name": "Alice's private contact"})

    return {"POST /oauth/access-token": token, "GET /contacts/1": contact}


async def _forget(client: Any) -> None:
    import redis.asyncio as aioredis

    r = aioredis.from_url(REDIS_URL)
    try:
        await r.delete(client.auth.store_key, client.auth.store_key + ":lock")
    finally:
        await r.aclose()


async def test_a_wrong_password_does_not_get_the_users_token_from_redis(serve: Any) -> None:
    grants: list[dict[str, Any]] = []
    server = await serve(_routes(grants))
    common = dict(client_id="app-id", client_secret="app-secret-1234", username="alice")
    alice = LeadDesk(**common, password=ALICE_PASSWORD, base_url=server.url, redis_url=REDIS_URL)
    mallory = LeadDesk(**common, password="a-guess-1234", base_url=server.url, redis_url=REDIS_URL)
    try:
        async with alice:
            assert (await alice.contacts.get(1)).raw["name"] == "Alice's private contact"
        async with mallory:
            try:
                record = await mallory.contacts.get(1)
            except AuthenticationError:
                record = None
            # Whatever the design (a key derived from the secret, or a check), the wrong password
            # must be put to the vendor, and must not read Alice's data.
            assert record is None, f"a wrong password read {record.raw if record else None}"
            assert [g.get("password") for g in grants][-1] == "a-guess-1234"
    finally:
        await _forget(mallory)


async def test_a_wrong_client_secret_does_not_get_the_accounts_token_from_redis(
    serve: Any,
) -> None:
    issued: list[str] = []

    async def token(request: web.Request) -> web.Response:
        auth = request.headers.get("Authorization", "")
        issued.append(auth)
        import base64

        good = "Basic " + base64.b64encode(b"ml-client:ml-REAL-secret-99").decode()
        if auth != good:
            return web.json_response({"error": "invalid_client"}, status=401)
        return web.json_response(
            {"access_token": "ml-access-TOKEN-1", "token_type": "Bearer", "expires_in": 36000}
        )

    async def doc(request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != "Bearer ml-access-TOKEN-1":
            return web.json_response({"status_code": 401, "detail": "bad token"}, status=401)
        return web.json_response({"meta": {"status": 200}, "response": {"mid": "D1"}})

    server = await serve(
        {"POST /user/oauth2/token/": token, "GET /api/partner/P/document/D1/": doc}
    )
    opts = dict(base_url=server.url, redis_url=REDIS_URL, partner_mid="P", rate_limit=None)
    good = MakeLeaps(client_id="ml-client", client_secret="ml-REAL-secret-99", **opts)
    bad = MakeLeaps(client_id="ml-client", client_secret="not-the-secret-00", **opts)
    try:
        async with good:
            await good.documents.get("D1")
        async with bad:
            try:
                await bad.documents.get("D1")
                leaked = True
            except AuthenticationError:
                leaked = False
        assert not leaked, "a client with a wrong client secret used the account's token"
    finally:
        await _forget(bad)

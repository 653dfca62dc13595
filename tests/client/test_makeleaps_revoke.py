"""Found in review, fixed; kept as the test that would catch it again. What was found:

Found in review 2: ``MakeLeaps.revoke_token()``.

1. A revoke that fails (a 503 from a gateway, a 500, a dropped connection) forgets the token
   anyway (``revoke_local()`` runs before the status is looked at), so the caller who does the
   obvious thing, calling ``revoke_token()`` again, gets a silent success (no token stored: it
   returns without a request) while the access token stays valid at MakeLeaps for the rest of
   its 10 hours. A revocation is a security action (a leaked token, an employee leaving); "it
   said it worked" must mean the vendor revoked it. The revoke request is also never retried,
   although revoking a token twice is harmless (RFC 7009: revoking an invalid token is a 200).

2. The token it revokes is read straight from the store, so a client that has not made a call
   itself (another process sharing the Redis store, a CLI "revoke" command) does not know it as
   a secret: a revoke endpoint that echoes the ``token=`` form field in its error puts the live
   access token into ``str(error)``, ``error.body`` and every log line built from them.

3. A client with a wrong client secret (see ``test_redis_token_owner.py``) reads the account's
   token from the shared store despite the owner verifier, sends it, and deletes it from the
   store although MakeLeaps refused its credentials.

Broken promises: contract section 5, "No secret ever appears in an error, a log line or a repr";
docs/clients.md, "A stored token is handed only to a client holding the credentials that obtained
it"; and the plain meaning of ``revoke_token``.
"""

from __future__ import annotations

import base64
from typing import Any

import pytest
from aiohttp import web

from vendorkit import MakeLeaps
from vendorkit.core import MemoryTokenStore
from vendorkit.errors import APIError, AuthenticationError, ServerError

TOKEN = "ml-live-access-TOKEN-4711"
GOOD = "Basic " + base64.b64encode(b"ml-client:ml-REAL-secret-99").decode()


def _routes(revokes: list[tuple[str, str]], revoke_status: list[int]) -> dict[str, Any]:
    async def token(request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != GOOD:
            return web.json_response({"error": "invalid_client"}, status=401)
        return web.json_response(
            {"access_token": TOKEN, "token_type": "Bearer", "expires_in": 36000}
        )

    async def revoke(request: web.Request) -> web.Response:
        form = await request.post()
        revokes.append((request.headers.get("Authorization", ""), str(form.get("token"))))
        if request.headers.get("Authorization") != GOOD:
            return web.json_response({"error": "invalid_client"}, status=401)
        status = revoke_status.pop(0) if revoke_status else 200
        if status == 400:
            return web.json_response(
                {"error": "invalid_request", "error_description": f"cannot revoke {form['token']}"},
                status=400,
            )
        return web.json_response({} if status == 200 else {"detail": "busy"}, status=status)

    async def doc(request: web.Request) -> web.Response:
        return web.json_response({"meta": {"status": 200}, "response": {"mid": "D1"}})

    return {
        "POST /user/oauth2/token/": token,
        "POST /user/oauth2/revoke-token/": revoke,
        "GET /api/partner/P/document/D1/": doc,
    }


def _ml(server: Any, store: Any, secret: str = "ml-REAL-secret-99") -> MakeLeaps:
    return MakeLeaps(
        client_id="ml-client",
        client_secret=secret,
        partner_mid="P",
        base_url=server.url,
        rate_limit=None,
        token_store=store,
        max_retries=0,
    )


async def test_a_revoke_that_failed_is_not_reported_done_by_the_next_revoke(serve: Any) -> None:
    revokes: list[tuple[str, str]] = []
    server = await serve(_routes(revokes, [503]))
    async with _ml(server, MemoryTokenStore()) as ml:
        await ml.documents.get("D1")
        with pytest.raises(ServerError):
            await ml.revoke_token()  # the gateway was busy: not revoked
        await ml.revoke_token()  # try again: must reach MakeLeaps, or raise
    answered = [t for _, t in revokes]
    assert answered.count(TOKEN) >= 2, (
        f"the token was sent for revocation {answered.count(TOKEN)} time(s), and only to a 503;"
        " the second revoke_token() returned None without a request: the live token was "
        "forgotten, not revoked"
    )


async def test_a_revoke_error_echoing_the_token_does_not_show_it(serve: Any) -> None:
    revokes: list[tuple[str, str]] = []
    server = await serve(_routes(revokes, [400]))
    store = MemoryTokenStore()
    async with _ml(server, store) as worker:
        await worker.documents.get("D1")  # another process of the account obtained the token
    async with _ml(server, store) as admin:  # this one only revokes
        with pytest.raises(APIError) as info:
            await admin.revoke_token()
    error = info.value
    shown = f"{error!s} {error!r} {error.args} {error.body} {error.message}"
    assert TOKEN not in shown, shown


async def test_a_wrong_client_secret_cannot_revoke_or_drop_the_accounts_token(serve: Any) -> None:
    revokes: list[tuple[str, str]] = []
    server = await serve(_routes(revokes, []))
    store = MemoryTokenStore()
    async with _ml(server, store) as good:
        await good.documents.get("D1")
        key = good.auth.store_key
    async with _ml(server, store, secret="not-the-secret-00") as bad:
        try:
            await bad.revoke_token()
        except AuthenticationError:
            pass
    assert [t for _, t in revokes] == [], "the account's token was handed to a wrong secret"
    assert await store.get(key) is not None, "a wrong secret dropped the account's token"

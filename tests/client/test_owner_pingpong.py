"""Found in review, fixed; kept as the test that would catch it again. What was found:

Found in review 2: the token-owner verifier turns a client-secret rotation into a token
request per call.

While a MakeLeaps (or LeadDesk) app's client secret is rotated, the old and the new secret are
both valid, and the processes sharing the account's Redis store move from one to the other over
minutes or days. The store has one slot per account (the key names base URL, token path and
client id), and since e68bb55 a token in it carries a PBKDF2 verifier of the secret that
obtained it. A process with the other (equally valid) secret finds the token "not its own"
(``OAuth2._read`` returns None), makes a fresh grant and overwrites the slot; the next process
with the first secret does the same. So every call that follows a call of the other half of the
fleet costs one token request (and one slot of MakeLeaps' 120/minute quota, which the token
request takes too), instead of one per expiry, for as long as the rollout lasts.

Broken promise: docs/clients.md "Several processes, one account": "A cold start of any number
of processes makes one token request; so does an expiry"; contract section 9, workers "share
each account's token and quota".
"""

from __future__ import annotations

import base64
from typing import Any

from aiohttp import web

from vendorkit import MakeLeaps
from vendorkit.core import MemoryTokenStore

OLD = "ml-OLD-secret-1111"
NEW = "ml-NEW-secret-2222"


async def test_two_valid_secrets_of_one_account_do_not_grant_a_token_per_call(serve: Any) -> None:
    valid = {"Basic " + base64.b64encode(f"ml-client:{s}".encode()).decode() for s in (OLD, NEW)}
    grants: list[str] = []

    async def token(request: web.Request) -> web.Response:
        if request.headers.get("Authorization") not in valid:
            return web.json_response({"error": "invalid_client"}, status=401)
        grants.append(request.headers["Authorization"])
        return web.json_response(
            {
                "access_token": f"tok-{len(grants)}-abcdef",
                "token_type": "Bearer",
                "expires_in": 36000,
            }
        )

    async def doc(request: web.Request) -> web.Response:
        return web.json_response({"meta": {"status": 200}, "response": {"mid": "D1"}})

    server = await serve(
        {"POST /user/oauth2/token/": token, "GET /api/partner/P/document/D1/": doc}
    )
    store = MemoryTokenStore()  # what a shared Redis is to the two processes
    opts = dict(partner_mid="P", base_url=server.url, rate_limit=None, token_store=store)
    async with (
        MakeLeaps(client_id="ml-client", client_secret=OLD, **opts) as old,
        MakeLeaps(client_id="ml-client", client_secret=NEW, **opts) as new,
    ):
        for _ in range(5):
            await old.documents.get("D1")
            await new.documents.get("D1")
    assert len(grants) <= 2, f"10 calls of two valid secrets made {len(grants)} token requests"

"""Found in review, fixed; kept as the test that would catch it again. What was found:

A request that is waiting between two attempts when the client closes wakes up and, before
anything notices the client is closed, talks to Redis again: ``_attempt`` runs
``_respect_pause``, ``auth.authorize`` (the token store's ``get``) and ``_take_slot`` (the quota's
Redis storage) and only then ``_get_session``, which raises ``ClientStateError``. ``aclose()``
has already disconnected the Redis pools, so redis-py opens a *new* connection that nobody will
close any more (``ResourceWarning: unclosed <socket ... 6379>`` at exit), and a quota slot is
spent on a request that is never sent.

Broken promise: issue 8, "A request already under way at aclose() raises ClientStateError and
never opens a new session", and the soak's "no socket left open" once the clients are closed.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import redis.asyncio.connection as redis_connection
from aiohttp import web

from tests._redis_url import REDIS_URL
from vendorkit import LeanLaw, MakeLeaps
from vendorkit.errors import ClientStateError


def _leanlaw(server: Any) -> Any:
    return LeanLaw(
        api_key="ll-key-123456789",
        base_url=server.url,
        redis_url=REDIS_URL,
        rate_limit="100/second",
        max_retries=1,
    )


def _makeleaps(server: Any) -> Any:
    return MakeLeaps(
        client_id="ml-client",
        client_secret="ml-secret-1234",
        base_url=server.url,
        redis_url=REDIS_URL,
        rate_limit=None,
        partner_mid="P",
        max_retries=1,
    )


@pytest.mark.parametrize("build", [_leanlaw, _makeleaps], ids=["quota on redis", "tokens on redis"])
async def test_a_request_waiting_to_retry_at_aclose_opens_no_redis_connection(
    serve: Any, build: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    hits: list[int] = []

    async def throttled(request: web.Request) -> web.Response:
        hits.append(1)
        # A sure one-second wait before the retry (Retry-After is a floor), so that aclose()
        # lands while the request waits.
        return web.json_response({"message": "slow down"}, status=429, headers={"Retry-After": "1"})

    async def token(request: web.Request) -> web.Response:
        return web.json_response(
            {"access_token": "ml-access-TOKEN-1", "token_type": "Bearer", "expires_in": 36000}
        )

    server = await serve(
        {
            "GET /v2/clients/{id}": throttled,
            "GET /api/partner/P/document/{id}/": throttled,
            "POST /user/oauth2/token/": token,
        }
    )
    client = build(server)
    closed = False
    opened_after_close: list[Any] = []
    original = redis_connection.AbstractConnection.connect

    async def spy(self: Any) -> Any:
        if closed and not self.is_connected:
            opened_after_close.append(self)
        return await original(self)

    monkeypatch.setattr(redis_connection.AbstractConnection, "connect", spy)
    call = client.clients.get("X") if isinstance(client, LeanLaw) else client.documents.get("X")
    task = asyncio.ensure_future(call)
    try:
        while not hits:  # noqa: ASYNC110 - a test polling a server's record
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.1)
        await client.aclose()
        closed = True
        with pytest.raises(ClientStateError):
            await task
    finally:
        closed = False  # the clean-up below opens a connection of its own
        for conn in opened_after_close:
            await conn.disconnect()
        if isinstance(client, MakeLeaps):
            import redis.asyncio as aioredis

            r = aioredis.from_url(REDIS_URL)
            await r.delete(client.auth.store_key)
            await r.aclose()
    assert opened_after_close == [], (
        f"{len(opened_after_close)} Redis connection(s) opened after aclose() by a request that "
        "was waiting to retry"
    )
    assert len(hits) == 1

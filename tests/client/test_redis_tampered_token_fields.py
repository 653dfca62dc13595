"""Found in review, fixed; kept as the test that would catch it again. What was found:

Found in review 2: two tampered stored tokens that ``Token.from_dict`` lets through, and
that then break every call of every client of the account instead of being replaced.

1. ``owner`` is checked to be UTF-8 text, and ``OAuth2._read`` compares it with
   ``hmac.compare_digest(token.owner, self._owner())``, which raises ``TypeError: comparing
   strings with non-ASCII characters is not supported`` for any non-ASCII character: a bare
   ``TypeError`` from every call, and the grant that would overwrite the value never runs.
2. ``access_token``/``token_type`` are checked only for CR, LF and NUL; any other control
   character (``\\x0b``, ``\\x7f``, ``\\x01``) passes, and aiohttp then refuses the header
   ("Forbidden control character"): every call is a ``ConfigurationError`` (the caller's fault,
   it says), no 401 ever comes back to trigger a renewal, and the value stays until its TTL
   (which whoever planted it chose). A token endpoint's answer is held to printable ASCII
   (``_HEADER_SAFE``); the stored copy is not.

Broken promise: issue 8, "a tampered or unreadable stored value is a typed error followed by a
fresh grant, never a bare JSONDecodeError/TypeError"; docs/guarantees.md, Tokens in Redis ("a
tampered value (... header injection ...) is a DecodeError from the store ... exactly one fresh
grant, which overwrites it").
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import redis.asyncio as aioredis

from tests._redis_url import REDIS_URL

from .conftest import OAuthBackend, OAuthClient

PLANTED = {
    "a non-ASCII owner": {"access_token": "planted-token-1", "owner": "\u00e9"},
    "a vertical tab in the access token": {"access_token": "planted\x0btoken", "expires_at": 4e9},
    "DEL in the access token": {"access_token": "planted\x7ftoken", "expires_at": 4e9},
    "a control character in the token type": {
        "access_token": "planted-token-2",
        "token_type": "Bearer\x01",
        "expires_at": 4e9,
    },
}


@pytest.mark.parametrize("value", PLANTED.values(), ids=PLANTED.keys())
async def test_a_tampered_token_is_replaced_by_one_fresh_grant(serve: Any, value: Any) -> None:
    backend = OAuthBackend()
    server = await serve(backend.routes())
    r = aioredis.from_url(REDIS_URL)
    client = OAuthClient(base_url=server.url, redis_url=REDIS_URL)
    key = client.auth.store_key
    try:
        await r.set(key, json.dumps(value), ex=60)
        async with client:
            await client.request("GET", "/me")  # must succeed after one fresh grant
            await client.request("GET", "/me")
        assert backend.grants == ["client_credentials"], backend.grants
    finally:
        await r.delete(key, key + ":lock")
        await r.aclose()

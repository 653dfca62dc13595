"""Found in review, fixed; kept as the test that would catch it again. What was found:

``redact_known`` skips every known secret shorter than ``MIN_SECRET_LENGTH`` (4): a
three-character password (a PIN-like agent password, a test account's) that a token endpoint
echoes stays in the ``AuthenticationError``'s message and body. The shape net does not help: an
echo in prose ("... with password xq9") has no ``password=`` or ``"password":`` shape.

Broken promise: contract section 5 "No secret ever appears in an error"; the issue's own list of
angles names "secrets shorter than 4 chars". Scrubbing a short value only where it stands as a
word (or only in what the token request echoes) would keep messages readable.
"""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web

from vendorkit import LeadDesk
from vendorkit.errors import AuthenticationError

PASSWORD = "xq9"


async def test_a_three_character_password_echoed_by_the_token_endpoint_is_scrubbed(
    serve: Any, make: Any
) -> None:
    async def token(request: web.Request) -> web.Response:
        body = await request.json()
        return web.json_response(
            {
                "error": "invalid_grant",
                "error_description": (
                    f"no agent {body['username']} with password {body['password']}"
                ),
            },
            status=401,
        )

    server = await serve({"POST /oauth/access-token": token})
    ld = make(
        LeadDesk,
        server,
        client_id="ld-client",
        client_secret="ld-secret-1234",
        username="agent-7",
        password=PASSWORD,
    )
    with pytest.raises(AuthenticationError) as info:
        await ld.contacts.get(1)
    shown = f"{info.value!s} {info.value.message} {info.value.body}"
    assert f"password {PASSWORD}" not in shown, shown

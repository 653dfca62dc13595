"""Found in review, fixed; kept as the test that would catch it again. What was found:

``Leady.obtain_token(email=, password=)`` posts the password through an ``_Anonymous`` client
whose auth is ``NoAuth``: its ``secrets()`` is empty, so the known-secret net has nothing to
scrub. An api-token-get answer that echoes the password (a DRF validation message, a proxy's
debug page, a misconfigured endpoint: the case docs/clients.md "Secrets" names) lands verbatim
in the ``BadRequestError``'s ``str``, ``message``, ``field_errors`` and ``body``, and from there
in logs and CLI output.

Broken promise: contract section 5 "No secret ever appears in an error"; docs/clients.md "A
vendor's error answer that echoes a credential back has it replaced by *** in the error's
message, field errors, code and body". The OAuth2 token endpoints get this (tests/client/
test_auth_secrets.py); Leady's only credential exchange does not.
"""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web

from vendorkit import Leady
from vendorkit.errors import APIError

PASSWORD = "leady-Pa55word-0417"


async def test_api_token_get_echoing_the_password_does_not_put_it_in_the_error(
    serve: Any,
) -> None:
    async def token_get(request: web.Request) -> web.Response:
        body = await request.json()
        return web.json_response(
            {
                "non_field_errors": [f"Unable to log in with {body['email']} / {body['password']}"],
                "password": [f"'{body['password']}' is not correct"],
            },
            status=400,
        )

    server = await serve({"POST /api-token-get/": token_get})
    with pytest.raises(APIError) as info:
        await Leady.obtain_token(email="a@example.com", password=PASSWORD, base_url=server.url)
    err = info.value
    shown = " ".join(
        [
            str(err),
            repr(err),
            repr(err.args),
            err.message,
            repr(err.field_errors),
            repr(err.body),
            *err.non_field_errors,
        ]
    )
    assert PASSWORD not in shown, shown

"""Found in review, fixed; kept as the test that would catch it again. What was found:

Leady's token answers are taken as they come (``_token_of``: any string). A reset answered with
a token that cannot go into a header (CR/LF, NUL, non-Latin-1, empty) is installed by
``reset_token()`` and returned by ``obtain_token()``; every later call of the client then fails
with ``ConfigurationError`` ("cannot be sent": blaming the caller), and the old token is already
dead. OAuth2's ``parse_token`` refuses the same answer with ``DecodeError`` at the token request
(docs/clients.md Tokens: "An answer whose access token ... cannot go into a header ... is a
DecodeError").

Broken promise: issue 8, "Every server answer yields data or a documented vendorkit error"
(here: the right one, where it happens); contract section 5, ``ConfigurationError`` is for bad
arguments, not for what the vendor sent.
"""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web

from vendorkit import Leady
from vendorkit.errors import DecodeError


@pytest.mark.parametrize(
    "token", ["new\r\nX-Injected: 1", "", "ト-kun"], ids=["CRLF", "empty", "non-latin-1"]
)
async def test_a_reset_answering_an_unusable_token_is_a_decode_error(
    serve: Any, make: Any, token: str
) -> None:
    async def reset(request: web.Request) -> web.Response:
        return web.json_response({"token": token})

    server = await serve({"POST /api-token-reset/": reset})
    leady = make(Leady, server, token="old-token-1234")
    with pytest.raises(DecodeError):
        await leady.reset_token()


async def test_obtain_token_answering_an_unusable_token_is_a_decode_error(serve: Any) -> None:
    async def get(request: web.Request) -> web.Response:
        return web.json_response({"token": "abc\r\nSet-Cookie: x=1"})

    server = await serve({"POST /api-token-get/": get})
    with pytest.raises(DecodeError):
        await Leady.obtain_token(email="a@example.com", password="pw-123456", base_url=server.url)

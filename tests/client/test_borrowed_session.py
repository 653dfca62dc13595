"""Found in review, fixed; kept as the test that would catch it again. What was found:

A borrowed ``session=`` is used with its own ``raise_for_status`` (``_client._send`` does not
pass ``raise_for_status=False`` per request). With ``aiohttp.ClientSession(raise_for_status=True)``,
a setting many applications use, every error status becomes an ``aiohttp.ClientResponseError``
inside the seam, hence a ``TransportError`` of kind "transport": a 404 is retried
``max_retries`` times (4 sends for one ``get``), a 401 never renews the token, a 429's
``Retry-After`` is ignored, a POST answered 422 is reported as "maybe applied", and the caller
never sees ``NotFoundError``/``AuthenticationError``/... at all.

Broken promise: contract section 2, ``session=`` "an existing aiohttp.ClientSession: borrowed";
section 5, ``APIError`` (and its subclasses by status) when "the vendor answered with an error";
docs/clients.md retry rules (a 404 is not retried).
"""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from aiohttp import web

from vendorkit import LeanLaw
from vendorkit.errors import NotFoundError


async def test_a_borrowed_session_that_raises_for_status_still_gives_api_errors(
    serve: Any,
) -> None:
    async def client(request: web.Request) -> web.Response:
        return web.json_response({"message": "no such client"}, status=404)

    server = await serve({"GET /v2/clients/{id}": client})
    async with aiohttp.ClientSession(raise_for_status=True) as session:
        async with LeanLaw(api_key="ll-key-123456789", base_url=server.url, session=session) as ll:
            with pytest.raises(NotFoundError):
                await ll.clients.get("x")
    assert server.hits("GET") == 1

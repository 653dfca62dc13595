"""Found in review, fixed; kept as the test that would catch it again. What was found:

``models.mid_from_url`` feeds any value to ``yarl.URL``: a non-string raises ``TypeError``, a
malformed URL (a bad IPv6 literal, port 99999, a backslash in the authority) ``ValueError``.

It runs on what the server sends (partner discovery reads ``url`` from ``/api/partner/`` when a
row has no ``mid``) and on what the caller passes (``clients.contacts(url)``, ``pickup_links``'
``document=``, ``Partner.partner_mid``), so a bare exception escapes from a plain
``ml.documents.list()`` with no ``partner_mid=``.

Broken promise: issue 8, "Every server answer yields data or a documented vendorkit error,
never a bare exception ... next links with a backslash in the authority, a bad IPv6 literal or
port 99999 (yarl ValueError)" and "every exception vendorkit raises is a VendorkitError".
"""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web

from vendorkit import MakeLeaps
from vendorkit.errors import VendorkitError

HOSTILE_URLS = [
    5,
    ["x"],
    "https://[bad/api/partner/P/",
    "https://a:99999/api/partner/P/",
    "https://a\\b/",
]


@pytest.mark.parametrize("url", HOSTILE_URLS, ids=repr)
async def test_partner_discovery_with_a_hostile_url_is_a_vendorkit_error(
    serve: Any, url: Any
) -> None:
    async def token(request: web.Request) -> web.Response:
        return web.json_response(
            {"access_token": "ml-access-TOKEN-1", "token_type": "Bearer", "expires_in": 36000}
        )

    async def partners(request: web.Request) -> web.Response:
        return web.json_response({"meta": {"status": 200}, "response": [{"url": url}]})

    server = await serve({"POST /user/oauth2/token/": token, "GET /api/partner/": partners})
    async with MakeLeaps(
        client_id="ml-client", client_secret="ml-secret-1234", base_url=server.url, rate_limit=None
    ) as ml:
        with pytest.raises(VendorkitError):
            await ml.documents.list().all()


@pytest.mark.parametrize("url", HOSTILE_URLS[2:], ids=repr)
async def test_a_malformed_url_given_as_a_reference_is_a_configuration_error(url: str) -> None:
    async with MakeLeaps(
        client_id="ml-client", client_secret="ml-secret-1234", partner_mid="P", rate_limit=None
    ) as ml:
        with pytest.raises(VendorkitError):
            ml.clients.contacts(url)  # builds the pager: _mid(url) runs here

"""A generic path with an empty ``{}`` is a ``ConfigurationError`` (the issue-9 review found a bare
``IndexError``; its report follows).

``client.request()``/``paginate()`` fill ``{placeholders}`` (docs/clients.md "Generic access").
``_urls.placeholders`` drops the unnamed field of ``"{}"`` (``if name``), so ``fill_template``
finds nothing missing and calls ``template.format(**{})``: ``IndexError: Replacement index 0 out
of range``. A named unknown placeholder (``{x}``) is a ``ConfigurationError``; ``{}`` (a JSON
filter value, a typo) is not.

Broken promise: contract section 5, "``VendorkitError`` is the base of everything vendorkit
raises"; docs/guarantees.md "Bad input yields data or a documented error".
"""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web

from vendorkit import LeanLaw
from vendorkit.errors import VendorkitError


@pytest.mark.parametrize("path", ["/v2/clients/{}", "/v2/clients?name={}"])
async def test_an_empty_placeholder_is_a_vendorkit_error(serve: Any, make: Any, path: str) -> None:
    async def anything(request: web.Request) -> web.Response:
        return web.json_response({"data": [], "pagination": {"total": 0}})

    server = await serve({"GET /{tail:.*}": anything})
    ll = make(LeanLaw, server, api_key="ll-key-123456")
    with pytest.raises(VendorkitError):
        await ll.request("GET", path)
    with pytest.raises(VendorkitError):
        await ll.paginate(path).all()

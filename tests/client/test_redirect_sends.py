"""Found in review, fixed; kept as the test that would catch it again. What was found:

Redirects are followed inside each attempt (``_attempt``: up to ``_MAX_REDIRECTS`` = 5 hops),
outside the retry budget, and every retry starts again from the original URL. A vendor (or its
load balancer) that redirects ``/v2/clients/x`` to ``/v2/clients/x/`` and then answers 503 gets
two requests per attempt: eight sends for ``max_retries=3``, and up to six per attempt for a
longer chain. A self-redirect (``Location`` = the URL just fetched) is followed five times
before the 302 surfaces: a loop is not recognised as one.

Fixed as documented in docs/clients.md: a redirect hop is sent once per call (later attempts go
straight to where it led) and a redirect loop surfaces at once. The promise was docs/clients.md
"max_retries=N bounds every send: at most N + 1 requests reach
the wire"; issue 8, "max_retries=N bounds every send" (the issue names redirects among the ways
one call can send more than max_retries allows).
"""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web

from vendorkit.errors import APIError, ServerError

from .conftest import TokenClient


async def test_a_redirect_then_503_sends_no_more_than_max_retries_plus_one(
    serve: Any, make: Any
) -> None:
    async def moved(request: web.Request) -> web.Response:
        raise web.HTTPMovedPermanently("/items/x/")

    async def busy(request: web.Request) -> web.Response:
        return web.json_response({"message": "busy"}, status=503)

    server = await serve({"GET /items/x": moved, "GET /items/x/": busy})
    client = make(TokenClient, server, max_retries=3)
    with pytest.raises(ServerError):
        await client.items.get("x")
    # The hop is sent once per call; the four attempts go where it led.
    assert [s.path for s in server.seen] == ["/items/x"] + ["/items/x/"] * 4


async def test_a_redirect_to_itself_is_a_loop_not_five_more_sends(serve: Any, make: Any) -> None:
    async def loop(request: web.Request) -> web.Response:
        raise web.HTTPFound(str(request.rel_url))

    server = await serve({"GET /items/x": loop})
    client = make(TokenClient, server, max_retries=0)
    with pytest.raises(APIError):
        await client.items.get("x")
    assert len(server.seen) <= 2, [s.path for s in server.seen]

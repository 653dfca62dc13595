"""``request(..., raw=True)``: a ``vendorkit.Response`` with the status, headers, trace id,
elapsed seconds and attempts of the call; errors still raise. Against real local servers."""

from __future__ import annotations

from typing import Any

import attrs
import pytest
from aiohttp import web

import vendorkit
from vendorkit import Response
from vendorkit.errors import ConfigurationError, NotFoundError, ServerError

from .conftest import API_KEY, TokenClient


def flaky(failures: list[int]) -> Any:
    left = list(failures)

    async def handler(request: web.Request) -> web.StreamResponse:
        if left:
            return web.json_response({"detail": "busy"}, status=left.pop(0))
        return web.json_response(
            {"data": {"id": "x-1", "amount": "12.50"}, "meta": {"total": 1}},
            headers={"X-Request-Id": "req-abc-123", "X-Extra": "yes"},
        )

    return handler


async def test_a_raw_response_carries_status_headers_trace_id_and_attempts(
    serve: Any, make: Any
) -> None:
    server = await serve({"GET /x": flaky([503])})
    client = make(TokenClient, server)
    resp = await client.request("GET", "/x", params={"q": "1"}, raw=True)
    assert isinstance(resp, Response) and type(resp) is vendorkit.Response
    assert resp.status == 200
    assert resp.attempts == 2  # a 503, then the 200
    assert resp.trace_id == "req-abc-123"
    assert resp.headers["x-extra"] == resp.headers["X-EXTRA"] == "yes"  # case-insensitive
    assert resp.headers["Content-Type"].startswith("application/json")
    assert 0 < resp.elapsed < 5
    assert resp.json() == {"data": {"id": "x-1", "amount": "12.50"}, "meta": {"total": 1}}
    assert resp.content.startswith(b"{") and '"x-1"' in resp.text
    assert (resp.method, resp.url) == ("GET", f"{server.url}/x?q=1")
    # The plain call gives the unwrapped payload, as ever.
    assert await client.request("GET", "/x") == {"id": "x-1", "amount": "12.50"}


async def test_a_raw_response_is_a_frozen_slotted_value_without_secrets_in_its_repr(
    serve: Any, make: Any
) -> None:
    server = await serve({"GET /x": flaky([])})
    client = make(TokenClient, server)
    resp = await client.request("GET", "/x", raw=True)
    assert resp.attempts == 1
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        resp.status = 500  # type: ignore[misc]
    assert not hasattr(resp, "__dict__")
    assert API_KEY not in repr(resp) and "status=200" in repr(resp)
    assert Response.__doc__


async def test_the_trace_id_is_none_where_the_vendor_sends_none(serve: Any, make: Any) -> None:
    async def empty(request: web.Request) -> web.StreamResponse:
        return web.Response(status=204)

    server = await serve({"DELETE /x": empty})
    client = make(TokenClient, server)
    resp = await client.request("DELETE", "/x", raw=True)
    assert (resp.status, resp.trace_id, resp.json(), resp.content) == (204, None, None, b"")


@pytest.mark.parametrize(("status", "error"), [(404, NotFoundError), (503, ServerError)])
async def test_an_error_status_still_raises_the_typed_error(
    serve: Any, make: Any, status: int, error: type[Exception]
) -> None:
    server = await serve({"GET /x": flaky([status] * 10)})
    client = make(TokenClient, server, max_retries=1)
    with pytest.raises(error):
        await client.request("GET", "/x", raw=True)


async def test_raw_through_a_view_counts_the_views_attempts(serve: Any, make: Any) -> None:
    server = await serve({"GET /x": flaky([503, 503])})
    client = make(TokenClient, server, max_retries=0)
    resp = await client.with_options(max_retries=3).request("GET", "/x", raw=True)
    assert resp.attempts == 3 and server.hits() == 3


async def test_raw_must_be_a_bool(serve: Any, make: Any) -> None:
    server = await serve({"GET /x": flaky([])})
    client = make(TokenClient, server)
    with pytest.raises(ConfigurationError, match="raw must be True or False"):
        await client.request("GET", "/x", raw="yes")  # type: ignore[call-overload]
    assert server.hits() == 0


async def test_a_raw_delete_404_after_a_gateway_error_is_the_404_it_was_but_no_error(
    serve: Any, make: Any
) -> None:
    """The first attempt's outcome is unknown (a 502), the retry finds the record gone: the
    call succeeded (that attempt deleted it), and the raw response shows what answered: the
    404, after 2 attempts, with no body to read."""
    answers = [502, 404]

    async def delete(request: web.Request) -> web.StreamResponse:
        return web.json_response({"detail": "Not found."}, status=answers.pop(0))

    server = await serve({"DELETE /x": delete})
    client = make(TokenClient, server)
    resp = await client.request("DELETE", "/x", raw=True)
    assert (resp.status, resp.attempts, resp.json()) == (404, 2, None)


async def test_a_401_after_a_redirect_is_renewed_and_replayed_within_one_attempt(
    serve: Any, make: Any
) -> None:
    # Review 11: a redirect hop answering 401 (a vendor redirecting to the canonical URL before
    # it authenticates) was raised as AuthenticationError, with no renewal; the token is now
    # renewed and the hop replayed, as at the first URL. ``attempts`` counts the retry loop's
    # attempts: the wire saw three requests (the redirect, the 401, the replay), each a span.
    from .conftest import OAuthBackend, OAuthClient

    backend = OAuthBackend()

    async def moved(request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound("/me")

    server = await serve({**backend.routes(), "GET /old": moved})
    client = make(OAuthClient, server)
    await client.request("GET", "/me")
    backend.revoke_all()
    before = server.hits("GET", "/me")
    resp = await client.request("GET", "/old", raw=True)
    assert resp.status == 200 and resp.url.endswith("/me")
    assert server.hits("GET", "/me") - before == 2  # the 401, then the replay
    assert backend.grants.count("client_credentials") + backend.grants.count("refresh_token") == 2
    assert resp.attempts == 1

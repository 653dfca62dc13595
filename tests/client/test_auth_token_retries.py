"""A token request is repeatable: one that meets a 502, 503, 504, a 429 (honouring its
``Retry-After``) or a dropped connection is retried under the client's policy, in both token
endpoint styles (Basic + form, MakeLeaps-like; client in a JSON body, LeadDesk-like)."""

from __future__ import annotations

from typing import Any

import pytest

from vendorkit.errors import ServerError, TransportError

from ._auth_servers import GRANTS, STYLES, Fault, TokenServer, drop, oauth_client, status

FAULTS: dict[str, Fault] = {
    "503": status(503),
    "502": status(502),
    "504": status(504),
    "429": status(429, retry_after="0.3"),
    "drop": drop,
}


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("fault", list(FAULTS))
async def test_a_token_request_is_retried_once_after_one_fault(
    serve: Any, make: Any, style: str, fault: str
) -> None:
    backend = TokenServer(style, faults=[FAULTS[fault]])
    server = await serve(backend.routes())
    client = oauth_client(make, server, style)
    assert await client.request("GET", "/me") == {"token": "access-1-S3CRET"}
    # Exactly two token requests, both the same grant, then one API call with the token.
    assert backend.grants == {GRANTS[style]: 2}
    assert server.hits("POST", "/oauth/token") == 2
    assert server.hits("GET", "/me") == 1
    assert backend.unauthorized == 0
    first, second = server.requests("POST", "/oauth/token")
    assert first.body == second.body
    if fault == "429":
        # Retry-After is a floor for the retry.
        assert second.at - first.at >= 0.3


@pytest.mark.parametrize("style", STYLES)
async def test_a_token_endpoint_that_keeps_failing_is_retried_max_retries_times(
    serve: Any, make: Any, style: str
) -> None:
    backend = TokenServer(style, faults=[status(503)] * 10)
    server = await serve(backend.routes())
    client = oauth_client(make, server, style, max_retries=2)
    with pytest.raises(ServerError) as info:
        await client.request("GET", "/me")
    assert info.value.status == 503
    assert backend.grants == {GRANTS[style]: 3}
    assert server.hits("GET", "/me") == 0


@pytest.mark.parametrize("style", STYLES)
async def test_a_token_request_that_keeps_being_dropped_is_a_transport_error(
    serve: Any, make: Any, style: str
) -> None:
    backend = TokenServer(style, faults=[drop] * 10)
    server = await serve(backend.routes())
    client = oauth_client(make, server, style, max_retries=1)
    with pytest.raises(TransportError):
        await client.request("GET", "/me")
    assert backend.grants == {GRANTS[style]: 2}
    assert server.hits("GET", "/me") == 0


@pytest.mark.parametrize("style", STYLES)
async def test_a_500_from_the_token_endpoint_is_not_retried(
    serve: Any, make: Any, style: str
) -> None:
    # Not in the retry statuses for any request: the endpoint failed, and says nothing about
    # whether trying again helps.
    backend = TokenServer(style, faults=[status(500)])
    server = await serve(backend.routes())
    client = oauth_client(make, server, style)
    with pytest.raises(ServerError):
        await client.request("GET", "/me")
    assert backend.grants == {GRANTS[style]: 1}


@pytest.mark.parametrize("style", STYLES)
async def test_a_refresh_request_is_retried_too(serve: Any, make: Any, style: str) -> None:
    backend = TokenServer(style)
    server = await serve(backend.routes())
    client = oauth_client(make, server, style)
    await client.request("GET", "/me")
    backend.valid.clear()  # access tokens die, the refresh token lives
    backend.faults = [status(503)]
    assert await client.request("GET", "/me") == {"token": "access-2-S3CRET"}
    # The retried refresh presented the same (still valid) refresh token: no fallback grant.
    assert backend.grants == {GRANTS[style]: 1, "refresh_token": 2}

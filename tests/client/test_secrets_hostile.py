"""Secrets stay secret when the peer misbehaves: malformed status lines, invalid or over-long
headers, bodies that lie, dropped connections, and servers that echo credentials back.

aiohttp's exceptions carry the request (URL and headers, ``Authorization`` included) in their
repr; vendorkit must not let any of it reach an error's ``str``/``repr``/``args``, its chained
causes, a log record, a hook's argument or a formatted traceback. Every secret used here contains
the marker ``S3CRET``; the Basic value of the OAuth client is checked by its exact base64 text.
"""

from __future__ import annotations

import base64
import logging
import traceback
from typing import Any

import pytest
from aiohttp import web

from vendorkit.errors import APIError, VendorkitError

from ._raw import http, raw_server
from .conftest import API_KEY, CLIENT_ID, CLIENT_SECRET, OAuthClient, TokenClient

__all__ = ["raw_server"]

MARK = "S3CRET"
QUERY_SECRET = "query-S3CRET-77"
BASIC = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()


def _echo_auth(request: bytes) -> str:
    for line in request.split(b"\r\n"):
        if line.lower().startswith(b"authorization:"):
            return line.split(b":", 1)[1].strip().decode("latin-1")
    return ""


# Each: what the server answers to every request (None: drop the connection).
HOSTILE: dict[str, Any] = {
    "malformed status line": lambda req, n: b"HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n",
    "header without a colon": lambda req, n: (
        b"HTTP/1.1 200 OK\r\nThis is not a header\r\nContent-Length: 2\r\n\r\n{}"
    ),
    "over-long header": lambda req, n: http("200 OK", b"{}", {"X-Long": "a" * 20000}),
    "invalid header value": lambda req, n: (
        b"HTTP/1.1 200 OK\r\nX-Bad: a\x00b\r\nContent-Length: 2\r\n\r\n{}"
    ),
    "status line echoing the credential": lambda req, n: (
        f"HTTP/1.1 2{_echo_auth(req)} nope\r\nContent-Length: 0\r\n\r\n".encode("latin-1")
    ),
    "body shorter than its Content-Length": lambda req, n: (
        b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"a"',
        "close",
    ),
    "broken chunked encoding": lambda req, n: (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n"
    ),
    "connection dropped": lambda req, n: None,
}


def _everything_shown(
    err: BaseException, caplog: pytest.LogCaptureFixture, hooks: list[Any]
) -> str:
    """Every text a user or operator could see of this failure."""
    parts = [str(err), repr(err), repr(err.args), "".join(traceback.format_exception(err))]
    seen: set[int] = set()
    chained: BaseException | None = err
    while chained is not None and id(chained) not in seen:
        seen.add(id(chained))
        parts += [repr(chained), str(chained), repr(chained.args)]
        chained = chained.__cause__ or chained.__context__
    parts += [r.getMessage() for r in caplog.records]
    parts.append(caplog.text)
    parts += [repr(h) for h in hooks]
    parts += [str(h) for h in hooks]
    return "\n".join(parts)


@pytest.mark.parametrize("name", sorted(HOSTILE))
async def test_no_secret_in_any_view_of_a_transport_failure(
    raw_server: Any, caplog: pytest.LogCaptureFixture, name: str
) -> None:
    caplog.set_level(logging.DEBUG, logger="vendorkit")
    server = await raw_server(HOSTILE[name])
    hooks: list[Any] = []
    async with TokenClient(
        base_url=server.url, max_retries=1, timeout=2, on_retry=lambda *a: hooks.append(a)
    ) as client:
        with pytest.raises(VendorkitError) as info:
            await client.request("GET", "/x", params={"token": QUERY_SECRET, "q": "1"})
    shown = _everything_shown(info.value, caplog, hooks)
    assert MARK not in shown
    assert API_KEY not in shown and QUERY_SECRET not in shown
    # The failure still says what happened, where.
    assert "/x" in str(info.value)
    assert len(server.requests) >= 1
    # Nothing foreign is chained: the cause chain is vendorkit's own (or empty).
    assert info.value.__cause__ is None or isinstance(info.value.__cause__, VendorkitError)
    assert info.value.__context__ is None or isinstance(info.value.__context__, VendorkitError)


@pytest.mark.parametrize("name", sorted(HOSTILE))
async def test_no_basic_credentials_from_a_hostile_token_endpoint(
    raw_server: Any, caplog: pytest.LogCaptureFixture, name: str
) -> None:
    caplog.set_level(logging.DEBUG, logger="vendorkit")
    server = await raw_server(HOSTILE[name])
    hooks: list[Any] = []
    async with OAuthClient(
        base_url=server.url, max_retries=1, timeout=2, on_retry=lambda *a: hooks.append(a)
    ) as client:
        with pytest.raises(VendorkitError) as info:
            await client.request("GET", "/me")
    shown = _everything_shown(info.value, caplog, hooks)
    assert BASIC not in shown and MARK not in shown
    # The token request really carried the Basic credentials that must not be shown.
    assert server.requests and f"Basic {BASIC}".encode() in server.requests[0]


async def test_a_query_secret_is_redacted_everywhere_in_a_message(
    raw_server: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """aiohttp's message names the URL again after vendorkit's own redacted one: both go."""
    server = await raw_server(HOSTILE["malformed status line"])
    async with TokenClient(base_url=server.url, max_retries=0) as client:
        with pytest.raises(VendorkitError) as info:
            await client.request("GET", "/x", params={"access_token": QUERY_SECRET})
    text = info.value.args[0]
    assert QUERY_SECRET not in text
    assert text.count("access_token=***") >= 1


async def test_an_error_body_echoing_the_credentials_is_scrubbed(serve: Any, make: Any) -> None:
    """A hostile vendor echoes the API key in its error message, fields and body."""

    async def echo(request: web.Request) -> web.StreamResponse:
        auth = request.headers.get("Authorization", "")
        return web.json_response(
            {"detail": f"bad header {auth}", "code": auth, auth: [f"echo {auth}"]}, status=400
        )

    server = await serve({"GET /x": echo})
    client = make(TokenClient, server)
    with pytest.raises(APIError) as info:
        await client.request("GET", "/x")
    err = info.value
    everything = " ".join(
        [str(err), repr(err), repr(err.args), err.message, repr(err.body), repr(err.field_errors)]
    )
    assert MARK not in everything
    assert "bad header Token ***" in err.message


async def test_echoed_oauth_tokens_are_scrubbed(serve: Any, make: Any) -> None:
    """Tokens the client was issued are secrets too, once it holds them."""

    async def token(request: web.Request) -> web.StreamResponse:
        return web.json_response(
            {"access_token": "issued-S3CRET-9", "expires_in": 3600, "refresh_token": "r-S3CRET"}
        )

    async def me(request: web.Request) -> web.StreamResponse:
        detail = f"{request.headers['Authorization']} refused"
        return web.json_response({"detail": detail}, status=403)

    server = await serve({"POST /oauth/token": token, "GET /me": me})
    client = make(OAuthClient, server)
    with pytest.raises(APIError) as info:
        await client.request("GET", "/me")
    assert MARK not in str(info.value) and MARK not in repr(info.value.body)
    assert str(info.value).endswith("-> 403: Bearer *** refused")

"""Secrets: no credential reaches an error, a log line, a repr or a hook, whatever the peer
sends back. The auth path first (hostile token endpoints), then misbehaving peers
(``test_secrets_hostile``), then the two redaction nets (``test_secret_nets``); see
tests/MOVED.md for where each test came from.

No secret in any error or log line from the auth path, even when a hostile token endpoint
echoes everything it was sent (the client secret, the password, the refresh token, the Basic
header, raw and decoded, URL-, JSON- and HTML-encoded) in its error body, error code, field
errors or an HTML page; and when a transport error's text or chained cause carries them."""

from __future__ import annotations

import asyncio
import base64
import html
import json
import logging
import pickle
import traceback
from typing import Any
from urllib.parse import quote, quote_plus

import pytest
from aiohttp import web
from yarl import URL

from vendorkit import LeadDesk, LeanLaw, MakeLeaps
from vendorkit.core import MemoryTokenStore, OAuth2, WireRequest
from vendorkit.core._auth import scrub, scrub_error
from vendorkit.errors import APIError, AuthenticationError, TransportError, VendorkitError

from ._auth_servers import PASSWORD, STYLES, USERNAME, TokenServer, oauth_client
from ._raw import http, raw_server
from .conftest import API_KEY, CLIENT_ID, CLIENT_SECRET, OAuthClient, TokenClient

# Characters that make the encoded forms differ from the raw one.
HOSTILE_SECRET = "wr0ng S3CRET/+&=\"'<x>%"


def forms(secret: str) -> set[str]:
    out = {secret, quote(secret, safe=""), quote_plus(secret), json.dumps(secret)[1:-1]}
    out |= {html.escape(secret), repr(secret)[1:-1]}
    return out


def basic(client_id: str, secret: str) -> str:
    return base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def shown(error: BaseException, caplog: pytest.LogCaptureFixture) -> str:
    """Everything a user, a log or a pickle could see of ``error``."""
    parts = [str(error), repr(error), repr(error.args), repr(error.__dict__)]
    parts.append(repr(pickle.loads(pickle.dumps(error)).__dict__))
    link = error.__cause__ or error.__context__
    while link is not None:
        parts += [str(link), repr(link)]
        link = link.__cause__ or link.__context__
    parts += [r.getMessage() for r in caplog.records]
    parts.append(caplog.text)
    return "\n".join(parts)


def assert_clean(text: str, *secrets: str) -> None:
    for secret in secrets:
        for form in forms(secret):
            assert form not in text, f"{form!r} leaked"


def token_routes(backend: TokenServer, path: str) -> dict[str, Any]:
    return {**backend.routes(), f"POST {path}": backend.token}


async def test_a_hostile_leaddesk_token_endpoint_echoing_a_wrong_secret(
    serve: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="vendorkit")
    backend = TokenServer("json", echo=True)
    server = await serve(token_routes(backend, "/oauth/access-token"))
    async with LeadDesk(
        client_id=CLIENT_ID,
        client_secret=HOSTILE_SECRET,
        username=USERNAME,
        password=PASSWORD,
        base_url=server.url,
    ) as ld:
        with pytest.raises(AuthenticationError) as info:
            await ld.users.get(1)
    error = info.value
    assert error.status == 401
    assert error.field_errors  # the echoed validation object was read (keys scrubbed)
    assert_clean(shown(error, caplog), HOSTILE_SECRET, PASSWORD)
    assert "***" in error.message


async def test_a_hostile_makeleaps_token_endpoint_echoing_the_basic_header(
    serve: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="vendorkit")
    backend = TokenServer("basic", echo=True)
    server = await serve(token_routes(backend, "/user/oauth2/token/"))
    async with MakeLeaps(
        client_id=CLIENT_ID, client_secret=HOSTILE_SECRET, partner_mid="1", base_url=server.url
    ) as ml:
        with pytest.raises(AuthenticationError) as info:
            await ml.request("GET", "/api/partner/")
    value = basic(CLIENT_ID, HOSTILE_SECRET)
    assert_clean(shown(info.value, caplog), HOSTILE_SECRET, value, f"{CLIENT_ID}:{HOSTILE_SECRET}")


@pytest.mark.parametrize("style", STYLES)
async def test_echoed_refresh_token_password_and_access_token_never_reach_the_error(
    serve: Any, make: Any, caplog: pytest.LogCaptureFixture, style: str
) -> None:
    """A 401 on the current token: the refresh is refused echoing the refresh token, the
    original grant is refused echoing the password and the client secret."""
    caplog.set_level(logging.DEBUG, logger="vendorkit")
    backend = TokenServer(style, echo=True)
    server = await serve(backend.routes())
    client = oauth_client(make, server, style)
    await client.request("GET", "/me")
    backend.revoke_all()
    backend.user_revoked = True
    with pytest.raises(AuthenticationError) as info:
        await client.request("GET", "/me")
    assert backend.grants["refresh_token"] == 1
    assert_clean(
        shown(info.value, caplog),
        CLIENT_SECRET,
        PASSWORD,
        "refresh-1-S3CRET",
        "access-1-S3CRET",
        basic(CLIENT_ID, CLIENT_SECRET),
    )


@pytest.mark.parametrize("style", STYLES)
async def test_an_html_error_page_echoing_the_secret(
    serve: Any, make: Any, caplog: pytest.LogCaptureFixture, style: str
) -> None:
    caplog.set_level(logging.DEBUG, logger="vendorkit")

    async def page(request: web.Request) -> web.StreamResponse:
        text = html.escape(HOSTILE_SECRET)
        body = f"<html><title>bad client {text}</title><body>{text} {PASSWORD}</body></html>"
        return web.Response(text=body, status=400, content_type="text/html")

    backend = TokenServer(style, faults=[page])
    server = await serve(backend.routes())
    client = oauth_client(make, server, style, client_secret=HOSTILE_SECRET)
    with pytest.raises(APIError) as info:
        await client.request("GET", "/me")
    assert info.value.status == 400 and "bad client ***" in str(info.value)
    known = (HOSTILE_SECRET, PASSWORD) if style == "json" else (HOSTILE_SECRET,)
    assert_clean(shown(info.value, caplog), *known)


async def test_a_transport_error_carrying_the_basic_value_is_scrubbed_and_its_cause_cut() -> None:
    """What aiohttp's exception text does today (its repr holds the request headers): the
    strategy scrubs what it knows from its own token requests' errors."""
    auth = OAuth2(
        token_path="/oauth/token",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        grant={"grant_type": "password", "username": USERNAME, "password": PASSWORD},
    )
    auth.bind(base_url=URL("https://vendor.invalid"), vendor="acme", store=MemoryTokenStore())
    value = basic(CLIENT_ID, CLIENT_SECRET)

    async def send(request: WireRequest) -> Any:
        try:
            raise OSError(f"bad status line; headers={dict(request.headers)} body={request.form}")
        except OSError as exc:
            raise TransportError(f"POST /oauth/token failed: {exc!r}") from exc

    with pytest.raises(TransportError) as info:
        await auth.current_token(send)
    text = f"{info.value} {info.value!r} {info.value.args!r}"
    assert "failed:" in text
    assert_clean(text, value, PASSWORD)
    assert info.value.__cause__ is None and info.value.__context__ is None


def test_scrub_error_keeps_a_clean_chain() -> None:
    try:
        raise ValueError("nothing to hide")
    except ValueError as exc:
        error = TransportError("dropped")
        error.__cause__ = exc
    assert scrub_error(error, {"S3CRET-x"}).__cause__ is not None


def test_scrub_replaces_every_form_longest_first() -> None:
    secret = "a b/c"
    text = f"raw {secret} url {quote_plus(secret)} json {json.dumps(secret)} b64 Basic {secret}"
    out = scrub(text, {secret, f"Basic {secret}"})
    assert secret not in out and quote_plus(secret) not in out
    assert out == 'raw *** url *** json "***" b64 ***'


def test_an_api_error_is_scrubbed_in_every_field() -> None:
    error = AuthenticationError(
        "no S3CRET-1",
        status=401,
        vendor="acme",
        url="https://vendor.invalid/oauth/token?x=S3CRET-1",
        code="bad:S3CRET-1",
        field_errors={"S3CRET-1": ["S3CRET-1 is wrong"]},
        non_field_errors=["S3CRET-1"],
        trace_id="S3CRET-1",
        body={"S3CRET-1": ["S3CRET-1", {"deep": "S3CRET-1"}], "n": 1, "pin": 918273},
    )
    scrub_error(error, {"S3CRET-1", "918273"})
    assert "S3CRET-1" not in repr(error.__dict__) + repr(error.args) + str(error)
    assert error.body == {"***": ["***", {"deep": "***"}], "n": 1, "pin": "***"}


# -------------------------------------------------------------------------------------------------
# Moved here from tests/client/test_secrets_hostile.py; its module docstring:
#
# Secrets stay secret when the peer misbehaves: malformed status lines, invalid or over-long
# headers, bodies that lie, dropped connections, and servers that echo credentials back.
#
# aiohttp's exceptions carry the request (URL and headers, ``Authorization`` included) in their
# repr; vendorkit must not let any of it reach an error's ``str``/``repr``/``args``, its chained
# causes, a log record, a hook's argument or a formatted traceback. Every secret used here contains
# the marker ``S3CRET``; the Basic value of the OAuth client is checked by its exact base64 text.


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


# -------------------------------------------------------------------------------------------------
# Moved here from tests/client/test_secret_nets.py; its module docstring:
#
# Found in review, fixed; kept as the test that would catch it again. What was found:
#
# The "two nets, always both" rule of docs/clients.md (Secrets): the exact credential values the
# client holds are scrubbed *wherever they appear*, in every spelling. Two places get only the
# shape net, or none:
#
# - ``APIError.trace_id`` is copied raw from the vendor's trace header
#   (``_errors.error_from_response``) and printed by ``str(error)``. A proxy or debug build that
#   echoes the request's ``Authorization`` into ``x-leanlaw-traceid`` puts the API key into every
#   error message, log line and CLI line built from it. (For token requests ``scrub_error`` covers
#   the trace id; for every other call nothing does.)
# - URLs are redacted by ``redact_url`` alone: user-info and a fixed list of lower-case query keys.
#   The client's own key under any other name (``accessToken``, camelCase as LeanLaw spells its
#   JSON, ``auth``, ``sig``...) reaches ``TransportError``, the DEBUG log and every hook's
#   ``info.url`` in full, although the client knows that exact value.
#
# Broken promise: contract section 5 "No secret ever appears in an error, a log line or a repr";
# issue 8 "any path where text derived from ... a header, a URL ... reaches str/repr/args/...
# logs/hooks ... unredacted".


KEY = "ll-live-K3y-0123456789abcdef"


async def test_a_trace_id_that_echoes_the_key_is_scrubbed(serve: Any, make: Any) -> None:
    async def clients(request: web.Request) -> web.Response:
        return web.json_response(
            {"message": "forbidden"},
            status=403,
            headers={"x-leanlaw-traceid": request.headers["Authorization"]},
        )

    server = await serve({"GET /v2/clients/{id}": clients})
    ll = make(LeanLaw, server, api_key=KEY, max_retries=0)
    with pytest.raises(APIError) as info:
        await ll.clients.get("c1")
    shown = f"{info.value!s} {info.value!r} {info.value.trace_id}"
    assert KEY not in shown, shown


async def test_the_clients_key_in_a_query_is_scrubbed_from_errors_logs_and_hooks(
    serve: Any, make: Any, caplog: pytest.LogCaptureFixture
) -> None:
    async def drop(request: web.Request) -> web.Response:
        assert request.transport is not None
        request.transport.close()
        await asyncio.sleep(0.05)
        raise web.HTTPInternalServerError

    seen: list[str] = []
    server = await serve({"GET /v2/matters": drop})
    ll = make(
        LeanLaw, server, api_key=KEY, max_retries=0, on_request=lambda info: seen.append(info.url)
    )
    caplog.set_level(logging.DEBUG, logger="vendorkit")
    with pytest.raises(TransportError) as info:
        await ll.request("GET", "/v2/matters", params={"accessToken": KEY})
    shown = f"{info.value!s} {info.value!r} {seen} {caplog.text}"
    assert KEY not in shown, shown

"""No secret in any error or log line from the auth path, even when a hostile token endpoint
echoes everything it was sent (the client secret, the password, the refresh token, the Basic
header, raw and decoded, URL-, JSON- and HTML-encoded) in its error body, error code, field
errors or an HTML page; and when a transport error's text or chained cause carries them."""

from __future__ import annotations

import base64
import html
import json
import logging
import pickle
from typing import Any
from urllib.parse import quote, quote_plus

import pytest
from aiohttp import web
from yarl import URL

from vendorkit import LeadDesk, MakeLeaps
from vendorkit.core import MemoryTokenStore, OAuth2, WireRequest
from vendorkit.core._auth import scrub, scrub_error
from vendorkit.errors import APIError, AuthenticationError, TransportError

from ._auth_servers import PASSWORD, STYLES, USERNAME, TokenServer, oauth_client
from .conftest import CLIENT_ID, CLIENT_SECRET

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

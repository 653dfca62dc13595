"""Typed errors from real answers, and secrets kept out of errors, reprs and log records.

Every secret used by the test clients and the OAuth backend contains the marker ``S3CRET``.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from aiohttp import web

from vendorkit import LeadDesk
from vendorkit.core import RequestInfo
from vendorkit.errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    ConflictError,
    DecodeError,
    NotFoundError,
    PaginationError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    TransportError,
    UnprocessableEntityError,
)

from .conftest import API_KEY, CLIENT_SECRET, OAuthBackend, OAuthClient, TokenClient, page

MARK = "S3CRET"


def answer(status: int, body: Any, *, headers: dict[str, str] | None = None) -> Any:
    async def handler(request: web.Request) -> web.StreamResponse:
        if isinstance(body, str):
            return web.Response(text=body, status=status, content_type="text/html", headers=headers)
        return web.json_response(body, status=status, headers=headers)

    return handler


def log_text(caplog: pytest.LogCaptureFixture) -> str:
    lines = [r.getMessage() for r in caplog.records]
    return "\n".join(lines) + "\n" + caplog.text


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (409, ConflictError),
        (422, UnprocessableEntityError),
        (500, ServerError),
        (418, APIError),
    ],
)
async def test_status_maps_to_error_class(
    serve: Any, make: Any, status: int, cls: type[APIError]
) -> None:
    server = await serve({"GET /things/{id}": answer(status, {"detail": "Nope."})})
    client = make(TokenClient, server)
    with pytest.raises(APIError) as info:
        await client.request("GET", "/things/1", params={"q": "x"})
    err = info.value
    assert type(err) is cls
    assert err.status == status
    assert err.method == "GET"
    assert err.vendor == "testkit"
    assert err.url == f"{server.url}/things/1?q=x"
    assert err.message == "Nope."
    assert str(err) == f"testkit GET /things/1?q=x -> {status}: Nope."
    assert server.hits() == 1


async def test_not_found_details(serve: Any, make: Any) -> None:
    server = await serve(
        {
            "DELETE /things/{id}": answer(
                404,
                {"detail": "No such thing.", "code": "not_found"},
                headers={"X-Request-Id": "r-1"},
            )
        }
    )
    client = make(TokenClient, server)
    with pytest.raises(NotFoundError) as info:
        await client.request("DELETE", "/things/9")
    err = info.value
    assert (err.status, err.method, err.code, err.trace_id) == (404, "DELETE", "not_found", "r-1")
    assert err.body == {"detail": "No such thing.", "code": "not_found"}
    assert str(err) == "testkit DELETE /things/9 -> 404: [not_found] No such thing. (trace id r-1)"


async def test_rate_limit_error_carries_retry_after(serve: Any, make: Any) -> None:
    server = await serve(
        {"GET /x": answer(429, {"detail": "slow down"}, headers={"Retry-After": "0"})}
    )
    client = make(TokenClient, server, max_retries=0)
    with pytest.raises(RateLimitError) as info:
        await client.request("GET", "/x")
    assert info.value.retry_after == 0


async def test_html_502_gives_readable_one_line_error(serve: Any, make: Any) -> None:
    html = (
        "<!DOCTYPE html>\n<html>\n<head>\n  <title>502 Bad Gateway</title>\n"
        "<style>body { color: red }</style>\n</head>\n<body>\n<center><h1>502 Bad Gateway</h1>"
        "</center>\n<hr><center>nginx</center>\n</body>\n</html>\n"
    )
    server = await serve({"GET /x": answer(502, html)})
    client = make(TokenClient, server, max_retries=1)
    with pytest.raises(ServerError) as info:
        await client.request("GET", "/x")
    text = str(info.value)
    assert text == "testkit GET /x -> 502: 502 Bad Gateway"
    assert "\n" not in repr(info.value)
    assert info.value.status == 502
    assert server.hits() == 2  # retried once, then raised


async def test_plain_text_error_body_is_flattened(serve: Any, make: Any) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        return web.Response(text="upstream\n  failed\n\ttoday", status=500)

    server = await serve({"GET /x": handler})
    client = make(TokenClient, server)
    with pytest.raises(ServerError) as info:
        await client.request("GET", "/x")
    assert str(info.value) == "testkit GET /x -> 500: upstream failed today"


async def test_empty_error_body_uses_reason_phrase(serve: Any, make: Any) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        return web.Response(status=403)

    server = await serve({"GET /x": handler})
    client = make(TokenClient, server)
    with pytest.raises(PermissionDeniedError, match="Forbidden"):
        await client.request("GET", "/x")


async def test_invalid_json_success_is_decode_error(serve: Any, make: Any) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        return web.Response(text="<html>not json</html>", content_type="text/html")

    server = await serve({"POST /x": handler})
    client = make(TokenClient, server)
    with pytest.raises(DecodeError, match="not valid JSON"):
        await client.request("POST", "/x", params={"token": "qs-S3CRET"}, json={})


# -- secrets --------------------------------------------------------------------------------------


def assert_clean(*texts: str) -> None:
    for text in texts:
        assert MARK not in text, text


async def test_api_key_never_in_errors_reprs_or_logs(
    serve: Any, make: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="vendorkit")
    seen: list[RequestInfo] = []
    server = await serve(
        {
            "GET /missing": answer(404, {"detail": "missing"}),
            "GET /denied": answer(401, {"detail": "bad key"}),
            "GET /busy": answer(503, {"detail": "busy"}),
        }
    )
    client = make(TokenClient, server, max_retries=1, on_request=seen.append)
    errors: list[BaseException] = []
    for path in ("/missing", "/denied", "/busy"):
        with pytest.raises(APIError) as info:
            await client.request("GET", path)
        errors.append(info.value)
    assert server.seen[0].headers["Authorization"] == f"Token {API_KEY}"  # it was sent
    assert_clean(
        repr(client),
        repr(client.auth),
        log_text(caplog),
        *(str(e) for e in errors),
        *(repr(e) for e in errors),
        *(repr(i) for i in seen),
    )
    assert {i.headers["Authorization"] for i in seen} == {"***"}
    assert caplog.records  # there was something to check


async def test_oauth_secrets_and_tokens_never_in_errors_reprs_or_logs(
    serve: Any, make: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="vendorkit")
    backend = OAuthBackend(reject_refresh=True)
    server = await serve({**backend.routes(), "GET /missing": answer(404, {"detail": "no"})})
    client = make(OAuthClient, server)
    await client.request("GET", "/me")
    backend.revoke_all()
    await client.request("GET", "/me")  # 401, refused refresh, original grant, replay
    with pytest.raises(NotFoundError) as info:
        await client.request("GET", "/missing")
    token = await client.token_store.get(client.auth.store_key)
    assert token is not None and MARK in token.access_token
    bad = make(OAuthClient, server, client_secret="other-S3CRET")
    with pytest.raises(AuthenticationError) as denied:
        await bad.request("GET", "/me")
    assert CLIENT_SECRET not in repr(client.__dict__)
    assert_clean(
        repr(client),
        repr(client.auth),
        repr(bad.auth),
        repr(token),
        repr(client.token_store),
        str(info.value),
        repr(info.value),
        str(denied.value),
        repr(denied.value),
        log_text(caplog),
    )
    assert backend.grants == [
        "client_credentials",
        "refresh_token",
        "client_credentials",
        "client_credentials",
    ]


async def test_secret_query_values_are_redacted(
    serve: Any, make: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="vendorkit")
    seen: list[RequestInfo] = []
    server = await serve({"GET /x": answer(404, {"detail": "no"})})
    client = make(TokenClient, server, on_request=seen.append)
    with pytest.raises(NotFoundError) as info:
        await client.request("GET", "/x", params={"token": "qs-S3CRET", "q": "visible"})
    with pytest.raises(NotFoundError) as info2:
        await client.request("GET", "/x?api_key=path-S3CRET&q=visible")
    assert server.seen[0].query["token"] == "qs-S3CRET"  # sent to the vendor, shown nowhere
    for err in (info.value, info2.value):
        assert_clean(str(err), repr(err), err.url)
        assert "q=visible" in str(err)
        assert "=***" in err.url
    assert_clean(log_text(caplog), *(i.url for i in seen))
    assert "token=***" in log_text(caplog)


async def test_secret_query_redacted_in_transport_and_pagination_errors(
    serve: Any, make: Any
) -> None:
    other = await serve({"GET /items": answer(200, {"data": []})})

    async def drop(request: web.Request) -> web.StreamResponse:
        assert request.transport is not None
        request.transport.close()
        await asyncio.sleep(0.01)
        raise web.HTTPInternalServerError

    async def items(request: web.Request) -> web.StreamResponse:
        return page([{"id": 1}], next=f"{other.url}/items?token=next-S3CRET")

    server = await serve({"POST /drop": drop, "GET /items": items})
    client = make(TokenClient, server)
    with pytest.raises(TransportError) as transport:
        await client.request("POST", "/drop", params={"token": "qs-S3CRET"}, json={})
    with pytest.raises(PaginationError) as pagination:
        await client.paginate("/items", token="first-S3CRET").all()
    with pytest.raises(ConfigurationError) as config:
        await client.request("GET", f"{other.url}/x?token=abs-S3CRET")
    for err in (transport.value, pagination.value, config.value):
        assert_clean(str(err), repr(err))
    assert other.hits() == 0


async def test_failing_hook_is_logged_without_secrets(
    serve: Any, make: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="vendorkit")

    def broken(info: RequestInfo) -> None:
        raise RuntimeError(f"hook saw {dict(info.headers)}")

    server = await serve({"GET /x": answer(200, {"data": 1})})
    client = make(TokenClient, server, on_request=broken)
    assert await client.request("GET", "/x", params={"token": "qs-S3CRET"}) == 1
    assert any("hook" in r.getMessage() and r.levelno == logging.WARNING for r in caplog.records)
    assert_clean(log_text(caplog))


# -- redirects ------------------------------------------------------------------------------------


async def test_same_origin_redirect_is_followed_with_credentials(serve: Any, make: Any) -> None:
    async def moved(request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound("/new?x=1")

    async def new(request: web.Request) -> web.StreamResponse:
        return web.json_response({"data": request.headers.get("Authorization")})

    server = await serve({"GET /old": moved, "GET /new": new})
    client = make(TokenClient, server)
    assert await client.request("GET", "/old") == f"Token {API_KEY}"
    assert [s.path for s in server.seen] == ["/old", "/new"]


async def test_redirect_to_foreign_origin_is_not_followed(serve: Any, make: Any) -> None:
    other = await serve({"GET /new": answer(200, {"data": 1})})

    async def moved(request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound(f"{other.url}/new?token=redirect-S3CRET")

    server = await serve({"GET /old": moved})
    client = make(TokenClient, server)
    with pytest.raises(APIError) as info:
        await client.request("GET", "/old")
    assert info.value.status == 302
    assert other.hits() == 0
    assert_clean(str(info.value))


# -------------------------------------------------------------------------------------------------
# Moved here from tests/client/test_short_secrets.py; its module docstring:
#
# Found in review, fixed; kept as the test that would catch it again. What was found:
#
# ``redact_known`` skips every known secret shorter than ``MIN_SECRET_LENGTH`` (4): a
# three-character password (a PIN-like agent password, a test account's) that a token endpoint
# echoes stays in the ``AuthenticationError``'s message and body. The shape net does not help: an
# echo in prose ("... with password xq9") has no ``password=`` or ``"password":`` shape.
#
# Broken promise: contract section 5 "No secret ever appears in an error"; the issue's own list of
# angles names "secrets shorter than 4 chars". Scrubbing a short value only where it stands as a
# word (or only in what the token request echoes) would keep messages readable.


PASSWORD = "xq9"


async def test_a_three_character_password_echoed_by_the_token_endpoint_is_scrubbed(
    serve: Any, make: Any
) -> None:
    async def token(request: web.Request) -> web.Response:
        body = await request.json()
        return web.json_response(
            {
                "error": "invalid_grant",
                "error_description": (
                    f"no agent {body['username']} with password {body['password']}"
                ),
            },
            status=401,
        )

    server = await serve({"POST /oauth/access-token": token})
    ld = make(
        LeadDesk,
        server,
        client_id="ld-client",
        client_secret="ld-secret-1234",
        username="agent-7",
        password=PASSWORD,
    )
    with pytest.raises(AuthenticationError) as info:
        await ld.contacts.get(1)
    shown = f"{info.value!s} {info.value.message} {info.value.body}"
    assert f"password {PASSWORD}" not in shown, shown

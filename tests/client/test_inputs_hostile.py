"""Bad input from the server and from the caller: every answer yields data or a documented
vendorkit error, never a bare exception, a hang, or unbounded memory."""

from __future__ import annotations

import asyncio
import gzip
import json
import logging
import ssl
import time
import zlib
from typing import Any

import pytest
from aiohttp import web

from vendorkit import LeadDesk, Leady, LeanLaw, MakeLeaps
from vendorkit.core import Quota
from vendorkit.core._errors import text_summary
from vendorkit.errors import (
    APIError,
    ConfigurationError,
    DecodeError,
    RateLimitError,
    ResponseTooLargeError,
    ServerError,
)

from ._raw import http, raw_server
from .conftest import TokenClient, ok

__all__ = ["raw_server"]


async def one(request: web.Request) -> web.StreamResponse:
    return ok(1)


# -- size limits ----------------------------------------------------------------------------------


async def test_a_body_over_the_limit_is_refused(serve: Any, make: Any) -> None:
    async def big(request: web.Request) -> web.StreamResponse:
        return web.json_response({"data": "x" * 5000})

    server = await serve({"GET /big": big})
    client = make(TokenClient, server, max_response_size=1000)
    with pytest.raises(ResponseTooLargeError) as info:
        await client.request("GET", "/big")
    assert "max_response_size=1000" in str(info.value)
    assert isinstance(info.value, DecodeError)
    assert server.hits() == 1  # not retried: the same answer would come back


async def test_a_gzip_bomb_is_refused_before_it_inflates(raw_server: Any) -> None:
    """~100 KiB on the wire that would inflate to 100 MiB; chunked, so no Content-Length says so
    in advance. The limit counts decompressed bytes."""
    inflated = 100 * 2**20
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)
    bomb = comp.compress(b"[" + b"0," * (inflated // 2)) + comp.flush()
    assert len(bomb) < 200 * 1024
    chunk = hex(len(bomb))[2:].encode()
    answer = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n" + chunk + b"\r\n" + bomb + b"\r\n0\r\n\r\n"
    )
    server = await raw_server(lambda req, n: answer)
    async with TokenClient(base_url=server.url, max_response_size=2 * 2**20) as client:
        with pytest.raises(ResponseTooLargeError):
            await client.request("GET", "/bomb")


async def test_a_declared_length_over_the_limit_is_refused_unread(raw_server: Any) -> None:
    answer = http("200 OK", b"{}", {"Content-Length": str(10**12)})
    server = await raw_server(lambda req, n: (answer, "close"))
    async with TokenClient(base_url=server.url, max_response_size=1000) as client:
        with pytest.raises(ResponseTooLargeError):
            await client.request("GET", "/x")


async def test_gzip_bodies_within_the_limit_still_work(raw_server: Any) -> None:
    body = gzip.compress(json.dumps({"data": list(range(1000))}).encode())
    answer = http("200 OK", body, {"Content-Encoding": "gzip"})
    server = await raw_server(lambda req, n: answer)
    async with TokenClient(base_url=server.url) as client:
        assert await client.request("GET", "/x") == list(range(1000))


def test_error_page_summary_is_bounded_and_linear() -> None:
    """A 256 KiB unclosed <title> took 43 s with the old regex; generous bounds here."""
    for page in (
        "<title>" + "a" * 256 * 1024,
        "<title" * 50_000,
        "<script>" * 50_000,
        "<" * 300_000,
        "<html><head><title>502 Bad Gateway</title></head><body>x</body></html>" * 10_000,
    ):
        started = time.monotonic()
        summary = text_summary(page)
        assert time.monotonic() - started < 2.0
        assert len(summary) <= 200 and "\n" not in summary
    assert text_summary("<html><title>502 Bad Gateway</title></html>") == "502 Bad Gateway"
    assert text_summary("<p>Busy <b>now</b></p><script>x()</script>") == "Busy now"


# -- malformed JSON -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100_000 + b"]" * 100_000,
        b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
        b"\xff\xfe{}",
        b'{"data": "\xc3"}',
    ],
)
async def test_unreadable_json_is_a_decode_error(raw_server: Any, body: bytes) -> None:
    server = await raw_server(lambda req, n: http("200 OK", body))
    async with TokenClient(base_url=server.url, max_retries=1) as client:
        with pytest.raises(DecodeError):
            await client.request("GET", "/x")
        # The same bodies as an error answer still give the right class.
    server2 = await raw_server(lambda req, n: http("400 Bad Request", body))
    async with TokenClient(base_url=server2.url, max_retries=0) as client:
        with pytest.raises(APIError) as info:
            await client.request("GET", "/x")
        assert info.value.status == 400


async def test_lone_surrogates_in_a_body_are_sent_escaped(serve: Any, make: Any) -> None:
    got: list[bytes] = []

    async def echo(request: web.Request) -> web.StreamResponse:
        got.append(await request.read())
        return ok({"ok": True})

    server = await serve({"POST /x": echo})
    client = make(TokenClient, server)
    await client.request("POST", "/x", json={"name": "a\ud800b", "jp": "日本"})
    assert json.loads(got[0]) == {"name": "a\ud800b", "jp": "日本"}
    with pytest.raises(ConfigurationError):
        await client.request("POST", "/x", json={"when": object()})
    assert len(got) == 1


@pytest.mark.parametrize(
    "headers",
    [{"X-Evil": "a\r\nInjected: yes"}, {"X-Evil": "a\nb"}, {"X\r\nY": "z"}],
)
async def test_headers_that_cannot_be_sent_are_configuration_errors(
    serve: Any, make: Any, headers: dict[str, str]
) -> None:
    server = await serve({"GET /x": one})
    client = make(TokenClient, server)
    with pytest.raises(ConfigurationError):
        await client.request("GET", "/x", headers=headers)
    assert server.hits() == 0


# -- waits ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["1e999", "inf", "Infinity", "1e308", "99999999999", "NaN"])
async def test_absurd_retry_after_never_pauses_the_client(
    serve: Any, make: Any, value: str
) -> None:
    left = [429]

    async def flaky(request: web.Request) -> web.StreamResponse:
        if left:
            left.pop()
            return web.json_response(
                {"detail": "slow down"}, status=429, headers={"Retry-After": value}
            )
        return ok(1)

    server = await serve({"GET /x": flaky})
    client = make(TokenClient, server)
    started = time.monotonic()
    assert await client.request("GET", "/x") == 1  # backoff decides, then it works
    assert await client.request("GET", "/x") == 1  # and nothing is paused afterwards
    assert time.monotonic() - started < 5


async def test_a_quota_slot_far_away_raises_at_once(serve: Any, make: Any) -> None:
    server = await serve({"GET /x": one})
    client = make(TokenClient, server, rate_limit=Quota(1, 3600), max_quota_wait=2)
    assert await client.request("GET", "/x") == 1
    started = time.monotonic()
    with pytest.raises(RateLimitError) as info:
        await client.request("GET", "/x")
    assert time.monotonic() - started < 1.5
    assert info.value.retry_after is not None and info.value.retry_after > 3000
    assert server.hits() == 1


async def test_the_default_max_quota_wait_is_finite(serve: Any, make: Any) -> None:
    server = await serve({"GET /x": one})
    client = make(TokenClient, server, rate_limit=Quota(1, 86400))
    assert client.max_quota_wait is not None and client.max_quota_wait <= 300
    await client.request("GET", "/x")
    with pytest.raises(RateLimitError):
        await asyncio.wait_for(client.request("GET", "/x"), 5)


# -- TLS and plain http ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://api.leanlaw.io",
        "http://10.0.0.5:8080",
        "http://example.com/v2",
        "http://[2001:db8::1]",
    ],
)
def test_plain_http_to_another_machine_needs_an_opt_in(url: str) -> None:
    with pytest.raises(ConfigurationError, match="allow_http=True"):
        LeanLaw(api_key="k", base_url=url)
    LeanLaw(api_key="k", base_url=url, allow_http=True)


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:9", "http://localhost:9", "http://[::1]:9", "http://127.8.0.1"]
)
def test_plain_http_to_this_machine_is_fine(url: str) -> None:
    LeanLaw(api_key="k", base_url=url)


async def test_ssl_false_is_said_in_the_log_and_a_context_is_used(
    serve: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="vendorkit"):
        LeanLaw(api_key="k", ssl=False)
    assert "verification is off" in caplog.text
    ctx = ssl.create_default_context()
    client = LeanLaw(api_key="k", ssl=ctx)
    assert client._transport.ssl is ctx
    with pytest.raises(ConfigurationError):
        LeanLaw(api_key="k", ssl="yes")  # type: ignore[arg-type]


async def test_tls_verification_failures_are_not_retried(serve: Any) -> None:
    """A plain-http server spoken to with https: the handshake fails; no retry storm."""
    server = await serve({"GET /x": one})
    url = server.url.replace("http://", "https://")
    async with TokenClient(base_url=url, max_retries=3, timeout=5) as client:
        with pytest.raises(Exception) as info:
            await client.request("GET", "/x")
    from vendorkit.errors import TransportError

    assert isinstance(info.value, TransportError)


# -- constructor arguments ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "options",
    [
        {"timeout": "5"},
        {"timeout": 0},
        {"timeout": -1},
        {"timeout": float("nan")},
        {"timeout": float("inf")},
        {"max_retries": -1},
        {"max_retries": "3"},
        {"max_retries": 2.5},
        {"max_retries": True},
        {"max_retry_wait": -1},
        {"max_quota_wait": "1"},
        {"max_response_size": 0},
        {"max_connections": 0},
        {"user_agent": "a\r\nX-Injected: 1"},
        {"user_agent": 5},
        {"rate_limit": "lots"},
        {"rate_limit": 5},
        {"session": "not a session"},
        {"base_url": "ftp://x"},
        {"base_url": "not a url"},
        {"base_url": "https://user:pw@api.leanlaw.io"},
        {"base_url": "http://[bad"},
        {"base_url": 5},
        {"on_retry": "not callable"},
        {"max_retrys": 3},
        {"timeout_seconds": 3},
    ],
)
def test_bad_constructor_arguments_are_configuration_errors(options: dict[str, Any]) -> None:
    for cls, creds in (
        (LeanLaw, {"api_key": "k"}),
        (Leady, {"token": "t"}),
        (MakeLeaps, {"client_id": "i", "client_secret": "s"}),
        (LeadDesk, {"client_id": "i", "client_secret": "s", "username": "u", "password": "p"}),
    ):
        with pytest.raises(ConfigurationError):
            cls(**creds, **options)


def test_a_misspelt_option_names_the_closest_one() -> None:
    with pytest.raises(ConfigurationError, match="did you mean 'max_retries'"):
        LeanLaw(api_key="k", max_retrys=3)


async def test_a_server_error_page_of_any_size_gives_a_server_error(raw_server: Any) -> None:
    page = b"<html><head><title>" + b"a" * 256 * 1024
    server = await raw_server(lambda req, n: http("503 Busy", page, {"Content-Type": "text/html"}))
    async with TokenClient(base_url=server.url, max_retries=0) as client:
        started = time.monotonic()
        with pytest.raises(ServerError) as info:
            await client.request("GET", "/x")
        assert time.monotonic() - started < 5
    assert len(str(info.value)) < 600

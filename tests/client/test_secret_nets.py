"""Found in review, fixed; kept as the test that would catch it again. What was found:

The "two nets, always both" rule of docs/clients.md (Secrets): the exact credential values the
client holds are scrubbed *wherever they appear*, in every spelling. Two places get only the
shape net, or none:

- ``APIError.trace_id`` is copied raw from the vendor's trace header
  (``_errors.error_from_response``) and printed by ``str(error)``. A proxy or debug build that
  echoes the request's ``Authorization`` into ``x-leanlaw-traceid`` puts the API key into every
  error message, log line and CLI line built from it. (For token requests ``scrub_error`` covers
  the trace id; for every other call nothing does.)
- URLs are redacted by ``redact_url`` alone: user-info and a fixed list of lower-case query keys.
  The client's own key under any other name (``accessToken``, camelCase as LeanLaw spells its
  JSON, ``auth``, ``sig``...) reaches ``TransportError``, the DEBUG log and every hook's
  ``info.url`` in full, although the client knows that exact value.

Broken promise: contract section 5 "No secret ever appears in an error, a log line or a repr";
issue 8 "any path where text derived from ... a header, a URL ... reaches str/repr/args/...
logs/hooks ... unredacted".
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from aiohttp import web

from vendorkit import LeanLaw
from vendorkit.errors import APIError, TransportError

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

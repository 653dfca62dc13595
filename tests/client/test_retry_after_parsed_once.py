"""A 429's ``Retry-After`` is parsed once on its way out (issue 9).

The attempt reads it into its ``Answer``; the 429 pause, the retry decision and the raised
``RateLimitError`` all use that one value, so the three can never disagree (an HTTP-date read
three times gives three waits). A wait longer than ``max_retry_wait``
(``RetryDecision.too_long``) is said in the log and never slept.
"""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web

from vendorkit.core import _attempt_rules
from vendorkit.errors import RateLimitError

from .conftest import TokenClient


@pytest.mark.parametrize("max_retries", [0, 2], ids=["one answer", "each retried attempt"])
async def test_each_429_answer_is_parsed_once(
    serve: Any, make: Any, monkeypatch: pytest.MonkeyPatch, max_retries: int
) -> None:
    calls: list[str | None] = []
    real = _attempt_rules.parse_retry_after

    def counting(value: str | None, now: Any = None) -> float | None:
        calls.append(value)
        return real(value, now)

    monkeypatch.setattr(_attempt_rules, "parse_retry_after", counting)

    async def busy(request: web.Request) -> web.Response:
        return web.json_response({"detail": "slow down"}, status=429, headers={"Retry-After": "0"})

    server = await serve({"GET /x": busy})
    client = make(TokenClient, server, max_retries=max_retries)
    with pytest.raises(RateLimitError) as info:
        await client.request("GET", "/x")
    assert info.value.retry_after == 0.0
    assert server.hits() == max_retries + 1
    assert calls == ["0"] * (max_retries + 1)


async def test_a_retry_after_too_long_to_wait_is_said_and_not_slept(
    serve: Any, make: Any, caplog: pytest.LogCaptureFixture
) -> None:
    async def busy(request: web.Request) -> web.Response:
        return web.json_response(
            {"detail": "slow down"}, status=429, headers={"Retry-After": "3600"}
        )

    server = await serve({"GET /x": busy})
    client = make(TokenClient, server, max_retries=3, max_retry_wait=60)
    caplog.set_level("DEBUG", logger="vendorkit")
    with pytest.raises(RateLimitError) as info:
        await client.request("GET", "/x")
    assert info.value.retry_after == 3600.0
    assert server.hits() == 1
    said = [r.getMessage() for r in caplog.records if "not retrying" in r.getMessage()]
    assert len(said) == 1 and "3600s" in said[0] and "max_retry_wait=60s" in said[0]

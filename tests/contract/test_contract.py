"""What all four adapters promise alike, run against each vendor's own independent server:
keyword-only construction and the documented default base URL, every documented option,
``redis_url=`` and ``rate_limit=None``, ``from_env`` naming each missing variable, and a 429
raised when retries run out or the wait is too long. What differs per vendor is a row of
``_vendors.VENDORS``; what only one vendor has stays in ``test_<vendor>_contract.py``.

These tests were four hand-written copies (one per ``test_<vendor>_contract.py``); every
assertion a copy made is made here for its vendor (``tests/MOVED.md`` maps each old test to its
new place), and most are now made for all four.
"""

from __future__ import annotations

import logging
import os

import aiohttp
import pytest

from tests._redis_url import REDIS_URL
from tests.contract._vendors import VENDORS, Vendor
from vendorkit import errors
from vendorkit.core import MemoryTokenStore

USER_AGENT = "contract-test/1.0"

per_vendor = pytest.mark.parametrize("case", VENDORS, ids=lambda v: v.name)


@per_vendor
async def test_keyword_only_construction_and_default_base_url(case: Vendor) -> None:
    with pytest.raises(TypeError):
        case.cls(*case.positional)
    client = case.cls(**case.default_kwargs)
    try:
        assert client.base_url == case.default_base_url
        for text in (repr(client), repr(client.auth), repr(client.token_store)):
            for secret in case.secrets:
                assert secret not in text
    finally:
        await client.aclose()


@per_vendor
async def test_every_documented_option(case: Vendor) -> None:
    async with case.serve() as server, aiohttp.ClientSession() as session:
        async with case.client(
            server,
            session=session,
            timeout=5.0,
            max_retries=1,
            max_retry_wait=2.0,
            rate_limit="100/second",
            token_store=MemoryTokenStore(),
            user_agent=USER_AGENT,
            **case.vendor_options,
        ) as client:
            assert await case.with_every_option.call(client) == case.with_every_option.expected(
                server
            )
        assert not session.closed  # borrowed, never closed by vendorkit
        sent = case.first_api_headers(server)
        assert sent["User-Agent"] == USER_AGENT
        for name, value in case.option_headers.items():
            assert sent[name] == value
        assert case.not_sent(server) == []


@per_vendor
async def test_redis_url_and_no_rate_limit(case: Vendor) -> None:
    async with case.serve() as server:
        async with case.client(server, redis_url=REDIS_URL, rate_limit="50/second") as shared:
            assert await case.with_redis.call(shared) == case.with_redis.expected(server)
        async with case.client(server, rate_limit=None) as free:
            assert await case.without_rate_limit.call(free) == case.without_rate_limit.expected(
                server
            )


@per_vendor
async def test_from_env_names_each_missing_variable_and_builds_a_working_client(
    case: Vendor, monkeypatch: pytest.MonkeyPatch
) -> None:
    prefix = f"VENDORKIT_{case.name.upper()}_"
    for key in list(os.environ):
        if key.startswith(prefix):
            monkeypatch.delenv(key)
    for variable, value in case.env:
        with pytest.raises(errors.ConfigurationError, match=variable) as info:
            case.cls.from_env()
        for secret in case.secrets:
            assert secret not in str(info.value)
        monkeypatch.setenv(variable, value)
    async with case.serve() as server:
        monkeypatch.setenv(prefix + "BASE_URL", case.base_url(server))
        async with case.cls.from_env(**case.env_options) as client:
            assert client.base_url == case.base_url(server)
            assert await case.from_env.call(client) == case.from_env.expected(server)
            for attribute, expected in case.from_env_state.items():
                assert getattr(client, attribute) == expected


@per_vendor
async def test_429_raised_when_out_of_retries(case: Vendor) -> None:
    refused_at_once, too_long = case.retry_after
    async with case.serve() as server:
        async with case.client(server, **{**case.limited_options, "max_retries": 0}) as client:
            case.throttle(server, refused_at_once)
            with pytest.raises(errors.RateLimitError) as info:
                await case.limited[0](client)
        assert info.value.status == 429
        assert info.value.retry_after == float(refused_at_once)
        for attribute, expected in case.rate_limit_error(server).items():
            assert getattr(info.value, attribute) == expected
        async with case.client(server, **{**case.limited_options, "max_retry_wait": 1}) as client:
            case.throttle(server, too_long)
            with pytest.raises(errors.RateLimitError) as info:
                await case.limited[1](client)
        assert info.value.retry_after == pytest.approx(float(too_long), abs=1)


@per_vendor
async def test_wrong_credentials_raise_a_typed_error_without_secrets(
    case: Vendor, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with case.serve() as server:
        async with case.client(server, credentials=case.wrong_credentials) as bad:
            with pytest.raises(case.refused_as) as info:
                await case.refused_call(bad)
        err = info.value
        assert isinstance(err, errors.APIError)
        for attribute, expected in case.refusal(server).items():
            assert getattr(err, attribute) == expected
        text = str(err)
        assert "\n" not in text
        for mention in case.refusal_mentions:
            assert mention in text
        for view in (text, repr(err), *case.refusal_views(err)):
            for secret in case.refusal_secrets:
                assert secret not in view
        for secret in case.refusal_secrets:
            assert secret not in caplog.text
        assert case.reached_with_wrong_credentials(server) == []


@per_vendor
async def test_generic_request_refuses_another_origin_and_raises_not_found(case: Vendor) -> None:
    async with case.serve() as server, case.client(server) as client:
        with pytest.raises(errors.ConfigurationError):
            await client.request("GET", case.other_origin)
        with pytest.raises(errors.NotFoundError):
            await client.request("GET", case.missing_path)

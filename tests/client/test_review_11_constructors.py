"""Review 11: constructor options a careless user gets wrong are refused where they are made.

LeadDesk's ``username=``/``password=`` must be text: a number would be sent as a JSON number.

MakeLeaps' ``accept_language=`` becomes a header on every call: a value that is no header
(a number, a line break smuggling in a header of its own) is a ``ConfigurationError`` naming
the option at construction, not a "cannot be sent" error at the first call. A misspelt option of
``Leady.obtain_token`` names ``Leady.obtain_token``, not a private helper class.
"""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web

from vendorkit import LeadDesk, Leady, MakeLeaps, errors


@pytest.mark.parametrize("value", [5, b"ja", "ja\r\nX-Evil: 1", "日本語"])
async def test_a_bad_accept_language_is_refused_before_any_request(serve: Any, value: Any) -> None:
    server = await serve({})
    with pytest.raises(errors.ConfigurationError, match="accept_language"):
        MakeLeaps(
            client_id="id", client_secret="secret", base_url=server.url, accept_language=value
        )
    assert server.seen == []


async def test_a_good_accept_language_is_still_sent() -> None:
    ml = MakeLeaps(client_id="id", client_secret="secret", accept_language="ja")
    try:
        assert ml.accept_language == "ja"
    finally:
        await ml.aclose()


async def test_a_misspelt_obtain_token_option_names_obtain_token(serve: Any) -> None:
    async def never(request: web.Request) -> web.StreamResponse:
        raise AssertionError("nothing is sent")

    server = await serve({"POST /api-token-get/": never})
    with pytest.raises(errors.ConfigurationError) as info:
        await Leady.obtain_token(email="a@b.c", password="pw", base_url=server.url, timout=3)
    message = str(info.value)
    assert "Leady.obtain_token" in message and "_Anonymous" not in message
    assert "did you mean 'timeout'" in message
    assert server.seen == []


@pytest.mark.parametrize(
    "login", [{"username": 5, "password": "pw"}, {"username": "u", "password": 1234}]
)
async def test_a_leaddesk_login_that_is_not_text_is_refused(login: dict[str, Any]) -> None:
    with pytest.raises(errors.ConfigurationError, match="must be a string"):
        LeadDesk(client_id="id", client_secret="secret", **login)

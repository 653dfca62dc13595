"""The token request an OAuth2 grant builds, the account's store key, OAuth2 settings, and
``HeaderAuth``: auth objects never show a secret in their repr (moved from
``tests/unit/test_misc.py``)."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from yarl import URL

from vendorkit.core import (
    HeaderAuth,
    MemoryTokenStore,
    OAuth2,
)

# -- OAuth2 token requests ------------------------------------------------------------------------


def oauth(**kw: Any) -> OAuth2:
    args: dict[str, Any] = dict(
        token_path="/oauth/token",
        client_id="cid",
        client_secret="csecret",
        grant={"grant_type": "client_credentials"},
    )
    auth = OAuth2(**{**args, **kw})
    auth.bind(
        base_url=URL("https://api.example.com/api/v2/"), vendor="acme", store=MemoryTokenStore()
    )
    return auth


def test_client_credentials_with_basic_auth_as_a_form() -> None:
    req = oauth().token_request({"grant_type": "client_credentials", "scope": "a b"})
    assert req.method == "POST"
    assert req.url == URL("https://api.example.com/api/v2/oauth/token")
    assert req.form == {"grant_type": "client_credentials", "scope": "a b"}
    assert req.json is None
    assert req.headers["Authorization"] == "Basic " + base64.b64encode(b"cid:csecret").decode()


def test_client_in_a_json_body() -> None:
    auth = oauth(client_auth="body", encoding="json", token_path="oauth/token")
    req = auth.token_request({"grant_type": "password", "username": "u", "password": "p"})
    assert req.url == URL("https://api.example.com/api/v2/oauth/token")
    assert "Authorization" not in req.headers
    assert req.json == {
        "grant_type": "password",
        "username": "u",
        "password": "p",
        "client_id": "cid",
        "client_secret": "csecret",
    }


def test_the_store_key_names_the_account_without_a_secret() -> None:
    a, b = oauth(), oauth(client_id="other")
    assert a.store_key.startswith("vendorkit:token:acme:") and a.store_key != b.store_key
    assert "csecret" not in a.store_key and "csecret" not in repr(a)


@pytest.mark.parametrize(
    "kw",
    [{"client_auth": "header"}, {"encoding": "xml"}, {"client_secret": ""}, {"client_id": ""}],
)
def test_oauth2_settings_are_validated(kw: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        oauth(**kw)


async def test_header_auth_hides_its_token_and_replays_only_after_a_swap() -> None:
    auth = HeaderAuth("s3cret", scheme="Token")
    assert "s3cret" not in repr(auth)

    async def send(_: Any) -> Any:
        raise AssertionError("a static header never sends anything")

    headers, used = await auth.authorize(send)
    assert headers == {"Authorization": "Token s3cret"}
    assert used is not None and "s3cret" not in used
    assert not await auth.on_unauthorized(send, used)
    auth.set_token("n3w")
    assert await auth.on_unauthorized(send, used)
    # The header is built once per token (issue 10): a new token is sent at once, and a caller
    # changing the dict it got changes nothing for the next request.
    headers, _ = await auth.authorize(send)
    assert headers == {"Authorization": "Token n3w"}
    headers["Authorization"] = "Token tampered"
    assert (await auth.authorize(send))[0] == {"Authorization": "Token n3w"}

"""Tokens: requesting, retrying, reading and revoking vendor tokens (MakeLeaps revoke, token
requests under the retry policy, Leady's token answers and ``obtain_token``).

Found in review, fixed; kept as the test that would catch it again. What was found:

Found in review 2: ``MakeLeaps.revoke_token()``.

1. A revoke that fails (a 503 from a gateway, a 500, a dropped connection) forgets the token
   anyway (``revoke_local()`` runs before the status is looked at), so the caller who does the
   obvious thing, calling ``revoke_token()`` again, gets a silent success (no token stored: it
   returns without a request) while the access token stays valid at MakeLeaps for the rest of
   its 10 hours. A revocation is a security action (a leaked token, an employee leaving); "it
   said it worked" must mean the vendor revoked it. The revoke request is also never retried,
   although revoking a token twice is harmless (RFC 7009: revoking an invalid token is a 200).

2. The token it revokes is read straight from the store, so a client that has not made a call
   itself (another process sharing the Redis store, a CLI "revoke" command) does not know it as
   a secret: a revoke endpoint that echoes the ``token=`` form field in its error puts the live
   access token into ``str(error)``, ``error.body`` and every log line built from them.

3. A client with a wrong client secret (see ``test_redis_token_owner.py``) reads the account's
   token from the shared store despite the owner verifier, sends it, and deletes it from the
   store although MakeLeaps refused its credentials.

Broken promises: contract section 5, "No secret ever appears in an error, a log line or a repr";
docs/clients.md, "A stored token is handed only to a client holding the credentials that obtained
it"; and the plain meaning of ``revoke_token``.
"""

from __future__ import annotations

import base64
from typing import Any

import pytest
from aiohttp import web

from vendorkit import Leady, MakeLeaps
from vendorkit.core import MemoryTokenStore
from vendorkit.errors import APIError, AuthenticationError, DecodeError, ServerError, TransportError

from ._auth_servers import GRANTS, STYLES, Fault, TokenServer, drop, oauth_client, status

TOKEN = "ml-live-access-TOKEN-4711"
GOOD = "Basic " + base64.b64encode(b"ml-client:ml-REAL-secret-99").decode()


def _routes(revokes: list[tuple[str, str]], revoke_status: list[int]) -> dict[str, Any]:
    async def token(request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != GOOD:
            return web.json_response({"error": "invalid_client"}, status=401)
        return web.json_response(
            {"access_token": TOKEN, "token_type": "Bearer", "expires_in": 36000}
        )

    async def revoke(request: web.Request) -> web.Response:
        form = await request.post()
        revokes.append((request.headers.get("Authorization", ""), str(form.get("token"))))
        if request.headers.get("Authorization") != GOOD:
            return web.json_response({"error": "invalid_client"}, status=401)
        status = revoke_status.pop(0) if revoke_status else 200
        if status == 400:
            return web.json_response(
                {"error": "invalid_request", "error_description": f"cannot revoke {form['token']}"},
                status=400,
            )
        return web.json_response({} if status == 200 else {"detail": "busy"}, status=status)

    async def doc(request: web.Request) -> web.Response:
        body = {"mid": "D1", "url": str(request.url)}  # what MakeLeaps always sends
        return web.json_response({"meta": {"status": 200}, "response": body})

    return {
        "POST /user/oauth2/token/": token,
        "POST /user/oauth2/revoke-token/": revoke,
        "GET /api/partner/P/document/D1/": doc,
    }


def _ml(server: Any, store: Any, secret: str = "ml-REAL-secret-99") -> MakeLeaps:
    return MakeLeaps(
        client_id="ml-client",
        client_secret=secret,
        partner_mid="P",
        base_url=server.url,
        rate_limit=None,
        token_store=store,
        max_retries=0,
    )


async def test_a_revoke_that_failed_is_not_reported_done_by_the_next_revoke(serve: Any) -> None:
    revokes: list[tuple[str, str]] = []
    server = await serve(_routes(revokes, [503]))
    async with _ml(server, MemoryTokenStore()) as ml:
        await ml.documents.get("D1")
        with pytest.raises(ServerError):
            await ml.revoke_token()  # the gateway was busy: not revoked
        await ml.revoke_token()  # try again: must reach MakeLeaps, or raise
    answered = [t for _, t in revokes]
    assert answered.count(TOKEN) >= 2, (
        f"the token was sent for revocation {answered.count(TOKEN)} time(s), and only to a 503;"
        " the second revoke_token() returned None without a request: the live token was "
        "forgotten, not revoked"
    )


async def test_a_revoke_error_echoing_the_token_does_not_show_it(serve: Any) -> None:
    revokes: list[tuple[str, str]] = []
    server = await serve(_routes(revokes, [400]))
    store = MemoryTokenStore()
    async with _ml(server, store) as worker:
        await worker.documents.get("D1")  # another process of the account obtained the token
    async with _ml(server, store) as admin:  # this one only revokes
        with pytest.raises(APIError) as info:
            await admin.revoke_token()
    error = info.value
    shown = f"{error!s} {error!r} {error.args} {error.body} {error.message}"
    assert TOKEN not in shown, shown


async def test_a_wrong_client_secret_cannot_revoke_or_drop_the_accounts_token(serve: Any) -> None:
    revokes: list[tuple[str, str]] = []
    server = await serve(_routes(revokes, []))
    store = MemoryTokenStore()
    async with _ml(server, store) as good:
        await good.documents.get("D1")
        key = good.auth.store_key
    async with _ml(server, store, secret="not-the-secret-00") as bad:
        try:
            await bad.revoke_token()
        except AuthenticationError:
            pass
    assert [t for _, t in revokes] == [], "the account's token was handed to a wrong secret"
    assert await store.get(key) is not None, "a wrong secret dropped the account's token"


# -------------------------------------------------------------------------------------------------
# Moved here from tests/client/test_auth_token_retries.py; its module docstring:
#
# A token request is repeatable: one that meets a 502, 503, 504, a 429 (honouring its
# ``Retry-After``) or a dropped connection is retried under the client's policy, in both token
# endpoint styles (Basic + form, MakeLeaps-like; client in a JSON body, LeadDesk-like).


FAULTS: dict[str, Fault] = {
    "503": status(503),
    "502": status(502),
    "504": status(504),
    "429": status(429, retry_after="0.3"),
    "drop": drop,
}


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("fault", list(FAULTS))
async def test_a_token_request_is_retried_once_after_one_fault(
    serve: Any, make: Any, style: str, fault: str
) -> None:
    backend = TokenServer(style, faults=[FAULTS[fault]])
    server = await serve(backend.routes())
    client = oauth_client(make, server, style)
    assert await client.request("GET", "/me") == {"token": "access-1-S3CRET"}
    # Exactly two token requests, both the same grant, then one API call with the token.
    assert backend.grants == {GRANTS[style]: 2}
    assert server.hits("POST", "/oauth/token") == 2
    assert server.hits("GET", "/me") == 1
    assert backend.unauthorized == 0
    first, second = server.requests("POST", "/oauth/token")
    assert first.body == second.body
    if fault == "429":
        # Retry-After is a floor for the retry.
        assert second.at - first.at >= 0.3


@pytest.mark.parametrize("style", STYLES)
async def test_a_token_endpoint_that_keeps_failing_is_retried_max_retries_times(
    serve: Any, make: Any, style: str
) -> None:
    backend = TokenServer(style, faults=[status(503)] * 10)
    server = await serve(backend.routes())
    client = oauth_client(make, server, style, max_retries=2)
    with pytest.raises(ServerError) as info:
        await client.request("GET", "/me")
    assert info.value.status == 503
    assert backend.grants == {GRANTS[style]: 3}
    assert server.hits("GET", "/me") == 0


@pytest.mark.parametrize("style", STYLES)
async def test_a_token_request_that_keeps_being_dropped_is_a_transport_error(
    serve: Any, make: Any, style: str
) -> None:
    backend = TokenServer(style, faults=[drop] * 10)
    server = await serve(backend.routes())
    client = oauth_client(make, server, style, max_retries=1)
    with pytest.raises(TransportError):
        await client.request("GET", "/me")
    assert backend.grants == {GRANTS[style]: 2}
    assert server.hits("GET", "/me") == 0


@pytest.mark.parametrize("style", STYLES)
async def test_a_500_from_the_token_endpoint_is_not_retried(
    serve: Any, make: Any, style: str
) -> None:
    # Not in the retry statuses for any request: the endpoint failed, and says nothing about
    # whether trying again helps.
    backend = TokenServer(style, faults=[status(500)])
    server = await serve(backend.routes())
    client = oauth_client(make, server, style)
    with pytest.raises(ServerError):
        await client.request("GET", "/me")
    assert backend.grants == {GRANTS[style]: 1}


@pytest.mark.parametrize("style", STYLES)
async def test_a_refresh_request_is_retried_too(serve: Any, make: Any, style: str) -> None:
    backend = TokenServer(style)
    server = await serve(backend.routes())
    client = oauth_client(make, server, style)
    await client.request("GET", "/me")
    backend.valid.clear()  # access tokens die, the refresh token lives
    backend.faults = [status(503)]
    assert await client.request("GET", "/me") == {"token": "access-2-S3CRET"}
    # The retried refresh presented the same (still valid) refresh token: no fallback grant.
    assert backend.grants == {GRANTS[style]: 1, "refresh_token": 2}


# -------------------------------------------------------------------------------------------------
# Moved here from tests/client/test_leady_token_answer.py; its module docstring:
#
# Found in review, fixed; kept as the test that would catch it again. What was found:
#
# Leady's token answers are taken as they come (``_token_of``: any string). A reset answered with
# a token that cannot go into a header (CR/LF, NUL, non-Latin-1, empty) is installed by
# ``reset_token()`` and returned by ``obtain_token()``; every later call of the client then fails
# with ``ConfigurationError`` ("cannot be sent": blaming the caller), and the old token is already
# dead. OAuth2's ``parse_token`` refuses the same answer with ``DecodeError`` at the token request
# (docs/clients.md Tokens: "An answer whose access token ... cannot go into a header ... is a
# DecodeError").
#
# Broken promise: issue 8, "Every server answer yields data or a documented vendorkit error"
# (here: the right one, where it happens); contract section 5, ``ConfigurationError`` is for bad
# arguments, not for what the vendor sent.


@pytest.mark.parametrize(
    "token", ["new\r\nX-Injected: 1", "", "ト-kun"], ids=["CRLF", "empty", "non-latin-1"]
)
async def test_a_reset_answering_an_unusable_token_is_a_decode_error(
    serve: Any, make: Any, token: str
) -> None:
    async def reset(request: web.Request) -> web.Response:
        return web.json_response({"token": token})

    server = await serve({"POST /api-token-reset/": reset})
    leady = make(Leady, server, token="old-token-1234")
    with pytest.raises(DecodeError):
        await leady.reset_token()


async def test_obtain_token_answering_an_unusable_token_is_a_decode_error(serve: Any) -> None:
    async def get(request: web.Request) -> web.Response:
        return web.json_response({"token": "abc\r\nSet-Cookie: x=1"})

    server = await serve({"POST /api-token-get/": get})
    with pytest.raises(DecodeError):
        await Leady.obtain_token(email="a@example.com", password="pw-123456", base_url=server.url)


# -------------------------------------------------------------------------------------------------
# Moved here from tests/client/test_leady_obtain_token_secret.py; its module docstring:
#
# Found in review, fixed; kept as the test that would catch it again. What was found:
#
# ``Leady.obtain_token(email=, password=)`` posts the password through an ``_Anonymous`` client
# whose auth is ``NoAuth``: its ``secrets()`` is empty, so the known-secret net has nothing to
# scrub. An api-token-get answer that echoes the password (a DRF validation message, a proxy's
# debug page, a misconfigured endpoint: the case docs/clients.md "Secrets" names) lands verbatim
# in the ``BadRequestError``'s ``str``, ``message``, ``field_errors`` and ``body``, and from there
# in logs and CLI output.
#
# Broken promise: contract section 5 "No secret ever appears in an error"; docs/clients.md "A
# vendor's error answer that echoes a credential back has it replaced by *** in the error's
# message, field errors, code and body". The OAuth2 token endpoints get this (tests/client/
# test_auth_secrets.py); Leady's only credential exchange does not.


PASSWORD = "leady-Pa55word-0417"


async def test_api_token_get_echoing_the_password_does_not_put_it_in_the_error(
    serve: Any,
) -> None:
    async def token_get(request: web.Request) -> web.Response:
        body = await request.json()
        return web.json_response(
            {
                "non_field_errors": [f"Unable to log in with {body['email']} / {body['password']}"],
                "password": [f"'{body['password']}' is not correct"],
            },
            status=400,
        )

    server = await serve({"POST /api-token-get/": token_get})
    with pytest.raises(APIError) as info:
        await Leady.obtain_token(email="a@example.com", password=PASSWORD, base_url=server.url)
    err = info.value
    shown = " ".join(
        [
            str(err),
            repr(err),
            repr(err.args),
            err.message,
            repr(err.field_errors),
            repr(err.body),
            *err.non_field_errors,
        ]
    )
    assert PASSWORD not in shown, shown

"""Auth failures are single-flight too, against hand-made token endpoints.

- fifty concurrent calls with a wrong secret (or a token endpoint that keeps failing) share one
  renewal and all get the same error; a later call tries again;
- a 401 wave of fifty requests for a revoked user makes one refresh and one original grant,
  whether that grant then fails or works, also when some of the 401s come back after the
  renewal has landed;
- a caller's cancellation does not cancel the renewal for the others, and a renewal nobody waits
  for any more is cancelled (no task left behind);
- a still-valid token is used when its early renewal fails; an expired or rejected one lets the
  failure surface;
- a stored token that cannot be read is no token: a fresh grant overwrites it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from yarl import URL

from tests._redis_url import REDIS_URL
from vendorkit.core import MemoryTokenStore, OAuth2, Token, WireResponse
from vendorkit.core._auth import _marker
from vendorkit.errors import (
    APIError,
    AuthenticationError,
    ClientStateError,
    DecodeError,
    ServerError,
    TransportError,
    VendorkitError,
)

from ._auth_servers import GRANTS, PASSWORD, STYLES, TokenServer, drop, oauth_client, status
from .conftest import CLIENT_SECRET

MARK = "S3CRET"


def outcomes(results: list[Any]) -> set[tuple[type, str]]:
    return {(type(r), str(r)) for r in results}


# -- failures shared by every waiter --------------------------------------------------------------


@pytest.mark.parametrize("style", STYLES)
async def test_fifty_calls_with_a_wrong_secret_make_one_token_request(
    serve: Any, make: Any, style: str
) -> None:
    backend = TokenServer(style)
    server = await serve(backend.routes())
    client = oauth_client(make, server, style, client_secret="wrong-S3CRET")
    results = await asyncio.gather(
        *(client.request("GET", "/me") for _ in range(50)), return_exceptions=True
    )
    assert backend.token_requests == 1
    assert server.hits("GET", "/me") == 0
    # Every waiter gets the same error: same class, same message.
    assert len(outcomes(results)) == 1
    error = results[0]
    assert isinstance(error, AuthenticationError) and error.code == "invalid_client"
    # The failure is not remembered past its waiters: a later call tries again.
    with pytest.raises(AuthenticationError):
        await client.request("GET", "/me")
    assert backend.token_requests == 2


@pytest.mark.parametrize("style", STYLES)
async def test_fifty_calls_share_one_failing_renewal_with_its_retries(
    serve: Any, make: Any, style: str
) -> None:
    backend = TokenServer(style, faults=[status(503)] * 3)
    server = await serve(backend.routes())
    client = oauth_client(make, server, style, max_retries=2)
    results = await asyncio.gather(
        *(client.request("GET", "/me") for _ in range(50)), return_exceptions=True
    )
    assert backend.grants == {GRANTS[style]: 3}  # one renewal: the first try and two retries
    assert len(outcomes(results)) == 1 and isinstance(results[0], ServerError)
    # The endpoint has recovered: the next call obtains a token.
    assert await client.request("GET", "/me") == {"token": "access-1-S3CRET"}
    assert backend.grants == {GRANTS[style]: 4}


@pytest.mark.parametrize("grant_works", [False, True], ids=["grant-fails", "grant-works"])
@pytest.mark.parametrize("style", STYLES)
async def test_a_401_wave_for_a_revoked_user_makes_one_refresh_and_one_grant(
    serve: Any, make: Any, style: str, grant_works: bool
) -> None:
    """The user's tokens are revoked while fifty requests are on their way: all fifty get 401,
    the refresh token is refused, the original grant fails (a revoked user) or works. Ten of
    the 401s are held back until the renewal has landed."""
    backend = TokenServer(style)
    release = asyncio.Event()
    holding = [False]
    held = [0]

    async def me(request: Any) -> Any:
        if holding[0] and held[0] < 10:
            held[0] += 1
            await release.wait()  # these 401s come back after the renewal
        return await backend.me(request)

    server = await serve({**backend.routes(), "GET /me": me})
    # Room for every request at once, so the held ones do not starve the token request.
    client = oauth_client(make, server, style, max_connections=100)
    await client.request("GET", "/me")
    backend.revoke_all()
    backend.user_revoked = not grant_works
    holding[0] = True
    tasks = [asyncio.create_task(client.request("GET", "/me")) for _ in range(50)]
    done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED, timeout=30)
    assert done  # a request has finished: the renewal has landed
    release.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert held[0] == 10
    assert backend.unauthorized == 50
    # One refresh, and one more original grant than the warm-up's, not 51 or 100.
    assert backend.grants == {GRANTS[style]: 2, "refresh_token": 1}
    if grant_works:
        assert {r["token"] for r in results} == {"access-2-S3CRET"}
    else:
        assert len(outcomes(results)) == 1
        assert isinstance(results[0], AuthenticationError)
        assert results[0].code == "invalid_credentials"


@pytest.mark.parametrize("style", STYLES)
async def test_failures_are_single_flight_on_a_redis_store_too(
    serve: Any, make: Any, style: str
) -> None:
    """With Redis every look at the store is a round trip, so callers reach the renewal at
    different moments: those that looked before the failed renewal landed still share it."""
    backend = TokenServer(style)
    server = await serve(backend.routes())
    client = oauth_client(make, server, style, redis_url=REDIS_URL, max_connections=100)
    try:
        await client.request("GET", "/me")
        backend.revoke_all()
        backend.user_revoked = True
        results = await asyncio.gather(
            *(client.request("GET", "/me") for _ in range(50)), return_exceptions=True
        )
        assert backend.grants == {GRANTS[style]: 2, "refresh_token": 1}
        assert len(outcomes(results)) == 1 and isinstance(results[0], AuthenticationError)
        results = await asyncio.gather(
            *(client.request("GET", "/me") for _ in range(50)), return_exceptions=True
        )
        assert backend.grants == {GRANTS[style]: 3, "refresh_token": 1}  # tried again, once
        assert len(outcomes(results)) == 1 and isinstance(results[0], AuthenticationError)
    finally:
        await client.token_store.delete(client.auth.store_key)


async def test_a_later_401_on_a_token_whose_renewal_failed_tries_again(
    serve: Any, make: Any
) -> None:
    """The failure of a renewal is shared by requests that were on their way, not by requests
    sent after it: once the endpoint works again, the next call recovers."""
    backend = TokenServer("json")
    server = await serve(backend.routes())
    client = oauth_client(make, server, "json", max_retries=0)
    await client.request("GET", "/me")
    backend.revoke_all()
    backend.faults = [status(503)]  # the refresh fails (a 5xx is raised, not a refusal)
    with pytest.raises(ServerError):
        await client.request("GET", "/me")
    assert await client.request("GET", "/me") == {"token": "access-2-S3CRET"}
    assert backend.grants == {"password": 2, "refresh_token": 1}


# -- cancellation ---------------------------------------------------------------------------------


def renewal_tasks() -> list[asyncio.Task[Any]]:
    return [t for t in asyncio.all_tasks() if t.get_name() == "vendorkit-token-renewal"]


@pytest.mark.parametrize("style", STYLES)
async def test_a_cancelled_waiter_does_not_cancel_the_renewal_for_the_others(
    serve: Any, make: Any, style: str
) -> None:
    backend = TokenServer(style)
    backend.gate = asyncio.Event()
    server = await serve(backend.routes())
    client = oauth_client(make, server, style)
    tasks = [asyncio.create_task(client.request("GET", "/me")) for _ in range(5)]
    await asyncio.wait_for(backend.arrived.wait(), 10)
    tasks[0].cancel()
    with pytest.raises(asyncio.CancelledError):
        await tasks[0]
    backend.gate.set()
    results = await asyncio.gather(*tasks[1:])
    assert {r["token"] for r in results} == {"access-1-S3CRET"}
    assert backend.token_requests == 1


@pytest.mark.parametrize("style", STYLES)
async def test_a_renewal_whose_every_waiter_was_cancelled_is_cancelled(
    serve: Any, make: Any, style: str
) -> None:
    backend = TokenServer(style)
    backend.gate = asyncio.Event()
    server = await serve(backend.routes())
    client = oauth_client(make, server, style)
    tasks = [asyncio.create_task(client.request("GET", "/me")) for _ in range(5)]
    await asyncio.wait_for(backend.arrived.wait(), 10)
    (renewal,) = renewal_tasks()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await asyncio.wait([renewal], timeout=10)
    assert renewal.cancelled()
    assert renewal_tasks() == []
    assert await client.token_store.get(client.auth.store_key) is None
    # Nothing is left half-done: the next call starts a renewal of its own.
    backend.gate.set()
    assert (await client.request("GET", "/me"))["token"].startswith("access-")
    assert backend.token_requests == 2
    assert renewal_tasks() == []


# -- early renewal that fails ---------------------------------------------------------------------


async def seed(client: Any, backend: TokenServer, *, left: float, lifetime: float = 3600.0) -> str:
    """Store a token with ``left`` seconds of ``lifetime`` to go (and make the server take it),
    with a refresh token the server knows."""
    now = time.time()
    access = "seeded-S3CRET"
    backend.accept(access, lifetime=max(left, 0.0) + 60)
    backend.refresh_tokens.add("seeded-refresh-S3CRET")
    token = Token(
        access,
        issued_at=now - (lifetime - left),
        expires_at=now + left,
        refresh_token="seeded-refresh-S3CRET",
    )
    await client.token_store.set(client.auth.store_key, token)
    return access


def refuse_both(backend: TokenServer) -> None:
    backend.refuse_refresh = True
    backend.user_revoked = True


EARLY_FAILURES = {
    "5xx": lambda b: setattr(b, "faults", [status(503)] * 4),
    "dropped": lambda b: setattr(b, "faults", [drop] * 4),
    "4xx-refresh-and-grant": refuse_both,
}


@pytest.mark.parametrize("failure", list(EARLY_FAILURES))
@pytest.mark.parametrize("style", STYLES)
async def test_a_still_valid_token_is_used_when_its_early_renewal_fails(
    serve: Any, make: Any, caplog: pytest.LogCaptureFixture, style: str, failure: str
) -> None:
    caplog.set_level(logging.DEBUG, logger="vendorkit")
    backend = TokenServer(style)
    server = await serve(backend.routes())
    client = oauth_client(make, server, style, max_retries=1)
    # 30 s left of an hour: inside the 60 s margin, not expired.
    access = await seed(client, backend, left=30.0)
    EARLY_FAILURES[failure](backend)
    results = await asyncio.gather(*(client.request("GET", "/me") for _ in range(20)))
    assert {r["token"] for r in results} == {access}
    # One renewal for all twenty (with its retry, or its fallback to the original grant).
    expected = {"refresh_token": 1, GRANTS[style]: 1} if failure.startswith("4xx") else None
    assert backend.grants == (expected or {"refresh_token": 2})
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings and all("renewing the token ahead" in r.getMessage() for r in warnings)
    assert MARK not in caplog.text and PASSWORD not in caplog.text
    # The token is still the stored one, and a later call tries the renewal again.
    stored = await client.token_store.get(client.auth.store_key)
    assert stored is not None and stored.access_token == access
    before = backend.token_requests
    backend.faults, backend.refuse_refresh, backend.user_revoked = [], False, False
    assert await client.request("GET", "/me") == {"token": "access-1-S3CRET"}
    assert backend.token_requests == before + 1


@pytest.mark.parametrize("failure", list(EARLY_FAILURES))
async def test_an_expired_token_lets_the_renewal_failure_surface(
    serve: Any, make: Any, failure: str
) -> None:
    backend = TokenServer("json")
    server = await serve(backend.routes())
    client = oauth_client(make, server, "json", max_retries=1)
    await seed(client, backend, left=-1.0)
    EARLY_FAILURES[failure](backend)
    with pytest.raises(VendorkitError) as info:
        await client.request("GET", "/me")
    assert isinstance(info.value, APIError | TransportError)
    assert server.hits("GET", "/me") == 0  # never sent with an expired token


async def test_a_rejected_token_lets_the_renewal_failure_surface(serve: Any, make: Any) -> None:
    backend = TokenServer("json")
    server = await serve(backend.routes())
    client = oauth_client(make, server, "json", max_retries=1)
    access = await seed(client, backend, left=3000.0)  # not due for renewal
    backend.valid.clear()  # the server rejects it (401) although it has not expired
    backend.faults = [status(503)] * 2
    with pytest.raises(ServerError):
        await client.request("GET", "/me")
    assert backend.used == [access]
    assert backend.grants == {"refresh_token": 2}
    # The rejected token is forgotten: the next call starts over with the original grant.
    assert await client.token_store.get(client.auth.store_key) is None
    assert await client.request("GET", "/me") == {"token": "access-1-S3CRET"}
    assert backend.grants == {"refresh_token": 2, "password": 1}


async def test_a_closed_client_during_an_early_renewal_surfaces() -> None:
    """Only the vendor's error, no answer, or an answer that is not a token leave a still-valid
    token usable: a closed client (or bad arguments, or a cancellation) surfaces at once."""
    auth = OAuth2(
        token_path="/oauth/token",
        client_id="cid",
        client_secret="csecret",
        grant={"grant_type": "client_credentials"},
    )
    store = MemoryTokenStore()
    auth.bind(base_url=URL("https://vendor.invalid"), vendor="acme", store=store)
    now = time.time()
    due = Token("A", issued_at=now - 3570, expires_at=now + 30, refresh_token="R")
    await store.set(auth.store_key, due)

    async def send(request: Any) -> Any:
        raise ClientStateError("the client is closed")

    with pytest.raises(ClientStateError):
        await auth.current_token(send)

    async def refused(request: Any) -> Any:
        raise DecodeError("token endpoint answer has no usable access_token")

    assert await auth.current_token(refused) == due


# -- a stored token that cannot be read -----------------------------------------------------------


class UnreadableOnce(MemoryTokenStore):
    """A store whose first ``get`` raises ``DecodeError`` (what a tampered value gives)."""

    def __init__(self) -> None:
        super().__init__()
        self.failures = 1
        self.writes = 0

    async def get(self, key: str) -> Token | None:
        if self.failures:
            self.failures -= 1
            raise DecodeError("the stored token is not valid JSON")
        return await super().get(key)

    async def set(self, key: str, token: Token) -> None:
        self.writes += 1
        await super().set(key, token)


class Tampered(UnreadableOnce):
    """A store holding a tampered value: every ``get`` fails until a ``set`` overwrites it."""

    async def get(self, key: str) -> Token | None:
        if self.writes == 0:
            raise DecodeError("the stored token is not valid JSON")
        return await MemoryTokenStore.get(self, key)


@pytest.mark.parametrize("store_cls", [UnreadableOnce, Tampered])
@pytest.mark.parametrize("style", STYLES)
async def test_an_unreadable_stored_token_is_replaced_by_a_fresh_grant(
    serve: Any, make: Any, caplog: pytest.LogCaptureFixture, style: str, store_cls: type
) -> None:
    caplog.set_level(logging.DEBUG, logger="vendorkit")
    backend = TokenServer(style)
    server = await serve(backend.routes())
    store = store_cls()
    client = oauth_client(make, server, style, token_store=store)
    results = await asyncio.gather(*(client.request("GET", "/me") for _ in range(10)))
    assert {r["token"] for r in results} == {"access-1-S3CRET"}
    assert backend.grants == {GRANTS[style]: 1}  # the original grant: no refresh token known
    assert store.writes == 1
    stored = await store.get(client.auth.store_key)
    assert stored is not None and stored.access_token == "access-1-S3CRET"
    assert any("cannot be read" in r.getMessage() for r in caplog.records)
    assert MARK not in caplog.text and CLIENT_SECRET not in caplog.text
    await client.request("GET", "/me")
    assert backend.token_requests == 1


async def test_an_unreadable_stored_token_during_a_401_is_no_token(serve: Any, make: Any) -> None:
    backend = TokenServer("json")
    server = await serve(backend.routes())
    store = UnreadableOnce()
    store.failures = 0
    client = oauth_client(make, server, "json", token_store=store)
    await client.request("GET", "/me")
    backend.revoke_all()
    store.failures = 2  # the 401's look at the store, and the renewal's first look
    assert await client.request("GET", "/me") == {"token": "access-2-S3CRET"}
    assert store.writes == 2


class GatedStore(MemoryTokenStore):
    """A store whose lock waits at the door and again on the way out (as a Redis round trip
    does), so a test can line up who looks at the store when."""

    def __init__(self) -> None:
        super().__init__()
        self.entered = asyncio.Event()
        self.enter = asyncio.Event()
        self.releasing = asyncio.Event()
        self.release = asyncio.Event()

    @contextlib.asynccontextmanager
    async def lock(self, key: str) -> AsyncIterator[None]:
        self.entered.set()
        await self.enter.wait()
        async with super().lock(key):
            yield
            self.releasing.set()
            await self.release.wait()


async def test_a_401_that_joins_a_run_which_already_took_its_token_for_good_renews_again() -> None:
    """A renewal run found a token another process had just stored and is on its way out; a 401
    on that very token arrives and joins the run: it does not replay with the rejected token, it
    starts one more run that knows the rejection."""
    store = GatedStore()
    auth = OAuth2(
        token_path="/oauth/token",
        client_id="cid",
        client_secret="csecret",
        grant={"grant_type": "client_credentials"},
    )
    auth.bind(base_url=URL("https://vendor.invalid"), vendor="acme", store=store)
    now = time.time()
    await store.set(auth.store_key, Token("old", issued_at=now - 3600, expires_at=now - 1))
    sent: list[Any] = []

    async def send(request: Any) -> WireResponse:
        sent.append(request)
        body = b'{"access_token": "fresh", "expires_in": 3600}'
        return WireResponse(200, {"Content-Type": "application/json"}, body)

    first = asyncio.create_task(auth.current_token(send))  # the old token expired: a run
    await asyncio.wait_for(store.entered.wait(), 10)
    other = Token("other", issued_at=now, expires_at=now + 3600)
    await MemoryTokenStore.set(store, auth.store_key, other)  # another process renewed it
    store.enter.set()
    await asyncio.wait_for(store.releasing.wait(), 10)  # the run took "other" for good
    rejected = asyncio.create_task(auth.on_unauthorized(send, _marker(other, 0)))
    # Its first step notes the rejection and joins the run in the air (no await between).
    await asyncio.sleep(0)
    assert auth._rejected
    store.release.set()
    assert (await first).access_token == "other"
    assert await rejected is True
    assert len(sent) == 1  # one token request, by the second run
    stored = await store.get(auth.store_key)
    assert stored is not None and stored.access_token == "fresh"

"""LeadDesk auth under trouble, against the sandbox's emulator (its token endpoint rotates on
refresh: the old access and refresh tokens die at once).

A user revoked during a 401 wave: fifty concurrent calls all get 401 (every token of the user is
gone), the refresh token no longer works, and the password grant then fails (the user is gone)
or works (only the tokens were revoked). One refresh and at most one password grant, not 51 or
100, and every caller gets the same outcome.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import attrs
import pytest

from vendorkit import LeadDesk, errors
from vendorkit.sandbox import FaultProfile, Sandbox
from vendorkit.sandbox.vendors.leaddesk import LeadDeskEmulator


@pytest.fixture
async def sb() -> AsyncIterator[Sandbox]:
    async with Sandbox(vendors=["leaddesk"], records=20, seed=8) as sandbox:
        yield sandbox


def emu(sb: Sandbox) -> LeadDeskEmulator:
    e = sb.emulator("leaddesk")
    assert isinstance(e, LeadDeskEmulator)
    return e


@pytest.mark.parametrize("password_grant_works", [False, True], ids=["user-gone", "tokens-gone"])
async def test_a_revoked_user_during_a_401_wave(sb: Sandbox, password_grant_works: bool) -> None:
    e = emu(sb)
    async with sb.client("leaddesk") as ld:
        await ld.users.get(1001)
        e.tokens.clear()  # every access and refresh token of the user
        if not password_grant_works:
            e.password = "changed-by-the-admin"
        results = await asyncio.gather(
            *(ld.users.get(1001) for _ in range(50)), return_exceptions=True
        )
    assert dict(e.counters.token_requests) == {"password": 2, "refresh_token": 1}
    if password_grant_works:
        assert {getattr(r, "id", r) for r in results} == {1001}
    else:
        assert {(type(r), str(r)) for r in results} == {
            (errors.AuthenticationError, str(results[0]))
        }
        assert isinstance(results[0], errors.AuthenticationError)
        assert results[0].code == "invalid_credentials"
        assert "changed-by-the-admin" not in str(results[0])


async def test_fifty_calls_with_a_wrong_secret_make_one_token_request(sb: Sandbox) -> None:
    e = emu(sb)
    creds = {**sb.credentials("leaddesk"), "client_secret": "wrong-secret-value"}
    async with LeadDesk(**creds) as ld:
        results = await asyncio.gather(
            *(ld.users.get(1001) for _ in range(50)), return_exceptions=True
        )
    assert dict(e.counters.token_requests) == {"password": 1}
    assert len({(type(r), str(r)) for r in results}) == 1
    assert isinstance(results[0], errors.AuthenticationError)
    assert results[0].code == "invalid_client"
    assert "wrong-secret-value" not in repr(results[0])


async def test_an_early_refresh_whose_answer_is_lost_is_recovered_from() -> None:
    """LeadDesk's refresh rotates. An early refresh that the server applied but whose answer was
    lost (the connection dropped after it; no retries) leaves the client with a token the server
    has just killed. The client goes on with it (it has not expired), gets a 401, its refresh
    token is refused (rotated away), and the password grant recovers: the call succeeds."""
    async with (
        Sandbox(
            vendors=["leaddesk"], records=20, seed=8, faults=FaultProfile(include_auth=True)
        ) as sb,
        sb.client("leaddesk", max_retries=0) as ld,
    ):
        e = emu(sb)
        await ld.users.get(1001)
        token = await ld.token_store.get(ld.auth.store_key)
        assert token is not None
        # Make it due for renewal (30 s left of its hour) without waiting an hour.
        due = attrs.evolve(token, issued_at=time.time() - 3570, expires_at=time.time() + 30)
        await ld.token_store.set(ld.auth.store_key, due)
        e.inject("drop_after", path=r"/oauth/access-token$")
        assert (await ld.users.get(1001)).id == 1001
        assert dict(e.counters.token_requests) == {"password": 2, "refresh_token": 2}
        assert e.counters.faults["drop_after"] == 1
        stored = await ld.token_store.get(ld.auth.store_key)
        assert stored is not None and stored.access_token != token.access_token

"""The sandbox's fault kinds the soak needs, on the wire: what exactly each one sends."""

from __future__ import annotations

import email.utils
import json
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest
from hypothesis import given
from hypothesis import strategies as st

from vendorkit.sandbox import FAULT_KINDS, FaultProfile, Sandbox
from vendorkit.sandbox._emulator import _cut_utf8
from vendorkit.sandbox._faults import FaultPlan

NEW_KINDS = ("429_date", "truncated_utf8", "short_body", "bad_status_line")


@pytest.fixture
async def leanlaw() -> AsyncIterator[tuple[Sandbox, aiohttp.ClientSession, str]]:
    async with Sandbox(vendors=["leanlaw"], records=12, faults=FaultProfile(retry_after=2.5)) as sb:
        key = sb.credentials("leanlaw")["api_key"]
        headers = {"Authorization": f"Bearer {key}"}
        async with aiohttp.ClientSession(headers=headers) as http:
            yield sb, http, sb.url("leanlaw") + "/v2/clients"


def test_the_new_kinds_are_known() -> None:
    assert set(NEW_KINDS) <= FAULT_KINDS
    FaultProfile(kinds=NEW_KINDS, script=NEW_KINDS)  # accepted


async def test_429_date_sends_an_http_date_at_least_retry_after_ahead(
    leanlaw: tuple[Sandbox, aiohttp.ClientSession, str],
) -> None:
    sb, http, url = leanlaw
    sb.emulator("leanlaw").inject("429_date")
    before = time.time()
    async with http.get(url) as r:
        after = time.time()
        assert r.status == 429
        value = r.headers["Retry-After"]
        assert (await r.json())["error"]["code"] == "TooManyRequests"
    assert value.endswith(" GMT") and not value.replace(".", "").isdigit()
    when = email.utils.parsedate_to_datetime(value).timestamp()
    # Whole seconds, rounded up: never sooner than retry_after, at most a second later.
    assert before + 2.5 <= when <= after + 3.5
    assert sb.emulator("leanlaw").counters.faults == {"429_date": 1}


async def test_truncated_utf8_cuts_inside_a_multibyte_sequence(
    leanlaw: tuple[Sandbox, aiohttp.ClientSession, str],
) -> None:
    sb, http, url = leanlaw
    async with http.get(url) as r:
        whole = await r.read()
    sb.emulator("leanlaw").inject("truncated_utf8")
    async with http.get(url) as r:
        assert r.status == 200
        cut = await r.read()
    with pytest.raises(UnicodeDecodeError):
        cut.decode("utf-8")
    if any(b >= 0x80 for b in whole):
        assert whole.startswith(cut) and len(cut) < len(whole)
    else:  # an all-ASCII page gets a cut-off three-byte sequence at the cut
        assert cut == whole[: len(whole) // 2] + b"\xe6\x97"


async def test_short_body_promises_more_than_it_sends(
    leanlaw: tuple[Sandbox, aiohttp.ClientSession, str],
) -> None:
    sb, http, url = leanlaw
    sb.emulator("leanlaw").inject("short_body")
    with pytest.raises(aiohttp.ClientPayloadError, match="content length"):
        async with http.get(url) as r:
            assert r.status == 200 and r.content_length is not None
            await r.read()
    async with http.get(url) as r:  # the emulator itself is fine afterwards
        assert r.status == 200 and len((await r.json())["data"]) == 12


async def test_bad_status_line_is_sent_after_the_write_is_applied(
    leanlaw: tuple[Sandbox, aiohttp.ClientSession, str],
) -> None:
    sb, http, url = leanlaw
    emu = sb.emulator("leanlaw")
    emu.inject("bad_status_line")
    with pytest.raises(aiohttp.ClientResponseError, match="status"):
        async with http.post(url, json={"name": "Garbled LLP"}) as r:
            await r.read()
    assert [c["name"] for c in emu.store["clients"].values()].count("Garbled LLP") == 1
    assert emu.counters.writes["POST /v2/clients"] == 1
    assert emu.counters.fault_routes == {"bad_status_line POST /v2/clients": 1}


@pytest.mark.parametrize("kind", NEW_KINDS)
async def test_a_client_reads_through_each_new_kind(kind: str) -> None:
    profile = FaultProfile(retry_after=0.01)
    async with Sandbox(vendors=["leanlaw"], records=5, faults=profile) as sb:
        sb.emulator("leanlaw").inject(kind, path="/v2/clients$")
        async with sb.client("leanlaw", max_retries=2) as ll:
            assert len(await ll.clients.list().all()) == 5
        assert sb.emulator("leanlaw").counters.faults == {kind: 1}


def test_token_requests_have_their_own_rate_and_kinds() -> None:
    plan = FaultPlan(
        FaultProfile(rate=0.0, include_auth=True, auth_rate=1.0, auth_kinds=("drop_before",))
    )
    assert [plan.next_fault("/token", is_auth=True) for _ in range(3)] == ["drop_before"] * 3
    assert plan.next_fault("/api", is_auth=False) is None
    # Without include_auth the token endpoint is spared, whatever auth_rate says.
    spared = FaultPlan(FaultProfile(rate=1.0, auth_rate=1.0))
    assert spared.next_fault("/token", is_auth=True) is None
    # Defaults: the API's rate and kinds.
    same = FaultPlan(FaultProfile(rate=1.0, kinds=("504",), include_auth=True))
    assert same.next_fault("/token", is_auth=True) == "504"
    with pytest.raises(ValueError, match="unknown fault kind"):
        FaultProfile(auth_kinds=("teapot",))
    with pytest.raises(ValueError):
        FaultProfile(auth_rate=1.5)


@given(st.text(max_size=200))
def test_cut_utf8_never_leaves_valid_text(text: str) -> None:
    body = json.dumps({"name": text}, ensure_ascii=False).encode()
    cut = _cut_utf8(body)
    with pytest.raises(UnicodeDecodeError):
        cut.decode("utf-8")
    if any(b >= 0x80 for b in body):
        assert body.startswith(cut) and len(cut) < len(body)
    else:
        assert cut == body[: len(body) // 2] + b"\xe6\x97"

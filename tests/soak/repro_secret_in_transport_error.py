"""Finding (soak): a garbled status line puts the Authorization header into errors and logs.

aiohttp's ``ClientResponseError`` for a bad status line carries the request's headers in its
repr; vendorkit puts that repr into ``TransportError``'s message and into the DEBUG "retrying"
log line, so the API key (LeanLaw), the token (Leady, MakeLeaps, LeadDesk) or MakeLeaps'
``Basic base64(id:secret)`` of a token request is there in full. Fails today (issue 8, Secrets).
"""

from __future__ import annotations

import base64
import logging

import pytest

from vendorkit import errors
from vendorkit.sandbox import FaultProfile, Sandbox


async def test_api_key_is_not_in_the_error_nor_the_log(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="vendorkit")
    causes: list[object] = []
    async with Sandbox(vendors=["leanlaw"], records=3) as sb:
        key = sb.credentials("leanlaw")["api_key"]
        sb.emulator("leanlaw").inject("bad_status_line", "bad_status_line")
        hook = lambda attempt, delay, cause: causes.append(cause)  # noqa: E731
        async with sb.client("leanlaw", max_retries=1, on_retry=hook) as ll:
            with pytest.raises(errors.TransportError) as info:
                await ll.clients.list().all()
    texts = [repr(info.value), *map(repr, info.value.args), *map(repr, causes)]
    assert not [t for t in texts if key in t]  # today: in the error and the hook's cause
    assert key not in caplog.text  # today: in the "retrying" DEBUG line


async def test_basic_credentials_of_a_token_request_are_not_in_the_error() -> None:
    faults = FaultProfile(include_auth=True, auth_rate=1.0, auth_kinds=("bad_status_line",))
    async with Sandbox(vendors=["makeleaps"], records=3, faults=faults) as sb:
        creds = sb.credentials("makeleaps")
        basic = base64.b64encode(f"{creds['client_id']}:{creds['client_secret']}".encode())
        async with sb.client("makeleaps", max_retries=0) as ml:
            with pytest.raises(errors.VendorkitError) as info:
                await ml.partners.list().all()
    assert basic.decode() not in repr(info.value) + str(info.value)  # today: it is there

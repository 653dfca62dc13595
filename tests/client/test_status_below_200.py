"""Found in review, fixed; kept as the test that would catch it again. What was found:

Found in review 2: an answer whose status is below 200 is taken for a success. (Names below are
the code's as it was then; the judging is now ``send_checked``/``final_outcome`` in
``vendorkit/core/_call.py`` and ``_attempt_rules.py``.)

``BaseClient._checked`` raises only for ``status >= 300`` (vendorkit/core/_client.py, "if
response.status >= 300"), and ``_attempt`` returns no body for anything outside 200-299. So a
final answer of ``101 Switching Protocols`` or ``000`` (a broken proxy, a
misconfigured load balancer or a hostile server; aiohttp hands any three digits over as the
status) makes ``delete()`` return None (reported done, nothing deleted), ``request("POST",
...)`` return None (a write reported applied) and ``update()`` read the old record back as if the
write had happened.

Broken promise: issue 8, "Every server answer yields data or a documented vendorkit error";
"nothing is lost": a caller that deletes customer data on request is told it is gone.
"""

from __future__ import annotations

from typing import Any

import pytest

from ._raw import http, raw_server

__all__ = ["raw_server"]
from vendorkit import LeanLaw
from vendorkit.errors import VendorkitError


@pytest.mark.parametrize("status", ["101 Switching Protocols", "000 Zero"])
async def test_a_delete_answered_below_200_is_not_reported_done(
    raw_server: Any, status: str
) -> None:
    headers = {"Upgrade": "websocket", "Connection": "Upgrade"} if status.startswith("101") else {}
    server = await raw_server(lambda req, n: (http(status, b"", headers), "close"))
    async with LeanLaw(api_key="ll-key-123456789", base_url=server.url, max_retries=0) as ll:
        with pytest.raises(VendorkitError):
            await ll.clients.delete("C-1")
        with pytest.raises(VendorkitError):
            await ll.request("POST", "/v2/clients", json={"name": "Acme"})

"""Review h9: money a vendor sends as a JSON *number* loses digits.

LeanLaw's docs show no field shapes; time entries, expenses and invoices carry ``amount``,
``rate``, ``total``... that a JSON API commonly sends as numbers. ``WireResponse.json`` parses
with plain ``json.loads``, so every JSON number with a fraction becomes a binary ``float`` before
``_convert._decimal`` sees it; ``repr(float)`` then gives the float's digits, not the vendor's.

Broken promise: contract section 3, "``record.raw`` is the exact JSON object the vendor sent
(nothing dropped ...). Money is ``decimal.Decimal``"; docs/architecture.md "Models: ...
``record.raw`` is the exact JSON object received". The export writes ``raw`` (section 7), so the
changed number also reaches the export files.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from aiohttp import web

from vendorkit import LeanLaw

BODY = '{"data": {"id": "T-1", "amount": 12345678901234567.89, "rate": 250.10, "hours": 0.1}}'


async def test_a_money_number_keeps_every_digit_in_the_record_and_in_raw(
    serve: Any, make: Any
) -> None:
    async def entry(request: web.Request) -> web.Response:
        return web.Response(text=BODY, content_type="application/json")

    server = await serve({"GET /v2/time-entries/T-1": entry})
    ll = make(LeanLaw, server, api_key="ll-key-123456")
    record = await ll.time_entries.get("T-1")
    # The vendor's digits, exactly.
    assert record.amount == Decimal("12345678901234567.89"), record.amount
    # raw is the exact JSON the vendor sent: written back out, it is the same number.
    sent = json.loads(BODY, parse_float=Decimal)["data"]
    assert json.dumps(record.raw["amount"], default=str) == str(sent["amount"]), record.raw

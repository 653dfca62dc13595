"""A ``Decimal`` NaN or Infinity is refused as money (the issue-9 review found it sent; its report
follows).

``_convert.dumps`` refuses ``float("nan")`` (``allow_nan=False``: "NaN and Infinity are not JSON,
and a vendor would refuse the body"), but ``decimal_out`` writes any ``Decimal`` with ``str()``,
so ``Decimal("NaN")``/``Decimal("Infinity")`` in a dict or a model is sent as the money string
``"NaN"``/``"Infinity"``: the same bad value, through the money path, reaches the vendor.

Broken promise: docs/guarantees.md "Bad input yields data or a documented error": "bad arguments
(... ``json={"a": nan}`` ...) ``ConfigurationError`` before anything is sent"; contract section 3,
"a model instance is converted to the vendor's names, money as strings".
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from aiohttp import web

from vendorkit import LeanLaw
from vendorkit.errors import ConfigurationError
from vendorkit.vendors.leanlaw import models


@pytest.mark.parametrize(
    "data",
    [
        {"amount": Decimal("NaN")},
        {"amount": Decimal("-Infinity")},
        models.Expense(amount=Decimal("Infinity")),
        models.Expense(amount=Decimal("sNaN")),
    ],
    ids=["dict-nan", "dict-minus-inf", "model-inf", "model-snan"],
)
async def test_a_non_finite_decimal_is_refused_before_sending(
    serve: Any, make: Any, data: Any
) -> None:
    bodies: list[str] = []

    async def create(request: web.Request) -> web.Response:
        bodies.append(await request.text())
        return web.json_response({"data": {"id": "E-1", "amount": "1.00"}}, status=201)

    server = await serve({"POST /v2/expenses": create})
    ll = make(LeanLaw, server, api_key="ll-key-123456")
    outcome: BaseException | None = None
    try:
        await ll.expenses.create(data)
    except ConfigurationError as exc:
        outcome = exc
    assert bodies == [], bodies  # today: ['{"amount": "NaN"}'] reaches the vendor
    assert isinstance(outcome, ConfigurationError)

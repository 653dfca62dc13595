"""A LeadDesk record read leniently can be updated (the issue-9 review found it could not; its
report follows).

LeadDesk's spec is ``lenient=True``: "a field whose value does not fit its type is left None
(the value is still in ``record.raw``)" (vendorkit/vendors/leaddesk/_spec.py, docs of
``_structuring.lenient_structure``). ``update(id, record)`` with a model instance sends "only the
fields that differ from what was read" (``UpdateMixin.update``): ``_convert.changed_fields``
rebuilds the baseline with a *strict* ``converter.structure(record.raw, ...)``, which raises
cattrs' bare ``ClassValidationError`` for exactly the records the lenient read accepted. The
PATCH is never sent and the caller gets no ``VendorkitError``.

Broken promise: contract section 3, "``await ml.documents.update(mid, data)`` data: a model
instance or a dict"; section 5, "``VendorkitError`` is the base of everything vendorkit raises".
"""

from __future__ import annotations

from typing import Any

import attrs
from aiohttp import web

from vendorkit import LeadDesk


async def test_a_record_read_leniently_can_be_updated(serve: Any, make: Any) -> None:
    state: dict[str, Any] = {"id": 5, "name": "Broadband", "price": "n/a", "_links": {}}
    patches: list[Any] = []

    async def token(request: web.Request) -> web.Response:
        return web.json_response(
            {
                "access_token": "access-ABCDEFGH",
                "token_type": "Bearer",
                "expires_in": 3600,
                "refresh_token": "refresh-ABCDEFGH",
            }
        )

    async def product(request: web.Request) -> web.Response:
        if request.method == "PATCH":
            body = await request.json()
            patches.append(body)
            state.update(body)
            return web.Response(status=204)
        return web.json_response(state)

    server = await serve(
        {
            "POST /oauth/access-token": token,
            "GET /products/5": product,
            "PATCH /products/5": product,
        }
    )
    ld = make(
        LeadDesk, server, client_id="cid", client_secret="csecret-1", username="u", password="pw-1"
    )
    read = await ld.products.get(5)
    assert read.price is None and read.raw["price"] == "n/a"  # the documented lenient read
    updated = await ld.products.update(5, attrs.evolve(read, name="Fibre"))
    assert patches == [{"name": "Fibre"}]
    assert updated.name == "Fibre"

"""Found in review, fixed; kept as the test that would catch it again. What was found:

Found in review 2: a create answered ``303 See Other`` (the Post/Redirect/Get answer: "done,
the new record is there") raises an ``APIError`` as if nothing had been created.

``_attempt`` follows redirects only for GET and HEAD, and ``_checked`` raises for every status
>= 300 (vendorkit/core/_client.py), so the 303's ``Location`` (which names the new record) is
thrown away with it. The write was applied: a caller that treats the error as a failure and
creates again makes a second record. RFC 9110 15.4.4: a 303 to a POST means "the server has
processed the request; GET the Location". The LeadDesk ``{"id": N}`` case (issue 8) was fixed
with ``ReadBackError``; this is the same class of bug through another door.

Broken promise: issue 8, "A write whose follow-up read fails ... must not raise as if nothing was
created: the caller gets the new id (in the result or on the error), so a retry does not create
a second record."
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from vendorkit import LeanLaw
from vendorkit.errors import APIError, ReadBackError


async def test_a_create_answered_see_other_gives_the_new_record(serve: Any) -> None:
    created: list[bytes] = []

    async def create(request: web.Request) -> web.Response:
        created.append(await request.read())
        return web.Response(status=303, headers={"Location": "/v2/clients/NEW-1"})

    async def read(request: web.Request) -> web.Response:
        return web.json_response({"data": {"id": "NEW-1", "name": "Acme"}})

    server = await serve({"POST /v2/clients": create, "GET /v2/clients/NEW-1": read})
    async with LeanLaw(api_key="ll-key-123456789", base_url=server.url) as ll:
        try:
            record = await ll.clients.create({"name": "Acme"})
        except ReadBackError:
            return  # acceptable: the error says it was created, and names the record
        except APIError as exc:
            raise AssertionError(
                f"the create was applied ({len(created)} POST) and the caller got {exc!r}, "
                "with no word of the new record"
            ) from None
    assert record.id == "NEW-1"

"""Found in review, fixed; kept as the test that would catch it again. What was found:

MakeLeaps resources take a record, a dict or an object URL wherever an id goes
(``_Resource._item_url_parts``: ``if is_url(ref): return str(ref)``), and that URL is sent as it
is, whatever resource it names. So ``ml.documents.delete(doc.client)`` (a careless caller passing
the document's client reference, or a mid column that holds URLs) sends ``DELETE .../client/<mid>/``
and deletes a *client*; ``documents.update(contact_record, {...})`` PATCHes a contact. Dot
segments in such a URL are resolved by yarl before sending, so even a URL that does name the
document collection can be steered elsewhere (``.../document/x/../../client/C/``), which a path
given to ``request()`` would have refused.

Broken promise: issue 8, "An id is one path segment, whatever it contains ... Same for get,
update, relations and any templated path"; docs/clients.md "can never reach another resource"
and "one with . or .. segments ... is refused". Why it matters: a delete or update lands on a
different resource type than the one the caller named, with no error.
"""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web

from vendorkit import MakeLeaps
from vendorkit.errors import ConfigurationError

TOKEN = {"access_token": "ml-access-TOKEN-1", "token_type": "Bearer", "expires_in": 36000}


async def _server(serve: Any) -> Any:
    async def token(request: web.Request) -> web.Response:
        return web.json_response(TOKEN)

    async def anything(request: web.Request) -> web.Response:
        return web.json_response(
            {"meta": {"status": 200}, "response": {"mid": "X", "url": str(request.url)}}
        )

    return await serve({"POST /user/oauth2/token/": token, "* /api/{tail:.*}": anything})


def _ml(server: Any) -> MakeLeaps:
    return MakeLeaps(
        client_id="ml-client",
        client_secret="ml-secret-1234",
        base_url=server.url,
        partner_mid="P",
        rate_limit=None,
    )


@pytest.mark.parametrize(
    "call",
    [
        lambda ml, u: ml.documents.delete(u),
        lambda ml, u: ml.documents.delete({"url": u}),
        lambda ml, u: ml.documents.update(u, {"title": "x"}),
        lambda ml, u: ml.documents.get(u),
    ],
    ids=["delete(url)", "delete({'url': url})", "update(url)", "get(url)"],
)
async def test_a_documents_call_never_reaches_a_client(serve: Any, call: Any) -> None:
    server = await _server(serve)
    client_url = f"{server.url}/api/partner/P/client/C1/"
    async with _ml(server) as ml:
        try:
            await call(ml, client_url)
        except ConfigurationError:
            pass  # refusing a URL of another resource is one fix
    touched = [(s.method, s.path) for s in server.requests() if "/client/" in s.path]
    assert touched == [], f"ml.documents.* reached a client: {touched}"


async def test_dot_segments_in_a_url_id_are_refused_not_resolved(serve: Any) -> None:
    server = await _server(serve)
    sneaky = f"{server.url}/api/partner/P/document/x/../../client/C3/"
    async with _ml(server) as ml:
        with pytest.raises(ConfigurationError):
            await ml.documents.delete(sneaky)
    assert [s.path for s in server.requests("DELETE")] == []

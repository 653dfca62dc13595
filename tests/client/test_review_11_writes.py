"""Review 11: a write's keywords are its path's placeholders, nothing else.

``create``/``update``/``delete`` used to send any keyword as a query parameter, so a careless
``clients.create(data, max_retries=0)`` or ``delete(id, header={...})`` reached the vendor as
``?max_retries=0`` and did nothing the caller meant. Now a keyword must name a placeholder of the
path (``parent=``) or, on a create or update, a filter ``get()`` documents (``select=``);
``params={...}`` sends query parameters as given; anything else is a
``ConfigurationError`` naming the closest keyword, before anything is sent.
"""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web

from vendorkit import errors
from vendorkit.core import Endpoint, resource

from .conftest import TokenClient, ok


class NestedClient(TokenClient):
    items: Any = resource(Endpoint(path="/items", get_filters=frozenset({"select"})))
    notes: Any = resource(Endpoint(path="/parents/{parent}/notes"))


async def _server(serve: Any) -> Any:
    async def created(request: web.Request) -> web.StreamResponse:
        return ok({"id": 7, "name": "x"}, status=201)

    async def one(request: web.Request) -> web.StreamResponse:
        if request.method == "DELETE":
            return web.Response(status=204)
        return ok({"id": 7, "name": "y"})

    return await serve(
        {
            "POST /items": created,
            "PUT /items/{id}": one,
            "PATCH /items/{id}": one,
            "DELETE /items/{id}": one,
            "GET /items/{id}": one,
            "POST /parents/{parent}/notes": created,
            "DELETE /parents/{parent}/notes/{id}": one,
        }
    )


@pytest.mark.parametrize(
    ("call", "wrong", "guess"),
    [
        (lambda c: c.items.create({"name": "x"}, max_retries=0), "max_retries", None),
        (lambda c: c.items.update(7, {"name": "y"}, timeout=5), "timeout", None),
        (lambda c: c.items.delete(7, header={"X-A": "1"}), "header", "headers"),
        (lambda c: c.items.create({"name": "x"}, param={"a": 1}), "param", "params"),
        (lambda c: c.notes.create({"name": "x"}, parnt=1), "parnt", "parent"),
        (lambda c: c.items.delete(7, select="meta"), "select", None),
    ],
)
async def test_a_writes_unknown_keyword_is_refused_before_anything_is_sent(
    serve: Any, make: Any, call: Any, wrong: str, guess: str | None
) -> None:
    server = await _server(serve)
    client = make(NestedClient, server)
    with pytest.raises(errors.ConfigurationError, match=repr(wrong)) as info:
        await call(client)
    if guess is not None:
        assert f"did you mean {guess!r}" in str(info.value)
    assert server.seen == []


async def test_placeholders_fill_the_path_and_params_go_to_the_query(serve: Any, make: Any) -> None:
    server = await _server(serve)
    client = make(NestedClient, server)
    await client.notes.create({"name": "x"}, parent=3, params={"notify": "no"})
    await client.notes.delete(7, parent=3)
    await client.items.update(7, {"name": "y"}, params={"dry": 1})
    # get()'s documented filters shape a create's or update's answer as they shape get()'s
    await client.items.create({"name": "x"}, select="meta")
    sent = [(s.method, s.path, s.query) for s in server.seen if s.method != "GET"]
    assert sent == [
        ("POST", "/parents/3/notes", {"notify": "no"}),
        ("DELETE", "/parents/3/notes/7", {}),
        (server.seen[2].method, "/items/7", {"dry": "1"}),
        ("POST", "/items", {"select": "meta"}),
    ]

"""Careless arguments are a ``ConfigurationError`` before anything is sent (found by the issue-9
review, where they escaped as bare Python exceptions or were sent; the text below is its report).

Broken promise: contract section 5, "``VendorkitError`` is the base of everything vendorkit
raises"; docs/guarantees.md "Bad input yields data or a documented error": "a wrong type where a
number, text, a URL or a path is expected ... ``ConfigurationError`` before anything is sent",
and "an id ... ``""``, ``"."``, ``".."`` and non-ids are refused before sending".
"""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web

from vendorkit import LeadDesk, MakeLeaps
from vendorkit.errors import ConfigurationError, VendorkitError
from vendorkit.vendors.makeleaps import models as ml_models


def _token_routes(seen: list[str]) -> dict[str, Any]:
    async def ml_token(request: web.Request) -> web.Response:
        return web.json_response(
            {"access_token": "tok-ABCDEFGH", "token_type": "Bearer", "expires_in": 36000}
        )

    async def ld_token(request: web.Request) -> web.Response:
        return web.json_response(
            {
                "access_token": "tok-ABCDEFGH",
                "token_type": "Bearer",
                "expires_in": 3600,
                "refresh_token": "ref-ABCDEFGH",
            }
        )

    async def anything(request: web.Request) -> web.Response:
        seen.append(f"{request.method} {request.raw_path}")
        return web.json_response({"meta": {"status": 200}, "response": {"mid": "X"}})

    return {
        "POST /user/oauth2/token/": ml_token,
        "POST /oauth/access-token": ld_token,
        "* /{tail:.*}": anything,
    }


# -- LeadDesk relations: an id that is neither an id nor an iterable of ids -------------------
# ``_id_objects`` calls ``list(ids)`` on anything that is not int/str/Record/Mapping: a float or
# any other object is a bare ``TypeError: 'float' object is not iterable``.


@pytest.mark.parametrize("write", ["add", "replace", "remove"])
@pytest.mark.parametrize("bad", [3.5, object()], ids=["float", "object"])
async def test_a_relation_id_of_the_wrong_type_is_a_configuration_error(
    serve: Any, make: Any, write: str, bad: Any
) -> None:
    seen: list[str] = []
    server = await serve(_token_routes(seen))
    ld = make(
        LeadDesk, server, client_id="cid", client_secret="csecret-1", username="u", password="pw-1"
    )
    with pytest.raises(ConfigurationError):
        await getattr(ld.campaigns.users(7), write)(bad)
    assert not [s for s in seen if "/campaigns" in s]


# -- MakeLeaps upload_file: what multipart_file cannot encode --------------------------------
# ``multipart_file`` concatenates ``head + content`` and calls ``.replace`` on the file name and
# content type: str content is a bare TypeError, a non-str file name or content type an
# AttributeError, a lone surrogate in the name a UnicodeEncodeError.


@pytest.mark.parametrize(
    "kwargs",
    [
        {"content": "not bytes"},
        {"content": b"%PDF-1.4", "filename": 123},
        {"content": b"%PDF-1.4", "filename": "a\udfffb.pdf"},
        {"content": b"%PDF-1.4", "content_type": None},
    ],
    ids=["str-content", "int-filename", "surrogate-filename", "none-content-type"],
)
async def test_an_upload_with_bad_arguments_is_a_vendorkit_error(
    serve: Any, make: Any, kwargs: dict[str, Any]
) -> None:
    seen: list[str] = []
    server = await serve(_token_routes(seen))
    ml = make(MakeLeaps, server, client_id="cid", client_secret="csecret-1", partner_mid="P")
    item = ml_models.SendingOrderItem(
        url=f"{server.url}/api/partner/P/sending/order/O/item/I/",
        upload_url=f"{server.url}/api/partner/P/sending/order/O/item/I/upload/",
    )
    content = kwargs.pop("content")
    with pytest.raises(VendorkitError):
        await ml.sending_orders.upload_file(item, content, **kwargs)
    assert not [s for s in seen if s.startswith("PUT")]


# -- MakeLeaps adapter ids: ``_mid`` str()s whatever it is given -------------------------------
# ``documents.get(object())`` is refused by the core's ``path_segment``, but the adapter's own
# ``_mid`` helper (clients.settings/contacts, tasks.get-by-helper, pickup links ...) returns
# ``str(ref)`` for anything, so ``<object object at 0x...>`` or ``3.5`` goes out as a mid.


@pytest.mark.parametrize("bad", [object(), 3.5, ["C-1"]], ids=["object", "float", "list"])
@pytest.mark.parametrize(
    "call",
    [
        lambda ml, bad: ml.clients.settings(bad),
        lambda ml, bad: ml.clients.contacts(bad).all(),
        lambda ml, bad: ml.tasks.results(bad),
        lambda ml, bad: ml.pickup_links.create(bad),
    ],
    ids=["clients.settings", "clients.contacts", "tasks.results", "pickup_links.create"],
)
async def test_a_makeleaps_reference_that_is_no_id_is_refused_before_sending(
    serve: Any, make: Any, bad: Any, call: Any
) -> None:
    seen: list[str] = []
    server = await serve(_token_routes(seen))
    ml = make(MakeLeaps, server, client_id="cid", client_secret="csecret-1", partner_mid="P")
    outcome: BaseException | None = None
    try:
        await call(ml, bad)
    except VendorkitError as exc:
        outcome = exc
    # Nothing may reach the vendor: today ``GET .../client/%3Cobject%20object%20at...`` does.
    assert seen == [], seen
    assert isinstance(outcome, ConfigurationError), outcome


# -- token_store= that is not a token store ------------------------------------------------------
# ``BaseClient.__init__`` checks ``session=``, ``hooks=``, ``redis_url=`` ... but takes any
# ``token_store=`` as is. The natural slip ``token_store="redis://..."`` (meaning ``redis_url=``)
# builds a client; its first call then dies inside ``OAuth2._read`` with a bare
# ``AttributeError: 'str' object has no attribute 'get'``.


async def test_a_token_store_that_is_a_url_string_is_a_configuration_error(
    serve: Any, make: Any
) -> None:
    seen: list[str] = []
    server = await serve(_token_routes(seen))
    with pytest.raises(ConfigurationError):
        ml = make(
            MakeLeaps,
            server,
            client_id="cid",
            client_secret="csecret-1",
            partner_mid="P",
            token_store="redis://127.0.0.1:6379/0",
        )
        await ml.documents.get("D")

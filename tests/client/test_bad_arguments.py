"""Found in review, fixed; kept as the test that would catch it again. What was found:

Bad arguments that escape as bare ``AttributeError``/``TypeError``/``ValueError`` (not a
``VendorkitError``), or are sent as something the caller did not mean.

- ``request()``'s ``method`` is ``.upper()``-ed unchecked (``_client._checked`` /
  ``WireRequest``): ``None`` or ``5`` is an ``AttributeError``;
- ``headers=`` and ``params=`` are ``.items()``-ed unchecked (``merge_headers``, ``url_for``): a
  string, a list of pairs (what ``aiohttp`` and ``requests`` accept!) or an int key is an
  ``AttributeError``; ``list(headers=5)`` too;
- ``paginate(None)`` is a ``TypeError`` (``"{" not in template``);
- an int id beyond 4300 digits is a bare ``ValueError`` (``path_segment``'s ``str(value)``);
- LeadDesk turns any ``str.isdigit()`` text into ``int``: ``"²"`` is a bare ``ValueError``
  (``_grant``, ``_id_of``) and ``"١٢"`` silently becomes the id 12;
- ``json={"a": float("nan")}`` is sent as ``NaN``, which is not JSON; ``params={"a": b"x"}``
  sends the Python repr ``b'x'`` as the filter.

Broken promise: issue 8 and contract section 8, "Bad arguments (... wrong types) raise
ConfigurationError: every exception vendorkit raises is a VendorkitError"; docs/errors.md "a
body that cannot be JSON is a ConfigurationError".
"""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web

from vendorkit import LeadDesk, LeanLaw
from vendorkit.errors import ConfigurationError

CASES = {
    "method None": lambda ll: ll.request(None, "/v2/clients"),
    "method int": lambda ll: ll.request(5, "/v2/clients"),
    "headers a string": lambda ll: ll.request("GET", "/v2/clients", headers="X-A: 1"),
    "headers an int key": lambda ll: ll.request("GET", "/v2/clients", headers={5: "a"}),
    "params a list of pairs": lambda ll: ll.request("GET", "/v2/clients", params=[("a", "b")]),
    "params a string": lambda ll: ll.request("GET", "/v2/clients", params="a=b"),
    "list(headers=5)": lambda ll: ll.clients.list(headers=5).all(),
    "paginate(None)": lambda ll: ll.paginate(None).all(),
    "an id of 5000 digits": lambda ll: ll.clients.get(10**5000),
    "json with NaN": lambda ll: ll.request("POST", "/v2/clients", json={"a": float("nan")}),
    "params with bytes": lambda ll: ll.request("GET", "/v2/clients", params={"name": b"acme"}),
}


@pytest.mark.parametrize("call", CASES.values(), ids=CASES.keys())
async def test_a_bad_argument_is_a_configuration_error_before_anything_is_sent(
    serve: Any, make: Any, call: Any
) -> None:
    async def anything(request: web.Request) -> web.Response:
        return web.json_response({"data": [], "pagination": {"limit": 10, "offset": 0, "total": 0}})

    server = await serve({"* /{tail:.*}": anything})
    ll = make(LeanLaw, server, api_key="ll-key-123456789", max_retries=0)
    with pytest.raises(ConfigurationError):
        await call(ll)
    assert server.seen == [], [(s.method, s.path, s.body) for s in server.seen]


@pytest.mark.parametrize("value", ["²", "١٢"])
def test_a_leaddesk_client_id_that_is_not_ascii_digits_is_refused(value: str) -> None:
    with pytest.raises(ConfigurationError):
        LeadDesk(client_id="c", client_secret="s-123456", leaddesk_client_id=value)


@pytest.mark.parametrize("value", ["²", "١٢"])
async def test_a_relation_id_that_is_not_ascii_digits_is_not_turned_into_another_id(
    serve: Any, make: Any, value: str
) -> None:
    async def token(request: web.Request) -> web.Response:
        return web.json_response(
            {"access_token": "ld-TOKEN-1", "token_type": "Bearer", "expires_in": 3600}
        )

    async def anything(request: web.Request) -> web.Response:
        return web.Response(status=204)

    server = await serve({"POST /oauth/access-token": token, "* /campaigns/{tail:.*}": anything})
    ld = make(
        LeadDesk, server, client_id="c", client_secret="s-123456", username="u", password="p-1234"
    )
    try:
        await ld.campaigns.users(7).add([value])
    except ConfigurationError:
        return  # refusing it is fine
    bodies = [s.body for s in server.requests() if s.path.startswith("/campaigns")]
    # Sent as given (a string id), never as a different integer id.
    assert all(b'"id": 12' not in b and b'"id":12' not in b for b in bodies), bodies

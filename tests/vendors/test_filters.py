"""Filters as each vendor documents them: refused before any request when misspelt (naming the
closest match), undocumented ones sent as given through ``params=``, every documented one sent
under the vendor's own name, and, against the sandbox, a documented filter that filters.

The wire tests run the four real clients against one small counting server that answers any
token request with a token and any GET with an empty list in every vendor's envelope at once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from vendorkit import LeadDesk, Leady, LeanLaw, MakeLeaps
from vendorkit.core import BaseClient
from vendorkit.errors import ConfigurationError
from vendorkit.sandbox import Sandbox
from vendorkit.vendors._typegen import descriptors

# One body every vendor's envelope reads as an empty last page.
EMPTY = {
    "meta": {"status": 200, "next": None, "prev": None, "page": 1, "count": 0},
    "response": [],
    "results": [],
    "next": None,
    "previous": None,
    "collection": [],
    "_links": {},
    "_meta": {"total": 0},
    "data": [],
    "pagination": {"limit": 1, "offset": 0, "total": 0},
}
TOKEN = {"access_token": "t0k", "token_type": "Bearer", "expires_in": 3600, "refresh_token": "r"}


class Wire:
    """What the server saw: ``(method, path, query)`` per request."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, list[tuple[str, str]]]] = []

    async def handle(self, request: web.Request) -> web.Response:
        self.seen.append((request.method, request.path, list(request.query.items())))
        if request.method == "POST":
            return web.json_response(TOKEN)
        if request.path.rstrip("/").endswith("/x"):  # an object
            # One body for every vendor's envelope, with each one's always-sent fields.
            mine = {"mid": "x", "url": f"{request.url}"}
            body = {"data": {"id": "x"}, "response": mine, "id": 1, "domain": "x.example"}
            return web.json_response(body)
        return web.json_response(EMPTY)

    def gets(self) -> list[tuple[str, list[tuple[str, str]]]]:
        return [(path, query) for method, path, query in self.seen if method == "GET"]


@pytest.fixture
async def wire() -> AsyncIterator[tuple[Wire, str]]:
    seen = Wire()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", seen.handle)
    server = TestServer(app)
    await server.start_server()
    yield seen, str(server.make_url("")).rstrip("/")
    await server.close()


def clients(url: str) -> dict[str, BaseClient]:
    return {
        "makeleaps": MakeLeaps(client_id="c", client_secret="s", partner_mid="p1", base_url=url),
        "leady": Leady(token="t", base_url=url + "/v1"),
        "leaddesk": LeadDesk(
            client_id="c", client_secret="s", username="u", password="p", base_url=url
        ),
        "leanlaw": LeanLaw(api_key="k", base_url=url),
    }


async def test_a_misspelt_option_or_filter_sends_nothing_and_names_the_closest(
    wire: tuple[Wire, str],
) -> None:
    seen, url = wire
    async with LeanLaw(api_key="k", base_url=url) as ll:
        with pytest.raises(ConfigurationError, match="did you mean 'max_items'"):
            ll.clients.list(max_item=5)  # type: ignore[call-arg]
        with pytest.raises(ConfigurationError, match="did you mean 'clientId'"):
            ll.matters.list(clientid="c1")  # type: ignore[call-arg]
        with pytest.raises(ConfigurationError, match="did you mean 'select'"):
            await ll.clients.get("x", selct="meta")  # type: ignore[call-arg]
        with pytest.raises(ConfigurationError, match="params="):
            ll.clients.list_raw(nmae="a")  # type: ignore[call-arg]
    async with MakeLeaps(client_id="c", client_secret="s", partner_mid="p", base_url=url) as ml:
        with pytest.raises(ConfigurationError, match="did you mean 'date__gte'"):
            ml.documents.list(date__gtee="2024-01-01")  # type: ignore[call-arg]
        # A resource whose docs name no filter takes none.
        with pytest.raises(ConfigurationError, match="documented filters: none"):
            ml.partners.list(name="x")  # type: ignore[call-arg]
    assert seen.seen == []  # not even a token request


async def test_the_adapters_own_list_methods_refuse_a_misspelt_keyword_too(
    wire: tuple[Wire, str],
) -> None:
    """A child list, a relation and a list taking its parent positionally check their keywords
    as a resource's ``list()`` does: before any request, naming the closest."""
    seen, url = wire
    made = clients(url)
    ml: Any = made["makeleaps"]
    ld: Any = made["leady"]
    lk: Any = made["leaddesk"]
    ll: Any = made["leanlaw"]
    calls = [
        (lambda: ml.clients.contacts("c1", serch="a"), "did you mean 'search'"),
        (lambda: ml.sending_orders.items("o1", max_item=3), "did you mean 'max_items'"),
        (lambda: ml.pickup_links.list(documnt="d1"), "did you mean 'document_mid'"),
        (lambda: ld.sessions.list("a.example", perod_start="x"), "did you mean 'period_start'"),
        (lambda: ld.sessions.actions(1, max_item=2), "did you mean 'max_items'"),
        (lambda: ld.sessions.actions(1, session=2), "the session twice"),
        (lambda: ld.sessions.list("a.example", domain="b.example"), "the website twice"),
        (lambda: lk.campaigns.users(1).list(activ=True), "did you mean 'active'"),
        (lambda: lk.contact_lists.contacts(1).list(page_siz=5), "did you mean 'page_size'"),
        (lambda: ll.clients.matters(1, selec="meta"), "did you mean 'select'"),
        (lambda: ll.clients.matters(1, clientId=2), "the client twice"),
    ]
    async with ml, ld, lk, ll:
        for call, message in calls:
            with pytest.raises(ConfigurationError, match=message):
                call()
    assert seen.seen == []


async def test_the_adapters_own_list_methods_send_their_filters_and_params(
    wire: tuple[Wire, str],
) -> None:
    seen, url = wire
    made: dict[str, Any] = clients(url)
    async with made["leaddesk"] as lk, made["leanlaw"] as ll, made["makeleaps"] as ml:
        await lk.campaigns.users(7).list(active=True, params={"x-y": "z"}).all()
        await ll.clients.matters("c1", select="meta").all()
        await ml.clients.contacts("k1", search="acme", max_items=1).all()
    relation, matters, contacts = seen.gets()
    assert relation[0] == "/campaigns/7/users"
    assert ("active", "true") in relation[1] and ("x-y", "z") in relation[1]
    assert ("clientId", "c1") in matters[1] and ("select", "meta") in matters[1]
    assert contacts[0].endswith("/client/k1/contact/") and ("search", "acme") in contacts[1]


async def test_params_sends_an_undocumented_name_as_given(wire: tuple[Wire, str]) -> None:
    seen, url = wire
    async with LeanLaw(api_key="k", base_url=url) as ll:
        await ll.clients.list(select="contact", params={"sortBy": "name desc", "n": 3}).all()
        await ll.clients.get("x", params={"includeDeleted": True})
        with pytest.raises(ConfigurationError, match="both as a filter and in params"):
            ll.clients.list(select="a", params={"select": "b"})
        with pytest.raises(ConfigurationError, match="no query form"):
            await ll.clients.list(params={"raw": b"bytes"}).all()
        with pytest.raises(ConfigurationError, match="params must be a mapping"):
            ll.clients.list(params=["sortBy"])  # type: ignore[arg-type]
        rows = await ll.paginate("/v2/clients", params={"a&b": "c d"}, limit=5).all()
        assert rows == []
    (_, listed), (_, got), (_, generic) = seen.gets()
    assert ("sortBy", "name desc") in listed and ("n", "3") in listed
    assert ("select", "contact") in listed
    assert got == [("includeDeleted", "true")]
    assert ("a&b", "c d") in generic and ("limit", "5") in generic


async def test_every_documented_filter_reaches_the_wire_under_its_own_name(
    wire: tuple[Wire, str],
) -> None:
    seen, url = wire
    checked = 0
    for vendor, client in clients(url).items():
        async with client:
            for name, desc in descriptors(type(client)):
                res: Any = getattr(client, name)
                actions = desc.endpoint.actions
                for action in ("list", "get"):
                    if action not in actions:
                        continue
                    declared = (
                        desc.endpoint.filters if action == "list" else desc.endpoint.get_filters
                    )
                    keywords = {n: "7" for n in res.accepted_filters(action)}
                    before = len(seen.gets())
                    if action == "list":
                        await res.list_raw(**keywords, max_items=1).all()
                    else:
                        await res.get("x", **keywords)
                    sent = seen.gets()[before:]
                    assert sent, (vendor, name, action)
                    query = dict(sent[0][1])
                    for filter_name in declared:
                        assert query.get(filter_name) == "7", (vendor, name, action, filter_name)
                        checked += 1
    assert checked > 150  # MakeLeaps documents alone declare some 60


async def test_a_documented_filter_filters_in_the_sandbox(vendorkit_sandbox: Sandbox) -> None:
    async with vendorkit_sandbox.client("makeleaps") as ml:
        every = await ml.documents.list_raw().all()
        invoices = await ml.documents.list(document_type="invoice").all()
        assert invoices and len(invoices) < len(every)
        assert {d.document_type for d in invoices} == {"invoice"}
        assert len(invoices) == sum(d["document_type"] == "invoice" for d in every)
        dates = sorted(d["date"] for d in every if d.get("date"))
        middle = dates[len(dates) // 2]
        later = await ml.documents.list(date__gte=middle).all()
        assert later and all(d.date is not None and d.date.isoformat() >= middle for d in later)
        assert len(later) == sum(1 for d in dates if d >= middle)
    async with vendorkit_sandbox.client("leanlaw") as ll:
        matters = await ll.matters.list_raw().all()
        owner = matters[0]["clientId"]
        mine = await ll.clients.matters(owner).all()
        assert mine and {m.client_id for m in mine} == {owner}
        assert len(mine) == sum(m["clientId"] == owner for m in matters) < len(matters)

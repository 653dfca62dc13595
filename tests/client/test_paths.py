"""Paths: an id or an object URL names one resource of the right kind, never another. Ids as
path segments first, then MakeLeaps object URLs used as ids and as partner references.

An id is one path segment, whatever it contains: a careless caller (or a hostile server
supplying ids) can never make a request reach another resource.

The servers here record the raw request target as it arrived on the wire."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

import pytest
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from yarl import URL

from vendorkit import LeadDesk, Leady, LeanLaw, MakeLeaps
from vendorkit.core import path_segment
from vendorkit.core._urls import join_path
from vendorkit.errors import ConfigurationError, VendorkitError


class Recorder:
    def __init__(self) -> None:
        self.targets: list[tuple[str, str]] = []

    async def handler(self, request: web.Request) -> web.StreamResponse:
        self.targets.append((request.method, request.raw_path))
        if request.method == "DELETE":
            return web.Response(status=204)
        if "leaddesk" in request.raw_path or request.raw_path.startswith("/stable"):
            return web.json_response({"id": 1})
        return web.json_response({"data": {"id": "x"}, "results": [], "next": None})


@pytest.fixture
async def recorder(serve: Any) -> tuple[Recorder, Any]:
    rec = Recorder()
    routes = {f"{m} /{{tail:.*}}": rec.handler for m in ("GET", "POST", "PUT", "PATCH", "DELETE")}
    server = await serve(routes)
    return rec, server


TRAVERSALS = [
    "x/../../matters/M-1",
    "a/b",
    "x?y=1",
    "x#frag",
    "50%",
    "%2E%2E",
    "a%2Fb",
    "sp ace",
    "日本",
    "..%2F..",
]


@pytest.mark.parametrize("ident", TRAVERSALS)
async def test_leanlaw_ids_stay_one_segment(recorder: Any, ident: str) -> None:
    rec, server = recorder
    async with LeanLaw(api_key="k-S3CRET-1", base_url=server.url) as ll:
        await ll.clients.delete(ident)
        await ll.clients.get(ident)
        await ll.clients.update(ident, {"name": "n"})
    for method, target in rec.targets:
        assert target.startswith("/v2/clients/"), (method, target)
        segment = target.removeprefix("/v2/clients/")
        assert "/" not in segment and "?" not in segment and "#" not in segment
        assert unquote(segment) == ident
    assert [m for m, _ in rec.targets] == ["DELETE", "GET", "PUT", "GET"][: len(rec.targets)]


@pytest.mark.parametrize("ident", ["", ".", "..", None, True, 1.5, ["a"], {"id": 1}, b"x"])
async def test_ids_that_name_no_segment_are_refused_before_sending(
    recorder: Any, ident: Any
) -> None:
    rec, server = recorder
    async with LeanLaw(api_key="k-S3CRET-1", base_url=server.url) as ll:
        with pytest.raises(ConfigurationError):
            await ll.clients.delete(ident)
        with pytest.raises(ConfigurationError):
            await ll.clients.get(ident)
    assert rec.targets == []


async def test_a_lone_surrogate_id_is_a_configuration_error(recorder: Any) -> None:
    rec, server = recorder
    async with LeanLaw(api_key="k-S3CRET-1", base_url=server.url) as ll:
        with pytest.raises(ConfigurationError):
            await ll.clients.get("a\ud800b")
        with pytest.raises(ConfigurationError):
            await ll.clients.list(params={"name": "a\udfffb"}).all()
    assert rec.targets == []


async def test_request_paths_given_encoded_are_sent_as_written(recorder: Any) -> None:
    rec, server = recorder
    async with LeanLaw(api_key="k-S3CRET-1", base_url=server.url) as ll:
        await ll.request("DELETE", "/v2/clients/x%2F..%2F..%2Fmatters%2FM-1")
        await ll.request("GET", "/v2/clients/a%20b", params={"q": "1/2"})
        for bad in ("/v2/clients/..", "/v2/clients/%2e%2E/x", "/v2/./clients", "//evil.example/x"):
            with pytest.raises(ConfigurationError):
                await ll.request("GET", bad)
    assert rec.targets == [
        ("DELETE", "/v2/clients/x%2F..%2F..%2Fmatters%2FM-1"),
        ("GET", "/v2/clients/a%20b?q=1/2"),
    ]


async def test_leady_domains_and_leaddesk_relations_stay_one_segment(recorder: Any) -> None:
    rec, server = recorder
    async with Leady(token="t-S3CRET-1", base_url=server.url + "/v1") as leady:
        await leady.sessions.list(resource="evil.com/../../companies").all()
    assert rec.targets[-1][1].startswith("/v1/resources/evil.com%2F..%2F..%2Fcompanies/sessions/")
    async with LeadDesk(
        client_id="c", client_secret="s-S3CRET", username="u", password="p", base_url=server.url
    ) as ld:
        with pytest.raises(ConfigurationError):
            await ld.campaigns.users("..").remove([3])
        with pytest.raises(ConfigurationError):
            await ld.campaigns.users(7).remove([".."])


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(ident=st.text(min_size=1).filter(lambda s: s not in (".", "..")))
def test_path_segment_is_one_segment_that_decodes_back(ident: str) -> None:
    try:
        ident.encode("utf-8")
    except UnicodeEncodeError:
        with pytest.raises(ConfigurationError):
            path_segment(ident)
        return
    segment = path_segment(ident)
    assert all(c not in segment for c in "/?#")
    assert unquote(segment) == ident
    url = join_path(URL("https://api.example/v2"), f"/things/{segment}")
    assert url.raw_path == f"/v2/things/{segment}"
    assert url.host == "api.example"


# -------------------------------------------------------------------------------------------------
# Moved here from tests/client/test_makeleaps_url_ids_hostile.py; its module docstring:
#
# Found in review, fixed; kept as the test that would catch it again. What was found:
#
# MakeLeaps resources take a record, a dict or an object URL wherever an id goes
# (``_Resource._item_url_parts``: ``if is_url(ref): return str(ref)``), and that URL is sent as it
# is, whatever resource it names. So ``ml.documents.delete(doc.client)`` (a careless caller passing
# the document's client reference, or a mid column that holds URLs) sends ``DELETE
# .../client/<mid>/``
# and deletes a *client*; ``documents.update(contact_record, {...})`` PATCHes a contact. Dot
# segments in such a URL are resolved by yarl before sending, so even a URL that does name the
# document collection can be steered elsewhere (``.../document/x/../../client/C/``), which a path
# given to ``request()`` would have refused.
#
# Broken promise: issue 8, "An id is one path segment, whatever it contains ... Same for get,
# update, relations and any templated path"; docs/clients.md "can never reach another resource"
# and "one with . or .. segments ... is refused". Why it matters: a delete or update lands on a
# different resource type than the one the caller named, with no error.


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


# -------------------------------------------------------------------------------------------------
# Moved here from tests/client/test_makeleaps_refs_hostile.py; its module docstring:
#
# Found in review, fixed; kept as the test that would catch it again. What was found:
#
# ``models.mid_from_url`` feeds any value to ``yarl.URL``: a non-string raises ``TypeError``, a
# malformed URL (a bad IPv6 literal, port 99999, a backslash in the authority) ``ValueError``.
#
# It runs on what the server sends (partner discovery reads ``url`` from ``/api/partner/`` when a
# row has no ``mid``) and on what the caller passes (``clients.contacts(url)``, ``pickup_links``'
# ``document=``, ``Partner.partner_mid``), so a bare exception escapes from a plain
# ``ml.documents.list()`` with no ``partner_mid=``.
#
# Broken promise: issue 8, "Every server answer yields data or a documented vendorkit error,
# never a bare exception ... next links with a backslash in the authority, a bad IPv6 literal or
# port 99999 (yarl ValueError)" and "every exception vendorkit raises is a VendorkitError".


HOSTILE_URLS = [
    5,
    ["x"],
    "https://[bad/api/partner/P/",
    "https://a:99999/api/partner/P/",
    "https://a\\b/",
]


@pytest.mark.parametrize("url", HOSTILE_URLS, ids=repr)
async def test_partner_discovery_with_a_hostile_url_is_a_vendorkit_error(
    serve: Any, url: Any
) -> None:
    async def token(request: web.Request) -> web.Response:
        return web.json_response(
            {"access_token": "ml-access-TOKEN-1", "token_type": "Bearer", "expires_in": 36000}
        )

    async def partners(request: web.Request) -> web.Response:
        return web.json_response({"meta": {"status": 200}, "response": [{"url": url}]})

    server = await serve({"POST /user/oauth2/token/": token, "GET /api/partner/": partners})
    async with MakeLeaps(
        client_id="ml-client", client_secret="ml-secret-1234", base_url=server.url, rate_limit=None
    ) as ml:
        with pytest.raises(VendorkitError):
            await ml.documents.list().all()


@pytest.mark.parametrize("url", HOSTILE_URLS[2:], ids=repr)
async def test_a_malformed_url_given_as_a_reference_is_a_configuration_error(url: str) -> None:
    async with MakeLeaps(
        client_id="ml-client", client_secret="ml-secret-1234", partner_mid="P", rate_limit=None
    ) as ml:
        with pytest.raises(VendorkitError):
            ml.clients.contacts(url)  # builds the pager: _mid(url) runs here

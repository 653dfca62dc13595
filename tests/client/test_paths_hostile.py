"""An id is one path segment, whatever it contains: a careless caller (or a hostile server
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

from vendorkit import LeadDesk, Leady, LeanLaw
from vendorkit.core import path_segment
from vendorkit.core._urls import join_path
from vendorkit.errors import ConfigurationError


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
            await ll.clients.list(name="a\udfffb").all()
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

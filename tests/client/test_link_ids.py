"""``VendorSpec(link_ids=...)``: an id argument may be a record, a dict or an object URL of that
very resource, on a made-up hypermedia vendor."""

from __future__ import annotations

from typing import Any

import attrs
import pytest
from aiohttp import web

from vendorkit.core import Endpoint, Record, link_of, resource
from vendorkit.errors import ConfigurationError

from .conftest import TokenClient, make_spec, ok


@attrs.frozen(kw_only=True)
class Thing(Record):
    mid: str | None = None
    url: str | None = None


class LinkClient(TokenClient):
    spec = make_spec(name="linkkit", link_ids="mid")
    things: Any = resource(Endpoint(path="/things/", model=Thing))
    others: Any = resource(Endpoint(path="/others/", model=Thing))


async def _thing(request: web.Request) -> web.StreamResponse:
    return ok({"mid": request.match_info["mid"]})


def test_link_of_falls_back_to_the_id_field() -> None:
    assert link_of({"url": "u", "mid": "m"}, "mid") == "u"
    assert link_of({"mid": "m"}, "mid") == "m"
    assert link_of({"mid": "m"}) is None
    assert link_of(Thing(mid="m"), "mid") == "m"
    assert link_of(Thing(mid="m", url="https://x.example/things/m/"), "mid").endswith("/m/")
    assert link_of("plain", "mid") == "plain"


async def test_an_id_may_be_a_mid_a_record_a_dict_or_the_records_url(serve: Any, make: Any) -> None:
    server = await serve({"GET /things/{mid}/": _thing})
    client = make(LinkClient, server)
    url = f"{server.url}/things/m1/"
    for ref in ("m1", Thing(mid="m1"), {"mid": "m1"}, url, Thing(url=url), {"url": url}):
        assert (await client.things.get(ref)).mid == "m1"


@pytest.mark.parametrize(
    "target",
    ["/others/m1/", "/things/", "/things/m1/extra/", "/things/../others/m1/"],
    ids=["another resource", "the list", "a sub-path", "dot segments"],
)
async def test_a_url_that_names_no_record_of_the_resource_is_refused(
    serve: Any, make: Any, target: str
) -> None:
    server = await serve({"GET /things/{mid}/": _thing})
    client = make(LinkClient, server)
    with pytest.raises(ConfigurationError):
        await client.things.get(f"{server.url}{target}")
    assert server.hits() == 0


async def test_a_url_on_another_origin_is_refused_before_sending(serve: Any, make: Any) -> None:
    server = await serve({"GET /things/{mid}/": _thing})
    client = make(LinkClient, server)
    with pytest.raises(ConfigurationError, match="refusing to send credentials"):
        await client.things.delete("https://elsewhere.example/things/m1/")
    assert server.hits() == 0

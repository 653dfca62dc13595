"""The list variations an ``Endpoint`` declares, as pure decisions: ``MethodFallback``,
``ChainOver``, records at alternative paths, bare-value items. No network."""

from __future__ import annotations

from typing import Any

import pytest

from vendorkit.core import ChainOver, Endpoint, Envelope, MethodFallback
from vendorkit.errors import APIError, ConfigurationError, PaginationError


def test_a_method_fallback_moves_on_only_for_its_statuses() -> None:
    fallback = MethodFallback(("GET", "OPTIONS"))
    assert fallback.after("GET", 405) == "OPTIONS"
    assert fallback.after("OPTIONS", 405) is None  # no method left: that answer stands
    assert fallback.after("GET", 404) is None
    assert fallback.after("POST", 405) is None
    wider = MethodFallback(["GET", "POST", "OPTIONS"], statuses=frozenset({404, 405}))
    assert wider.methods == ("GET", "POST", "OPTIONS")
    assert wider.after("POST", 404) == "OPTIONS"


@pytest.mark.parametrize("methods", [(), ("get",), (1,)])
def test_a_method_fallback_needs_methods(methods: Any) -> None:
    with pytest.raises(ConfigurationError):
        MethodFallback(methods)


def test_a_chain_walks_every_value_unless_the_query_names_one() -> None:
    chain = ChainOver("kind", ["a", "b"], none_here=frozenset({400, 404}))
    assert chain.values == ("a", "b")
    assert chain.values_for({}) == ("a", "b")
    assert chain.values_for({"kind": None, "q": 1}) == ("a", "b")
    assert chain.values_for({"kind": "b"}) is None
    assert chain.is_none_here(APIError("x", status=404))
    assert not chain.is_none_here(APIError("x", status=500))
    with pytest.raises(ConfigurationError):
        ChainOver("kind", ())


def test_records_at_the_first_alternative_path_that_holds_a_list() -> None:
    env = Envelope(records=("response", "response.items"), total="meta.count")
    assert env.page({"response": [1, 2]}).records == [1, 2]
    assert env.page({"response": {"items": [3]}, "meta": {"count": 1}}).records == [3]
    with pytest.raises(PaginationError, match="response is not a list"):
        env.page({"response": {"other": []}})
    assert Envelope(records="data").page({"data": [4]}).records == [4]


def test_endpoint_declares_list_variations() -> None:
    endpoint = Endpoint(
        path="/kinds/{kind}/",
        list_fallback=MethodFallback(("GET", "OPTIONS")),
        chain=ChainOver("kind", ("a",)),
        scalar_field="code",
    )
    assert endpoint.list_fallback is not None and endpoint.chain is not None
    assert endpoint.scalar_field == "code"
    plain = Endpoint(path="/x")
    assert plain.list_fallback is None and plain.chain is None and plain.scalar_field is None


def test_a_bare_list_is_one_complete_page_where_declared() -> None:
    env = Envelope(records="results", next="next", total="count", bare_list=True)
    page = env.page([{"id": 1}, {"id": 2}])
    assert page.records == [{"id": 1}, {"id": 2}]
    assert page.unpaged and page.next is None and page.total is None and page.next_declared
    assert env.page({"results": [3], "next": None, "count": 1}).records == [3]
    with pytest.raises(PaginationError, match="results is not a list"):
        Envelope(records="results").page([{"id": 1}])

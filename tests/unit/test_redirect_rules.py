"""The redirect and origin guard (``_redirects``), without a network.

A redirect is followed only for a read, only on the vendor's origin, at most ``MAX_REDIRECTS``
hops, never to a URL already visited; a write's ``303 See Other`` names its result, read only on
the vendor's origin.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from yarl import URL

from vendorkit.core._redirects import (
    MAX_REDIRECTS,
    REDIRECT_STATUSES,
    redirect_target,
    see_other_target,
)
from vendorkit.core._wire import same_origin

ORIGIN = URL("https://api.example.test/")
HERE = URL("https://api.example.test/v1/things/?page=2")


def target(
    location: str | None,
    *,
    method: str = "GET",
    status: int = 302,
    visited: tuple[str, ...] = (),
    hops: int = 0,
    url: URL = HERE,
) -> URL | None:
    return redirect_target(
        method=method,
        status=status,
        location=location,
        url=url,
        origin=ORIGIN,
        visited=set(visited) | {str(url)},
        hops=hops,
    )


@pytest.mark.parametrize("status", sorted(REDIRECT_STATUSES))
def test_a_read_is_redirected_on_the_origin(status: int) -> None:
    assert target("/v2/things/", status=status) == URL("https://api.example.test/v2/things/")
    assert target("https://api.example.test/x", status=status, method="HEAD") == URL(
        "https://api.example.test/x"
    )


def test_a_relative_location_resolves_against_the_url_that_answered() -> None:
    assert target("other/") == URL("https://api.example.test/v1/things/other/")


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
def test_a_write_is_never_redirected(method: str) -> None:
    assert target("/v2/things/", method=method) is None


@pytest.mark.parametrize("status", [200, 204, 300, 304, 305, 306, 400, 404, 500])
def test_other_statuses_are_not_redirects(status: int) -> None:
    assert target("/v2/things/", status=status) is None


@pytest.mark.parametrize(
    "location",
    [
        "https://evil.example.test/v1/",
        "http://api.example.test/v1/",  # another scheme: another origin
        "https://api.example.test:8443/v1/",  # another port
        "https://user:pw@api.example.test/v1/",  # user-info smuggled in
        "//evil.example.test/v1/",
    ],
)
def test_a_redirect_to_another_origin_is_not_followed(location: str) -> None:
    assert target(location) is None


def test_no_location_an_empty_or_unreadable_one_stops() -> None:
    assert target(None) is None
    assert target("") is None
    assert target("http://[::1") is None


def test_a_loop_stops_at_a_url_already_visited() -> None:
    assert target(str(HERE)) is None
    assert target("/v1/a", visited=("https://api.example.test/v1/a",)) is None


def test_at_most_max_redirects_hops() -> None:
    assert target("/v1/a", hops=MAX_REDIRECTS - 1) is not None
    assert target("/v1/a", hops=MAX_REDIRECTS) is None


hosts = st.sampled_from(["api.example.test", "evil.example.test", "API.example.test", "x.test"])
schemes = st.sampled_from(["https", "http"])
ports = st.sampled_from([None, 443, 80, 8443])
paths = st.text(alphabet="abc/-_%", max_size=12)


@given(
    scheme=schemes,
    host=hosts,
    port=ports,
    path=paths,
    method=st.sampled_from(["GET", "HEAD", "POST", "PUT", "DELETE"]),
    status=st.integers(100, 599),
    hops=st.integers(0, 8),
)
def test_a_followed_redirect_is_always_a_read_on_the_origin_within_the_hop_limit(
    scheme: str, host: str, port: int | None, path: str, method: str, status: int, hops: int
) -> None:
    netloc = host if port is None else f"{host}:{port}"
    location = f"{scheme}://{netloc}/{path}"
    found = target(location, method=method, status=status, hops=hops)
    if found is not None:
        assert method in ("GET", "HEAD")
        assert status in REDIRECT_STATUSES
        assert hops < MAX_REDIRECTS
        assert same_origin(ORIGIN, found)
        assert str(found) != str(HERE)


@given(location=st.text(max_size=40))
def test_any_location_text_never_raises_and_never_leaves_the_origin(location: str) -> None:
    found = target(location)
    assert found is None or same_origin(ORIGIN, found)


# -- 303 See Other after a write -------------------------------------------------------------------


def test_see_other_on_the_origin_names_the_result() -> None:
    assert see_other_target(location="/v1/things/7/", url=HERE, origin=ORIGIN) == URL(
        "https://api.example.test/v1/things/7/"
    )


@pytest.mark.parametrize(
    "location", ["", "https://evil.example.test/v1/things/7/", "http://[::1", "//evil.test/"]
)
def test_see_other_elsewhere_or_nowhere_names_nothing(location: str) -> None:
    assert see_other_target(location=location, url=HERE, origin=ORIGIN) is None


@given(location=st.text(max_size=40))
def test_see_other_never_raises_and_never_leaves_the_origin(location: str) -> None:
    found = see_other_target(location=location, url=HERE, origin=ORIGIN)
    assert found is None or same_origin(ORIGIN, found)

"""Hypothesis fuzzing of the pure walk decisions (issue 8): whatever a server sends and whatever a
caller passes, they answer data, a ``PaginationError`` (the server's fault) or a
``ConfigurationError`` (the caller's), never a bare ``ValueError``, ``OverflowError``,
``UnicodeError``, ``KeyError`` or ``TypeError``.

- ``Envelope.page`` over arbitrary JSON, for each vendor's envelope and a generic one: a
  well-formed ``RawPage`` or a ``PaginationError``; ``Envelope.unwrap`` always a value.
- ``resolve_link`` over arbitrary strings (lone surrogates, controls, backslashes included) and over
  URL-shaped strings built from hostile parts: an absolute http(s) URL that can be printed,
  compared and parsed again, or a ``PaginationError``.
- Each paginator's ``first``/``next``/``fan_out`` over arbitrary pages: ``next`` answers a request
  one index on with a JSON-able resume point, ``None``, or a ``PaginationError``; ``fan_out``
  predicts requests in order, and its first prediction is exactly what ``next`` answers; walking
  ``next`` over pages like the one predicted from gives the predicted requests.
- ``check_walk_options`` and ``first(resume=...)`` over arbitrary values.
"""

from __future__ import annotations

import itertools
import json
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from yarl import URL

from vendorkit.core import Chained, Envelope, NextLink, OffsetLimit, PageNumber, RawPage
from vendorkit.core._pagination import (
    EMPTY_PAGE_LIMIT,
    MAX_CONCURRENCY,
    PageRequest,
    Paginator,
    check_walk_options,
    resolve_link,
)
from vendorkit.core._wire import same_origin
from vendorkit.errors import ConfigurationError, PaginationError
from vendorkit.vendors.leaddesk._spec import SPEC as LEADDESK
from vendorkit.vendors.leady._spec import SPEC as LEADY
from vendorkit.vendors.leanlaw._spec import SPEC as LEANLAW
from vendorkit.vendors.makeleaps._spec import SPEC as MAKELEAPS

from .._walk_settings import walk_settings

BASE = URL("https://api.example.com/v1/items?status=open")

# Text with everything in it: lone surrogates, controls, non-characters.
ANY_TEXT = st.text(st.characters(exclude_categories=()), max_size=40)
KEYS = st.sampled_from(
    [
        "data",
        "pagination",
        "total",
        "collection",
        "_meta",
        "_links",
        "next",
        "count",
        "results",
        "meta",
        "response",
        "d",
        "n",
        "p",
        "x",
    ]
) | ANY_TEXT.filter(lambda s: len(s) < 8)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.sampled_from([2**63, -1, 0])
    # Integers too long for int -> str (Python 3.11+): built lazily, as even their repr fails.
    | st.tuples(st.integers(4400, 5000), st.sampled_from([1, -1])).map(lambda t: t[1] * 10 ** t[0])
    | st.floats(allow_nan=True, allow_infinity=True)
    | ANY_TEXT
    | st.sampled_from(["25", " 25 ", "-3", "1e3", "\u00b2", "9" * 5000, "Infinity"])
)
JSON = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(KEYS, children, max_size=5),
    max_leaves=20,
)

ENVELOPES = [
    LEANLAW.envelope,
    LEADDESK.envelope,
    LEADY.envelope,
    MAKELEAPS.envelope,
    Envelope(),
    Envelope(records="d", total=("a.b", "c"), next=("n", "x.y"), item="d", paged_by="p"),
]


@walk_settings(400)
@given(body=JSON, which=st.sampled_from(range(len(ENVELOPES))))
def test_envelopes_read_any_json_as_a_page_or_a_pagination_error(body: Any, which: int) -> None:
    env = ENVELOPES[which]
    env.unwrap(body)  # always a value, never an exception
    try:
        page = env.page(body)
    except PaginationError as exc:
        assert "\n" not in str(exc) and len(str(exc)) <= 300
        return
    assert isinstance(page.records, list)
    assert page.total is None or (type(page.total) is int and page.total >= 0)
    assert page.next is None or (isinstance(page.next, str) and page.next.strip() == page.next)
    assert page.next != ""
    assert isinstance(page.next_declared, bool) and isinstance(page.unpaged, bool)


@walk_settings(200)
@given(nested=st.integers(1, 5000))
def test_deep_bodies_are_read_without_recursion(nested: int) -> None:
    body: Any = {"data": []}
    for _ in range(nested):
        body = {"data": body, "pagination": body}
    for env in ENVELOPES:
        env.unwrap(body)
        try:
            env.page(body)
        except PaginationError:
            pass


def _check_link(result: URL) -> None:
    assert result.scheme in ("http", "https") and result.host
    text = str(result)
    assert URL(text).host == result.host
    same_origin(BASE, result)  # never raises


@walk_settings(400)
@given(value=ANY_TEXT)
def test_resolve_link_over_any_text(value: str) -> None:
    try:
        result = resolve_link(BASE, value)
    except PaginationError:
        return
    _check_link(result)


HOSTS = st.sampled_from(
    [
        "api.example.com",
        "API.EXAMPLE.COM",
        "127.0.0.1",
        "[::1]",
        "[::1",
        "[zz]",
        "xn--a",
        "xn--caf-dma",
        "exa mple.com",
        "a\\b",
        "\ud800",
        "",
        "user:pw@api.example.com",
        "api.example.com@evil.example",
        "caf\u00e9.example",
    ]
)
PORTS = st.sampled_from(["", ":443", ":80", ":0", ":65535", ":65536", ":99999", ":-1", ":x", ":"])
PATHS = st.sampled_from(["", "/", "/v1/items", "/\\evil", "/a b", "/%zz", "/x\ud800", "/\x00"])
QUERIES = st.sampled_from(["", "?page=2", "?c=\udfff", "?a=1&a=2", "?#", "?token=S3CRET"])


@walk_settings(400)
@given(
    scheme=st.sampled_from(["https://", "http://", "//", "ftp://", "javascript:", "", "HTTPS://"]),
    host=HOSTS,
    port=PORTS,
    path=PATHS,
    query=QUERIES,
    pad=st.sampled_from(["", " ", "\t", "\n"]),
)
def test_resolve_link_over_hostile_urls(
    scheme: str, host: str, port: str, path: str, query: str, pad: str
) -> None:
    value = pad + scheme + host + port + path + query + pad
    try:
        result = resolve_link(BASE, value)
    except PaginationError as exc:
        assert "S3CRET" not in str(exc)
        return
    _check_link(result)


@walk_settings(100)
@given(value=JSON)
def test_resolve_link_over_any_json_value(value: Any) -> None:
    try:
        _check_link(resolve_link(BASE, value))
    except PaginationError:
        pass


# -- paginators ---------------------------------------------------------------------------------

PAGINATORS: list[Paginator] = [
    NextLink(),
    NextLink(size_param="page_size", cursor_param="cursor", default_size=50, max_size=100),
    PageNumber(),
    PageNumber(first_page=0, default_size=25, max_size=500),
    OffsetLimit(),
    OffsetLimit(default_size=1000, max_size=1000),
    LEANLAW.paginator,
    LEADDESK.paginator,
    LEADY.paginator,
    MAKELEAPS.paginator,
]

LINKS = st.none() | ANY_TEXT | st.sampled_from(["/v1/items?page=2", "?c=2", "c2", "//evil/x"])
PAGES = st.builds(
    RawPage,
    records=st.lists(st.integers(0, 3), max_size=12),
    total=st.none() | st.integers(-5, 60) | st.sampled_from([10**9, 10**30]),
    next=LINKS,
    next_declared=st.booleans(),
    unpaged=st.booleans(),
)


def _valid(request: PageRequest, index: int) -> None:
    assert request.index == index
    assert request.url.is_absolute() and request.url.host
    json.dumps(request.resume)  # a resume point is JSON-able
    assert 0 <= request.empties < EMPTY_PAGE_LIMIT
    assert request.size is None or request.size >= 1


@walk_settings(250)
@given(
    which=st.sampled_from(range(len(PAGINATORS))),
    page_size=st.none() | st.integers(1, 20),
    pages=st.lists(PAGES, min_size=1, max_size=12),
)
def test_paginators_answer_a_request_none_or_a_pagination_error(
    which: int, page_size: int | None, pages: list[RawPage]
) -> None:
    p = PAGINATORS[which]
    request = p.first(BASE, page_size, None)
    _valid(request, 0)
    for raw in pages:
        try:
            nxt = p.next(request, raw)
        except PaginationError:
            return
        fan = p.fan_out(request, raw)
        if fan is not None:
            predicted = list(itertools.islice(fan, 30))
            assert [r.index for r in predicted] == list(
                range(request.index + 1, request.index + 1 + len(predicted))
            )
            for r in predicted:
                _valid(r, r.index)
            if predicted:
                # The first prediction is exactly what the walk itself would fetch next.
                assert nxt is not None
                assert (predicted[0].url, predicted[0].resume) == (nxt.url, nxt.resume)
        if nxt is None:
            return
        _valid(nxt, request.index + 1)
        request = nxt


@walk_settings(300)
@given(
    which=st.sampled_from([2, 3, 4, 5, 6, 7]),
    page_size=st.none() | st.integers(1, 20),
    n=st.integers(1, 20),
    total=st.integers(0, 200),
)
def test_a_prediction_is_the_walk_over_pages_like_the_one_it_came_from(
    which: int, page_size: int | None, n: int, total: int
) -> None:
    p = PAGINATORS[which]
    first = p.first(BASE, page_size, None)
    raw = RawPage(list(range(n)), total=total)
    predicted = list(itertools.islice(p.fan_out(first, raw) or iter(()), 50))
    walked: list[PageRequest] = []
    request, page = first, raw
    while len(walked) < len(predicted):
        nxt = p.next(request, page)
        assert nxt is not None, "the prediction goes on where the walk ends"
        walked.append(nxt)
        # Later pages are full at the size the walk asks for now (the server's, if it capped).
        request, page = nxt, RawPage(list(range(nxt.size or n)), total=total)
        if isinstance(p, OffsetLimit):
            page = RawPage(list(range(n)), total=total)
    assert [(r.url, r.resume) for r in walked] == [(r.url, r.resume) for r in predicted]


OPTION_VALUES = (
    st.none()
    | st.booleans()
    | st.integers(-3, 10**6)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=3)
    | st.lists(st.integers(), max_size=2)
    | st.dictionaries(st.text(max_size=3), st.integers(), max_size=2)
)


@walk_settings(300)
@given(
    page_size=OPTION_VALUES,
    max_items=OPTION_VALUES,
    max_pages=OPTION_VALUES,
    concurrency=OPTION_VALUES,
    resume=OPTION_VALUES,
)
def test_walk_options_are_valid_or_a_configuration_error(
    page_size: Any, max_items: Any, max_pages: Any, concurrency: Any, resume: Any
) -> None:
    try:
        got = check_walk_options(
            page_size=page_size,
            max_items=max_items,
            max_pages=max_pages,
            concurrency=concurrency,
            resume=resume,
        )
    except ConfigurationError:
        return
    assert type(got) is int and 1 <= got <= MAX_CONCURRENCY
    assert type(concurrency) is int and concurrency >= 1
    for value, minimum in ((page_size, 1), (max_items, 0), (max_pages, 1)):
        assert value is None or (type(value) is int and value >= minimum)


RESUME_KEYS = st.sampled_from(["page", "size", "offset", "url", "cursor", "chain", "other"])
RESUME_VALUES = (
    JSON
    | st.sampled_from(
        ["https://api.example.com/v1/items?page=3", "/relative", "http://[::1", "\ud800"]
    )
    | st.integers(-2, 3)
)


@walk_settings(250)
@given(
    which=st.sampled_from(range(len(PAGINATORS) + 1)),
    resume=st.dictionaries(RESUME_KEYS, RESUME_VALUES, max_size=3),
)
def test_any_resume_point_is_a_first_request_or_a_configuration_error(
    which: int, resume: dict[str, Any]
) -> None:
    p: Paginator = (
        PAGINATORS[which]
        if which < len(PAGINATORS)
        else Chained(NextLink(), [BASE, BASE.with_path("/v1/other")])
    )
    try:
        request = p.first(BASE, None, resume or None)
    except ConfigurationError:
        return
    assert request.url.is_absolute()
    str(request.url)
    for key in ("page", "offset", "size", "chain"):
        if key in request.resume:
            assert type(request.resume[key]) is int


def test_json_numbers_read_as_infinite_totals_are_refused() -> None:
    body = json.loads('{"data": [], "pagination": {"total": 1e400}}')
    assert math.isinf(body["pagination"]["total"])
    with pytest.raises(PaginationError, match="not a count"):
        LEANLAW.envelope.page(body)

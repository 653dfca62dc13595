"""Pins envelopes (where records, total and next live) and pagination: each strategy's next
request, where a walk ends, server-capped page sizes, resume points, query hygiene when following
next links, and the Pager's refusal of loops and foreign-origin links before anything is sent.
Also (issue 8): totals and next links that only ever give data or a PaginationError, the empty-page
limit, unpaged lists, first-page-only size learning, predictions that match ``next``, walk options,
and fetches ahead that a walk does not need."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from yarl import URL

from vendorkit.core import (
    Chained,
    Envelope,
    NextLink,
    OffsetLimit,
    PageNumber,
    Pager,
    RawPage,
    select,
)
from vendorkit.core._envelope import parse_total, show_value
from vendorkit.core._pagination import (
    EMPTY_PAGE_LIMIT,
    MAX_CONCURRENCY,
    PageRequest,
    Paginator,
    _overlap,
    check_walk_options,
    merge_params,
    resolve_link,
)
from vendorkit.errors import ClientStateError, ConfigurationError, PaginationError

BASE = URL("https://api.example.com/v1/items?status=open")

# -- envelope -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "expected"),
    [("a", {"b": {"c": 0}}), ("a.b.c", 0), ("a.x", None), ("a.b.c.d", None), ("z", None)],
)
def test_select(path: str, expected: Any) -> None:
    assert select({"a": {"b": {"c": 0}}}, path) == expected


def test_envelope_reads_records_total_and_next_with_alternatives() -> None:
    env = Envelope(records="data", total=("_meta.total", "_meta.count"), next="links.next")
    page = env.page({"data": [{"id": 1}], "_meta": {"count": "12"}, "links": {"next": "/p2"}})
    assert page == RawPage([{"id": 1}], total=12, next="/p2", next_declared=True)


def test_a_total_of_zero_is_not_missing() -> None:
    env = Envelope(records="data", total=("meta.total", "meta.count"))
    assert env.page({"data": [], "meta": {"total": 0, "count": 5}}).total == 0


@pytest.mark.parametrize("nxt", [None, ""])
def test_empty_or_null_next_ends_the_walk(nxt: str | None) -> None:
    page = Envelope(records="r", next="next").page({"r": [], "next": nxt})
    assert page.next is None and page.next_declared


def test_a_numeric_cursor_is_read_as_text() -> None:
    assert Envelope(records="r", next="cursor").page({"r": [], "cursor": 40}).next == "40"


def test_bare_list_body() -> None:
    assert Envelope().page([1, 2]) == RawPage([1, 2])


@pytest.mark.parametrize(
    ("env", "body", "match"),
    [
        (Envelope(records="data"), {"data": {"id": 1}}, "data is not a list"),
        (Envelope(records="data"), {"items": []}, "data is not a list"),
        (Envelope(), {"id": 1}, "the body is not a list"),
        (Envelope(records="d", total="n"), {"d": [], "n": "many"}, "total"),
        (Envelope(records="d", next="n"), {"d": [], "n": {"href": "/x"}}, "next link"),
    ],
)
def test_malformed_pages_raise_pagination_error(env: Envelope, body: Any, match: str) -> None:
    with pytest.raises(PaginationError, match=match):
        env.page(body)


def test_unwrap() -> None:
    env = Envelope(item="data")
    assert env.unwrap({"data": {"id": 1}}) == {"id": 1}
    assert env.unwrap({"id": 1}) == {"id": 1}  # not wrapped after all
    assert env.unwrap({"data": None}) is None
    assert Envelope().unwrap({"data": 1}) == {"data": 1}


# -- NextLink ------------------------------------------------------------------------------------


def test_next_link_first_request_sets_the_clamped_page_size() -> None:
    p = NextLink(size_param="limit", default_size=50, max_size=100)
    assert p.first(BASE, None, None).url.query["limit"] == "50"
    first = p.first(BASE, 500, None)
    assert first.url.query["limit"] == "100" and first.size == 100
    assert first.url.query["status"] == "open"
    assert first.resume == {"url": str(first.url)}
    with pytest.raises(ValueError):
        p.first(BASE, 0, None)


def test_next_link_is_followed_exactly_without_carrying_stale_params() -> None:
    p = NextLink(size_param="per_page")
    first = p.first(BASE, 25, None)
    nxt = p.next(first, RawPage([1], next="?page=2&per_page=25"))
    assert nxt is not None
    assert nxt.url == URL("https://api.example.com/v1/items?page=2&per_page=25")
    assert nxt.url.query.getall("per_page") == ["25"]
    assert (nxt.index, nxt.resume) == (1, {"url": str(nxt.url)})


@pytest.mark.parametrize(
    "link",
    ["https://api.example.com/v1/items?status=open&page=3", "/v1/items?status=open&page=3"],
)
def test_absolute_and_root_relative_next_links(link: str) -> None:
    req = PageRequest(BASE.update_query(page="2"), 1, {})
    nxt = NextLink().next(req, RawPage([1], next=link))
    assert nxt is not None
    assert nxt.url == URL("https://api.example.com/v1/items?status=open&page=3")
    assert list(nxt.url.query.items()) == [("status", "open"), ("page", "3")]


def test_cursor_replaces_the_previous_cursor() -> None:
    p = NextLink(cursor_param="after", size_param="limit")
    req = p.first(BASE, 10, None)
    for cursor in ("c1", "c2"):
        nxt = p.next(req, RawPage([1], next=cursor))
        assert nxt is not None
        assert nxt.url.query.getall("after") == [cursor]
        assert nxt.url.query["limit"] == "10" and nxt.url.query["status"] == "open"
        assert nxt.resume == {"cursor": cursor}
        req = nxt
    assert p.next(req, RawPage([1], next=None)) is None


def test_next_link_resumes_from_url_or_cursor() -> None:
    p = NextLink(cursor_param="after")
    r = p.first(BASE, None, {"url": "https://api.example.com/v1/items?page=9"})
    assert r.url.query["page"] == "9"
    r = p.first(BASE, None, {"cursor": "xyz"})
    assert r.url.query["after"] == "xyz" and r.url.query["status"] == "open"


# -- PageNumber / OffsetLimit: where a walk ends --------------------------------------------------


def walk(
    p: Paginator,
    sizes: list[int],
    *,
    total: int | None,
    page_size: int | None,
    next_declared: bool = False,
) -> list[URL]:
    """The URLs a sequential walk requests when the server serves ``sizes`` records per page."""
    req = p.first(BASE, page_size, None)
    urls = [req.url]
    for n in sizes:
        more = next_declared and len(urls) < len(sizes)
        nxt = p.next(req, RawPage(list(range(n)), total, "x" if more else None, next_declared))
        if nxt is None:
            return urls
        req = nxt
        urls.append(req.url)
    raise AssertionError(f"walk did not end: {urls}")


def q(url: URL, *keys: str) -> tuple[str, ...]:
    return tuple(url.query.get(k, "") for k in keys)


@pytest.mark.parametrize(
    ("sizes", "total", "requested"),
    [
        ([10, 10, 5], 25, [("1", "10"), ("2", "10"), ("3", "10")]),  # short last page, total known
        ([10, 10], 20, [("1", "10"), ("2", "10")]),  # exact multiple: no empty extra request
        ([10, 10, 5], None, [("1", "10"), ("2", "10"), ("3", "10")]),  # short page, no total
        ([10, 10, 0], None, [("1", "10"), ("2", "10"), ("3", "10")]),  # empty page, no total
        ([0], 0, [("1", "10")]),
        # The server capped per_page at 10: continue at its size, or records would be skipped.
        ([10, 10, 10, 5], 35, [("1", "100"), ("2", "10"), ("3", "10"), ("4", "10")]),
    ],
)
def test_page_number_walks(
    sizes: list[int], total: int | None, requested: list[tuple[str, str]]
) -> None:
    urls = walk(
        PageNumber(max_size=100),
        sizes,
        total=total,
        page_size=int(requested[0][1]),
    )
    assert [q(u, "page", "per_page") for u in urls] == requested


def test_page_number_with_next_link_and_no_total_ends_when_the_link_is_absent() -> None:
    urls = walk(PageNumber(), [10, 10, 10], total=None, page_size=10, next_declared=True)
    assert [q(u, "page") for u in urls] == [("1",), ("2",), ("3",)]


def test_page_number_without_a_size_learns_it_from_the_first_page() -> None:
    urls = walk(PageNumber(), [20, 20, 5], total=45, page_size=None)
    assert [q(u, "page", "per_page") for u in urls] == [("1", ""), ("2", "20"), ("3", "20")]


def test_page_number_resume_point_carries_a_learned_size() -> None:
    p = PageNumber(first_page=0)
    first = p.first(BASE, 100, None)
    nxt = p.next(first, RawPage(list(range(10)), total=35))
    assert nxt is not None and nxt.resume == {"page": 1, "size": 10}
    again = p.first(BASE, 100, nxt.resume)
    assert q(again.url, "page", "per_page", "status") == ("1", "10", "open")


@pytest.mark.parametrize(
    ("sizes", "total", "offsets"),
    [
        ([10, 10, 5], 25, ["0", "10", "20"]),
        ([10, 10], 20, ["0", "10"]),
        ([10, 3], None, ["0", "10"]),
        ([7, 7, 7, 4], 25, ["0", "7", "14", "21"]),  # capped limit: offsets count what arrived
    ],
)
def test_offset_limit_walks(sizes: list[int], total: int | None, offsets: list[str]) -> None:
    urls = walk(OffsetLimit(), sizes, total=total, page_size=10)
    assert [u.query["offset"] for u in urls] == offsets
    assert all(u.query.getall("limit") == ["10"] for u in urls)


# -- fan-out --------------------------------------------------------------------------------------


def test_page_number_fan_out_lists_the_remaining_pages() -> None:
    p = PageNumber()
    first = p.first(BASE, 10, None)
    fan = p.fan_out(first, RawPage(list(range(10)), total=35))
    assert fan is not None
    assert [(r.index, q(r.url, "page", "per_page")) for r in fan] == [
        (1, ("2", "10")),
        (2, ("3", "10")),
        (3, ("4", "10")),
    ]


def test_fan_out_from_a_resumed_last_page_asks_for_nothing_more() -> None:
    p = PageNumber()
    last = p.first(BASE, 10, {"page": 3})
    assert list(p.fan_out(last, RawPage(list(range(5)), total=25)) or []) == []


def test_offset_limit_fan_out() -> None:
    p = OffsetLimit()
    first = p.first(BASE, 10, None)
    fan = p.fan_out(first, RawPage(list(range(10)), total=25))
    assert fan is not None
    assert [r.url.query["offset"] for r in fan] == ["10", "20"]


@pytest.mark.parametrize("p", [PageNumber(), OffsetLimit(), NextLink()])
def test_no_fan_out_without_a_total(p: Paginator) -> None:
    first = p.first(BASE, 10, None)
    assert p.fan_out(first, RawPage(list(range(10)))) is None


# -- merge_params ---------------------------------------------------------------------------------


def test_merge_params() -> None:
    url = merge_params(
        URL("https://h.example/x?status=open&page=1"),
        {
            "status": ["paid", "sent"],
            "archived": False,
            "since": date(2024, 1, 2),
            "at": datetime(2024, 1, 2, 3, 4, tzinfo=UTC),
            "skip": None,
        },
    )
    assert list(url.query.items()) == [
        ("page", "1"),
        ("status", "paid"),
        ("status", "sent"),
        ("archived", "false"),
        ("since", "2024-01-02"),
        ("at", "2024-01-02T03:04:00+00:00"),
    ]
    assert merge_params(url, None) is url


# -- Pager: guards before sending ----------------------------------------------------------------


ORIGIN = URL("https://api.example.com/")


def pager(links: dict[str, str | None], fetched: list[str], **kw: Any) -> Pager[Any]:
    """A next-link pager over fake pages: ``links`` maps each URL to the next link it returns."""

    async def fetch(url: URL) -> RawPage:
        fetched.append(str(url))
        return RawPage([str(url)], next=links[str(url)], next_declared=True)

    transform: Callable[[Any], Any] = lambda r: r  # noqa: E731
    return Pager(
        fetch=fetch,
        paginator=NextLink(),
        url=URL(next(iter(links))),
        origin=ORIGIN,
        transform=transform,
        **kw,
    )


A = "https://api.example.com/v1/a"
B = "https://api.example.com/v1/b"


async def test_pager_follows_links_to_the_end() -> None:
    fetched: list[str] = []
    p = pager({A: "/v1/b", B: None}, fetched)
    assert await p.all() == [A, B]
    assert p.done and p.resume_point is None


async def test_a_link_seen_before_is_a_loop() -> None:
    fetched: list[str] = []
    with pytest.raises(PaginationError, match="loop"):
        await pager({A: B, B: A}, fetched).all()
    assert fetched == [A, B]  # A was not fetched a second time


async def test_the_same_url_with_reordered_query_is_a_loop() -> None:
    first, again = A + "?x=1&y=2", A + "?y=2&x=1"
    with pytest.raises(PaginationError, match="loop"):
        await pager({first: again, again: None}, []).all()


@pytest.mark.parametrize(
    "link",
    [
        "http://api.example.com/v1/b",  # scheme
        "https://api.example.com:8443/v1/b",  # port
        "https://evil.example/v1/b",  # host
        "https://api.example.com.evil.example/v1/b",
        "//evil.example/v1/b",  # scheme-relative
        "http://api.example.com@evil.example/",  # user-info trick
        "https://api.example.com:443@evil.example/",
        "https://user:pw@api.example.com/v1/b",  # same host, but user-info smuggled in
    ],
)
async def test_a_link_to_another_origin_is_refused_before_sending(link: str) -> None:
    fetched: list[str] = []
    with pytest.raises(PaginationError, match="refusing"):
        await pager({A: link}, fetched).all()
    assert fetched == [A]


async def test_the_first_url_is_checked_too() -> None:
    fetched: list[str] = []
    with pytest.raises(PaginationError):
        await pager({"https://evil.example/v1/a": None}, fetched).all()
    assert fetched == []


async def test_max_items_and_max_pages_stop_the_walk() -> None:
    links: dict[str, str | None] = {f"{A}{i}": f"{A}{i + 1}" for i in range(10)}
    fetched: list[str] = []
    assert len(await pager(links, fetched, max_pages=3).all()) == 3
    assert fetched == [f"{A}{i}" for i in range(3)]
    assert await pager(links, [], max_items=2).all() == [f"{A}0", f"{A}1"]


def test_fan_out_after_a_capped_first_page_uses_the_servers_size() -> None:
    p = PageNumber()
    first = p.first(BASE, 100, None)
    fan = p.fan_out(first, RawPage(list(range(10)), total=35))
    assert fan is not None
    assert [(q(r.url, "page", "per_page"), r.resume) for r in fan] == [
        (("2", "10"), {"page": 2, "size": 10}),
        (("3", "10"), {"page": 3, "size": 10}),
        (("4", "10"), {"page": 4, "size": 10}),
    ]


# -- issue 8: totals, links, walks that end, options --------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(None, None), (0, 0), (25, 25), (10**30, 10**30), (25.0, 25), ("25", 25), (" 7\n", 7)],
)
def test_parse_total_reads_counts(raw: Any, expected: int | None) -> None:
    assert parse_total(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        -1,
        True,
        False,
        12.5,
        math.inf,
        -math.inf,
        math.nan,
        1e400,  # Python reads the JSON number 1e400 as inf
        "many",
        "-3",
        "1e3",
        "²",  # a digit to str.isdigit, not to int()
        "9" * 5000,  # more digits than int() converts
        [25],
        {"n": 25},
        pytest.param(-(10**5000), id="a-huge-negative-int"),
    ],
)
def test_parse_total_refuses_what_is_not_a_count(raw: Any) -> None:
    with pytest.raises(PaginationError, match="not a count") as caught:
        parse_total(raw)
    assert len(str(caught.value)) < 200


def test_show_value_never_raises() -> None:
    assert "bits" in show_value(10**5000)
    deep: Any = []
    for _ in range(10_000):
        deep = [deep]
    assert show_value(deep)
    assert len(show_value("x" * 10_000)) < 100


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(" /p2\n", "/p2"), ("  ", None), (7, "7"), (None, None)],
)
def test_next_values_are_normalised(raw: Any, expected: str | None) -> None:
    assert Envelope(records="r", next="n").page({"r": [], "n": raw}).next == expected


@pytest.mark.parametrize(
    "raw", [True, 2.5, [], {"href": "/x"}, pytest.param(10**5000, id="a-5000-digit-int")]
)
def test_next_values_of_other_types_are_pagination_errors(raw: Any) -> None:
    with pytest.raises(PaginationError, match="next link"):
        Envelope(records="r", next="n").page({"r": [], "n": raw})


def test_a_list_without_its_declared_pagination_block_is_unpaged() -> None:
    env = Envelope(records="data", total="pagination.total", paged_by="pagination")
    assert env.page({"data": [1]}).unpaged
    assert env.page({"data": [1], "pagination": None}).unpaged
    assert not env.page({"data": [1], "pagination": {"total": 1}}).unpaged
    assert not env.page({"data": [1], "pagination": {}}).unpaged
    # Without ``paged_by`` nothing is inferred (LeadDesk without _meta/_links walks by size).
    assert not Envelope(records="data", total="_meta.total").page({"data": [1]}).unpaged


GOOD_LINKS = [
    ("https://api.example.com/v1/items?page=2", "https://api.example.com/v1/items?page=2"),
    ("/v1/items?page=2", "https://api.example.com/v1/items?page=2"),
    ("?page=2", "https://api.example.com/v1/items?page=2"),
    ("  ?page=2\r\n", "https://api.example.com/v1/items?page=2"),
    ("page2", "https://api.example.com/v1/page2"),
    ("https://other.example/x", "https://other.example/x"),  # the origin is the pager's check
    ("/v1/caf\u00e9", "https://api.example.com/v1/caf%C3%A9"),
]


@pytest.mark.parametrize(("link", "expected"), GOOD_LINKS)
def test_resolve_link(link: str, expected: str) -> None:
    assert str(resolve_link(BASE, link)) == expected


BAD_LINKS = [
    "",
    "   ",
    "http://api.example.com\\evil.example/x",  # backslash in the authority
    "/\\evil.example/x",  # "//evil.example" to a browser
    "http://[::1/x",  # bad IPv6 literal
    "http://[zz]/x",
    "http://api.example.com:99999/x",  # port out of range
    "http://api.example.com:-1/x",
    "http://api.example.com:abc/x",
    "/x\ud800",  # a lone surrogate (yarl would silently drop it)
    "?c=\udfff",
    "https://\ud800/",
    "https://xn--a/x",  # not IDNA
    "/x\x00y",
    "/x\x7f",
    "javascript:alert(1)",
    "mailto:a@example.com",
    "http:///x",  # no host
]


@pytest.mark.parametrize("link", BAD_LINKS)
def test_resolve_link_refuses_what_is_not_a_usable_link(link: str) -> None:
    with pytest.raises(PaginationError, match="next link"):
        resolve_link(BASE, link)


@pytest.mark.parametrize("value", [None, 5, 2.5, True, ["/x"], {"href": "/x"}, b"/x"])
def test_resolve_link_refuses_non_strings(value: Any) -> None:
    with pytest.raises(PaginationError, match="not a string"):
        resolve_link(BASE, value)


def test_link_errors_do_not_show_the_query() -> None:
    with pytest.raises(PaginationError) as caught:
        resolve_link(BASE, "http://user:pw@[::1/x?access_token=S3CRET")
    assert "S3CRET" not in str(caught.value) and "pw" not in str(caught.value)


def test_a_cursor_with_a_lone_surrogate_is_refused() -> None:
    p = NextLink(cursor_param="cursor")
    with pytest.raises(PaginationError, match="surrogate"):
        p.next(p.first(BASE, None, None), RawPage([1], next="ab\ud800"))


def chain(p: Paginator, pages: list[RawPage], page_size: int | None = 10) -> list[PageRequest]:
    """The requests a sequential walk makes when the server answers ``pages`` in turn."""
    req = p.first(BASE, page_size, None)
    out = [req]
    for raw in pages:
        nxt = p.next(req, raw)
        if nxt is None:
            return out
        req = nxt
        out.append(req)
    raise AssertionError(f"walk did not end: {[str(r.url) for r in out]}")


def full(n: int = 10, **kw: Any) -> RawPage:
    return RawPage(list(range(n)), **kw)


def test_empty_pages_mid_walk_are_read_past_while_the_total_says_more() -> None:
    pages = [full(total=35), full(0, total=35), full(total=35), full(5, total=35)]
    requests = chain(PageNumber(), pages)
    assert [q(r.url, "page") for r in requests] == [("1",), ("2",), ("3",), ("4",)]


@pytest.mark.parametrize(
    "p",
    [PageNumber(), NextLink(cursor_param="c")],
    ids=["page", "link"],
)
def test_empty_page_limit_ends_a_list_whatever_it_claims(p: Paginator) -> None:
    lying = RawPage([], total=10**9, next="more", next_declared=True)
    requests = chain(p, [full(1, total=10**9, next="more", next_declared=True)] + [lying] * 10)
    assert len(requests) == 1 + EMPTY_PAGE_LIMIT
    # Each request knows how many empty pages came right before it.
    assert [r.empties for r in requests] == [0, *range(EMPTY_PAGE_LIMIT)]


def test_an_empty_page_ends_an_offset_walk() -> None:
    assert len(chain(OffsetLimit(), [full(1, total=10**9), RawPage([], total=10**9)])) == 2


@pytest.mark.parametrize("p", [PageNumber(), OffsetLimit()], ids=["page", "offset"])
def test_an_unpaged_list_is_one_page(p: Paginator) -> None:
    assert len(chain(p, [full(total=100, unpaged=True)])) == 1


def test_a_next_link_goes_on_where_the_total_says_the_end() -> None:
    """Either signal saying more is enough: a total reached but a present next link goes on (a
    list that grew), as does a total not reached with ``_links`` but no next."""
    grew = [full(total=10, next="n", next_declared=True), full(3, total=10, next_declared=True)]
    assert len(chain(PageNumber(), grew)) == 2
    assert len(chain(OffsetLimit(), grew)) == 2
    short_links = [full(total=25, next_declared=True)] * 2 + [full(5, total=25, next_declared=True)]
    assert len(chain(PageNumber(), short_links)) == 3


def test_the_page_size_is_learned_from_the_first_page_only() -> None:
    # Page 1 capped at 4 (10 asked, total 25): continue at 4. Page 3 short (2): keep 4, or page
    # 4 at size 2 would start at record 6 and repeat records already read.
    pages = [full(4, total=25), full(4, total=25), full(2, total=25), full(4, total=25)]
    requests = chain(PageNumber(), pages + [full(4, total=25)] * 5)
    assert [q(r.url, "page", "per_page") for r in requests] == [
        ("1", "10"),
        ("2", "4"),
        ("3", "4"),
        ("4", "4"),
        ("5", "4"),
        ("6", "4"),
        ("7", "4"),
    ]
    # The learned size is part of every later resume point, not only the first one's.
    assert all(r.resume["size"] == 4 for r in requests[1:])


def test_a_resumed_walk_does_not_relearn_the_size_mid_list() -> None:
    p = PageNumber()
    req = p.first(BASE, 10, {"page": 3})
    nxt = p.next(req, full(4, total=100))
    assert nxt is not None and q(nxt.url, "page", "per_page") == ("4", "10")


def test_fan_out_predicts_what_next_answers() -> None:
    for p, raw in [(PageNumber(), full(4, total=30)), (OffsetLimit(), full(4, total=30))]:
        first = p.first(BASE, 10, None)
        predicted = list(p.fan_out(first, raw) or [])
        walked = chain(p, [raw] + [full(4, total=30)] * 20)[1:]
        assert [(r.url, r.resume) for r in predicted] == [(r.url, r.resume) for r in walked]


def test_chained_lists_count_empty_pages_per_list() -> None:
    urls = [BASE.with_path(f"/v1/{kind}") for kind in "abcdef"]
    p = Chained(NextLink(), urls)
    empty = RawPage([], next=None, next_declared=True)
    # Six lists in a row answer nothing: each is its own list, so the walk reaches the last.
    requests = chain(p, [empty] * 6, page_size=None)
    assert [r.url.path for r in requests] == [u.path for u in urls]
    with pytest.raises(ConfigurationError, match="chain"):
        p.first(BASE, None, {"chain": 6})


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({}, 1),
        ({"concurrency": 8}, 8),
        ({"concurrency": 100_000}, MAX_CONCURRENCY),
        ({"page_size": 1, "max_items": 0, "max_pages": 1, "resume": {}}, 1),
        ({"max_items": 2**63 - 1, "page_size": 2**63 - 1}, 1),
    ],
)
def test_check_walk_options(options: dict[str, Any], expected: int) -> None:
    assert check_walk_options(**options) == expected


@pytest.mark.parametrize(
    "options",
    [
        {"page_size": 0},
        {"page_size": "5"},
        {"page_size": 2.5},
        {"page_size": True},
        {"concurrency": 0},
        {"concurrency": None},
        {"concurrency": False},
        {"max_items": -1},
        {"max_items": 1.0},
        {"max_pages": 0},
        {"max_items": 2**63},
        {"page_size": 10**30},
        {"resume": "x"},
        {"resume": [("page", 1)]},
    ],
    ids=repr,
)
def test_check_walk_options_refuses(options: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError):
        check_walk_options(**options)


def fake_pager(pages: dict[str, RawPage | Exception], **kw: Any) -> tuple[Pager[Any], list[str]]:
    """An offset pager over fake pages keyed by offset; an exception value is raised by the
    fetch of that offset."""
    fetched: list[str] = []

    async def fetch(url: URL) -> RawPage:
        offset = url.query["offset"]
        fetched.append(offset)
        await asyncio.sleep(0)
        value = pages.get(offset, RawPage([]))
        if isinstance(value, Exception):
            raise value
        return value

    pager: Pager[Any] = Pager(
        fetch=fetch,
        paginator=OffsetLimit(),
        url=URL("https://api.example.com/v1/items"),
        origin=ORIGIN,
        transform=lambda r: r,
        page_size=10,
        **kw,
    )
    return pager, fetched


async def test_a_failed_fetch_ahead_the_walk_never_needs_is_never_raised() -> None:
    pages: dict[str, RawPage | Exception] = {
        "0": RawPage(list(range(10)), total=40),
        "10": RawPage([], total=40),  # the list ends here, whatever the total says
        "20": PaginationError("boom"),
        "30": PaginationError("boom"),
    }
    pager, fetched = fake_pager(pages, concurrency=4)
    assert await pager.all() == list(range(10))
    assert pager.done and sorted(fetched) == ["0", "10", "20", "30"]


async def test_a_wrong_prediction_is_cancelled_and_the_walk_goes_on_from_what_next_says() -> None:
    # Offset 10 serves 3 records (not 10): the next offset is 13, not the predicted 20.
    pages: dict[str, RawPage | Exception] = {
        "0": RawPage(list(range(10)), total=23),
        "10": RawPage([10, 11, 12], total=23),
        "13": RawPage(list(range(13, 23)), total=23),
    }
    for concurrency in (1, 3, 8):
        pager, fetched = fake_pager(pages, concurrency=concurrency)
        assert await pager.all() == list(range(23))
        assert fetched[:2] == ["0", "10"] and "13" in fetched


async def test_a_pager_iterated_twice_is_a_client_state_error() -> None:
    pager, _ = fake_pager({"0": RawPage([1], total=1)})
    await pager.all()
    with pytest.raises(ClientStateError, match="once"):
        await pager.all()


@pytest.mark.parametrize(
    "served",
    [
        [[1, 2, 3], [1, 2, 3]],  # the same page again
        [[1, 2], [1]],  # a short first page, then the start again
        [[1, 2, 3], [4, 5, 6], [1, 2, 3]],  # an earlier page again
    ],
    ids=["same", "short-then-start", "earlier-page"],
)
@pytest.mark.parametrize("concurrency", [1, 4])
async def test_a_page_repeating_records_is_an_error_before_they_are_handed_over(
    served: list[list[int]], concurrency: int
) -> None:
    pages: dict[str, RawPage | Exception] = {}
    offset = 0
    for rows in served:
        pages[str(offset)] = RawPage([{"id": i} for i in rows], total=100)
        offset += len(rows)
    pager, _ = fake_pager(pages, concurrency=concurrency)
    got: list[Any] = []
    with pytest.raises(PaginationError, match="repeats records"):
        async for record in pager:
            got.append(record["id"])
    assert got == [i for rows in served[:-1] for i in rows]
    assert pager.resume_point == {"offset": offset - len(served[-1])}


def served_pages(
    served: list[list[int]], totals: list[int | None], key: str = "id"
) -> dict[str, RawPage | Exception]:
    """Fake offset pages holding ``{key: n}`` records, each with its total; a page without a
    total carries a next link while another page follows (the walk's signal to go on)."""
    pages: dict[str, RawPage | Exception] = {}
    offset = 0
    for i, (rows, total) in enumerate(zip(served, totals, strict=True)):
        more = i + 1 < len(served) and total is None
        pages[str(offset)] = RawPage(
            [{key: n} for n in rows],
            total=total,
            next="?more" if more else None,
            next_declared=True,
        )
        offset += len(rows)
    return pages


@pytest.mark.parametrize(
    ("served", "totals", "expected"),
    [
        # One record inserted ahead of the window: the total rises by 1, record 3 comes again.
        ([[1, 2, 3], [3, 4, 5], [6]], [6, 7, 7], [1, 2, 3, 4, 5, 6]),
        ([[1, 2, 3], [2, 3, 4], [5, 6]], [6, 8, 8], [1, 2, 3, 4, 5, 6]),  # two inserted
        ([[1, 2, 3], [3], []], [4, 5, 5], [1, 2, 3]),  # the new page holds only the pushed record
        ([[1, 2, 3], [3, 4, 5], [6]], [6, 16, 16], [1, 2, 3, 4, 5, 6]),  # grew by more: still 1
    ],
    ids=["one-inserted", "two-inserted", "only-pushed", "grew-by-more"],
)
@pytest.mark.parametrize("concurrency", [1, 4])
async def test_records_pushed_into_the_next_page_are_handed_over_once(
    served: list[list[int]], totals: list[int], expected: list[int], concurrency: int
) -> None:
    """A newest-first list that grows while it is walked by offset: the records inserted ahead
    of the window push the last records of a page into the next one, and the total rises by as
    many. That overlap is handed over once."""
    pager, _ = fake_pager(served_pages(served, totals), concurrency=concurrency)
    assert [r["id"] async for r in pager] == expected


@pytest.mark.parametrize(
    ("served", "totals"),
    [
        ([[1, 2], [2, 3]], [4, 4]),  # the review's: a list that did not change, [a, b] [b', c]
        ([[1, 2, 3], [3, 4, 5]], [None, None]),  # no totals: no evidence the list grew
        ([[1, 2, 3], [3, 4, 5]], [None, 9]),  # a total only now: no evidence either
        ([[1, 2, 3], [3, 4, 5]], [9, 8]),  # the total fell
        ([[1, 2, 3], [2, 3, 4]], [9, 10]),  # grew by 1: an overlap of 2 is not explained by it
        ([[1, 2], [1, 3]], [4, 4]),  # the same first record is not the same page
        ([[1, 1, 1], [1, 1, 2]], [None, None]),  # a run of equal records across pages
    ],
    ids=[
        "unchanged",
        "no-totals",
        "total-appears",
        "shrank",
        "grew-less-than-the-overlap",
        "same-first-record",
        "a-run-of-equal-records",
    ],
)
@pytest.mark.parametrize("concurrency", [1, 8])
async def test_equal_records_without_evidence_of_growth_are_all_handed_over(
    served: list[list[int]], totals: list[int | None], concurrency: int
) -> None:
    """Equal records are not repeats: two time entries of the same hours, rows without ids. An
    overlap is dropped only as far as a rising total explains it; otherwise every record the
    server sent is handed over."""
    pages = served_pages(served, totals, key="hours")
    pager, _ = fake_pager(pages, concurrency=concurrency)
    assert [r["hours"] async for r in pager] == [n for rows in served for n in rows]


def _naive_overlap(previous: list[Any], records: list[Any], bound: int) -> int:
    top = min(bound, len(previous), len(records))
    return max(k for k in range(top + 1) if records[:k] == previous[len(previous) - k :])


@given(
    previous=st.lists(st.sampled_from([{}, {"a": 1}, {"a": 2}, 0]), max_size=12),
    records=st.lists(st.sampled_from([{}, {"a": 1}, {"a": 2}, 0]), max_size=12),
    bound=st.integers(0, 15),
)
def test_the_overlap_search_is_the_longest_overlap_within_the_bound(
    previous: list[Any], records: list[Any], bound: int
) -> None:
    assert _overlap(previous, records, bound) == _naive_overlap(previous, records, bound)


def test_the_overlap_search_never_matches_records_without_a_fingerprint() -> None:
    deep: Any = []
    for _ in range(100_000):
        deep = [deep]
    assert _overlap([deep], [deep], 1) == 0
    assert _overlap([{"a": 1}, deep], [deep, {"a": 1}], 2) == 0


def test_a_resume_cursor_too_long_to_write_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="cursor"):
        NextLink(cursor_param="c").first(BASE, None, {"cursor": 10**5000})

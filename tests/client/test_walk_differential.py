"""Differential property test of walks: the same walk at ``concurrency=1`` and at 2, 3 or 8 returns
the same records, the same error and the same resume point, and those records are what a patient
sequential reader following the documented signals sees (``reference`` below), for server
behaviours drawn by hypothesis in each of the three styles (offset/limit with a total,
page/per_page with a total and/or next links, next links and cursors):

- capped page sizes, pages served empty or one record short, totals that are exact, absent, too
  high, too low, different on every page, 10**9, or ``Infinity`` (malformed) after the first page;
- next links that are exact, missing on one page, present past the end, looping back to the first
  page, or malformed (a backslash in the authority, a bad IPv6 literal, port 99999, a lone
  surrogate, a bad IDNA host, a float, a boolean, an object);
- bare arrays, lists without their pagination block, servers that ignore the paging parameters;
- newest-first lists that grow while walked (offset and page styles, exact totals): records
  inserted ahead of the window push the last records of each page into the next one, and the
  total rises by as many.

"What the server holds" is defined twice. For a consistent server (``consistent(b)``: no faults,
and the signals the docs promise) it is every record, in order, once: the reference reader must
return exactly that (which checks the rules themselves). For any server it is what the reference
reader sees; a self-contradictory server may make it lose records, but both walks still agree
with it, and no walk ever repeats a record. A fanned walk never sends more than ``concurrency``
requests per page the sequential walk reads (and for a consistent server at most
``concurrency - 1`` more in all): fan-out is bounded by evidence, not by what a total claims.

One aiohttp app serves every example on a loop of this module's own; the behaviour is set per
example, and each walk tags its requests (``X-Walk``) so requests are counted per walk.
"""

from __future__ import annotations

import asyncio
import itertools
import math
from collections import Counter
from collections.abc import Iterator, Mapping
from typing import Any

import attrs
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from hypothesis import given
from hypothesis import strategies as st
from yarl import URL

from vendorkit.core import BaseClient
from vendorkit.core._pagination import EMPTY_PAGE_LIMIT
from vendorkit.errors import DecodeError, PaginationError
from vendorkit.vendors.leaddesk._spec import SPEC as LEADDESK
from vendorkit.vendors.leady._spec import SPEC as LEADY
from vendorkit.vendors.leanlaw._spec import SPEC as LEANLAW
from vendorkit.vendors.makeleaps._spec import SPEC as MAKELEAPS

from .._walk_settings import walk_settings
from .conftest import TokenClient, make_spec

# -- server behaviours ---------------------------------------------------------------------------

TOTALS = ("exact", "absent", "high", "low", "shifting", "huge", "inf")
PAGE_LINKS = ("exact", "absent", "no_next", "always")
LINK_MODES = ("exact", "cut", "always", "loop", "bad")
BAD_LINKS: tuple[Any, ...] = (
    "http://127.0.0.1\\evil.example/items",  # a backslash in the authority
    "http://[::1/items",  # a bad IPv6 literal
    "http://127.0.0.1:99999/items",  # a port out of range
    "/items?cursor=\ud800",  # a lone surrogate
    "\udc00x",  # a lone surrogate where a cursor may be
    "https://xn--a/items",  # a host that is not valid IDNA
    "/items\\..\\other",  # a backslash in the path
    12.5,
    True,
    {"href": "/items?cursor=1"},
)


@attrs.frozen
class Behaviour:
    """How the one server answers ``GET /items`` in one example: records ``{"id": 0..n-1}``."""

    style: str  # "offset" (LeanLaw), "page" (LeadDesk), "cursor" (Leady), "link" (MakeLeaps)
    n: int
    page_size: int  # what the client asks for
    cap: int | None  # the server serves at most this many a page
    total: str  # one of TOTALS
    links: str  # PAGE_LINKS for "page", LINK_MODES for "cursor"/"link"
    empty: frozenset[int]  # page slots served empty
    short: frozenset[int]  # page slots served one record short
    no_block: bool  # the list comes without its pagination block (_meta/_links, meta, pagination)
    bare: bool  # a bare JSON array (page and cursor styles: pagination switched off)
    ignores_paging: bool  # the server ignores offset/page/cursor
    link_form: str  # "absolute", "relative", "query" or (Leady) "cursor"
    bad_link: Any
    max_items: int | None
    max_pages: int | None
    fanned: int  # the concurrency compared with 1
    grow: int = 0  # records inserted ahead of the window per page slot (newest-first list)

    def length(self, slot: int) -> int:
        """How many records the list holds when page slot ``slot`` is asked for."""
        return self.n + self.grow * slot

    def size(self, asked: int) -> int:
        return min(asked, self.cap) if self.cap else asked

    def total_for(self, slot: int) -> Any:
        return {
            "exact": self.length(slot),
            "absent": None,
            "high": self.n + 7,
            "low": max(0, self.n - 5),
            "shifting": max(0, self.n + slot % 3 - 1),
            "huge": 10**9,
            "inf": math.inf if slot >= 1 else self.n,
        }[self.total]

    def everything(self) -> list[dict[str, int]]:
        return [{"id": i} for i in range(self.n)]

    def held(self, slot: int) -> list[dict[str, int]]:
        """The list when page slot ``slot`` is asked for: the records inserted so far (ids from
        ``n`` up, newest first) ahead of the original ``n``. Pages start at or after
        ``slot * size`` and ``grow`` is below the size, so the new ones are never inside a page."""
        added = self.grow * slot
        return [{"id": self.n + added - 1 - j} for j in range(added)] + self.everything()

    def rows(self, start: int, count: int, slot: int) -> list[dict[str, int]]:
        if slot in self.empty:
            return []
        if self.grow:
            rows = self.held(slot)[start : start + count]
        else:
            rows = [{"id": i} for i in range(start, min(start + count, self.n))]
        return rows[:-1] if slot in self.short else rows

    def body(self, q: Mapping[str, str], origin: str) -> Any:
        """The JSON body answering a request with query ``q``: a pure function of the query."""
        if self.style == "offset":
            return self._offset(q)
        if self.style == "page":
            return self._page(q, origin)
        return self._linked(q, origin)

    def _offset(self, q: Mapping[str, str]) -> Any:
        if self.no_block:  # an endpoint that is not paginated: everything, whatever is asked
            return {"data": self.everything()}
        limit = int(q["limit"])
        offset = 0 if self.ignores_paging else int(q.get("offset", "0"))
        size = self.size(limit)
        slot = offset // size
        block: dict[str, Any] = {"limit": size, "offset": offset}
        total = self.total_for(slot)
        if total is not None:
            block["total"] = total
        return {"data": self.rows(offset, size, slot), "pagination": block}

    def _page(self, q: Mapping[str, str], origin: str) -> Any:
        if self.bare:
            return self.everything()
        per_page = int(q["per_page"])
        number = 1 if self.ignores_paging else int(q.get("page", "1"))
        size = self.size(per_page)
        slot = number - 1
        body: dict[str, Any] = {"collection": self.rows(slot * size, size, slot)}
        if self.no_block:
            return body
        if self.links != "absent":
            links = {"self": f"{origin}/items?page={number}&per_page={per_page}"}
            more = number * size < self.length(slot)
            if self.links == "always" or (self.links == "exact" and more):
                links["next"] = f"{origin}/items?page={number + 1}&per_page={per_page}"
            body["_links"] = links
        total = self.total_for(slot)
        body["_meta"] = {} if total is None else {"total": total}
        return body

    def _link(self, position: int, page_size: int, origin: str) -> str:
        if self.link_form == "cursor":
            return str(position)
        query = f"cursor={position}&page_size={page_size}"
        return {
            "absolute": f"{origin}/items?{query}",
            "relative": f"/items?{query}",
            "query": f"?{query}",
        }[self.link_form]

    def _linked(self, q: Mapping[str, str], origin: str) -> Any:
        if self.bare:
            return self.everything()
        page_size = int(q["page_size"])
        position = 0 if self.ignores_paging else int(q.get("cursor", "0"))
        size = self.size(page_size)
        slot = position // size
        after = position + size
        nxt: Any = None
        if self.links == "bad" and slot == 1:
            nxt = self.bad_link
        elif self.links == "loop" and after >= self.n:
            nxt = f"{origin}/items?page_size={page_size}"  # the first page again
        elif self.links == "cut" and slot == 1:
            nxt = None
        elif after < self.n or self.links == "always":
            nxt = self._link(after, page_size, origin)
        rows = self.rows(position, size, slot)
        total = self.total_for(slot)
        if self.style == "cursor":  # Leady: DRF cursor pages; a count only if it is sent
            body: dict[str, Any] = {"next": nxt, "previous": None, "results": rows}
            if total is not None:
                body["count"] = total
            return body
        if self.no_block:  # MakeLeaps without meta: no place for a next link
            return {"response": rows}
        meta: dict[str, Any] = {"status": 200, "next": nxt, "page": slot + 1}
        if total is not None:
            meta["count"] = total
        return {"meta": meta, "response": rows}


@st.composite
def behaviours(draw: st.DrawFn, *, consistent_only: bool = False) -> Behaviour:
    style = draw(st.sampled_from(("offset", "page", "cursor", "link")))
    n = draw(st.integers(0, 24))
    page_size = draw(st.integers(1, 6))
    cap = draw(st.none() | st.integers(1, page_size - 1)) if page_size > 1 else None
    rare = st.integers(0, 5).map(lambda x: x == 0)
    slots = st.frozensets(st.integers(0, 10), max_size=3)
    if consistent_only:
        total = draw(st.sampled_from(("exact", "absent")))
        links = draw(st.sampled_from(("exact", "absent") if style == "page" else ("exact",)))
        empty = short = frozenset[int]()
        ignores = False
    else:
        total = draw(st.sampled_from(TOTALS))
        links = draw(st.sampled_from(PAGE_LINKS if style == "page" else LINK_MODES))
        empty, short, ignores = draw(slots), draw(slots), draw(rare)
    forms = ("absolute", "relative", "query") + (("cursor",) if style == "cursor" else ())
    b = Behaviour(
        style=style,
        n=n,
        page_size=page_size,
        cap=cap,
        total=total,
        links=links,
        empty=empty,
        short=short,
        no_block=style != "cursor" and draw(rare),
        bare=style in ("page", "cursor") and draw(rare),
        ignores_paging=ignores,
        link_form=draw(st.sampled_from(forms)),
        bad_link=draw(st.sampled_from(BAD_LINKS)),
        max_items=draw(st.none() | st.integers(0, 30)),
        max_pages=draw(st.none() | st.integers(1, 8)),
        fanned=draw(st.sampled_from((8, 2, 3))),
    )
    if style in ("offset", "page") and not b.no_block and b.size(page_size) > 1:
        # A growing list, now and then; only with its exact total: without one a grown list
        # gives no evidence and its overlap is kept (the docs say so, and
        # test_envelope_pagination.py proves it), so the reader would see records twice.
        chance = st.booleans() if consistent_only else rare
        grow = draw(st.integers(1, min(2, b.size(page_size) - 1))) if draw(chance) else 0
        if grow:
            b = attrs.evolve(b, grow=grow, total="exact")
    if consistent_only and not consistent(b):
        # A capped server with no total and no links looks finished after its first page, and
        # a MakeLeaps page without ``meta`` has no next link: documented, so not "consistent".
        # Serve it uncapped, with its block, instead.
        b = attrs.evolve(b, cap=None, no_block=b.no_block and b.style != "link")
    return b


def consistent(b: Behaviour) -> bool:
    """Whether ``b`` serves honestly and sends the signals the docs promise, so that a reader
    following them must see every record once."""
    if b.empty or b.short or b.ignores_paging or b.total not in ("exact", "absent"):
        return False
    if b.style == "offset":
        return b.no_block or b.total == "exact" or b.cap is None
    if b.style == "page":
        if b.bare:
            return True
        if b.links not in ("exact", "absent"):
            return False
        signalled = not b.no_block and (b.total == "exact" or b.links == "exact")
        return signalled or b.cap is None
    return b.bare or (b.links == "exact" and not b.no_block)


# -- the reference reader -------------------------------------------------------------------------


@attrs.frozen
class Outcome:
    ids: list[int]
    error: bool


@attrs.frozen
class Read:
    records: list[Any]
    total: Any
    next: Any
    links_declared: bool
    unpaged: bool


def _read(b: Behaviour, body: Any) -> Read | None:
    """The page as the docs describe it; None when it is malformed (a total that is not a
    count, a next value that is neither a string nor an integer)."""
    if isinstance(body, list):
        return Read(body, None, None, True, True)
    if b.style == "offset":
        block = body.get("pagination")
        total = block.get("total") if isinstance(block, dict) else None
        read = Read(body["data"], total, None, False, not isinstance(block, dict))
    elif b.style == "page":
        meta, links = body.get("_meta", {}), body.get("_links")
        nxt = links.get("next") if isinstance(links, dict) else None
        read = Read(body["collection"], meta.get("total"), nxt, isinstance(links, dict), False)
    elif b.style == "cursor":
        read = Read(body["results"], body.get("count"), body.get("next"), True, False)
    else:
        meta = body.get("meta")
        if not isinstance(meta, dict):
            return Read(body["response"], None, None, False, False)
        read = Read(body["response"], meta.get("count"), meta.get("next"), True, False)
    if isinstance(read.total, float) and not math.isfinite(read.total):
        return None
    if read.next is not None and (isinstance(read.next, bool) or not isinstance(read.next, str)):
        return None
    return read


def _key(url: URL) -> str:
    return str(url.with_query(sorted(url.query.items())))


def first_url(b: Behaviour, origin: str) -> URL:
    base = URL(origin + "/items")
    if b.style == "offset":
        return base.with_query(offset="0", limit=str(b.page_size))
    if b.style == "page":
        return base.with_query(page="1", per_page=str(b.page_size))
    return base.with_query(page_size=str(b.page_size))


def reference(b: Behaviour, origin: str) -> Outcome:
    """What a patient sequential reader following the documented signals sees, in the words of
    docs/clients.md ("How a walk ends"), written out for the shapes ``Behaviour`` serves:

    - offset: the next offset is this one plus the records received; go on while it is below the
      total, or (no total) while pages are full; an empty page, or a list without its
      ``pagination`` block, is the end;
    - page: go on while ``page * size`` is below the total, or while a next link is present, or
      (neither a total nor ``_links``) while pages are full; the size is learned from page 1 when
      it is short while the total or a next link says more exist; a bare array is the whole list;
    - link: follow the next link or cursor while there is one; a malformed one is an error;
    - everywhere: 3 empty pages in a row end a list; a page whose first records are the last
      records of the previous non-empty page has that overlap dropped, as far as the rise of
      the total since that page explains it (no total on either: nothing dropped); a page equal
      to an earlier page, or one the beginning of the other with the previous page, is an
      error, and so is a page that is the whole previous page again however the total rose
      (the records here are ``{"id": i}``, so "the same record" is "the same id"); a next URL
      already fetched (when it is wanted) is an error;
      ``max_items`` and ``max_pages`` stop the reading, and a page is read (and may fail) only
      if the one before wanted it.
    """
    ids: list[int] = []
    if b.max_items == 0:
        return Outcome(ids, False)
    url = first_url(b, origin)
    seen = {_key(url)}
    size, empties, received, pages = b.page_size, 0, 0, 0
    earlier: set[tuple[int, ...]] = set()
    previous: list[int] = []
    previous_total: int | None = None
    while True:
        page = _read(b, b.body(dict(url.query), origin))
        if page is None:
            return Outcome(ids, True)
        records = page.records
        drop = 0
        if records:
            got = [r["id"] for r in records]
            total = page.total
            grew = 0 if total is None or previous_total is None else total - previous_total
            drop = max(
                k
                for k in range(min(max(0, grew), len(got), len(previous)) + 1)
                if got[:k] == previous[len(previous) - k :]
            )
            m = min(len(got), len(previous))
            if drop == len(got) == len(previous):
                return Outcome(ids, True)
            if not drop and (tuple(got) in earlier or (m and got[:m] == previous[:m])):
                return Outcome(ids, True)
            earlier.add(tuple(got))
            previous, previous_total = got, total
        pages += 1
        received += len(records) - drop
        empties = 0 if records else empties + 1
        n = len(records)
        nxt: URL | None = None
        if b.style == "offset":
            offset = int(url.query["offset"]) + n
            more = offset < page.total if page.total is not None else n >= b.page_size
            if not page.unpaged and n and more:
                nxt = url.update_query(offset=str(offset))
        elif b.style == "page":
            number = int(url.query["page"])
            if number == 1 and 0 < n < size:
                if (page.total is not None and n < page.total) or page.next is not None:
                    size = n
            if page.total is not None and number * size < page.total:
                more = True
            elif page.links_declared:
                more = page.next is not None
            else:
                more = page.total is None and n >= size
            if not page.unpaged and empties < EMPTY_PAGE_LIMIT and more:
                nxt = url.update_query(page=str(number + 1), per_page=str(size))
        elif not page.unpaged and page.next and empties < EMPTY_PAGE_LIMIT:
            if b.links == "bad" and page.next == b.bad_link:
                return Outcome(ids, True)
            if b.style == "cursor" and page.next.isdigit():
                nxt = url.update_query(cursor=page.next)
            else:
                nxt = url.join(URL(page.next))
        wanted = (
            nxt is not None
            and (b.max_items is None or received < b.max_items)
            and (b.max_pages is None or pages < b.max_pages)
        )
        if nxt is not None and wanted and _key(nxt) in seen:
            return Outcome(ids, True)
        left = None if b.max_items is None else b.max_items - len(ids)
        ids.extend(r["id"] for r in records[drop:][:left])
        if nxt is None or not wanted:
            return Outcome(ids, False)
        seen.add(_key(nxt))
        url = nxt


# -- the rig: one server, one client per style, on a loop of this module's own --------------------


def _client_class(name: str, spec: Any) -> type[TokenClient]:
    attrs_ = {"spec": make_spec(name=name, envelope=spec.envelope, paginator=spec.paginator)}
    return type(f"{name.title()}Like", (TokenClient,), attrs_)


CLIENTS = {
    "offset": _client_class("leanlaw", LEANLAW),
    "page": _client_class("leaddesk", LEADDESK),
    "cursor": _client_class("leady", LEADY),
    "link": _client_class("makeleaps", MAKELEAPS),
}


class Rig:
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.behaviour: Behaviour | None = None
        self.hits: Counter[str] = Counter()
        self.server: TestServer | None = None
        self.clients: dict[str, BaseClient] = {}
        self.origin = ""
        self.tags = itertools.count()

    async def handler(self, request: web.Request) -> web.StreamResponse:
        self.hits[request.headers.get("X-Walk", "")] += 1
        assert self.behaviour is not None
        return web.json_response(self.behaviour.body(request.query, self.origin))

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/items", self.handler)
        self.server = TestServer(app)
        await self.server.start_server()
        self.origin = str(self.server.make_url("")).rstrip("/")
        self.clients = {style: cls(base_url=self.origin) for style, cls in CLIENTS.items()}

    async def stop(self) -> None:
        for client in self.clients.values():
            await client.aclose()
        assert self.server is not None
        await self.server.close()

    async def walk(self, b: Behaviour, concurrency: int) -> tuple[Outcome, Any, str]:
        tag = f"walk-{next(self.tags)}"
        pager = self.clients[b.style].paginate(
            "/items",
            page_size=b.page_size,
            max_items=b.max_items,
            max_pages=b.max_pages,
            concurrency=concurrency,
            headers={"X-Walk": tag},
        )
        ids: list[int] = []
        error = False
        try:
            async for page in pager.pages():
                ids.extend(r["id"] for r in page.records)
        except (PaginationError, DecodeError):  # DecodeError: should JSON decoding refuse Infinity
            error = True
        return Outcome(ids, error), (pager.done, pager.resume_point), tag


@pytest.fixture(scope="module")
def rig() -> Iterator[Rig]:
    loop = asyncio.new_event_loop()
    rig = Rig(loop)
    loop.run_until_complete(rig.start())
    try:
        yield rig
    finally:
        loop.run_until_complete(rig.stop())
        loop.close()


# A walk here is at most a few dozen local requests (milliseconds): one still going after this
# long never ends, which is a failure, not a slow machine.
WALK_TIMEOUT = 30.0


def _walk(rig: Rig, b: Behaviour, concurrency: int) -> tuple[Outcome, Any, str]:
    try:
        return rig.loop.run_until_complete(asyncio.wait_for(rig.walk(b, concurrency), WALK_TIMEOUT))
    except TimeoutError:
        raise AssertionError(f"the walk at concurrency {concurrency} did not end") from None


def run_example(rig: Rig, b: Behaviour) -> tuple[Outcome, int, int]:
    rig.behaviour = b
    one, one_state, one_tag = _walk(rig, b, 1)
    fan, fan_state, fan_tag = _walk(rig, b, b.fanned)
    assert fan == one, f"concurrency {b.fanned} and 1 disagree"
    assert fan_state == one_state, "the walks end in different states (done, resume_point)"
    assert one == reference(b, rig.origin), "the walk is not what the documented rules read"
    assert len(set(one.ids)) == len(one.ids), "a record was returned twice"
    assert one.ids == sorted(one.ids) and set(one.ids) <= set(range(b.n))
    sequential, fanned = rig.hits[one_tag], rig.hits[fan_tag]
    assert fanned <= b.fanned * max(1, sequential), "fan-out not bounded by the pages read"
    return one, sequential, fanned


@walk_settings(300)
@given(b=behaviours())
def test_any_server_both_walks_agree_with_the_reference_reader(rig: Rig, b: Behaviour) -> None:
    run_example(rig, b)


@walk_settings(150)
@given(b=behaviours(consistent_only=True))
def test_a_consistent_server_gives_every_record_once_at_any_concurrency(
    rig: Rig, b: Behaviour
) -> None:
    assert consistent(b)
    outcome, sequential, fanned = run_example(rig, b)
    assert not outcome.error
    held = list(range(b.n))[: b.max_items]
    if b.max_pages is None:
        assert outcome.ids == held
    else:
        assert outcome.ids == held[: len(outcome.ids)]
    # Fetching ahead wastes at most one window: never more than concurrency - 1 extra requests.
    assert fanned <= sequential + b.fanned - 1

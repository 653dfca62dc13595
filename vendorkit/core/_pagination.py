"""Pagination: pure strategies that say what to fetch next, and the ``Pager`` that fetches.

A strategy (``NextLink``, ``PageNumber``, ``OffsetLimit``) is a frozen value with no I/O. Given the
request just made and the page it returned, it answers the next ``PageRequest`` or ``None``; where
the first page reveals the total it can also list every remaining request up front, so the
``Pager`` can fetch them concurrently. Every request carries its *resume point* (``{"url": ...}``,
``{"cursor": ...}``, ``{"page": n}``, ``{"offset": n}``), a JSON-able value from which a walk can
be started again.

``Pager`` is the I/O shell: it guards against loops and foreign-origin links before sending
anything, keeps one page in flight ahead of the consumer (next-link walks cannot fan out), or a
bounded window of pages when fanning out, and always yields records in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Awaitable,
    Callable,
    Iterator,
    Mapping,
    Sequence,
)
from typing import Any, Generic, Protocol, TypeVar

import attrs
from yarl import URL

from vendorkit.errors import PaginationError

from ._envelope import RawPage
from ._wire import redact_url, same_origin

__all__ = [
    "Chained",
    "NextLink",
    "OffsetLimit",
    "Page",
    "PageNumber",
    "PageRequest",
    "Pager",
    "Paginator",
    "ResumePoint",
]

log = logging.getLogger("vendorkit")

T = TypeVar("T")
ResumePoint = dict[str, Any]


@attrs.frozen
class PageRequest:
    """One page to fetch: the absolute URL, its 0-based index in the walk, and its resume point."""

    url: URL
    index: int
    resume: ResumePoint
    # The page size actually asked for (None where the style has none).
    size: int | None = None


@attrs.frozen
class Page(Generic[T]):
    """A page of records. ``total`` is None where the vendor does not say."""

    records: list[T]
    total: int | None
    index: int
    resume: ResumePoint


class Paginator(Protocol):
    def first(self, url: URL, page_size: int | None, resume: ResumePoint | None) -> PageRequest:
        """The first request of a walk over ``url`` (which carries the caller's filters)."""

    def next(self, request: PageRequest, page: RawPage) -> PageRequest | None:
        """The request after ``request``, given the page it returned; None when the walk is over."""

    def fan_out(self, request: PageRequest, page: RawPage) -> Iterator[PageRequest] | None:
        """Every remaining request, if ``page`` (the first) lets us know them all; else None."""


def _clamp(size: int | None, default: int | None, maximum: int | None) -> int | None:
    value = size if size is not None else default
    if value is not None and maximum is not None:
        value = min(value, maximum)
    if value is not None and value < 1:
        raise ValueError("page_size must be at least 1")
    return value


@attrs.frozen(kw_only=True)
class NextLink:
    """Follow the envelope's next value: an URL (absolute, or relative: a path or a bare
    ``?query``), or with ``cursor_param`` set, an opaque cursor placed in that query parameter
    (a value that is not URL-like). The walk ends when it is absent."""

    size_param: str | None = None
    default_size: int | None = None
    max_size: int | None = None
    cursor_param: str | None = None

    def first(self, url: URL, page_size: int | None, resume: ResumePoint | None) -> PageRequest:
        size = _clamp(page_size, self.default_size, self.max_size)
        base = url.update_query({self.size_param: str(size)}) if self.size_param and size else url
        if resume and "url" in resume:
            return PageRequest(URL(resume["url"]), 0, dict(resume), size)
        if resume and "cursor" in resume and self.cursor_param:
            target = base.update_query({self.cursor_param: str(resume["cursor"])})
            return PageRequest(target, 0, dict(resume), size)
        return PageRequest(base, 0, {"url": str(base)}, size)

    def next(self, request: PageRequest, page: RawPage) -> PageRequest | None:
        if page.next is None:
            return None
        value = page.next
        if self.cursor_param and "://" not in value and not value.startswith(("/", "?")):
            target = request.url.update_query({self.cursor_param: value})
            return PageRequest(target, request.index + 1, {"cursor": value}, request.size)
        # A next link is followed exactly as given: its query replaces ours, nothing carries over.
        target = request.url.join(URL(value))
        return PageRequest(target, request.index + 1, {"url": str(target)}, request.size)

    def fan_out(self, request: PageRequest, page: RawPage) -> Iterator[PageRequest] | None:
        return None


def _effective_size(request: PageRequest, page: RawPage, before: int) -> int | None:
    """The page size the server really used. If it served fewer than asked while more remain after
    this page (``before``: how many records precede it), it capped our size: continue with its
    size, or pages would be skipped. A short last page is just the end."""
    n = len(page.records)
    if request.size is None:
        return n or None
    if n < request.size and page.total is not None and n > 0 and before + n < page.total:
        return n
    return request.size


def _int_param(url: URL, name: str) -> int | None:
    """The integer value of query parameter ``name``, or None (absent or not an integer)."""
    value = url.query.get(name)
    try:
        return None if value is None else int(value)
    except ValueError:
        return None


@attrs.frozen(kw_only=True)
class PageNumber:
    """``?page=N&per_page=M``. Ends when the total is reached; where no total is sent, at the
    first short or empty page (the only signal left); where the envelope has a next link and no
    total, when the next link is absent."""

    page_param: str = "page"
    size_param: str = "per_page"
    first_page: int = 1
    default_size: int | None = None
    max_size: int | None = None

    def _request(self, url: URL, number: int, size: int | None, index: int) -> PageRequest:
        q: dict[str, str] = {self.page_param: str(number)}
        if size is not None:
            q[self.size_param] = str(size)
        return PageRequest(url.update_query(q), index, {"page": number}, size)

    def first(self, url: URL, page_size: int | None, resume: ResumePoint | None) -> PageRequest:
        # A caller who put the vendor's own parameters in the query (``per_page=50``, ``page=3``)
        # gets them: they are the page size and the first page, unless page_size=/resume say.
        if page_size is None:
            page_size = _int_param(url, self.size_param)
        size = _clamp(page_size, self.default_size, self.max_size)
        number = int(resume["page"]) if resume and "page" in resume else self.first_page
        if not resume:
            number = _int_param(url, self.page_param) or number
        if resume and "size" in resume:
            size = int(resume["size"])
        return self._request(url, number, size, 0)

    def _number(self, request: PageRequest) -> int:
        return int(request.resume["page"])

    def _before(self, request: PageRequest) -> int:
        return (self._number(request) - self.first_page) * (request.size or 0)

    def next(self, request: PageRequest, page: RawPage) -> PageRequest | None:
        n = len(page.records)
        if n == 0:
            return None
        size = _effective_size(request, page, self._before(request))
        number = self._number(request)
        if page.total is not None:
            seen = (number - self.first_page) * (size or n) + n
            if seen >= page.total:
                return None
        elif page.next_declared:
            if page.next is None:
                return None  # a present next link says more exists, even after a short page
        elif size is not None and n < size:
            return None
        nxt = self._request(request.url, number + 1, size, request.index + 1)
        if size != request.size:
            nxt = attrs.evolve(nxt, resume={**nxt.resume, "size": size})
        return nxt

    def fan_out(self, request: PageRequest, page: RawPage) -> Iterator[PageRequest] | None:
        if page.total is None or not page.records:
            return None
        size = _effective_size(request, page, self._before(request)) or len(page.records)
        number = self._number(request)
        done = (number - self.first_page) * size + len(page.records)
        remaining = max(0, page.total - done)
        count = -(-remaining // size)
        url = request.url

        def gen() -> Iterator[PageRequest]:
            for i in range(1, count + 1):
                r = self._request(url, number + i, size, request.index + i)
                yield (
                    r
                    if size == request.size
                    else attrs.evolve(r, resume={**r.resume, "size": size})
                )

        return gen()


@attrs.frozen(kw_only=True)
class OffsetLimit:
    """``?offset=N&limit=M``. The next offset counts the records actually received, so a server
    that caps ``limit`` never makes us skip any."""

    offset_param: str = "offset"
    limit_param: str = "limit"
    default_size: int | None = None
    max_size: int | None = None

    def _request(self, url: URL, offset: int, size: int | None, index: int) -> PageRequest:
        q: dict[str, str] = {self.offset_param: str(offset)}
        if size is not None:
            q[self.limit_param] = str(size)
        return PageRequest(url.update_query(q), index, {"offset": offset}, size)

    def first(self, url: URL, page_size: int | None, resume: ResumePoint | None) -> PageRequest:
        # As with PageNumber: the vendor's own ``limit=``/``offset=`` in the caller's query are
        # the page size and the starting offset, unless page_size=/resume say otherwise.
        if page_size is None:
            page_size = _int_param(url, self.limit_param)
        size = _clamp(page_size, self.default_size, self.max_size)
        if resume and "offset" in resume:
            offset = int(resume["offset"])
        else:
            offset = max(0, _int_param(url, self.offset_param) or 0)
        return self._request(url, offset, size, 0)

    def next(self, request: PageRequest, page: RawPage) -> PageRequest | None:
        n = len(page.records)
        if n == 0:
            return None
        offset = int(request.resume["offset"]) + n
        if page.total is not None:
            if offset >= page.total:
                return None
        elif page.next_declared:
            if page.next is None:
                return None  # a present next link says more exists, even after a short page
        elif request.size is not None and n < request.size:
            return None
        return self._request(request.url, offset, request.size, request.index + 1)

    def fan_out(self, request: PageRequest, page: RawPage) -> Iterator[PageRequest] | None:
        if page.total is None or not page.records:
            return None
        offset = int(request.resume["offset"])
        size = _effective_size(request, page, offset) or len(page.records)
        start = offset + len(page.records)
        url, total, base_index = request.url, page.total, request.index

        def gen() -> Iterator[PageRequest]:
            for i, offset in enumerate(range(start, total, size), start=1):
                yield self._request(url, offset, request.size, base_index + i)

        return gen()


class Chained:
    """Several lists walked one after the other as one walk (the same query over one URL per
    category, say). Each URL's pages are walked by ``inner``; when one ends, the next URL starts
    from its first page. Resume points are ``inner``'s plus ``"chain": i`` (the URL's index).

    ``urls`` may be given later (filled in by the pager's lazy ``url`` callable before the first
    request, which must return ``urls[0]``). The walk never fans out; ``total`` is per list, so a
    fetch should drop it (``attrs.evolve(page, total=None)``)."""

    def __init__(self, inner: Paginator, urls: Sequence[URL] = ()) -> None:
        self.inner = inner
        self.urls: list[URL] = list(urls)

    def first(self, url: URL, page_size: int | None, resume: ResumePoint | None) -> PageRequest:
        i = int(resume.get("chain", 0)) if resume else 0
        inner_resume = {k: v for k, v in resume.items() if k != "chain"} if resume else None
        req = self.inner.first(self.urls[i], page_size, inner_resume or None)
        return attrs.evolve(req, resume={**req.resume, "chain": i})

    def next(self, request: PageRequest, page: RawPage) -> PageRequest | None:
        i = int(request.resume.get("chain", 0))
        nxt = self.inner.next(request, page)
        if nxt is not None:
            return attrs.evolve(nxt, resume={**nxt.resume, "chain": i})
        if i + 1 >= len(self.urls):
            return None
        req = self.inner.first(self.urls[i + 1], request.size, None)
        return PageRequest(req.url, request.index + 1, {**req.resume, "chain": i + 1}, req.size)

    def fan_out(self, request: PageRequest, page: RawPage) -> Iterator[PageRequest] | None:
        return None


Fetch = Callable[[URL], Awaitable[RawPage]]


def _key(url: URL) -> str:
    return str(url.with_query(sorted(url.query.items())).with_fragment(None))


class Pager(Generic[T]):
    """Walks a paginated list. Nothing is fetched until it is iterated.

    ``async for record in pager``, ``async for page in pager.pages()``, ``await pager.all()``.
    ``resume_point`` is where the walk would continue (None once it is complete);
    ``pager.resume(point)`` is a new pager starting there. Resume points are page-granular: a
    page counts as consumed once it has been handed over (iterating records: its last record), so
    a walk stopped after a page continues with the next one. A page cut short by ``max_items``
    is not consumed: the walk continues at it again, never after it.
    """

    def __init__(
        self,
        *,
        fetch: Fetch,
        paginator: Paginator,
        url: URL | Callable[[], Awaitable[URL]],
        origin: URL,
        transform: Callable[[Any], T],
        page_size: int | None = None,
        max_items: int | None = None,
        max_pages: int | None = None,
        concurrency: int = 1,
        resume: ResumePoint | None = None,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        if max_items is not None and max_items < 0:
            raise ValueError("max_items must be >= 0")
        if max_pages is not None and max_pages < 1:
            raise ValueError("max_pages must be at least 1")
        self._fetch = fetch
        self._paginator = paginator
        self._url = url
        self._origin = origin
        self._transform = transform
        self.page_size = page_size
        self.max_items = max_items
        self.max_pages = max_pages
        self.concurrency = concurrency
        self._start = resume
        self._resume: ResumePoint | None = dict(resume) if resume else None
        self._started = False
        self._done = False

    def __repr__(self) -> str:
        where = redact_url(self._url) if isinstance(self._url, URL) else "(lazy URL)"
        return f"<Pager {where} concurrency={self.concurrency}>"

    @property
    def resume_point(self) -> ResumePoint | None:
        """Where this walk continues: the next link, cursor, page or offset not yet consumed.
        None before the walk starts (from the beginning, or from the point it was given) and once
        it is complete; ``done`` tells the two apart."""
        return None if self._resume is None else dict(self._resume)

    @property
    def done(self) -> bool:
        """True once every page has been consumed."""
        return self._done

    async def _first_request(self) -> PageRequest:
        url = self._url if isinstance(self._url, URL) else await self._url()
        return self._paginator.first(url, self.page_size, self._start)

    def resume(self, point: ResumePoint | None) -> Pager[T]:
        """A fresh pager with the same settings that starts at ``point`` (None: the beginning)."""
        return Pager(
            fetch=self._fetch,
            paginator=self._paginator,
            url=self._url,
            origin=self._origin,
            transform=self._transform,
            page_size=self.page_size,
            max_items=self.max_items,
            max_pages=self.max_pages,
            concurrency=self.concurrency,
            resume=point,
        )

    def __aiter__(self) -> AsyncIterator[T]:
        return self._records()

    async def _records(self) -> AsyncIterator[T]:
        async for page in self.pages():
            if not page.records:
                continue
            # Until its last record is handed over, the walk would continue at this page.
            after, done = self._resume, self._done
            self._resume, self._done = dict(page.resume), False
            for record in page.records[:-1]:
                yield record
            self._resume, self._done = after, done
            yield page.records[-1]

    async def all(self) -> list[T]:
        """Every record (up to ``max_items``) as a list."""
        return [r async for r in self]

    def _check(self, request: PageRequest, seen: set[str]) -> None:
        """Refuse a foreign origin or a repeated URL before anything is sent."""
        if not same_origin(self._origin, request.url):
            raise PaginationError(
                f"next page link {redact_url(request.url)} is not on {redact_url(self._origin)}; "
                "refusing to follow it"
            )
        key = _key(request.url)
        if key in seen:
            raise PaginationError(
                f"pagination loop: {redact_url(request.url)} was already fetched in this walk"
            )
        seen.add(key)

    def _page(self, request: PageRequest, raw: RawPage, left: int | None) -> Page[T]:
        records = raw.records if left is None else raw.records[: max(0, left)]
        return Page([self._transform(r) for r in records], raw.total, request.index, request.resume)

    async def pages(self) -> AsyncIterator[Page[T]]:
        """Each page in order; the last one is truncated to ``max_items``."""
        if self._started:
            raise RuntimeError("a Pager can be iterated once; use pager.resume(point) to restart")
        self._started = True
        if self.max_items == 0:
            return
        seen: set[str] = set()
        request = await self._first_request()
        self._resume = dict(request.resume)
        self._check(request, seen)
        raw = await self._fetch(request.url)
        fan = (
            self._paginator.fan_out(request, raw)
            if self.concurrency > 1 and raw.total is not None
            else None
        )
        walk = (
            self._fanned(request, raw, fan, seen)
            if fan is not None
            else self._sequential(request, raw, seen)
        )
        left = self.max_items
        pages = 0
        async with contextlib.aclosing(walk):
            async for req, page_raw, nxt in walk:
                page = self._page(req, page_raw, left)
                pages += 1
                if left is not None:
                    left -= len(page.records)
                done = (
                    nxt is None
                    or (left is not None and left <= 0)
                    or (self.max_pages is not None and pages >= self.max_pages)
                )
                if len(page.records) < len(page_raw.records):
                    # Cut short by max_items: the rest of this page was never handed over.
                    self._resume, self._done = dict(req.resume), False
                else:
                    self._resume = None if nxt is None else dict(nxt.resume)
                    self._done = nxt is None
                yield page
                if done:
                    return

    def _budget(self) -> int | None:
        """How many pages may be fetched after the first (None: no cap)."""
        return None if self.max_pages is None else self.max_pages - 1

    async def _sequential(
        self, request: PageRequest, raw: RawPage, seen: set[str]
    ) -> AsyncGenerator[tuple[PageRequest, RawPage, PageRequest | None], None]:
        """One page ahead: the next page is in flight while the caller reads this one."""
        budget = self._budget()
        received = 0
        pending: asyncio.Task[RawPage] | None = None
        try:
            while True:
                received += len(raw.records)
                nxt = self._paginator.next(request, raw)
                more_wanted = (self.max_items is None or received < self.max_items) and (
                    budget is None or budget > 0
                )
                if nxt is not None and more_wanted:
                    self._check(nxt, seen)
                    pending = asyncio.ensure_future(self._fetch(nxt.url))
                    if budget is not None:
                        budget -= 1
                yield request, raw, nxt
                if pending is None or nxt is None:
                    return
                request, raw = nxt, await pending
                pending = None
        finally:
            if pending is not None:
                await _discard([pending])

    async def _fanned(
        self,
        request: PageRequest,
        raw: RawPage,
        requests: Iterator[PageRequest],
        seen: set[str],
    ) -> AsyncGenerator[tuple[PageRequest, RawPage, PageRequest | None], None]:
        """The first page, then the rest fetched ``concurrency`` at a time, yielded in order.
        Memory holds at most ``concurrency`` pages however large the total."""
        window: deque[tuple[PageRequest, asyncio.Task[RawPage]]] = deque()
        peeked: deque[PageRequest] = deque()
        budget = self._budget()
        expected = len(raw.records)

        def upcoming() -> PageRequest | None:
            if not peeked:
                nxt = next(requests, None)
                if nxt is None:
                    return None
                peeked.append(nxt)
            return peeked[0]

        def fill() -> None:
            nonlocal budget, expected
            while len(window) < self.concurrency:
                if budget is not None and budget <= 0:
                    return
                if self.max_items is not None and expected >= self.max_items:
                    return
                req = upcoming()
                if req is None:
                    return
                peeked.popleft()
                self._check(req, seen)
                window.append((req, asyncio.ensure_future(self._fetch(req.url))))
                expected += req.size or len(raw.records) or 1
                if budget is not None:
                    budget -= 1

        try:
            fill()
            while True:
                nxt = window[0][0] if window else upcoming()
                yield request, raw, nxt
                if not window:
                    return
                request, task = window.popleft()
                raw = await task
                fill()
        finally:
            await _discard([task for _, task in window])


async def _discard(tasks: list[asyncio.Future[Any]]) -> None:
    """Cancel fetches nobody will read and wait for them to end (so no connection outlives the
    walk), without raising their errors; a cancellation of the caller itself still propagates."""
    for task in tasks:
        task.cancel()
    if tasks:
        await asyncio.wait(tasks)
    for task in tasks:
        if not task.cancelled():
            task.exception()  # retrieved: no "exception was never retrieved" warning


def merge_params(url: URL, params: Mapping[str, Any] | None) -> URL:
    """``url`` plus ``params``: lists become repeated keys, booleans lower-case, None dropped."""
    if not params:
        return url
    items: list[tuple[str, str]] = []
    for k, v in params.items():
        if v is None:
            continue
        values = v if isinstance(v, list | tuple) else [v]
        for one in values:
            items.append((k, _param(one)))
    keys = {k for k, _ in items}
    kept = [(k, v) for k, v in url.query.items() if k not in keys]
    return url.with_query(kept + items)


def _param(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)

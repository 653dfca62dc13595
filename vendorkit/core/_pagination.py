"""Pagination: pure strategies that say what to fetch next, and the ``Pager`` that fetches.

A strategy (``NextLink``, ``PageNumber``, ``OffsetLimit``) is a frozen value with no I/O. Given the
request just made and the page it returned, ``next`` answers the next ``PageRequest`` or ``None``:
that is *the* walk. Where a page reveals the total, ``fan_out`` also predicts the requests that
would follow if every page were full and the total held, so the ``Pager`` can fetch ahead. Every
request carries its *resume point* (``{"url": ...}``, ``{"cursor": ...}``, ``{"page": n}``,
``{"offset": n}``), a JSON-able value from which a walk can be started again.

``Pager`` is the I/O shell. Whatever the concurrency, it walks exactly the requests ``next``
answers, one after the other; concurrency only lets it fetch *predicted* requests early. A
prediction is used only if it is the very request ``next`` answers once the page before it has
been read; otherwise the fetches ahead are cancelled and the walk goes on from what ``next`` said.
So ``concurrency=1`` and ``concurrency=8`` return the same records from any server whose answer
depends only on the URL asked, and a fanned walk never runs more than ``concurrency`` requests past
the point where the pages say the list has ended (a lying total cannot make it send more).

How the signals are read (the same rules, documented in docs/clients.md, for every vendor):

- ``NextLink``: follow the next link or cursor while there is one.
- ``PageNumber``: continue while the total says a next page exists (page ``p + 1`` starts at
  ``(p - first + 1) * size``, fewer than the total), or while a next link is present; with neither
  a total nor a place for links, while pages are full. The page size is learned from the list's
  first page only: if it brings fewer records than asked while a total or link says more exist,
  the server capped the size and the walk continues at the server's size.
- ``OffsetLimit``: the next offset counts the records received; continue while it is below the
  total, or while a next link is present; with neither, while pages are full. An empty page ends
  the walk (nothing is at that offset, so nothing is after it).
- Everywhere: ``EMPTY_PAGE_LIMIT`` empty pages in a row end a list whatever the total or links
  claim; a page whose envelope says the list is not paginated (``RawPage.unpaged``) is the whole
  list; a page equal to an earlier page, or one the beginning of the other with the page
  before, is a ``PaginationError`` (the server ignores the paging parameters, and going on would
  only repeat records); a page whose first records repeat the end of the page before has that
  overlap dropped, so each record is handed over once, but only as far as the list provably
  grew while it was walked (at most as many records as its total rose since the page before);
  otherwise equal records are all kept.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import re
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

from vendorkit import _json
from vendorkit.errors import ClientStateError, ConfigurationError, PaginationError

from ._envelope import RawPage, show_value
from ._readahead import read_ahead
from ._redact import redact_url
from ._urls import merge_params
from ._wire import same_origin

__all__ = [
    "EMPTY_PAGE_LIMIT",
    "MAX_CONCURRENCY",
    "MAX_COUNT",
    "Chained",
    "NextLink",
    "OffsetLimit",
    "Page",
    "PageNumber",
    "PageRequest",
    "Pager",
    "Paginator",
    "ResumePoint",
    "check_walk_options",
    "merge_params",
    "resolve_link",
]

log = logging.getLogger("vendorkit")

T = TypeVar("T")
ResumePoint = dict[str, Any]

# A walk never has more pages in flight than this, whatever ``concurrency=`` asks: more would
# only queue behind the client's connection limit (20 by default) and hold more pages in memory.
MAX_CONCURRENCY = 32
# This many empty pages in a row end a list, whatever its total or next links claim: a server
# whose total says 10**9 while it serves nothing is believed for a few pages, not for 10**9.
EMPTY_PAGE_LIMIT = 3


# Sizes, positions and caps beyond this are nonsense, and past ~4300 digits Python cannot even
# write them into a URL: refused rather than failing later with a bare ValueError.
MAX_COUNT = 2**63 - 1


def _count(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigurationError(f"{name} must be an integer, got a {type(value).__name__}")
    if value < minimum:
        raise ConfigurationError(f"{name} must be at least {minimum}, got {show_value(value)}")
    if value > MAX_COUNT:
        raise ConfigurationError(f"{name} must be at most 2**63 - 1, got {show_value(value)}")
    return value


def check_walk_options(
    *,
    page_size: Any = None,
    max_items: Any = None,
    max_pages: Any = None,
    concurrency: Any = 1,
    resume: Any = None,
) -> int:
    """Validate a walk's options before anything is sent; returns the concurrency to use.

    ``page_size`` >= 1, ``max_items`` >= 0, ``max_pages`` >= 1 (each an ``int`` or None) and
    ``concurrency`` >= 1 (an ``int``; above ``MAX_CONCURRENCY`` it is clamped to it), none above
    ``MAX_COUNT``. ``True``, ``"5"`` and ``2.5`` are not integers here. ``resume`` is None or a
    mapping (a resume point). Anything else raises ``ConfigurationError``."""
    if page_size is not None:
        _count("page_size", page_size, 1)
    if max_items is not None:
        _count("max_items", max_items, 0)
    if max_pages is not None:
        _count("max_pages", max_pages, 1)
    if resume is not None and not isinstance(resume, Mapping):
        raise ConfigurationError(
            f"resume must be a resume point (a dict) or None, got a {type(resume).__name__}"
        )
    return min(_count("concurrency", concurrency, 1), MAX_CONCURRENCY)


# -- links ------------------------------------------------------------------------------------

# No real link holds these raw: C0 controls and DEL, a backslash (which browsers read as "/", so
# ``/\evil.example`` is another host to them and a path to yarl: refuse the ambiguity), and lone
# surrogates (which cannot be encoded, and which yarl silently drops).
_BAD_LINK_CHARS = re.compile("[\x00-\x1f\x7f\\\\\ud800-\udfff]")
_SURROGATES = re.compile("[\ud800-\udfff]")
_SPACE = " \t\r\n\f\v"


def _describe_link(text: str) -> str:
    """A link for an error message: no query (it may carry a token), no user-info, bounded."""
    shown = re.sub(r"//[^/@?#]*@", "//***@", text.split("?", 1)[0].split("#", 1)[0])
    shown = ascii(shown[:100] + ("..." if len(shown) > 100 else ""))
    return shown + (" (query not shown)" if "?" in text else "")


def resolve_link(base: URL, value: object) -> URL:
    """The absolute URL a next link points to: ``value`` (absolute, a path, or a bare ``?query``)
    read against ``base``, the URL of the page it came from, with surrounding ASCII whitespace
    dropped. The link's query replaces ``base``'s: nothing carries over.

    Raises ``PaginationError`` (never a yarl ``ValueError`` or a ``UnicodeError``) for anything
    that is not a usable http(s) link: a non-string, an empty string, a control character, a
    backslash or a lone surrogate anywhere, an invalid host or IPv6 literal, a port outside
    0-65535, or a scheme other than http/https. Whether the link is on the right origin is the
    caller's check (``same_origin``)."""
    if not isinstance(value, str):
        kind = type(value).__name__
        raise PaginationError(f"malformed page: next link is a {kind}, not a string")
    text = value.strip(_SPACE)
    if not text:
        raise PaginationError("malformed page: next link is empty")
    if _BAD_LINK_CHARS.search(text):
        raise PaginationError(
            f"malformed page: next link {_describe_link(text)} holds a control character, a "
            "backslash or a lone surrogate"
        )
    try:
        target = base.join(URL(text))
        # yarl decodes the host and the port lazily: ask now, so a bad one fails here.
        host, _ = target.host, target.port
        str(target)
    except (ValueError, TypeError):  # UnicodeError is a ValueError
        raise PaginationError(
            f"malformed page: next link {_describe_link(text)} is not a valid URL"
        ) from None
    if target.scheme.lower() not in ("http", "https") or not host:
        raise PaginationError(
            f"malformed page: next link {_describe_link(text)} is not an http(s) URL"
        )
    return target


def _is_cursor(value: str) -> bool:
    """Whether a next value is an opaque cursor rather than a link (absolute, path or ?query)."""
    text = value.lstrip(_SPACE)
    return "://" not in text and not text.startswith(("/", "?"))


def _check_cursor(value: str) -> str:
    if _SURROGATES.search(value):
        raise PaginationError("malformed page: next cursor holds a lone surrogate")
    return value


# -- resume points ----------------------------------------------------------------------------


def _bad_resume(resume: Mapping[str, Any], why: str) -> ConfigurationError:
    keys = ", ".join(sorted(str(k) for k in resume))[:100]
    return ConfigurationError(f"resume point with keys [{keys}] is not one this walk made: {why}")


def _resume_int(resume: Mapping[str, Any], key: str, minimum: int) -> int:
    value = resume[key]
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= MAX_COUNT:
        raise _bad_resume(resume, f"{key} must be an integer >= {minimum}")
    return value


def _resume_url(resume: Mapping[str, Any]) -> URL:
    value = resume["url"]
    try:
        if not isinstance(value, str) or _BAD_LINK_CHARS.search(value):
            raise ValueError(value)
        url = URL(value)
        if not url.is_absolute() or not url.host or url.port is None:
            raise ValueError(value)
        str(url)
    except (ValueError, TypeError):
        raise _bad_resume(resume, "url must be an absolute URL") from None
    return url


def _resume_cursor(resume: Mapping[str, Any]) -> str:
    value = resume["cursor"]
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            value = str(value)
        except ValueError:  # more digits than Python writes
            raise _bad_resume(resume, "cursor must be a string") from None
    if not isinstance(value, str) or _SURROGATES.search(value):
        raise _bad_resume(resume, "cursor must be a string")
    return value


# -- requests and pages -----------------------------------------------------------------------


@attrs.frozen
class PageRequest:
    """One page to fetch: the absolute URL, its 0-based index in the walk, and its resume point."""

    url: URL
    index: int
    resume: ResumePoint
    # The page size actually asked for (None where the style has none).
    size: int | None = None
    # How many empty pages of the same list came right before this one (EMPTY_PAGE_LIMIT).
    empties: int = 0


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
        """The requests ``next`` would answer after ``request`` if every page were like ``page``
        (full, same total), in order; None where nothing can be predicted. A prediction only
        lets the pager fetch early: a wrong one costs requests, never records."""


def _clamp(size: int | None, default: int | None, maximum: int | None) -> int | None:
    if size is not None:
        _count("page_size", size, 1)
    value = size if size is not None else default
    if value is not None and maximum is not None:
        value = min(value, maximum)
    return value


def _empties(request: PageRequest, page: RawPage) -> int:
    """Empty pages in a row, counting ``page``."""
    return 0 if page.records else request.empties + 1


@attrs.frozen(kw_only=True)
class NextLink:
    """Follow the envelope's next value: an URL (absolute, or relative: a path or a bare
    ``?query``), or with ``cursor_param`` set, an opaque cursor placed in that query parameter
    (a value that is not URL-like). The walk ends when it is absent, or after
    ``EMPTY_PAGE_LIMIT`` empty pages in a row. No total is used, so nothing is predicted."""

    size_param: str | None = None
    default_size: int | None = None
    max_size: int | None = None
    cursor_param: str | None = None

    def first(self, url: URL, page_size: int | None, resume: ResumePoint | None) -> PageRequest:
        size = _clamp(page_size, self.default_size, self.max_size)
        base = url.update_query({self.size_param: str(size)}) if self.size_param and size else url
        if resume and "url" in resume:
            target = _resume_url(resume)
            return PageRequest(target, 0, {"url": str(target)}, size)
        if resume and "cursor" in resume and self.cursor_param:
            cursor = _resume_cursor(resume)
            target = base.update_query({self.cursor_param: cursor})
            return PageRequest(target, 0, {"cursor": cursor}, size)
        return PageRequest(base, 0, {"url": str(base)}, size)

    def next(self, request: PageRequest, page: RawPage) -> PageRequest | None:
        if page.next is None:
            return None
        empties = _empties(request, page)
        if empties >= EMPTY_PAGE_LIMIT:
            return None
        value = page.next
        if self.cursor_param and isinstance(value, str) and _is_cursor(value):
            cursor = _check_cursor(value)
            target = request.url.update_query({self.cursor_param: cursor})
            return PageRequest(target, request.index + 1, {"cursor": cursor}, request.size, empties)
        # A next link is followed exactly as given: its query replaces ours, nothing carries over.
        target = resolve_link(request.url, value)
        return PageRequest(target, request.index + 1, {"url": str(target)}, request.size, empties)

    def fan_out(self, request: PageRequest, page: RawPage) -> Iterator[PageRequest] | None:
        return None


def _int_param(url: URL, name: str) -> int | None:
    """The integer value of query parameter ``name``, or None (absent or not an integer)."""
    value = url.query.get(name)
    try:
        return None if value is None else int(value)
    except ValueError:
        return None


@attrs.frozen(kw_only=True)
class PageNumber:
    """``?page=N&per_page=M``. Continues while the total says page N+1 exists or a next link is
    present; with neither a total nor a place for links, while pages are full. The page size is
    learned from the list's first page (a server that caps it is followed at its size)."""

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
        if resume and "page" in resume:
            number = _resume_int(resume, "page", self.first_page)
        else:
            number = _int_param(url, self.page_param) or self.first_page
            number = max(number, self.first_page)
        if resume and "size" in resume:
            size = _resume_int(resume, "size", 1)
        return self._request(url, number, size, 0)

    def _number(self, request: PageRequest) -> int:
        return int(request.resume["page"])

    def _size_after(self, request: PageRequest, page: RawPage) -> int | None:
        """The page size to continue with. Only the list's first page can teach it: there a
        short page while the total or a next link says more exist means the server capped the
        size (its records are the first ones at any size). Learned later, page N at the new size
        would start somewhere else and repeat or skip records."""
        n = len(page.records)
        if request.size is None:
            return n or None
        if self._number(request) == self.first_page and 0 < n < request.size:
            more = (page.total is not None and n < page.total) or (
                page.next_declared and page.next is not None
            )
            if more:
                return n
        return request.size

    def _continues(self, number: int, size: int | None, page: RawPage) -> bool:
        total = page.total
        if total is not None and size is not None and (number - self.first_page + 1) * size < total:
            return True
        if page.next_declared:
            return page.next is not None  # a present next link says more exist, whatever else
        if total is not None:
            return False
        return size is not None and len(page.records) >= size

    def _following(
        self, request: PageRequest, number: int, size: int | None, index: int, empties: int = 0
    ) -> PageRequest:
        nxt = self._request(request.url, number, size, index)
        if size is not None and (size != request.size or "size" in request.resume):
            # A learned size is part of where the walk is: page N at size M is only page N at M.
            nxt = attrs.evolve(nxt, resume={**nxt.resume, "size": size})
        return attrs.evolve(nxt, empties=empties) if empties else nxt

    def next(self, request: PageRequest, page: RawPage) -> PageRequest | None:
        if page.unpaged:
            return None
        empties = _empties(request, page)
        if empties >= EMPTY_PAGE_LIMIT:
            return None
        number = self._number(request)
        size = self._size_after(request, page)
        if not self._continues(number, size, page):
            return None
        return self._following(request, number + 1, size, request.index + 1, empties)

    def fan_out(self, request: PageRequest, page: RawPage) -> Iterator[PageRequest] | None:
        if page.total is None or page.unpaged or not page.records:
            return None
        size = self._size_after(request, page)
        if size is None:
            return None
        number, total, first = self._number(request), page.total, self.first_page

        def gen() -> Iterator[PageRequest]:
            k = number + 1
            while (k - first) * size < total:
                yield self._following(request, k, size, request.index + k - number)
                k += 1

        return gen()


@attrs.frozen(kw_only=True)
class OffsetLimit:
    """``?offset=N&limit=M``. The next offset counts the records actually received, so a server
    that caps ``limit`` never makes us skip any. Continues while that offset is below the total
    or a next link is present; with neither, while pages are full. An empty page ends it."""

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
            offset = _resume_int(resume, "offset", 0)
        else:
            offset = max(0, _int_param(url, self.offset_param) or 0)
        return self._request(url, offset, size, 0)

    def next(self, request: PageRequest, page: RawPage) -> PageRequest | None:
        n = len(page.records)
        if page.unpaged or n == 0:
            return None  # nothing at this offset: nothing after it either
        offset = int(request.resume["offset"]) + n
        if page.total is not None and offset < page.total:
            more = True
        elif page.next_declared:
            more = page.next is not None  # a present next link says more exist
        elif page.total is not None:
            more = False
        else:
            more = request.size is None or n >= request.size
        return self._request(request.url, offset, request.size, request.index + 1) if more else None

    def fan_out(self, request: PageRequest, page: RawPage) -> Iterator[PageRequest] | None:
        if page.total is None or page.unpaged or not page.records:
            return None
        # Predicted: the server keeps serving as many records per page as it served here (its
        # cap, where it capped ``limit``).
        stride = len(page.records)
        start = int(request.resume["offset"]) + stride
        url, total, base_index, size = request.url, page.total, request.index, request.size

        def gen() -> Iterator[PageRequest]:
            for i, offset in enumerate(range(start, total, stride), start=1):
                yield self._request(url, offset, size, base_index + i)

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
        i = _resume_int(resume, "chain", 0) if resume and "chain" in resume else 0
        if i >= len(self.urls):
            raise _bad_resume(resume or {}, f"chain must be below {len(self.urls)}")
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
        # A new list: its empty-page count starts again.
        req = self.inner.first(self.urls[i + 1], request.size, None)
        return PageRequest(req.url, request.index + 1, {**req.resume, "chain": i + 1}, req.size)

    def fan_out(self, request: PageRequest, page: RawPage) -> Iterator[PageRequest] | None:
        return None


Fetch = Callable[[URL], Awaitable[RawPage]]


def _key(url: URL) -> str:
    return str(url.with_query(sorted(url.query.items())).with_fragment(None))


def _fingerprint(record: Any) -> bytes | None:
    """A record's canonical JSON, or None where it has none (absurdly deep, an integer of more
    digits than Python writes): such a record is simply not compared."""
    try:
        return _json.dumps_sorted(record)
    except (ValueError, TypeError, RecursionError):
        return None


class _RepeatGuard:
    """What a page repeats of what the walk already handed over.

    - A page equal to an earlier page in full, or whose records and those of the page before
      are one the beginning of the other, is that page again (a server that ignores the paging
      parameters, or a loop): the walk raises ``PaginationError``. Records alone cannot tell
      such a server from a list of equal records whose pages happen to be equal (``[a, a]
      [a, a]``); the walk refuses rather than risk repeating records for ever.
    - A page whose first records are the last records of the page before overlaps it, and that
      overlap is dropped, only where the list provably grew: on an offset or page-number walk,
      records inserted ahead of the window while it moves (a newest-first list that grows
      during an export) push as many records already handed over into the next page. The
      evidence is the total: the overlap dropped is at most how much the page's total rose
      since the page before. Without totals, or with a total that did not rise, nothing is
      dropped: equal records are simply equal records (two time entries of the same hours, rows
      without ids) and are all handed over. The paginator still counts the page as the server
      sent it.

    Memory is one digest per page plus the page before, not every record of the walk, so a
    record repeated further back is not detected. Work per page is linear in its records: one
    canonical JSON dump for the digest, one comparison with the page before, and an overlap
    search bounded by the growth (``_overlap``)."""

    def __init__(self) -> None:
        self.digests: set[tuple[int, int]] = set()
        self.previous: list[Any] = []
        self.previous_total: int | None = None

    def overlap(self, records: list[Any], total: int | None) -> int:
        """How many leading ``records`` repeat the end of the previous (non-empty) page and are
        explained by the list's growth (``total`` against that page's total); raises
        ``_Repeated`` for the same page again."""
        if not records:
            return 0
        previous, before = self.previous, self.previous_total
        self.previous, self.previous_total = records, total
        growth = 0 if total is None or before is None else max(0, total - before)
        shift = _overlap(previous, records, growth)
        digest = _digest(records)
        if shift:
            # The list grew; but grown by a whole page that comes back whole is still a repeat
            # (a server ignoring the paging parameters while its total rises would never end).
            if shift == len(previous) and shift == len(records):
                raise _Repeated()
        elif (digest is not None and digest in self.digests) or _one_starts_the_other(
            previous, records
        ):
            raise _Repeated()
        if digest is not None:
            self.digests.add(digest)
        return shift


class _Repeated(Exception):
    """A page that repeats an earlier one (inside the walk only)."""


def _digest(records: list[Any]) -> tuple[int, int] | None:
    """A page's records as one digest of their canonical JSON (keys sorted, so the same records
    sent again with their keys in another order, by a server that rebuilds them from a map, are
    still the same page); None where they have none. The digest is this process's ``hash`` of
    the bytes (64 bits, never compared across processes) and their length: two different pages
    of one walk collide with a chance near 2**-64 per pair, at a fraction of the cost of a
    cryptographic hash (measured: the canonical dump is most of the guard's cost)."""
    try:
        text = _json.dumps_sorted(records)
    except (ValueError, TypeError, RecursionError):
        return None
    return hash(text), len(text)


def _one_starts_the_other(previous: list[Any], records: list[Any]) -> bool:
    """Whether the shorter of two consecutive pages is the beginning of the longer."""
    m = min(len(previous), len(records))
    try:
        return m > 0 and previous[:m] == records[:m]
    except RecursionError:  # absurdly deep records: not provably the same
        return False


def _tokens(records: Sequence[Any]) -> list[object]:
    """Each record's fingerprint, or (where it has none) a token equal to nothing else."""
    return [fp if (fp := _fingerprint(r)) is not None else object() for r in records]


def _overlap(previous: list[Any], records: list[Any], bound: int) -> int:
    """The longest k <= ``bound`` with ``records[:k] == previous[-k:]`` (0: no overlap), records
    compared by canonical JSON. Only ``bound`` records of each page take part, and the search
    is Knuth-Morris-Pratt over them, so the work is linear in ``min(bound, page sizes)``
    whatever the records (pages of equal records included)."""
    m = min(bound, len(previous), len(records))
    if m <= 0:
        return 0
    pattern = _tokens(records[:m])
    text = _tokens(previous[len(previous) - m :])
    # fail[i]: the longest proper prefix of pattern[: i + 1] that is also its suffix.
    fail = [0] * m
    k = 0
    for i in range(1, m):
        while k and pattern[i] != pattern[k]:
            k = fail[k - 1]
        if pattern[i] == pattern[k]:
            k += 1
        fail[i] = k
    # Run the text through the automaton: the state at its end is the longest prefix of the
    # pattern that is a suffix of the text. Both have m tokens, so a full match ends the text.
    k = 0
    for token in text:
        while k and token != pattern[k]:
            k = fail[k - 1]
        if token == pattern[k]:
            k += 1
    return k


class Pager(Generic[T]):
    """Walks a paginated list. Nothing is fetched until it is iterated.

    ``async for record in pager``, ``async for page in pager.pages()``, ``await pager.all()``.
    ``resume_point`` is where the walk would continue (None once it is complete);
    ``pager.resume(point)`` is a new pager starting there. Resume points are page-granular: a
    page counts as consumed once it has been handed over (iterating records: its last record), so
    a walk stopped after a page continues with the next one. A page cut short by ``max_items``
    is not consumed: the walk continues at it again, never after it.

    Bad options raise ``ConfigurationError`` here, before anything is sent (see
    ``check_walk_options``); ``concurrency`` is clamped to ``MAX_CONCURRENCY``.
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
        concurrency = check_walk_options(
            page_size=page_size,
            max_items=max_items,
            max_pages=max_pages,
            concurrency=concurrency,
            resume=resume,
        )
        self._fetch = fetch
        self._paginator = paginator
        self._url = url
        self._origin = origin
        self._transform = transform
        self.page_size = page_size
        self.max_items = max_items
        self.max_pages = max_pages
        self.concurrency = concurrency
        self._start = dict(resume) if resume else None
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
            del page  # before the next is decoded (see ``_walk``)

    async def all(self) -> list[T]:
        """Every record (up to ``max_items``) as a list."""
        return [r async for r in self]

    def _check_origin(self, request: PageRequest) -> None:
        if not same_origin(self._origin, request.url):
            raise PaginationError(
                f"next page link {redact_url(request.url)} is not on {redact_url(self._origin)} "
                "(another origin); refusing to follow it"
            )

    def _check(self, request: PageRequest, seen: set[str]) -> None:
        """Refuse a foreign origin or a repeated URL before anything is sent."""
        self._check_origin(request)
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
            raise ClientStateError(
                "a Pager can be iterated once; use pager.resume(point) to restart"
            )
        self._started = True
        if self.max_items == 0:
            return
        seen: set[str] = set()
        request = await self._first_request()
        self._resume = dict(request.resume)
        self._check(request, seen)
        raw = await self._fetch(request.url)
        left = self.max_items
        pages = 0
        async with contextlib.aclosing(self._walk(request, raw, seen)) as walk:
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
                del page, page_raw  # before the next is decoded (see ``_walk``)

    def _plan(
        self, request: PageRequest, raw: RawPage, nxt: PageRequest
    ) -> tuple[Iterator[PageRequest] | None, int]:
        """The paginator's prediction of what follows ``nxt``, and how many records each
        predicted page is expected to bring; None where it predicts nothing or not ``nxt``."""
        if self.concurrency <= 1 or raw.total is None:
            return None, 1
        plan = self._paginator.fan_out(request, raw)
        if plan is None:
            return None, 1
        head = next(plan, None)
        if head is None or head.url != nxt.url:
            return None, 1
        return plan, max(1, len(raw.records))

    async def _walk(
        self, request: PageRequest, raw: RawPage, seen: set[str]
    ) -> AsyncGenerator[tuple[PageRequest, RawPage, PageRequest | None], None]:
        """The pages ``paginator.next`` leads to, one after the other, each with the request
        that follows it (None at the end), whatever the concurrency.

        Fetching is ahead of the consumer: the next page is always in flight while the caller
        reads this one, and with ``concurrency=N`` and a prediction (``fan_out``) up to N pages
        are. A page fetched ahead is used only if it is exactly the request ``next`` answers; a
        wrong prediction is cancelled and predicted again from the page at hand. Memory holds
        at most N pages however large the total, those fetched ahead as the bytes received
        (decoded in their turn: ``_readahead``)."""
        pending: deque[tuple[PageRequest, asyncio.Event, asyncio.Future[RawPage]]] = deque()
        plan: Iterator[PageRequest] | None = None
        stride = 1
        walked = 1  # pages of this walk so far, the current one included
        received = 0
        guard = _RepeatGuard()

        def ahead(req: PageRequest) -> None:
            """Fetch ``req`` ahead; its body is decoded only when its turn is set (popped)."""
            turn = asyncio.Event()
            fetch = functools.partial(self._fetch, req.url)
            pending.append((req, turn, asyncio.ensure_future(read_ahead(turn, fetch))))

        def top_up() -> None:
            """Start predicted fetches while the window, ``max_pages`` and ``max_items`` allow."""
            nonlocal plan
            room = self.concurrency
            if self.max_pages is not None:
                room = min(room, self.max_pages - walked)
            while plan is not None and len(pending) < room:
                if self.max_items is not None and received + len(pending) * stride >= (
                    self.max_items
                ):
                    return
                req = next(plan, None)
                if req is None or not same_origin(self._origin, req.url) or _key(req.url) in seen:
                    plan = None
                    return
                ahead(req)

        try:
            while True:
                try:
                    overlap = guard.overlap(raw.records, raw.total)
                except _Repeated:
                    raise PaginationError(
                        f"{redact_url(request.url)} repeats records of an earlier page: the "
                        "server does not honour the paging parameters"
                    ) from None
                received += len(raw.records) - overlap
                nxt = self._paginator.next(request, raw)
                if nxt is None and not raw.records and request.empties + 1 >= EMPTY_PAGE_LIMIT:
                    log.warning(
                        "vendorkit: %s: %d empty pages in a row; the list is taken as ended "
                        "(its total said %s)",
                        redact_url(request.url),
                        request.empties + 1,
                        raw.total,
                    )
                wanted = (
                    nxt is not None
                    and (self.max_items is None or received < self.max_items)
                    and (self.max_pages is None or walked < self.max_pages)
                )
                if nxt is not None and wanted:
                    self._check(nxt, seen)
                    if not pending or pending[0][0].url != nxt.url:
                        # Nothing fetched ahead, or not what the walk needs: start from ``nxt``.
                        await _discard([task for _, _, task in pending])
                        pending.clear()
                        plan, stride = self._plan(request, raw, nxt)
                        ahead(nxt)
                    top_up()
                else:
                    await _discard([task for _, _, task in pending])
                    pending.clear()
                if overlap:
                    log.info(
                        "vendorkit: %s: %d record(s) repeat the end of the page before (the list "
                        "grew while it was walked); handed over once",
                        redact_url(request.url),
                        overlap,
                    )
                yield (
                    request,
                    (attrs.evolve(raw, records=raw.records[overlap:]) if overlap else raw),
                    nxt,
                )
                if nxt is None or not wanted:
                    return
                _, turn, task = pending.popleft()
                turn.set()
                # Dropped before the next page is decoded (here and by every layer above): as
                # objects a walk holds the page being handed over and, in the repeat guard, the
                # records of the page before it; pages fetched ahead wait as bytes.
                del raw
                request, raw = nxt, await task
                walked += 1
        finally:
            await _discard([task for _, _, task in pending])


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

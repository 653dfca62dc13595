"""Walks: every list a client reads goes through one ``Pager``, built here.

A walk is a first URL (known now, or only when the walk starts: a link read from a record), a way
to fetch one page (a checked GET read by the envelope, unless an adapter's odd list needs its
own), and a paginator. ``walk`` builds that one Pager for a plain list, a child list, a lazy or
chained walk and ``read_all``'s link-following read alike, so the Pager's rules (next links on the
vendor's origin only, no URL fetched twice, no page repeating an earlier one, an end after
``EMPTY_PAGE_LIMIT`` empty pages, redacted URLs in its errors) hold for every one of them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypedDict, TypeVar, Unpack

import attrs
from yarl import URL

from ._envelope import Envelope, RawPage
from ._pagination import Fetch, NextLink, Pager, Paginator, ResumePoint
from ._query import LIST_OPTIONS, checked_query, paginator_params

__all__ = [
    "PAGER_KEYS",
    "GetBody",
    "ListOptions",
    "WalkOptions",
    "checked_list_call",
    "identity",
    "read_all",
    "split_pager_args",
    "walk",
]

T = TypeVar("T")

#: A walk's own options, as a list call takes them among its filters.
PAGER_KEYS = ("page_size", "max_items", "concurrency", "max_pages", "resume")


class WalkOptions(TypedDict, total=False):
    """A walk's own options, as ``Pager`` takes them (checked there, before anything is sent)."""

    page_size: int | None
    max_items: int | None
    max_pages: int | None
    concurrency: int
    resume: ResumePoint | None


class ListOptions(WalkOptions, total=False):
    """Every ``list()``'s own keyword options (a resource's filters come besides): for adapters
    whose list methods take ``**kwargs: Unpack[...]`` of these and their filters."""

    headers: Mapping[str, str] | None
    params: Mapping[str, Any] | None


GetBody = Callable[[URL, Mapping[str, str] | None], Awaitable[Any]]
"""A checked GET of a URL (with extra headers) returning the decoded JSON body."""


def identity(x: Any) -> Any:
    return x


def split_pager_args(params: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    """Take the walk's options (``page_size``, ``max_items``, ...) and ``headers`` out of a list
    call's ``params``; what remains is the query."""
    pager_args = {k: params.pop(k) for k in PAGER_KEYS if k in params}
    return pager_args, params.pop("headers", None)


def checked_list_call(
    where: str,
    kwargs: Mapping[str, Any],
    *,
    filters: frozenset[str] | set[str] | tuple[str, ...] = (),
    paginator: Paginator | None = None,
) -> tuple[dict[str, Any], dict[str, Any], Any]:
    """A list call's keywords as ``(query, walk options, headers)``: what ``split_pager_args``
    gives, with every remaining keyword checked against ``filters`` (plus ``paginator``'s own
    query parameters) and ``params=`` merged in as given, as a resource's ``list()`` checks
    them. For adapters' own list methods (a child list, a relation), so a misspelt option is a
    ``ConfigurationError`` there too instead of a query parameter the server ignores."""
    rest = dict(kwargs)
    pager_args, headers = split_pager_args(rest)
    params = rest.pop("params", None)
    extra = paginator_params(paginator) - set(LIST_OPTIONS) if paginator is not None else set()
    accepted = frozenset({*filters, *extra})
    return (
        checked_query(where, rest, params, accepted=accepted, options=LIST_OPTIONS),
        pager_args,
        headers,
    )


def walk(
    *,
    get: GetBody,
    url: URL | Callable[[], Awaitable[URL]],
    origin: URL,
    envelope: Envelope,
    paginator: Paginator,
    transform: Callable[[Any], T],
    headers: Mapping[str, str] | None = None,
    fetch: Fetch | None = None,
    first_page: RawPage | None = None,
    **options: Unpack[WalkOptions],
) -> Pager[T]:
    """The Pager of one walk. Pages are ``get`` + ``envelope`` unless ``fetch`` replaces them;
    ``first_page`` is a page already read at ``url`` (served instead of fetching it again)."""
    pending = [first_page] if first_page is not None else []

    async def get_page(target: URL) -> RawPage:
        if pending:
            return pending.pop()
        return envelope.page(await get(target, headers))

    return Pager(
        fetch=fetch or get_page,
        paginator=paginator,
        url=url,
        origin=origin,
        transform=transform,
        **options,
    )


async def read_all(
    *,
    get: GetBody,
    url: URL,
    origin: URL,
    envelope: Envelope,
    headers: Mapping[str, str] | None = None,
) -> Any:
    """GET ``url`` and return the unwrapped payload; a list is read to its last page along the
    envelope's next links (``NextLink``), by the same Pager every walk uses. So a
    link-following read always ends."""
    body = await get(url, headers)
    payload = envelope.unwrap(body) if body is not None else None
    if not isinstance(payload, list):
        return payload
    # The walk starts from the page already read (its records as unwrapped), not a new GET.
    first = attrs.evolve(envelope.page(body), records=payload)
    pager: Pager[Any] = walk(
        get=get,
        url=url,
        origin=origin,
        envelope=envelope,
        paginator=NextLink(),
        transform=identity,
        headers=headers,
        first_page=first,
    )
    return await pager.all()

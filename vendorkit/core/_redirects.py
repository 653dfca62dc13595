"""Where a redirect may lead: the redirect and origin guard. Pure: no I/O.

Credentials are sent only to the vendor's own origin, so a redirect is followed only there, only
for a read (a write's redirect is the vendor's answer, surfaced as the 3xx's ``APIError``), at
most ``MAX_REDIRECTS`` hops, and never to a URL already visited (a loop). A ``303 See Other``
after a write is different: the write was processed and the ``Location`` names its result, read
with a GET (``see_other_target``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Collection

from yarl import URL

from ._wire import same_origin

__all__ = ["MAX_REDIRECTS", "REDIRECT_STATUSES", "redirect_target", "see_other_target"]

MAX_REDIRECTS = 5
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_READS = frozenset({"GET", "HEAD"})


def _location(base: URL, location: str | None) -> URL | None:
    """``location`` resolved against ``base``; None when absent or unreadable."""
    if not location:
        return None
    with contextlib.suppress(ValueError, TypeError, UnicodeError):
        return base.join(URL(location))
    return None


def redirect_target(
    *,
    method: str,
    status: int,
    location: str | None,
    url: URL,
    origin: URL,
    visited: Collection[str],
    hops: int,
) -> URL | None:
    """The URL to follow a redirect to, or None to stop (the answer then stands as it is).

    ``location`` is the answer's ``Location`` header (None if absent), ``url`` the URL that
    answered, ``visited`` the URLs this attempt has sent to, ``hops`` the redirects followed.
    """
    if status not in REDIRECT_STATUSES or method not in _READS or hops >= MAX_REDIRECTS:
        return None
    if location is None:
        return None
    target = _location(url, location)
    if target is None:
        return None  # an unreadable Location: surfaces as the 3xx's APIError
    if not same_origin(origin, target):
        return None  # never carry credentials to another origin: surfaces as an APIError
    if str(target) in visited:
        return None  # a redirect loop: surfaces as the 3xx's APIError, not five more sends
    return target


def see_other_target(*, location: str, url: URL, origin: URL) -> URL | None:
    """Where a write's ``303 See Other`` says its result is (RFC 9110 15.4.4), if that is on the
    vendor's origin; None otherwise (the write was processed, but its result cannot be read)."""
    target = _location(url, location)
    if target is None or not same_origin(origin, target):
        return None
    return target

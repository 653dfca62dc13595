"""``Views``: cached orderings, filtered id lists and rendered list pages over the emulators'
in-memory store.

A list page must not sort, filter or encode a collection of thousands on every request, and a
write must never serve a stale listing. Each view is keyed by the caller's key plus the
collection's size (so a test that adds or removes records by hand sees its change) and all views
are dropped on every write (``Emulator.count_write``, which calls ``Emulator.invalidate``; a test
that edits a record in place calls ``invalidate`` itself). No I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sized
from typing import Any, TypeVar

__all__ = ["Collection", "Pages", "Views"]

T = TypeVar("T")

#: Distinct filter combinations kept before the cache starts over (bounds memory under fuzzing).
MAX_VIEWS = 256


class Views:
    """``views.get(collection, key, compute)``: ``compute()``'s result, cached until a write."""

    def __init__(self) -> None:
        self._cache: dict[tuple[Hashable, int], Any] = {}

    def get(self, collection: Sized, key: Hashable, compute: Callable[[], T]) -> T:
        cache_key = (key, len(collection))
        try:
            hit: T = self._cache[cache_key]
        except KeyError:
            if len(self._cache) >= MAX_VIEWS:
                self._cache.clear()
            hit = self._cache[cache_key] = compute()
        return hit

    def clear(self) -> None:
        self._cache.clear()


class Pages:
    """Rendered answers of list pages (``Emulator.cached_page``): ``get``/``put`` by the request's
    key and the collection's size, dropped on every write (``clear``)."""

    def __init__(self) -> None:
        self._cache: dict[tuple[Hashable, int], Any] = {}

    def get(self, collection: Sized, key: Hashable) -> Any:
        return self._cache.get((key, len(collection)))

    def put(self, collection: Sized, key: Hashable, value: Any) -> None:
        if len(self._cache) >= MAX_VIEWS:
            self._cache.clear()
        self._cache[(key, len(collection))] = value

    def clear(self) -> None:
        self._cache.clear()

    def __len__(self) -> int:
        return len(self._cache)


class Collection:
    """One collection: ``items`` (key -> record, insertion order; what ``Emulator.store`` holds)
    plus its list order, cached (``newest_first`` reverses it, as activity feeds list)."""

    __slots__ = ("_order", "items", "newest_first")

    def __init__(self, newest_first: bool = False) -> None:
        self.items: dict[str, dict[str, Any]] = {}
        self.newest_first = newest_first
        self._order: list[str] | None = None

    def ordered(self) -> list[str]:
        order = self._order
        if order is None or len(order) != len(self.items):
            order = list(self.items)
            if self.newest_first:
                order.reverse()
            self._order = order
        return order

    def add(self, key: str, record: dict[str, Any]) -> None:
        self.items[key] = record
        self._order = None

    def remove(self, key: str) -> None:
        self.items.pop(key, None)
        self._order = None

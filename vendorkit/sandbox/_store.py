"""``Views``: cached orderings and filtered id lists over the emulators' in-memory store.

A list page must not sort or filter a collection of thousands on every request, and a write must
never serve a stale listing. Each view is keyed by the caller's key plus the collection's size (so
a test that edits ``store`` by hand sees its change) and all views are dropped on every write
(``Emulator.count_write``). No I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sized
from typing import Any, TypeVar

__all__ = ["Views"]

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

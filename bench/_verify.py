"""The exactly-once check every client's output must pass: a benchmark of a client that drops or
repeats records would be measuring something else."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bench._records import index_of


class ExactlyOnceError(AssertionError):
    """A client got some record twice, missed some, or got one that does not exist."""


def exactly_once(style: str, ids: Sequence[Any], total: int, who: str) -> None:
    """Raise unless ``ids`` name every record ``0 .. total-1`` of ``style`` exactly once."""
    seen = bytearray(total)
    stray: list[Any] = []
    repeated: list[Any] = []
    for record_id in ids:
        i = index_of(style, record_id)
        if not 0 <= i < total:
            stray.append(record_id)
        elif seen[i]:
            repeated.append(record_id)
        else:
            seen[i] = 1
    missing = total - sum(seen)
    if missing or stray or repeated:
        raise ExactlyOnceError(
            f"{who}: {len(ids)} records for {total}: {missing} missing, "
            f"{len(repeated)} repeated (e.g. {repeated[:3]}), {len(stray)} unknown "
            f"(e.g. {stray[:3]})"
        )

"""Client-side quotas: several windows at once (e.g. 120/minute and 5000/day), callers wait.

Built on the ``limits`` library (moving windows, async memory and Redis storage) rather than
hand-written buckets: it is maintained, its moving-window algorithm is exact, and its Redis storage
lets processes on several hosts share one vendor account's budget. Waiting is ours: when a window is
full we sleep until the oldest hit in it expires, then try again.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence

import attrs
from limits import RateLimitItem, RateLimitItemPerSecond, parse_many
from limits.aio.storage import MemoryStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

__all__ = ["Quota", "QuotaExhausted", "RateLimiter", "parse_quotas"]


@attrs.frozen
class Quota:
    """At most ``limit`` requests per ``per`` seconds."""

    limit: int = attrs.field(validator=attrs.validators.ge(1))
    per: float = attrs.field(validator=attrs.validators.gt(0))

    def item(self) -> RateLimitItem:
        return RateLimitItemPerSecond(self.limit, max(1, round(self.per)))

    def __str__(self) -> str:
        return f"{self.limit}/{self.per:g}s"


def parse_quotas(value: str | Quota | Sequence[Quota | str]) -> tuple[Quota, ...]:
    """``"120/minute;5000/day"``, a ``Quota``, or a list of either, as quotas."""
    if isinstance(value, Quota):
        return (value,)
    if isinstance(value, str):
        return tuple(Quota(i.amount, float(i.get_expiry())) for i in parse_many(value))
    out: list[Quota] = []
    for v in value:
        out.extend(parse_quotas(v))
    return tuple(out)


OnWait = Callable[[float, str], Awaitable[None]]


class QuotaExhausted(Exception):
    """The next free slot is further away than the caller is willing to wait."""

    def __init__(self, wait: float) -> None:
        super().__init__(f"the client-side quota has no free slot for {wait:.0f}s")
        self.wait = wait


class RateLimiter:
    """Takes one slot in every window before a request; waits while any window is full.

    ``key`` names the budget (the vendor account), so two clients of one account share it when
    the storage is shared (``redis://...``).
    """

    def __init__(
        self,
        quotas: Sequence[Quota],
        *,
        key: str,
        storage: str | Storage | None = None,
    ) -> None:
        self.quotas = tuple(quotas)
        self._items = [q.item() for q in self.quotas]
        self._key = key
        if storage is None:
            self._storage: Storage = MemoryStorage()
        elif isinstance(storage, str):
            uri = storage
            if uri.startswith(("redis://", "rediss://")):
                uri = "async+" + uri
            made = storage_from_string(uri, implementation="redispy")
            if not isinstance(made, Storage):
                raise ValueError(f"not an async rate-limit storage: {storage!r}")
            self._storage = made
        else:
            self._storage = storage
        self._limiter = MovingWindowRateLimiter(self._storage)
        self._lock = asyncio.Lock()

    async def wait_time(self) -> float:
        """Seconds until every window has room (0: now)."""
        wait = 0.0
        now = time.time()
        for item in self._items:
            if not await self._limiter.test(item, self._key):
                stats = await self._limiter.get_window_stats(item, self._key)
                wait = max(wait, stats.reset_time - now)
        return max(0.0, wait)

    async def acquire(self, on_wait: OnWait | None = None, max_wait: float | None = None) -> None:
        """Take a slot in every window, sleeping as long as needed. With ``max_wait`` (seconds),
        a wait longer than that raises ``QuotaExhausted`` instead (e.g. a daily budget spent)."""
        while True:
            async with self._lock:
                wait = await self.wait_time()
                if wait <= 0:
                    hits = []
                    for item in self._items:
                        ok = await self._limiter.hit(item, self._key)
                        hits.append(ok)
                    if all(hits):
                        return
                    # Another process took the last slot between test and hit: look again.
                    wait = max(0.05, await self.wait_time())
            if max_wait is not None and wait > max_wait:
                raise QuotaExhausted(wait)
            if on_wait is not None:
                await on_wait(wait, "client-side quota")
            await asyncio.sleep(min(wait, 60.0) + 0.01)

    async def remaining(self) -> dict[Quota, int]:
        """Requests left in each window right now."""
        out: dict[Quota, int] = {}
        for quota, item in zip(self.quotas, self._items, strict=True):
            stats = await self._limiter.get_window_stats(item, self._key)
            out[quota] = stats.remaining
        return out

    async def reset(self) -> None:
        for item in self._items:
            await self._limiter.clear(item, self._key)

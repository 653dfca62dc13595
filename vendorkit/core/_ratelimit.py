"""Client-side quotas: several windows at once (e.g. 120/minute and 5000/day), callers wait.

Shared budgets are built on the ``limits`` library rather than hand-written Redis scripts: it
is maintained, its moving-window algorithm is exact, and its Redis storage lets processes on
several hosts share one vendor account's budget. In one process the window is ``_InMemory``
(see there for why not limits' memory storage). Waiting is ours: when a window is full we sleep
until the oldest hit in it expires, then try again.

Counted from the answer: a slot is taken when a request is about to be sent, but the vendor
counts it when it arrives, and arrivals are not spaced like departures (a request that waited for
a connection, or met a busy server or a slow network, arrives later than one sent a second
afterwards on a warm connection). A client counting send times exactly as the vendor's window
can then make the vendor see one request too many. So once a request's answer is in (or its send
failed), its slot's time moves from its sending to that moment (``settle``): the vendor counted
it at some moment between the two, so the slot that replaces it a window later is sent after the
vendor's window has let it go, whatever the latency. A request that waited after taking its
slot (the in-flight bound, a token, a hook) has it moved to its real sending first
(``sending``). A request still unanswered when its window has passed (an answer slower than the
shortest window) stays counted from its sending.

The guard: a freed slot is taken again only ``guard`` seconds after the window lets it go (a
hundredth of the window, at most 0.25 s: 10 ms of a one-second window). With slots counted from
their answers it covers what is left: hosts sharing a budget whose clocks differ by a few
milliseconds, and a vendor whose clock counts in coarse steps.

On a ``redis://`` storage every window of the budget is tested, guard included, and taken in
one Lua script (``_TAKE_SLOT``): one round trip per request instead of two per window, and
atomic on the server, so processes racing for a freed slot can neither both take it nor take it
before the guard has passed; a second script (``_SETTLE_SLOT``) moves a slot to its answer's
time. In one process (``_InMemory``) nothing suspends between test and take. With a storage
object passed in, the test reads the windows and limits' moving window takes the slot (counted
from its sending: that storage has no settle); two processes racing there can still shave the
guard for one slot. Everywhere, the vendor's 429 and Retry-After remain the last line.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar, cast

import attrs

from vendorkit.errors import ClientStateError, ConfigurationError, SharedStateError

from ._redact import describe_exception

log = logging.getLogger("vendorkit")

if TYPE_CHECKING:
    from limits import RateLimitItem
    from limits.aio.storage import Storage

# ``limits`` is imported where a limiter is built, not with this module: with its storages and
# their dependencies it is about 3 MiB of a process, which a client without a client-side quota
# (``rate_limit=None``) never needs.

__all__ = ["Quota", "QuotaExhausted", "QuotaSlot", "RateLimiter", "parse_quotas"]


def _limit(_: Any, __: Any, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigurationError(f"a quota's limit must be a whole number >= 1, not {value!r}")


def _per(_: Any, __: Any, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigurationError(f"a quota's window must be a number of seconds, not {value!r}")
    try:
        finite = math.isfinite(value) and value > 0
    except OverflowError:
        finite = False
    if not finite or value > 10 * 365 * 86400:
        raise ConfigurationError(f"a quota's window must be 0 < seconds <= 10 years, not {value!r}")


@attrs.frozen
class Quota:
    """At most ``limit`` requests per ``per`` seconds (a window of up to ten years)."""

    limit: int = attrs.field(validator=_limit)
    per: float = attrs.field(validator=_per)

    def item(self) -> RateLimitItem:
        from limits import RateLimitItemPerSecond

        # Whole seconds (limits' finest unit), rounded up: a window rounded down would let
        # more requests through than the vendor allows.
        return RateLimitItemPerSecond(self.limit, max(1, math.ceil(self.per)))

    def __str__(self) -> str:
        # As a person (and ``parse_quotas``) writes it: "120/minute", "5000/day"; an uneven
        # window in seconds ("10/30s").
        unit = _UNITS.get(self.per)
        return f"{self.limit}/{unit}" if unit else f"{self.limit}/{self.per:g}s"


_UNITS = {1.0: "second", 60.0: "minute", 3600.0: "hour", 86400.0: "day"}


_ZERO_WINDOW = re.compile(r"(?:/|\bper)\s*0+\s*[a-z]", re.IGNORECASE)


def parse_quotas(value: str | Quota | Sequence[Quota | str]) -> tuple[Quota, ...]:
    """``"120/minute;5000/day"``, a ``Quota``, or a list of either, as quotas."""
    if isinstance(value, Quota):
        return (value,)
    if isinstance(value, str):
        from limits import parse_many

        # limits reads "1/0second" as 1/second: a window of zero is a typo, not a quota.
        if _ZERO_WINDOW.search(value):
            raise ConfigurationError("a quota's window must be longer than 0")
        try:
            parsed = parse_many(value)
        except ValueError:
            raise ConfigurationError("not a quota (e.g. '120/minute;5000/day')") from None
        return tuple(Quota(i.amount, float(i.get_expiry())) for i in parsed)
    out: list[Quota] = []
    for v in value:
        out.extend(parse_quotas(v))
    return tuple(out)


T = TypeVar("T")

OnWait = Callable[[float, str], Awaitable[None]]


class QuotaExhausted(Exception):
    """The next free slot is further away than the caller is willing to wait."""

    def __init__(self, wait: float) -> None:
        super().__init__(f"the client-side quota has no free slot for {wait:.0f}s")
        self.wait = wait


@attrs.frozen
class QuotaSlot:
    """A slot taken: how long taking it waited, and how ``RateLimiter.settle`` finds it again
    once the request's answer is in (``taken``: the send time it was recorded with, as the
    storage holds it; None on a storage that cannot settle). ``lost``: a move found it gone
    from a window (it had expired unsent)."""

    waited: float
    taken: float | str | None = attrs.field(default=None, repr=False)
    lost: bool = attrs.field(default=False, repr=False)


@attrs.frozen
class _Stats:
    """What ``remaining()`` reads of a window (the fields of limits' ``WindowStats`` it uses)."""

    reset_time: float
    remaining: int


class _InMemory:
    """An exact moving window per key, in this process: the newest send times of each window
    (at most ``limit`` of them), oldest first. A request is admitted while fewer than ``limit``
    of them are younger than the window.

    Ours rather than limits' memory storage, which this replaced: its synchronous storage starts
    a timer thread (every 10 ms of activity) to expire entries and inserts each hit at the front
    of a list, which measured about 100 us per request on a busy two-core machine, more than the
    rest of the engine; its asyncio storage costs extra turns of the event loop instead. Every
    operation here is O(1) amortised and never blocks or suspends, and a window holds at most
    ``limit`` entries however long it is. Shared storage (Redis) stays limits' own."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        # The wall clock, as the limiter's waits and limits' storages count (tests pass theirs).
        self._clock = clock
        self._times: dict[str, deque[float]] = {}

    async def get_moving_window(self, key: str, limit: int, expiry: float) -> tuple[float, int]:
        """(the oldest send time inside the last ``expiry`` seconds, how many there are). The
        limiter reads each window with one span (its length plus the guard), never shorter
        than the window itself: what is older than that is never needed again and goes."""
        now = self._clock()
        times = self._times.get(key)
        if times is None:
            return now, 0
        while times and times[0] <= now - expiry:
            times.popleft()
        return (times[0], len(times)) if times else (now, 0)

    def now(self) -> float:
        return self._clock()

    async def hit(self, item: RateLimitItem, key: str, *, at: float | None = None) -> bool:
        """Take a slot at ``at`` (default: now) if the window has room."""
        limit = item.amount
        now = self._clock() if at is None else at
        times = self._times.setdefault(item.key_for(key), deque())
        # At most ``limit`` entries are kept, so a full window's oldest is its limit-th newest.
        if len(times) >= limit and times[0] > now - item.get_expiry():
            return False
        times.append(now)
        while len(times) > limit:
            times.popleft()
        return True

    def settle(self, item: RateLimitItem, key: str, taken: float, now: float) -> bool:
        """The slot taken at ``taken`` counts from ``now`` on (its answer arrived): its entry
        goes to the end, as the newest, which keeps the window in time order (no entry is newer
        than now). A slot no longer in the window (pushed out, or older than it) is left alone.
        The newest entries are looked at first: the slot is nearly always among the last few
        taken. Entries of equal time are one and the same to the window: any of them moves."""
        times = self._times.get(item.key_for(key))
        if not times:
            return False
        for offset, value in enumerate(reversed(times)):
            if value == taken:
                del times[len(times) - 1 - offset]
                times.append(now)
                return True
        return False

    async def get_window_stats(self, item: RateLimitItem, key: str) -> _Stats:
        now, expiry = self._clock(), item.get_expiry()
        inside = [t for t in self._times.get(item.key_for(key), ()) if t > now - expiry]
        reset = (inside[0] if inside else now) + expiry
        return _Stats(reset, max(0, item.amount - len(inside)))

    async def clear(self, item: RateLimitItem, key: str) -> None:
        self._times.pop(item.key_for(key), None)


# Every window of a budget tested and, only if all have room, taken: one round trip, atomic on
# the Redis server. KEYS: one list per window, newest send time first (the layout of limits'
# moving window, so its ``get_window_stats`` and ``clear`` read and reset the same keys). ARGV:
# now, then (limit, span) per window, where the span is the window plus the guard. A window is
# full while its limit-th newest entry is younger than the span; the answer is then the seconds
# until the first of them frees (nil: taken).
_TAKE_SLOT = """
local now = tonumber(ARGV[1])
local wait = 0
for i, key in ipairs(KEYS) do
    local limit = tonumber(ARGV[2 * i])
    local span = tonumber(ARGV[2 * i + 1])
    local entry = redis.call('lindex', key, limit - 1)
    if entry and tonumber(entry) > now - span then
        wait = math.max(wait, tonumber(entry) + span - now)
    end
end
if wait > 0 then
    return tostring(wait)
end
for i, key in ipairs(KEYS) do
    local limit = tonumber(ARGV[2 * i])
    local span = tonumber(ARGV[2 * i + 1])
    redis.call('lpush', key, ARGV[1])
    redis.call('ltrim', key, 0, limit - 1)
    redis.call('expire', key, math.ceil(span) + 1)
end
return false
"""

# A slot moved to a later time (its request went out, or its answer arrived). KEYS: the
# windows' lists, as for ``_TAKE_SLOT``; ARGV: the entry as it stands, the new time, then the
# span per window. The entry is taken out and pushed again as the newest (each list stays in
# time order, up to the hosts' clock skew, which the guard covers); its window's expiry is
# renewed from it. An entry no longer in a window (pushed out by newer slots) is left alone.
_SETTLE_SLOT = """
local moved = 0
for i, key in ipairs(KEYS) do
    if redis.call('lrem', key, 1, ARGV[1]) == 1 then
        redis.call('lpush', key, ARGV[2])
        redis.call('expire', key, math.ceil(tonumber(ARGV[2 + i])) + 1)
        moved = moved + 1
    end
end
return moved
"""

# Seconds between taking a slot and sending its request beyond which a shared (Redis) slot is
# moved to the sending: below it, the move would cost more (a round trip) than it corrects.
_QUEUED = 0.002
# Seconds ``aclose`` gives settles still running on a shared storage.
_CLOSE_WAIT = 1.0
# Seconds a settle may take at most when the storage has no timeout of its own.
_SETTLE_MAX = 30.0

# limits' key prefix for the Redis storage we build (``_from_url``): every key vendorkit writes
# starts with "vendorkit:" (one prefix for ACLs and clean-ups).
_KEY_PREFIX = "vendorkit"


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
        guard: float | None = None,
        timeout: float | None = None,
    ) -> None:
        self.quotas = tuple(quotas)
        if guard is not None and guard < 0:
            raise ConfigurationError("guard must be >= 0 (seconds)")
        self._guard = guard
        # Seconds a storage operation may take (a ``redis://`` storage's socket timeout).
        self._timeout = timeout
        self._items = [q.item() for q in self.quotas]
        # Slots are taken shortest window first, and no further once one is refused: a slot
        # taken in vain (another process won the race for a later window) then only ever costs
        # a short window, which frees itself soon, never a daily budget.
        self._hit_order = sorted(self._items, key=lambda i: i.get_expiry())
        self._key = key
        self._pool: Any = None
        # With a ``redis://`` storage of our own: ``_TAKE_SLOT`` and ``_SETTLE_SLOT`` registered
        # on its pool.
        self._take_slot: Any = None
        self._settle_slot: Any = None
        # ``_windows`` reads a window, ``_limiter`` takes and counts slots: limits' asyncio
        # pair for a shared storage, or ``_InMemory`` by default.
        self._windows: Any
        self._limiter: Any
        if storage is None:
            self._windows = self._limiter = _InMemory()
        else:
            from limits.aio.storage import MovingWindowSupport
            from limits.aio.strategies import MovingWindowRateLimiter

            shared = self._from_url(storage) if isinstance(storage, str) else storage
            self._windows = cast(MovingWindowSupport, shared)
            self._limiter = MovingWindowRateLimiter(shared)
        # Whether slots can move to their requests' sending and answers (``settle``): in
        # memory and on our own Redis scripts, not on a storage object passed in.
        self._settles = isinstance(self._limiter, _InMemory) or self._settle_slot is not None
        self._lock = asyncio.Lock()
        self._closed = False
        # Settles on a shared storage still running (``settle_soon``): kept referenced, and
        # given their short time at ``aclose``.
        self._settling: set[asyncio.Task[QuotaSlot]] = set()

    def _from_url(self, url: str) -> Storage:
        from limits.aio.storage import RedisStorage, Storage
        from limits.storage import storage_from_string

        url = url.removeprefix("async+")
        if not url.startswith(("redis://", "rediss://", "unix://")):
            # Another of limits' storages (memory://, ...). Its errors quote the URL, which may
            # hold a password: ours name no URL, and nothing foreign escapes.
            try:
                made = storage_from_string(url if "://" not in url else "async+" + url)
            except Exception:
                made = None
            if not isinstance(made, Storage):
                raise ConfigurationError(
                    "the rate-limit storage URL is not a redis://, rediss:// or unix:// URL, nor "
                    "an async storage the limits library knows"
                )
            return made
        try:
            import redis.asyncio as aioredis
        except ImportError as exc:  # pragma: no cover - depends on the installation
            raise ConfigurationError(
                "redis_url needs the redis package: pip install 'vendorkit[redis]'"
            ) from exc
        # Our own connection pool, so ``aclose`` can close it (limits has no close of its own).
        try:
            # A Redis that accepts but never answers costs at most ``timeout``, not redis-py's
            # default.
            self._pool = aioredis.ConnectionPool.from_url(
                url, socket_timeout=self._timeout, socket_connect_timeout=self._timeout
            )
        except ValueError:
            raise ConfigurationError("the rate-limit storage URL is not valid") from None
        options: dict[str, Any] = {
            "implementation": "redispy",
            "connection_pool": self._pool,
            # Every key vendorkit writes starts with "vendorkit:" (one prefix for ACLs and
            # clean-ups; limits' default is "LIMITS").
            "key_prefix": _KEY_PREFIX,
            "wrap_exceptions": True,
        }
        # limits reads only the scheme of this URI: the pool above is what connects (a unix://
        # socket too, as the token store takes it).
        uri = "async+redis+unix://" if url.startswith("unix://") else "async+" + url
        storage = RedisStorage(uri, **options)
        scripts = aioredis.Redis(connection_pool=self._pool)
        self._take_slot = scripts.register_script(_TAKE_SLOT)
        self._settle_slot = scripts.register_script(_SETTLE_SLOT)
        return storage

    async def aclose(self) -> None:
        """Close the connections this limiter opened (a ``redis://`` storage); a request still
        waiting for a slot then raises ``ClientStateError`` instead of opening a new one."""
        if self._settling:
            # The last answers' settles protect whoever shares the budget next (another
            # process, the next run): a live storage does them in a millisecond; a hung one
            # does not get to hold up the close for long.
            await asyncio.wait(set(self._settling), timeout=min(_CLOSE_WAIT, self._settle_cap()))
            for task in set(self._settling):
                task.cancel()
        self._closed = True
        if self._pool is not None:
            await self._pool.disconnect()

    @property
    def budget(self) -> tuple[Any, ...]:
        """What identifies the budget this limiter counts against: equal for two limiters that
        share one (the same key on the same Redis server and database), different otherwise
        (each in-memory limiter is its own). For planning across limiters; holds no password."""
        if self._pool is not None:
            where = self._pool.connection_kwargs
            place = (where.get("host"), where.get("port"), where.get("path"), where.get("db"))
            return ("redis", *place, self._key)
        return ("here", id(self._windows), self._key)

    def guard(self, item: RateLimitItem) -> float:
        """Seconds a freed slot of this window stays unused (see the module docstring)."""
        if self._guard is not None:
            return self._guard
        if not self._settles:
            # A storage passed in (limits' own): slots count from their taking, with no settle,
            # so the guard is what absorbs arrival lateness: a fortieth, as before settle.
            return min(0.25, item.get_expiry() / 40)
        return min(0.25, item.get_expiry() / 100)

    async def wait_time(self) -> float:
        """Seconds until every window has room, guard included (0: now)."""
        wait = 0.0
        for item in self._items:
            # The window stretched by the guard: a read, so a float length is fine.
            span: Any = item.get_expiry() + self.guard(item)
            oldest, count = await self._windows.get_moving_window(
                item.key_for(self._key), item.amount, span
            )
            if count >= item.amount:
                wait = max(wait, oldest + span - time.time())
        return max(0.0, wait)

    async def acquire(self, on_wait: OnWait | None = None, max_wait: float | None = None) -> float:
        """Take a slot in every window, sleeping as long as needed; returns the seconds spent
        waiting (0.0: a slot was free at once). With ``max_wait`` (seconds), a wait longer than
        that raises ``QuotaExhausted`` instead (e.g. a daily budget spent). A storage that cannot
        be reached (Redis down) raises ``SharedStateError`` (a ``TransportError``). The slot
        counts from now: ``take`` and ``settle`` count it from the request's answer instead."""
        return (await self.take(on_wait, max_wait)).waited

    async def take(self, on_wait: OnWait | None = None, max_wait: float | None = None) -> QuotaSlot:
        """``acquire``, returning the slot, for ``settle`` once the request's answer is in."""
        slept = 0.0
        while True:
            if self._closed:
                # A request that waited across ``aclose()``: no new connection for it.
                raise ClientStateError("the rate limiter is closed")
            async with self._lock:
                wait, taken = await _storage(self._try_hit)
                if wait is None:
                    return QuotaSlot(slept, taken)
            # The whole wait counts, not each round's: max_wait bounds how long a call waits.
            if max_wait is not None and slept + wait > max_wait:
                raise QuotaExhausted(wait)
            if on_wait is not None:
                await on_wait(wait, "client-side quota")
            pause = min(wait, 60.0) + 0.01
            await asyncio.sleep(pause)
            slept += pause

    async def _try_hit(self) -> tuple[float | None, float | str | None]:
        """Take a slot in every window if all have room: (None, what ``settle`` needs), else
        (the wait, None)."""
        if self._take_slot is not None:
            return await self._try_hit_script()
        wait = await self.wait_time()
        if wait > 0:
            return wait, None
        memory = self._limiter if isinstance(self._limiter, _InMemory) else None
        at = memory.now() if memory is not None else None
        for item in self._hit_order:
            if memory is not None:
                if not await memory.hit(item, self._key, at=at):
                    break
            elif not await self._limiter.hit(item, self._key):
                break
        else:
            return None, at
        # Another process took the last slot between test and hit: look again.
        return max(0.05, await self.wait_time()), None

    def _script_keys(self) -> list[str]:
        return [f"{_KEY_PREFIX}:{item.key_for(self._key)}" for item in self._items]

    async def _try_hit_script(self) -> tuple[float | None, str | None]:
        """``_try_hit`` on our own Redis: test and take in one atomic script (``_TAKE_SLOT``), so
        two processes racing for one freed slot can neither both take it nor shave the guard."""
        from limits.errors import StorageError
        from redis.exceptions import RedisError

        taken = repr(time.time())
        args: list[Any] = [taken]
        for item in self._items:
            args += [item.amount, item.get_expiry() + self.guard(item)]
        try:
            answer = await self._take_slot(keys=self._script_keys(), args=args)
        except (RedisError, OSError, TimeoutError) as exc:
            raise StorageError(exc) from None  # described, redacted, by ``_storage``
        return (None, taken) if answer is None else (max(0.001, float(answer)), None)

    async def settle(self, slot: QuotaSlot) -> QuotaSlot:
        """``slot``'s request has its answer (or its send failed): the slot counts from now on,
        not from its sending (see the module docstring); the slot as it now stands. Never
        raises for the storage: a shared storage that fails here leaves the slot where it was,
        as ``acquire`` counts every slot, and the answer the caller holds is not lost to it."""
        if slot.taken is None or self._closed or not self._settles:
            return slot
        if isinstance(self._limiter, _InMemory):
            return self._settle_here(slot)
        stamp_text = repr(max(time.time(), float(slot.taken)))
        args: list[Any] = [slot.taken, stamp_text]
        args += [item.get_expiry() + self.guard(item) for item in self._items]
        try:
            moved = await self._settle_slot(keys=self._script_keys(), args=args)
        except Exception as exc:  # the storage's failure is not the request's
            log.debug("vendorkit: a quota slot stays where it was: %s", describe_exception(exc))
            return slot
        return QuotaSlot(slot.waited, stamp_text, lost=int(moved or 0) < len(self._items))

    def _settle_here(self, slot: QuotaSlot) -> QuotaSlot:
        """``settle`` in this process's own windows (``_InMemory``): nothing to wait for."""
        assert isinstance(self._limiter, _InMemory)
        if not isinstance(slot.taken, float):
            return slot
        stamp = max(self._limiter.now(), slot.taken)
        found = [self._limiter.settle(item, self._key, slot.taken, stamp) for item in self._items]
        return QuotaSlot(slot.waited, stamp, lost=not all(found))

    def settle_soon(self, slot: QuotaSlot) -> None:
        """``settle``, without holding up the caller: the answer (or the failure, or the
        cancellation) it has goes on at once. In memory the slot moves now; on a shared storage
        a task moves it, given at most the shortest window or the storage timeout (30 s without
        one), whichever is shorter (a settle later than a window protects nothing). A storage
        that hangs then never delays an answer nor a cancelled request's unwinding; the slot
        stays counted from its sending, as ``settle`` leaves it on failure."""
        if slot.taken is None or self._closed or not self._settles:
            return
        if isinstance(self._limiter, _InMemory):
            self._settle_here(slot)
            return
        task = asyncio.get_running_loop().create_task(self._capped_settle(slot))
        self._settling.add(task)
        task.add_done_callback(self._settling.discard)

    def _settle_cap(self) -> float:
        # Beyond the shortest window a move protects nothing; beyond the storage's timeout (or
        # _SETTLE_MAX without one) the storage is not answering, and settles waiting on it
        # would only pile up, one per request.
        shortest = min(item.get_expiry() for item in self._items)
        return min(shortest, _SETTLE_MAX if self._timeout is None else self._timeout)

    async def _capped_settle(self, slot: QuotaSlot) -> QuotaSlot:
        try:
            return await asyncio.wait_for(self.settle(slot), self._settle_cap())
        except TimeoutError:
            log.debug("vendorkit: a quota slot stays where it was: the storage did not answer")
            return slot

    async def sending(self, slot: QuotaSlot) -> QuotaSlot:
        """``slot``'s request goes out now. A slot taken a while before (the request then
        waited for a connection, a token, a hook) is moved to now, so the time it spent queued
        is not counted as if it had been on its way to the vendor; one taken just now stays
        (on Redis that saves a round trip)."""
        if slot.taken is None:
            return slot
        if isinstance(slot.taken, str) and time.time() - float(slot.taken) < _QUEUED:
            return slot
        # Queued longer than a window (a token fetched meanwhile took the slot's place), the
        # slot expired unsent: the caller sees ``lost`` and takes a new one. A storage that
        # hangs here costs the request at most the settle's cap, then it goes as it stands.
        return await self._capped_settle(slot)

    async def remaining(self) -> dict[Quota, int]:
        """Requests left in each window right now."""

        async def read() -> dict[Quota, int]:
            out: dict[Quota, int] = {}
            for quota, item in zip(self.quotas, self._items, strict=True):
                stats = await self._limiter.get_window_stats(item, self._key)
                out[quota] = stats.remaining
            return out

        return await _storage(read)

    async def reset(self) -> None:
        async def clear() -> None:
            for item in self._items:
                await self._limiter.clear(item, self._key)

        await _storage(clear)


async def _storage(operation: Callable[[], Awaitable[T]]) -> T:
    """``operation()`` with a failing shared storage (Redis unreachable) as a
    ``SharedStateError``, described in redacted words and raised after the handler, so that no
    ``__context__`` keeps the storage's own error."""
    from limits.errors import StorageError

    error: SharedStateError
    try:
        return await operation()
    except StorageError as exc:
        described = describe_exception(exc.storage_error)
        error = SharedStateError(f"the shared rate-limit storage failed: {described}")
    raise error

"""One client per tenant, a bounded number of them: ``ClientRegistry``.

A multi-tenant app (one MakeLeaps partner, LeanLaw firm or LeadDesk tenant per customer) must not
open a client per request (a token request and a cold connection pool every time) nor keep a
client for every customer it ever served (thousands of idle pools and sockets). The registry
keeps at most ``max_clients`` open and closes the least recently used when a new one is needed.

Why a lease (``async with registry.client(tenant) as c``) rather than a plain ``get``: a client
evicted while another request is still using it would be closed under that request. A client in
use is never closed; when every client is in use, the registry holds more than ``max_clients``
for as long as that lasts and gives the extra back as leases end (documented: the bound is on
idle clients, never a reason to fail a request).

Opening is single-flight per tenant: fifty requests for a tenant not yet open make one client
(one token request), in a task of its own, so a caller that goes away (a cancelled request) does
not cancel the opening the others wait for; once every caller waiting for it has gone, it is
cancelled, so a factory call that hangs holds no tenant up beyond its callers' patience. A factory
that fails is not remembered: the next request tries again. A tenant evicted while its client is
still opening (its credentials rotated meanwhile) gets a new opening: the one under way is
closed when it ends and none of its waiters is given it. Tokens and quotas live wherever the
factory's clients put them (pass ``redis_url=`` to share them with other processes; an evicted
tenant's token then survives its client).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
from collections import Counter, OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Generic, Protocol, TypeVar

import attrs

from vendorkit.errors import ClientStateError, ConfigurationError

__all__ = ["ClientRegistry", "Closable"]


class Closable(Protocol):
    """What the registry holds: anything with ``aclose()`` (every vendorkit client)."""

    async def aclose(self) -> None: ...


C = TypeVar("C", bound=Closable)


@attrs.define
class _Entry(Generic[C]):
    client: C
    users: int = 0
    evicted: bool = False
    closed: bool = False  # its close is under way or done: never a second one


class ClientRegistry(Generic[C]):
    """At most ``max_clients`` idle clients, one per tenant, made by ``factory(tenant)``.

    ``factory`` may be a plain function or a coroutine function (look the tenant's credentials
    up in a database, say); whatever it raises reaches the caller of ``client()``.

    ```python
    registry = ClientRegistry(lambda tenant: LeanLaw(api_key=keys[tenant]), max_clients=200)
    async with registry.client("smith-law") as ll:
        matters = [m async for m in ll.matters.list()]
    await registry.aclose()
    ```
    """

    def __init__(
        self, factory: Callable[[str], C | Awaitable[C]], *, max_clients: int = 100
    ) -> None:
        if isinstance(max_clients, bool) or not isinstance(max_clients, int) or max_clients < 1:
            raise ConfigurationError(
                f"max_clients must be a whole number >= 1, not {max_clients!r}"
            )
        if not callable(factory):
            raise ConfigurationError(f"factory must be callable, not {factory!r}")
        self._factory = factory
        self.max_clients = max_clients
        self._entries: OrderedDict[str, _Entry[C]] = OrderedDict()  # least recently used first
        self._opening: dict[str, asyncio.Task[C]] = {}
        # Openings whose tenant was evicted while they ran: their client is closed, not used.
        self._stale: set[asyncio.Task[C]] = set()
        self._waiting: Counter[asyncio.Task[C]] = Counter()  # callers waiting, per opening
        self._closing: set[asyncio.Task[None]] = set()
        self._closed = False

    # -- reading --------------------------------------------------------------------------------

    def __len__(self) -> int:
        """Clients open now (in use or idle)."""
        return len(self._entries)

    def __contains__(self, tenant: object) -> bool:
        return tenant in self._entries

    @property
    def tenants(self) -> list[str]:
        """The tenants with an open client, least recently used first."""
        return list(self._entries)

    def in_use(self, tenant: str) -> int:
        """How many leases of ``tenant``'s client are held now (0: idle or not open)."""
        entry = self._entries.get(tenant)
        return 0 if entry is None else entry.users

    # -- leasing --------------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def client(self, tenant: str) -> AsyncIterator[C]:
        """``tenant``'s client, opened if needed, never closed while this block holds it."""
        entry = await self._lease(tenant)
        try:
            yield entry.client
        finally:
            self._release(tenant, entry)

    async def _lease(self, tenant: str) -> _Entry[C]:
        if not isinstance(tenant, str) or not tenant:
            raise ConfigurationError(f"a tenant is a non-empty string, not {tenant!r}")
        while True:
            self._check_open()
            entry = self._entries.get(tenant)
            if entry is not None:
                self._entries.move_to_end(tenant)
                entry.users += 1
                return entry
            opening = self._opening.get(tenant)
            if opening is None:
                opening = asyncio.ensure_future(self._open(tenant))
                self._opening[tenant] = opening
                opening.add_done_callback(functools.partial(self._opened, tenant))
            # Shielded: this caller going away must not cancel what others wait for. While
            # callers wait, the new client is not evicted (``_evict`` skips waited-for tenants).
            # Waiters are counted per opening: after an evict, a stale opening's waiters are
            # not the new one's.
            self._waiting[opening] += 1
            try:
                await asyncio.shield(opening)
            except _Stale:
                continue  # evicted while it opened: open anew, with what the factory says now
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if task is not None and task.cancelling():
                    raise  # this caller is cancelled
                if self._closed:
                    continue  # the registry closed the opening: the next round says so
                # The factory itself raised CancelledError (it awaited something its owner
                # cancelled): a failure like any other, not a reason to call it again at once.
                raise ClientStateError(
                    f"opening the client of {tenant!r} was cancelled inside its factory"
                ) from None
            finally:
                self._waiting[opening] -= 1
                if not self._waiting[opening]:
                    del self._waiting[opening]
                    if not opening.done():
                        # Nobody waits for it any more (each gave up: a timeout, a caller gone):
                        # a factory call that hangs must not hold the tenant up for the next.
                        opening.cancel()

    def _opened(self, tenant: str, opening: asyncio.Task[C]) -> None:
        if self._opening.get(tenant) is opening:  # not a newer one, started after an evict
            del self._opening[tenant]
        self._stale.discard(opening)
        if not opening.cancelled():
            # Its error reached whoever waited; with every waiter gone, it is not "never
            # retrieved" either (asyncio would log it at exit).
            opening.exception()

    async def _open(self, tenant: str) -> C:
        made = self._factory(tenant)
        client: C = await made if inspect.isawaitable(made) else made
        if self._closed:
            self._close_later(client)  # in a task: a cancelled opening does not cut it short
            raise ClientStateError("the client registry is closed")
        if asyncio.current_task() in self._stale:
            self._close_later(client)
            raise _Stale
        self._entries[tenant] = _Entry(client)
        self._evict()
        return client

    def _release(self, tenant: str, entry: _Entry[C]) -> None:
        entry.users -= 1
        if entry.users == 0 and entry.evicted:
            self._close_entry(entry)
        self._evict()

    def _evict(self) -> None:
        """Close idle clients, least recently used first, until at most ``max_clients`` stay."""
        excess = len(self._entries) - self.max_clients
        if excess <= 0:
            return
        waited = {t for t, opening in self._opening.items() if opening in self._waiting}
        idle = [t for t, e in self._entries.items() if e.users == 0 and t not in waited]
        for tenant in idle[:excess]:
            self.evict(tenant)

    def evict(self, tenant: str) -> bool:
        """Forget ``tenant``'s client (rotated credentials, a tenant that left): closed now if
        idle, when its last lease ends otherwise. True if there was one, or one opening: that
        one is closed when it ends, and its waiters open a new one."""
        opening = self._opening.pop(tenant, None)
        if opening is not None:
            self._stale.add(opening)
        entry = self._entries.pop(tenant, None)
        if entry is None:
            return opening is not None
        entry.evicted = True
        if entry.users == 0:
            self._close_entry(entry)
        return True

    def _close_entry(self, entry: _Entry[C]) -> None:
        if not entry.closed:
            entry.closed = True
            self._close_later(entry.client)

    def _close_later(self, client: C) -> None:
        # In a task: the request that caused the eviction does not wait for another tenant's
        # client to close. ``aclose()`` waits for every such task.
        task = asyncio.ensure_future(_close_quietly(client))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    def _check_open(self) -> None:
        if self._closed:
            raise ClientStateError("the client registry is closed")

    # -- closing --------------------------------------------------------------------------------

    async def aclose(self) -> None:
        """Close every client; openings under way are cancelled (a factory that hangs must not
        hold up the app's shut-down), and a client one of them made is closed too. Leases still
        held raise nothing; their clients are closed under them, as closing an app closes its
        clients. Calling it twice is harmless."""
        self._closed = True
        openings = [*self._opening.values(), *self._stale]
        for opening in openings:
            opening.cancel()
        for opening in openings:
            with contextlib.suppress(BaseException):
                await opening
        entries, self._entries = list(self._entries.values()), OrderedDict()
        for entry in entries:
            entry.evicted = True
            self._close_entry(entry)
        while self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)

    async def __aenter__(self) -> ClientRegistry[C]:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


class _Stale(Exception):
    """An opening's tenant was evicted while it ran (see ``ClientRegistry.evict``)."""


async def _close_quietly(client: Closable) -> None:
    # A client that fails to close has nothing left to give this app: the error is not raised
    # into an unrelated request, and it does not stop the others from closing.
    with contextlib.suppress(Exception):
        await client.aclose()

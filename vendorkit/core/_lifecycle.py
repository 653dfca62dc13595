"""A client's life: open on one event loop, then closed for good. No I/O.

Every layer that may have waited (a retry's backoff, a 429 pause, a quota slot, a token fetch)
asks ``ensure_open`` before it touches the token store, the quota storage or the network again,
so a client closed meanwhile stops there with a ``ClientStateError``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from vendorkit.errors import ClientStateError

__all__ = ["Lifecycle"]


class Lifecycle:
    """Open/closed state and the event loop a client is bound to (``owner``: its class name).

    A view's lifecycle (``view()``, for ``with_options``) has the client's as its ``parent``:
    closed when it is closed itself or when the client is, on the client's event loop.
    """

    __slots__ = ("_closed", "_loop", "owner", "parent", "turns")

    def __init__(self, owner: str, parent: Lifecycle | None = None) -> None:
        self.owner = owner
        self.parent = parent
        self._closed = False
        self._loop: asyncio.AbstractEventLoop | None = None
        # The turns read aheads are waiting for (``_readahead``): set on close, so a walk left
        # open (its generator kept, never finished) leaves no task waiting for ever.
        self.turns: set[asyncio.Event] = set()

    def view(self) -> Lifecycle:
        """A lifecycle that ends with this one, and may also end on its own."""
        return Lifecycle(self.owner, self)

    @property
    def root(self) -> Lifecycle:
        return self if self.parent is None else self.parent.root

    @property
    def closed(self) -> bool:
        return self._closed or (self.parent is not None and self.parent.closed)

    @property
    def loop(self) -> asyncio.AbstractEventLoop | None:
        return self.root._loop

    def close(self) -> bool:
        """Mark closed; True the first time (the caller then releases what it holds)."""
        if self._closed:
            return False
        self._closed = True
        for turn in self.turns:
            turn.set()
        self.turns.clear()
        return True

    async def wait_turn(self, turn: asyncio.Event) -> None:
        """Wait for a read ahead's ``turn``, or for this client (or the client it is a view of)
        to close, whichever is first: the turn is held by every lifecycle up to the root."""
        if turn.is_set() or self.closed:
            return
        chain: list[Lifecycle] = []
        node: Lifecycle | None = self
        while node is not None:
            chain.append(node)
            node.turns.add(turn)
            node = node.parent
        try:
            await turn.wait()
        finally:
            for held in chain:
                held.turns.discard(turn)

    def bind(self) -> None:
        """Bind to the running loop on first use; refuse another loop or a closed client."""
        if self.closed:
            raise ClientStateError(f"{self.owner} is closed")
        root = self.root
        loop = asyncio.get_running_loop()
        if root._loop is None:
            root._loop = loop
        elif root._loop is not loop:
            raise ClientStateError(
                f"{self.owner} was opened on another event loop; create one client per event loop"
            )

    def closed_during(self, method: str, shown_url: str) -> ClientStateError:
        """The error of a request that was under way when the client closed."""
        return ClientStateError(f"{self.owner} was closed while {method} {shown_url} was under way")

    def ensure_open(self, method: str, shown_url: Callable[[], str]) -> None:
        """Raise ``closed_during`` if closed. ``shown_url`` is called only then: the redacted
        URL is worked out for the error, not on every request."""
        if self.closed:
            raise self.closed_during(method, shown_url())

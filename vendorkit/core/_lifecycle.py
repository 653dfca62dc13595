"""A client's life: open on one event loop, then closed for good. No I/O.

Every layer that may have waited (a retry's backoff, a 429 pause, a quota slot, a token fetch)
asks ``ensure_open`` before it touches the token store, the quota storage or the network again,
so a client closed meanwhile stops there with a ``ClientStateError``.
"""

from __future__ import annotations

import asyncio

from vendorkit.errors import ClientStateError

__all__ = ["Lifecycle"]


class Lifecycle:
    """Open/closed state and the event loop a client is bound to (``owner``: its class name)."""

    __slots__ = ("closed", "loop", "owner", "turns")

    def __init__(self, owner: str) -> None:
        self.owner = owner
        self.closed = False
        self.loop: asyncio.AbstractEventLoop | None = None
        # The turns read aheads are waiting for (``_readahead``): set on close, so a walk left
        # open (its generator kept, never finished) leaves no task waiting for ever.
        self.turns: set[asyncio.Event] = set()

    def close(self) -> bool:
        """Mark closed; True the first time (the caller then releases what it holds)."""
        if self.closed:
            return False
        self.closed = True
        for turn in self.turns:
            turn.set()
        self.turns.clear()
        return True

    async def wait_turn(self, turn: asyncio.Event) -> None:
        """Wait for a read ahead's ``turn``, or for this client to close (whichever is first)."""
        if turn.is_set():
            return
        if self.closed:
            return
        self.turns.add(turn)
        try:
            await turn.wait()
        finally:
            self.turns.discard(turn)

    def bind(self) -> None:
        """Bind to the running loop on first use; refuse another loop or a closed client."""
        if self.closed:
            raise ClientStateError(f"{self.owner} is closed")
        loop = asyncio.get_running_loop()
        if self.loop is None:
            self.loop = loop
        elif self.loop is not loop:
            raise ClientStateError(
                f"{self.owner} was opened on another event loop; create one client per event loop"
            )

    def closed_during(self, method: str, shown_url: str) -> ClientStateError:
        """The error of a request that was under way when the client closed."""
        return ClientStateError(f"{self.owner} was closed while {method} {shown_url} was under way")

    def ensure_open(self, method: str, shown_url: str) -> None:
        if self.closed:
            raise self.closed_during(method, shown_url)

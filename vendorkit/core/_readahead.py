"""Read ahead, decode in turn: a page fetched ahead of the walk waits to decode its body until
the walk reaches it.

A walk with ``concurrency=N`` keeps N requests in flight so the network never idles, but it
hands pages over in order. Decoded on arrival, those N pages would sit in memory as Python
objects (several times their JSON's size) until their turn, and live long enough to be promoted
through the garbage collector's generations, which then scans them again and again. So a read
ahead carries a *turn*: its request is sent, answered and read at once (the connection goes
back to the pool), but the body is decoded only once the walk sets the turn. Until then it is
held as the bytes that arrived.

The turn travels in a context variable rather than as an argument through every layer between
the pager and the attempt: the pager sets it in the read-ahead's own task, and the retry loop
takes it (and clears it) when the call begins, so a request the call makes on the way (a token
grant, run in a task of its own) never waits for a turn that is not its own.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Awaitable, Callable
from typing import TypeVar

__all__ = ["read_ahead", "take_turn"]

T = TypeVar("T")

_TURN: contextvars.ContextVar[asyncio.Event | None] = contextvars.ContextVar(
    "vendorkit_read_ahead_turn", default=None
)


async def read_ahead(turn: asyncio.Event, fetch: Callable[[], Awaitable[T]]) -> T:
    """Run ``fetch()`` (in a task of its own) with its decoding held until ``turn`` is set.
    ``fetch`` is called here, not by the caller, so a read ahead cancelled before it starts
    leaves no coroutine behind that was never awaited."""
    _TURN.set(turn)  # this task's own copy of the context: nothing outside it sees the turn
    return await fetch()


def take_turn() -> asyncio.Event | None:
    """The turn of the call beginning here (None: decode at once), cleared for what it starts."""
    turn = _TURN.get()
    if turn is not None:
        _TURN.set(None)
    return turn

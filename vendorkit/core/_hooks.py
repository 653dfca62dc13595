"""Hooks: the callbacks a caller registers for metrics and tracing, and how they are fired.

A hook is the caller's code running inside our send path, so firing one must never break the
request it observes: a hook that raises is logged and ignored (cancellation still passes).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Callable, Mapping
from typing import Any

import attrs

__all__ = ["Hook", "Hooks", "RequestInfo"]

log = logging.getLogger("vendorkit")


@attrs.frozen
class RequestInfo:
    """What hooks and logs see of a request: method, redacted URL, redacted headers, attempt."""

    method: str
    url: str
    headers: Mapping[str, str]
    attempt: int


Hook = Callable[..., Any]

HOOK_NAMES = ("on_request", "on_response", "on_retry", "on_rate_limit")


@attrs.define(kw_only=True)
class Hooks:
    """Callbacks for metrics and tracing; each may be a plain function or a coroutine function.

    - ``on_request(info: RequestInfo)`` before each attempt is sent;
    - ``on_response(info: RequestInfo, status: int, elapsed: float)`` after each answer;
    - ``on_retry(attempt: int, delay: float, cause: BaseException | int)`` before a retry sleep
      (``cause`` is the status code or the exception);
    - ``on_rate_limit(wait: float, reason: str)`` when a request waits for a quota or a 429 pause.

    A hook that raises is logged and ignored: metrics must not break requests.
    """

    on_request: list[Hook] = attrs.field(factory=list)
    on_response: list[Hook] = attrs.field(factory=list)
    on_retry: list[Hook] = attrs.field(factory=list)
    on_rate_limit: list[Hook] = attrs.field(factory=list)

    async def fire(self, name: str, *args: Any) -> None:
        for hook in getattr(self, name):
            try:
                result = hook(*args)
                if inspect.isawaitable(result):
                    await result
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("vendorkit: %s hook %r raised; ignored", name, hook, exc_info=True)

"""When to retry, and how long to wait. Pure functions; the client wires them into tenacity.

The rules (idempotency decides everything):

- GET, HEAD, OPTIONS, PUT and DELETE are retried on 429, 502, 503, 504 and on transport errors.
- POST and PATCH are retried only when the request certainly did not take effect: a 429 (the
  vendor refused it) or a connection that was never made. A 500, a timeout or a dropped connection
  after sending may have applied the write, so those are raised, never resent.
- ``Retry-After`` (delta-seconds or HTTP-date) is a floor: jitter only ever adds to it. A wait
  longer than ``max_retry_wait`` is not slept: the error is raised at once.
- Otherwise exponential backoff with full jitter. ``asyncio.CancelledError`` is never retried.
"""

from __future__ import annotations

import asyncio
import email.utils
import random
from datetime import UTC, datetime
from enum import Enum

import attrs

from ._wire import IDEMPOTENT_METHODS

__all__ = [
    "FailureKind",
    "RetryDecision",
    "RetryPolicy",
    "backoff_delay",
    "parse_retry_after",
    "retry_decision",
]


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """How hard to try. ``max_retries`` counts retries after the first attempt (0: none).

    ``max_retry_wait`` (seconds): a server-requested wait longer than this raises instead of
    sleeping. ``backoff_base``/``backoff_max`` (seconds) shape the exponential backoff.
    """

    max_retries: int = attrs.field(default=3, validator=attrs.validators.ge(0))
    max_retry_wait: float = attrs.field(default=60.0, validator=attrs.validators.ge(0))
    backoff_base: float = attrs.field(default=0.5, validator=attrs.validators.ge(0))
    backoff_max: float = attrs.field(default=30.0, validator=attrs.validators.ge(0))
    retry_statuses: frozenset[int] = frozenset({429, 502, 503, 504})
    # Jitter added on top of a server-requested wait, so that many clients do not return at once.
    retry_after_jitter: float = 0.1


class FailureKind(Enum):
    """What went wrong with an attempt that got no HTTP answer."""

    CONNECT = "connect"  # the connection was never established: nothing was sent
    TRANSPORT = "transport"  # sent (or maybe sent) but no complete answer: dropped, timed out


@attrs.frozen
class RetryDecision:
    retry: bool
    # Seconds the server asked us to wait (a floor), or None to use backoff.
    retry_after: float | None = None
    # True when the server asked for a wait longer than the policy allows: raise, don't sleep.
    too_long: bool = False


#: The longest wait a ``Retry-After`` is believed for: a day, the longest quota window any vendor
#: here has. Beyond it (``1e999``, ``inf``, a date in the year 9999) the value is not a wait
#: anyone means: it is ignored, and backoff decides, so no server can pause a client forever.
MAX_RETRY_AFTER = 24 * 3600.0


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds: delta-seconds or an HTTP-date (a past date means 0); None when
    absent, unreadable or longer than ``MAX_RETRY_AFTER`` (then backoff decides)."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    if not value or len(value) > 64:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        # NaN and absurd lengths are not waits.
        return max(0.0, seconds) if 0 <= seconds <= MAX_RETRY_AFTER or seconds < 0 else None
    try:
        when = email.utils.parsedate_to_datetime(value)
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        delta = (when - (now or datetime.now(UTC))).total_seconds()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return max(0.0, delta) if delta <= MAX_RETRY_AFTER else None


def retry_decision(
    *,
    method: str,
    attempt: int,
    policy: RetryPolicy,
    status: int | None = None,
    failure: FailureKind | None = None,
    retry_after: float | None = None,
    exception: BaseException | None = None,
    repeatable: bool = False,
) -> RetryDecision:
    """Should attempt number ``attempt`` (1-based) be followed by another one? ``repeatable``:
    the request is safe to repeat although its method is not idempotent (a token grant)."""
    if isinstance(exception, asyncio.CancelledError):
        return RetryDecision(False)
    idempotent = repeatable or method.upper() in IDEMPOTENT_METHODS
    if status is not None:
        if status not in policy.retry_statuses:
            return RetryDecision(False)
        if not idempotent and status != 429:
            return RetryDecision(False)
        honour = retry_after if status in (429, 503) else None
    elif failure is not None:
        if not idempotent and failure is not FailureKind.CONNECT:
            return RetryDecision(False)
        honour = None
    else:
        return RetryDecision(False)
    if honour is not None and honour > policy.max_retry_wait:
        return RetryDecision(False, retry_after=honour, too_long=True)
    if attempt > policy.max_retries:
        return RetryDecision(False, retry_after=honour)
    return RetryDecision(True, retry_after=honour)


def backoff_delay(
    attempt: int,
    policy: RetryPolicy,
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> float:
    """Seconds to sleep before retry number ``attempt``: the server's floor plus a little jitter,
    or full-jitter exponential backoff (uniform between 0 and base * 2**(attempt-1), capped)."""
    r = rng or random
    if retry_after is not None:
        return retry_after + r.uniform(0, policy.retry_after_jitter)
    cap = min(policy.backoff_max, policy.backoff_base * (2 ** max(0, attempt - 1)))
    return r.uniform(0, cap)

"""The rules of one attempt and of the call around it, each a pure decision. No I/O.

``_attempt`` runs these as thin steps, in this order: wait out a 429 pause (``pause_wait``),
take credentials and a quota slot (``reauthorize_after_quota_wait``), send, replay once on a 401
(``replay_on_401``), follow redirects (``_redirects``), start a pause after a 429
(``pause_after``), decode the body (``answer_body``). Around the retries, ``_call`` reads the
final answer with ``final_outcome``. Each rule is a function of plain values, so each has unit
tests without a network.
"""

from __future__ import annotations

import enum
from typing import Any

import attrs

from vendorkit.errors import RateLimitError

from ._retry import FailureKind, parse_retry_after
from ._wire import WireResponse

__all__ = [
    "Answer",
    "FinalOutcome",
    "PauseWait",
    "answer_body",
    "final_outcome",
    "makes_uncertain",
    "pause_after",
    "pause_wait",
    "reauthorize_after_quota_wait",
    "refused_before_sending",
    "replay_on_401",
]


@attrs.frozen
class Answer:
    """An attempt's answer: the response, its decoded JSON body (None: none wanted or empty) and
    its ``Retry-After`` in seconds, parsed once here for every layer above (the 429 pause, the
    retry decision, the error raised)."""

    response: WireResponse
    body: Any = None
    retry_after: float | None = None

    @classmethod
    def of(cls, response: WireResponse, body: Any = None) -> Answer:
        return cls(response, body, parse_retry_after(response.headers.get("Retry-After")))

    @property
    def status(self) -> int:
        return self.response.status


# -- the 429 pause ----------------------------------------------------------------------------


@attrs.frozen
class PauseWait:
    """Before sending: ``wait`` seconds still to wait out (0: go now); ``refuse`` when that is
    longer than the client allows, so the request is refused at once instead of sleeping."""

    wait: float
    refuse: bool = False


def pause_wait(*, pause_until: float, now: float, max_wait: float) -> PauseWait:
    """Every request waits out a 429's Retry-After, not only the one that got it."""
    wait = pause_until - now
    if not wait > 0:  # no pause running (``not >``: a NaN is no pause either)
        return PauseWait(0.0)
    return PauseWait(wait, refuse=wait > max_wait)


def pause_after(*, status: int, retry_after: float | None, now: float, pause_until: float) -> float:
    """When the client-wide pause ends after this answer: a 429 with a ``Retry-After`` pauses
    every request until then (never shortening a pause already running); anything else leaves
    the pause as it was. ``parse_retry_after`` bounds the wait to a day."""
    if status != 429 or retry_after is None:
        return pause_until
    return max(pause_until, now + retry_after)


def refused_before_sending(
    *, vendor: str, method: str, shown_url: str, message: str, wait: float
) -> RateLimitError:
    """The 429-class error of a request refused before sending: it would have waited ``wait``
    seconds (a pause or a quota slot), longer than the client allows."""
    return RateLimitError(
        message, status=429, vendor=vendor, method=method, url=shown_url, retry_after=wait
    )


# -- credentials and quota ---------------------------------------------------------------------


def reauthorize_after_quota_wait(*, authenticate: bool, waited: bool) -> bool:
    """Credentials are taken before the quota slot (a token request takes a slot of its own, and
    a slot held while the token is fetched would count from long before its request arrives).
    So after waiting for the slot, they are taken again: the token may have been renewed or have
    expired meanwhile."""
    return authenticate and waited


def replay_on_401(*, status: int, authenticate: bool) -> bool:
    """Whether to ask the auth strategy to renew and replay: a 401 means the request was refused
    before it was processed, so replaying is safe, writes included. Once per attempt (the step
    asks only after the first send), and only for a request that carried credentials."""
    return status == 401 and authenticate


# -- what an answer says -------------------------------------------------------------------------


def makes_uncertain(*, status: int | None = None, failure: FailureKind | None = None) -> bool:
    """Whether the request may have been applied without our knowing: sent but no complete answer
    (a transport failure after connecting), or a 5xx (a gateway's 502/504 says nothing of what the
    origin did). A connection never made applied nothing."""
    if failure is not None:
        return failure is FailureKind.TRANSPORT
    return status is not None and status >= 500


def answer_body(method: str, response: WireResponse) -> Any:
    """The decoded JSON body of a success (None for an error status, a HEAD or an empty body).
    Raises ``ValueError`` for a success whose body is not JSON."""
    if not (200 <= response.status < 300) or method == "HEAD":
        return None
    if not response.body.strip():
        return None
    return response.json()


class FinalOutcome(enum.Enum):
    """What the call makes of the final answer, once retries are done."""

    OK = "ok"  # a success: its body is the result
    SEE_OTHER = "see_other"  # a write answered 303: read its result at the Location
    ALREADY_DELETED = "already_deleted"  # a DELETE's 404 after an uncertain attempt: done
    ERROR = "error"  # raise the typed error for the status


def final_outcome(*, method: str, status: int, attempts: int, uncertain: bool) -> FinalOutcome:
    """``status`` answered the last of ``attempts`` attempts of a ``method`` call; ``uncertain``:
    an earlier attempt may have been applied. A DELETE answered 404 after such an attempt
    succeeded (that attempt deleted the record). Below 200 is no success either: a final 101 or
    a status of 000 is nothing a caller can build on."""
    if status == 303 and method not in ("GET", "HEAD"):
        return FinalOutcome.SEE_OTHER
    if status == 404 and method == "DELETE" and attempts > 1 and uncertain:
        return FinalOutcome.ALREADY_DELETED
    if not 200 <= status < 300:
        return FinalOutcome.ERROR
    return FinalOutcome.OK

"""Fault injection for the emulators: what can go wrong, and when it does.

Pure decisions (no I/O): a ``FaultProfile`` says which faults may happen and how often; a
``FaultPlan`` (one per emulator) draws the next fault from a seeded ``random.Random`` or from a
script of "the next K requests". The emulator's middleware acts on the answer.
"""

from __future__ import annotations

import random
import re
from collections import deque
from collections.abc import Iterable

import attrs

__all__ = ["FAULT_KINDS", "FaultPlan", "FaultProfile"]

#: Every fault an emulator can inject.
#:
#: - ``"500"``, ``"502"``, ``"503"``, ``"504"``: that status with the vendor's error body.
#: - ``"429"``: throttled, with ``Retry-After: FaultProfile.retry_after`` (delta-seconds).
#: - ``"429_date"``: throttled, with ``Retry-After`` as an HTTP-date (RFC 9110), at least
#:   ``retry_after`` seconds ahead: the date has whole seconds, so it is rounded up, and the
#:   client waits between ``retry_after`` and ``retry_after + 1`` seconds.
#: - ``"html"``: a 502 whose body is an HTML page, as a proxy in front of the vendor sends.
#: - ``"drop_before"``: the connection is closed before the request is applied (nothing changed).
#: - ``"drop_after"``: the request is applied (a write is stored), then the connection is closed
#:   without an answer: the client cannot know whether it took effect.
#: - ``"slow"``: the answer comes after ``FaultProfile.slow_seconds``.
#: - ``"truncated"``: a 200 whose JSON body is cut in half.
#: - ``"truncated_utf8"``: a 200 whose body is cut inside a multi-byte UTF-8 sequence (the body's
#:   first non-ASCII character, or, in an all-ASCII body, two bytes of a three-byte one added at
#:   the cut), so it is not even valid text.
#: - ``"short_body"``: a 200 whose ``Content-Length`` promises the whole body but only half of it
#:   is sent before the connection closes.
#: - ``"bad_status_line"``: the request is applied, then the answer's status line is garbled
#:   (``HTTP/1.1 2x0 OK``), as a broken proxy or a non-HTTP service on the port sends.
#:
#: Every kind but ``"drop_before"`` and the error statuses lets the request be applied: a write
#: that meets ``"drop_after"``, ``"slow"``, ``"bad_status_line"`` or a truncation is stored.
FAULT_KINDS = frozenset(
    {
        "500",
        "502",
        "503",
        "504",
        "429",
        "429_date",
        "html",
        "drop_before",
        "drop_after",
        "slow",
        "truncated",
        "truncated_utf8",
        "short_body",
        "bad_status_line",
    }
)


def _kinds(value: Iterable[str] | str) -> tuple[str, ...]:
    kinds = (value,) if isinstance(value, str) else tuple(value)
    unknown = [k for k in kinds if k not in FAULT_KINDS]
    if unknown:
        raise ValueError(f"unknown fault kind(s) {unknown}; known: {sorted(FAULT_KINDS)}")
    return kinds


@attrs.frozen
class FaultProfile:
    """Which faults an emulator injects.

    ``rate`` is the share of requests (0..1) that meet a fault, drawn uniformly from ``kinds``
    with a ``random.Random(seed)``; ``script`` is a list of faults for the next requests, in order,
    before any random ones. ``paths`` (a regular expression searched in the request path) limits
    faults to matching requests; token endpoints are spared unless ``include_auth`` is set, so a
    fault profile tests the API calls rather than the login. With ``include_auth``, token requests
    meet faults at ``auth_rate`` (default: ``rate``) drawn from ``auth_kinds`` (default:
    ``kinds``), from the same dice.
    """

    rate: float = attrs.field(
        default=0.0, validator=[attrs.validators.ge(0), attrs.validators.le(1)]
    )
    kinds: tuple[str, ...] = attrs.field(default=("503",), converter=_kinds)
    script: tuple[str, ...] = attrs.field(default=(), converter=_kinds)
    slow_seconds: float = 1.0
    retry_after: float = 1.0
    seed: int = 0
    paths: str | None = None
    include_auth: bool = False
    auth_rate: float | None = attrs.field(
        default=None,
        validator=attrs.validators.optional([attrs.validators.ge(0), attrs.validators.le(1)]),
    )
    auth_kinds: tuple[str, ...] | None = attrs.field(
        default=None, converter=attrs.converters.optional(_kinds)
    )


class FaultPlan:
    """The running state of one emulator's faults: the script still to play, and the dice."""

    def __init__(self, profile: FaultProfile | None) -> None:
        self.profile = profile or FaultProfile()
        self._rng = random.Random(self.profile.seed)
        self._script: deque[tuple[str, re.Pattern[str] | None]] = deque(
            (k, None) for k in self.profile.script
        )
        self._paths = re.compile(self.profile.paths) if self.profile.paths else None

    def inject(self, *kinds: str, path: str | None = None) -> None:
        """Script the next ``len(kinds)`` matching requests (``path``: a regex on the path)."""
        pattern = re.compile(path) if path else None
        self._script.extend((k, pattern) for k in _kinds(kinds))

    def clear(self) -> None:
        self._script.clear()

    def next_fault(self, path: str, *, is_auth: bool) -> str | None:
        """The fault for this request, or ``None``."""
        if is_auth and not self.profile.include_auth:
            return None
        for i, (kind, pattern) in enumerate(self._script):
            if pattern is None and self._paths is not None and not self._paths.search(path):
                continue
            if pattern is not None and not pattern.search(path):
                continue
            del self._script[i]
            return kind
        profile = self.profile
        rate, kinds = profile.rate, profile.kinds
        if is_auth:
            rate = profile.rate if profile.auth_rate is None else profile.auth_rate
            kinds = profile.auth_kinds or profile.kinds
        if rate <= 0 or (self._paths is not None and not self._paths.search(path)):
            return None
        if self._rng.random() < rate:
            return self._rng.choice(kinds)
        return None

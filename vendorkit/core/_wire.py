"""Plain values for one HTTP exchange. No I/O (how they are shown is ``_redact``'s to decide).

Every decision in the core (retry or not, where the next page is, which error this is) is a function
of these values, so it can be tested without a network.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from vendorkit import _json

from ._redact import SENSITIVE_KEYS, redact_url

__all__ = [
    "SENSITIVE_KEYS",
    "WireRequest",
    "WireResponse",
    "loads_json",
    "merge_headers",
    "redact_url",
    "same_origin",
]

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


def same_origin(a: URL, b: URL) -> bool:
    """Scheme, host and (effective) port equal, and no user-info smuggled into ``b``."""
    if b.user is not None or b.password is not None:
        return False
    return (
        a.scheme.lower() == b.scheme.lower()
        and (a.host or "").lower() == (b.host or "").lower()
        and a.port == b.port
    )


@attrs.frozen
class WireRequest:
    """An HTTP request as data. ``url`` is absolute; ``params`` are merged into its query."""

    method: str
    url: URL
    params: tuple[tuple[str, str], ...] = ()
    headers: Mapping[str, str] = attrs.field(factory=dict, repr=False)
    json: Any = attrs.field(default=None, repr=False)
    form: Mapping[str, str] | None = attrs.field(default=None, repr=False)
    # A body sent as these exact bytes (a multipart upload); its Content-Type goes in ``headers``.
    content: bytes | None = attrs.field(default=None, repr=False)
    # Safe to send again whatever happened to an earlier attempt, although the method is not
    # idempotent: a token grant (a new token each time, nothing else changes) is the example.
    repeatable: bool = False
    # Seconds this request may take on the wire (each attempt); None: the client's timeout.
    timeout: float | None = attrs.field(default=None, repr=False)

    @property
    def idempotent(self) -> bool:
        """Whether sending this request twice has the effect of sending it once."""
        return self.repeatable or self.method.upper() in IDEMPOTENT_METHODS

    @property
    def full_url(self) -> URL:
        return self.url.extend_query(list(self.params)) if self.params else self.url

    @property
    def safe_url(self) -> str:
        return redact_url(self.full_url)

    def __repr__(self) -> str:
        # Only the redacted URL: the raw URL and params may carry a secret query value.
        return f"<WireRequest {self.method} {self.safe_url}>"

    def with_headers(self, extra: Mapping[str, str]) -> WireRequest:
        merged = dict(self.headers)
        merged.update(extra)
        # Every field by name (``attrs.evolve`` introspects the class on each call: per request).
        return WireRequest(
            self.method,
            self.url,
            self.params,
            merged,
            self.json,
            self.form,
            self.content,
            self.repeatable,
            self.timeout,
        )


def _ci(headers: Mapping[str, str]) -> CIMultiDictProxy[str]:
    if isinstance(headers, CIMultiDictProxy):
        return headers
    return CIMultiDictProxy(CIMultiDict(headers))


@attrs.frozen
class WireResponse:
    """An HTTP response as data: status, case-insensitive headers, raw body bytes."""

    status: int
    headers: CIMultiDictProxy[str] = attrs.field(converter=_ci, repr=False)
    body: bytes = attrs.field(default=b"", repr=False)
    url: URL = attrs.field(factory=URL, repr=False)
    elapsed: float = attrs.field(default=0.0, repr=False)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    @property
    def is_json(self) -> bool:
        ctype = self.headers.get("Content-Type", "")
        return "json" in ctype.lower() or (not ctype and self.body[:1] in (b"{", b"["))

    def json(self) -> Any:
        """The body as JSON (``None`` when empty). Raises ``ValueError`` if it is not JSON."""
        return loads_json(self.body)


def loads_json(body: bytes) -> Any:
    """``body`` as JSON (``None`` when empty), read as the standard library reads it but faster
    (``vendorkit._json``). Raises ``ValueError`` if it is not JSON."""
    if not body or body.isspace():  # a C-speed test; no copy of a large body
        return None
    try:
        return _json.loads(body)
    except RecursionError:
        # Nesting deeper than the parser can follow: not a shape any vendor documents.
        raise ValueError("JSON nested too deeply") from None
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 ({exc.reason})") from None


def merge_headers(*layers: Mapping[str, str]) -> dict[str, str]:
    """Later layers win, whatever the case of the names (``accept-language`` replaces
    ``Accept-Language``), so one request never carries a header twice."""
    merged: dict[str, str] = {}
    names: dict[str, str] = {}
    for layer in layers:
        for name, value in layer.items():
            old = names.pop(name.lower(), None)
            if old is not None:
                del merged[old]
            names[name.lower()] = name
            merged[name] = value
    return merged

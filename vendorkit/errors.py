"""Everything vendorkit raises, as one tree.

    VendorkitError
    ├── ConfigurationError    (also ValueError) a missing or invalid setting or VENDORKIT_* variable
    ├── ClientStateError      (also RuntimeError) a closed client, or one used from another loop
    ├── TransportError        could not connect, timed out, connection dropped (``vendor``)
    │   ├── RequestTimeoutError   (also TimeoutError) no answer within the client's ``timeout=``
    │   └── SharedStateError      the shared token store or quota storage (Redis) failed
    ├── PaginationError       a loop, a foreign-origin link, or a malformed page
    ├── DecodeError           the vendor sent something that does not fit the documented shape
    │   └── ResponseTooLargeError  an answer larger than ``max_response_size``
    ├── ReadBackError         a write was applied, but reading the record back failed
    ├── CheckpointError       an export checkpoint that does not verify against its output
    ├── UnsafePathError       an export path that is a link or not a regular file
    ├── TaskTimeoutError      (also TimeoutError) a vendor's background task did not finish in time
    └── APIError              the vendor answered with an error status
        ├── BadRequestError              400
        ├── AuthenticationError          401
        ├── PermissionDeniedError        403
        ├── NotFoundError                404
        ├── ConflictError                409
        ├── UnprocessableEntityError     422
        ├── RateLimitError               429 (adds ``retry_after``)
        └── ServerError                  5xx

``str(error)`` is always one line. No error ever holds a credential: URLs are redacted before they
are stored here, and bodies are what the vendor sent back (vendors do not echo secrets).
"""

from __future__ import annotations

import re as _re
from collections.abc import Mapping
from typing import Any

__all__ = [
    "APIError",
    "AuthenticationError",
    "BadRequestError",
    "CheckpointError",
    "ClientStateError",
    "ConfigurationError",
    "ConflictError",
    "DecodeError",
    "NotFoundError",
    "PaginationError",
    "PermissionDeniedError",
    "RateLimitError",
    "ReadBackError",
    "RequestTimeoutError",
    "ResponseTooLargeError",
    "ServerError",
    "SharedStateError",
    "TaskTimeoutError",
    "TransportError",
    "UnprocessableEntityError",
    "UnsafePathError",
    "VendorkitError",
    "error_class_for_status",
]


# Characters a terminal acts on rather than shows: C0/C1 controls (ESC starts the sequences that
# retitle a window or disguise a link) and the bidirectional overrides that reorder text.
_CONTROLS = _re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _escape(match: _re.Match[str]) -> str:
    return match.group().encode("unicode_escape").decode("ascii")


def _one_line(text: str, limit: int = 300) -> str:
    """One printable line: whitespace runs become one space, and what a terminal would act on
    (an escape sequence a vendor's message carries) is shown escaped."""
    flat = _CONTROLS.sub(_escape, " ".join(str(text).split()))
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


class VendorkitError(Exception):
    """Base of every error vendorkit raises."""

    def __str__(self) -> str:
        return _one_line(super().__str__())


class ConfigurationError(VendorkitError, ValueError):
    """A setting is missing or invalid (a ``VENDORKIT_*`` variable, an unknown option)."""


class ClientStateError(VendorkitError, RuntimeError):
    """The client cannot be used in this state: closed, or used from another event loop."""


class TransportError(VendorkitError):
    """The request did not get an HTTP answer: connection refused or dropped, or a timeout.

    ``vendor``: the vendor it was for, where a request to one was under way (None for the
    broker, say)."""

    # A class attribute, set on the instance where known: the constructor stays the plain
    # exception's, so the error pickles (a Celery worker's result) like any other.
    vendor: str | None = None


class RequestTimeoutError(TransportError, TimeoutError):
    """The vendor did not answer within the client's ``timeout=`` (connecting included): a
    gateway's 504, where a refused or dropped connection is its 502. Also a ``TimeoutError``,
    so ``except TimeoutError`` catches it as it catches ``asyncio.timeout``'s."""


class SharedStateError(TransportError):
    """What the clients of one account share across processes could not be reached: the token
    store or the quota's storage on Redis (``redis_url=``), or the token lock another process
    held too long. The app's own infrastructure, not the vendor: a 503 for its callers."""


class PaginationError(VendorkitError):
    """A paginator found a loop, a link to another origin, or a page it cannot read."""


class DecodeError(VendorkitError):
    """A response body could not be read as the documented shape (invalid JSON, wrong types)."""


class ResponseTooLargeError(DecodeError):
    """An answer's body (after decompression) passed the client's ``max_response_size``."""


class ReadBackError(VendorkitError):
    """A write was applied, but the read that was to return the record failed.

    ``record_id`` is the id of the record written (a create's new id), so that the caller does not
    write it again; ``method`` is the write's method; ``__cause__`` is the read's error. Retrying
    the write would create a second record: read it with ``get(record_id)`` instead.
    """

    def __init__(self, message: str, *, record_id: Any, method: str = "") -> None:
        super().__init__(message)
        self.record_id = record_id
        self.method = method

    def __reduce__(self) -> Any:
        return (_rebuild_plain, (type(self), str(self.args[0]) if self.args else "", self.__dict__))


def _rebuild_plain(cls: type[VendorkitError], message: str, state: dict[str, Any]) -> Any:
    err = cls.__new__(cls)
    Exception.__init__(err, message)
    err.__dict__.update(state)
    return err


class CheckpointError(VendorkitError):
    """A checkpoint that cannot be trusted: it does not verify against its output (an offset,
    a count or a digest that disagrees with the part file, a part file gone or changed) or it is
    not a checkpoint this version writes (wrong types, missing fields). The job is refused, never
    resumed into a gap or a duplicate; the message says how to start it over."""


class UnsafePathError(VendorkitError):
    """A path an export writes (an output, its ``.part`` or ``.tmp`` file, a checkpoint, a folder
    it creates) is a symbolic link or not a regular file: the export refuses to write through it."""


class TaskTimeoutError(VendorkitError, TimeoutError):
    """A vendor-side background task did not complete within the caller's timeout."""


class APIError(VendorkitError):
    """The vendor answered with an error status.

    ``code`` is the vendor's machine-readable error id where it has one; ``field_errors`` maps a
    field name to its messages; ``trace_id`` is the vendor's request/trace id header, if any.
    """

    status: int

    def __init__(
        self,
        message: str = "",
        *,
        status: int = 0,
        vendor: str = "",
        method: str = "",
        url: str = "",
        code: str | None = None,
        field_errors: Mapping[str, list[str]] | None = None,
        non_field_errors: list[str] | None = None,
        trace_id: str | None = None,
        body: Any = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.vendor = vendor
        self.method = method
        self.url = url
        self.code = code
        self.message = message
        self.field_errors: dict[str, list[str]] = dict(field_errors or {})
        self.non_field_errors: list[str] = list(non_field_errors or [])
        self.trace_id = trace_id
        self.body = body

    @property
    def path(self) -> str:
        """The URL's path (and query), which is what ``str()`` shows."""
        from yarl import URL

        try:
            u = URL(self.url)
        except (ValueError, TypeError):
            return self.url
        return str(u.relative()) if u.is_absolute() else self.url

    def __str__(self) -> str:
        parts = [p for p in (self.vendor, self.method, self.path) if p]
        head = " ".join(parts)
        text = f"{head} -> {self.status}" if head else str(self.status)
        detail = self.message
        problems = [f"{k}: {' '.join(v)}" for k, v in self.field_errors.items()]
        problems += [m for m in self.non_field_errors if m != detail]
        if problems and not all(p in (detail or "") for p in problems):
            # Say what was wrong, not only that something was ("Validation failed").
            listed = "; ".join(problems)
            detail = f"{detail} ({listed})" if detail else listed
        if self.code and self.code not in detail:
            detail = f"[{self.code}] {detail}" if detail else f"[{self.code}]"
        if detail:
            text += f": {detail}"
        if self.trace_id:
            text += f" (trace id {self.trace_id})"
        return _one_line(text, 500)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"

    def __reduce__(self) -> Any:
        # Keyword-only constructor: make errors picklable (they cross process pools in bulk jobs).
        return (_rebuild, (type(self), self.message, dict(self.__dict__)))


def _rebuild(cls: type[APIError], message: str, state: dict[str, Any]) -> APIError:
    err = cls.__new__(cls)
    Exception.__init__(err, message)
    err.__dict__.update(state)
    return err


class BadRequestError(APIError):
    """400: the request was malformed or a field was invalid."""


class AuthenticationError(APIError):
    """401: missing, expired or wrong credentials (also a rejected token request)."""


class PermissionDeniedError(APIError):
    """403: the credentials are valid but not allowed to do this."""


class NotFoundError(APIError):
    """404: no such resource, or not visible to these credentials."""


class ConflictError(APIError):
    """409: the request conflicts with the resource's current state."""


class UnprocessableEntityError(APIError):
    """422: the request was understood but a field failed validation."""


class RateLimitError(APIError):
    """429: throttled. ``retry_after``: the seconds the vendor asked us to wait, if it said."""

    def __init__(self, message: str = "", *, retry_after: float | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after

    def __str__(self) -> str:
        text = super().__str__()
        if self.retry_after is not None:
            text += f" (retry after {self.retry_after:g}s)"
        return text


class ServerError(APIError):
    """5xx: the vendor failed; usually worth retrying later."""


_BY_STATUS: dict[int, type[APIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def error_class_for_status(status: int) -> type[APIError]:
    """The most specific ``APIError`` subclass for an HTTP status."""
    if status >= 500:
        return ServerError
    return _BY_STATUS.get(status, APIError)

"""What an app answers its own caller when a vendor call failed: ``error_answer``. Pure.

A vendor's error is not the browser's: a 401 from MakeLeaps means the app's credentials are
wrong, and answering 401 would make a browser ask its user for a password. So the mapping is the
gateway's view (RFC 9110): the vendor's "not found" and "conflict" and its refusal of the data
pass through (404, 409, 422), a spent quota is a 503 with ``Retry-After`` (the caller may try
again then), a vendor that failed or could not be reached is a 502 (504 when it did not answer
in time), the app's own shared token or quota store (Redis) unreachable a 503, our own
misconfiguration a 500. The body names the vendor and its trace id, never the vendor's URL or
message (which may quote the request): those go to the app's log, ``str(error)``.
"""

from __future__ import annotations

import math

import attrs

from vendorkit import errors

__all__ = ["ErrorAnswer", "error_answer"]


@attrs.frozen
class ErrorAnswer:
    """An HTTP answer for an app's caller: status, headers and a small JSON body."""

    status: int
    error: str  # a machine-readable word: "not_found", "vendor_quota", ...
    detail: str  # one line for people, with nothing of the vendor's own message
    headers: dict[str, str] = attrs.field(factory=dict)
    vendor: str | None = None
    trace_id: str | None = None

    def body(self) -> dict[str, str]:
        out = {"error": self.error, "detail": self.detail}
        if self.vendor:
            out["vendor"] = self.vendor
        if self.trace_id:
            out["trace_id"] = self.trace_id
        return out


# In order: the first class the error is an instance of decides.
_BY_CLASS: tuple[tuple[type[BaseException], int, str, str], ...] = (
    (errors.NotFoundError, 404, "not_found", "not found at the vendor"),
    (errors.ConflictError, 409, "conflict", "the vendor refused it as a conflict"),
    (errors.BadRequestError, 422, "refused", "the vendor refused the data"),
    (errors.UnprocessableEntityError, 422, "refused", "the vendor refused the data"),
    (errors.RateLimitError, 503, "vendor_quota", "the vendor's quota is spent for now"),
    (errors.AuthenticationError, 502, "vendor_auth", "the app's vendor credentials were refused"),
    (errors.PermissionDeniedError, 502, "vendor_auth", "the app's vendor credentials were refused"),
    (errors.ServerError, 502, "vendor_failed", "the vendor failed"),
    (errors.TaskTimeoutError, 504, "vendor_timeout", "the vendor did not answer in time"),
    (errors.RequestTimeoutError, 504, "vendor_timeout", "the vendor did not answer in time"),
    (
        errors.SharedStateError,
        503,
        "unavailable",
        "the app's shared token and quota store could not be reached",
    ),
    (errors.TransportError, 502, "vendor_unreachable", "the vendor could not be reached"),
    (errors.DecodeError, 502, "vendor_failed", "the vendor's answer could not be read"),
    (errors.PaginationError, 502, "vendor_failed", "the vendor's pages could not be followed"),
    (errors.APIError, 502, "vendor_failed", "the vendor answered with an error"),
    (errors.VendorkitError, 500, "internal", "the app could not make the vendor call"),
)


def error_answer(error: BaseException) -> ErrorAnswer:
    """The answer for ``error`` (any exception; anything not vendorkit's is a 500)."""
    vendor = getattr(error, "vendor", None) or None
    trace_id = getattr(error, "trace_id", None) or None
    status, word, detail = next(
        ((s, w, d) for cls, s, w, d in _BY_CLASS if isinstance(error, cls)),
        (500, "internal", "the app failed"),
    )
    headers: dict[str, str] = {}
    if isinstance(error, errors.RateLimitError):
        wait = error.retry_after
        # Whole seconds, at least 1 (RFC 9110's delay-seconds); unknown or absurd: not said.
        if wait is not None and math.isfinite(wait) and 0 <= wait <= 86400:
            headers["Retry-After"] = str(max(1, math.ceil(wait)))
    if vendor:
        detail = f"{vendor}: {detail}"
    return ErrorAnswer(status, word, detail, headers, vendor, trace_id)

"""One logical call: a request with credentials and retries, its final answer judged.

``send_checked`` is the layer adapters reach (through ``BaseClient.send_json``): below it the
retry loop and the attempt pipeline; here, what the final answer means (``final_outcome``): a
success, a write's ``303 See Other`` (its result read back with a GET), a DELETE whose uncertain
earlier attempt already deleted the record, or the typed ``APIError`` of its status.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from yarl import URL

from vendorkit.errors import ReadBackError, VendorkitError

from ._attempt import Attempts, Exchange
from ._attempt_rules import Answer, FinalOutcome, final_outcome
from ._errors import error_from_response
from ._options import http_method
from ._redact import redact_url
from ._redirects import see_other_target
from ._retryloop import send_retrying
from ._wire import WireRequest, merge_headers

__all__ = ["build_request", "send_checked"]

log = logging.getLogger("vendorkit")


def build_request(
    method: str,
    url: URL,
    *,
    headers: Sequence[Mapping[str, str]],
    json: Any = None,
    content: bytes | None = None,
    timeout: float | None = None,
) -> WireRequest:
    """The request of a call: ``headers`` are layers merged in order, later ones winning
    whatever the case of the names (``Accept: application/json`` comes first); ``timeout``
    (seconds per attempt) replaces the client's when set."""
    return WireRequest(
        http_method(method),
        url,
        headers=merge_headers({"Accept": "application/json"}, *headers),
        json=json,
        content=content,
        timeout=timeout,
    )


async def send_checked(
    attempts: Attempts, request: WireRequest, exchange: Exchange | None = None
) -> Answer:
    """Send ``request`` with auth and retries; raise the typed error for an error status.
    ``exchange``: the caller's, to read how many attempts the call took (a raw response)."""
    if exchange is None:
        exchange = Exchange()
    answer = await send_retrying(attempts, request, authenticate=True, exchange=exchange)
    outcome = final_outcome(
        method=request.method,
        status=answer.status,
        attempts=exchange.attempts,
        uncertain=exchange.uncertain,
    )
    if outcome is FinalOutcome.OK:
        return answer
    if outcome is FinalOutcome.SEE_OTHER:
        return await _see_other(attempts, request, answer)
    if outcome is FinalOutcome.ALREADY_DELETED:
        log.info(
            "vendorkit: %s DELETE %s answered 404 after an attempt whose outcome was "
            "unknown: that attempt deleted it",
            attempts.vendor,
            attempts.shown(request),
        )
        return Answer(answer.response, None, answer.retry_after)
    spec = attempts.settings.spec
    raise error_from_response(
        answer.response,
        vendor=spec.name,
        method=request.method,
        parser=spec.error_parser,
        trace_id_header=spec.trace_id_header,
        retry_after=answer.retry_after,
        secrets=attempts.secrets(),
    )


async def _see_other(attempts: Attempts, request: WireRequest, answer: Answer) -> Answer:
    """A write answered ``303 See Other``: it was processed, and the ``Location`` (on the
    vendor's origin) holds the result (RFC 9110 15.4.4), which is read with a GET. If that
    read fails, the write still happened: ``ReadBackError`` names the Location, so the
    caller does not write again."""
    response = answer.response
    vendor = attempts.vendor
    target = see_other_target(
        location=response.headers.get("Location", ""), url=response.url, origin=attempts.origin
    )
    if target is None:
        raise ReadBackError(
            f"{vendor} {request.method} {attempts.shown(request)}: the write was "
            f"processed, but its 303 names no Location on {redact_url(attempts.origin)}",
            record_id=None,
            method=request.method,
        )
    # The same headers as the write (they were merged for this call), no body.
    read = WireRequest("GET", target, headers=request.headers, timeout=request.timeout)
    try:
        return await send_checked(attempts, read)
    except VendorkitError as exc:
        error = ReadBackError(
            f"{vendor} {request.method} {attempts.shown(request)}: the write was "
            f"processed (see {redact_url(target)}), but reading it failed: {exc}",
            record_id=str(target),
            method=request.method,
        )
        cause = exc
    raise error from cause

"""Turning an error response into the right ``APIError``. Pure: no I/O.

Core owns the status -> class table; each vendor supplies only an ``ErrorParser`` saying where its
message, code, field errors and non-field errors are. A body that is not JSON (an HTML page from a
proxy, a truncated answer) still gives the right class with a readable one-line message.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs

from vendorkit.errors import APIError, RateLimitError, error_class_for_status

from ._redact import redact_known, redact_url
from ._wire import WireResponse

__all__ = [
    "ErrorInfo",
    "ErrorParser",
    "as_messages",
    "default_error_parser",
    "error_from_response",
    "field_error_parser",
    "trace_id_of",
]


@attrs.frozen
class ErrorInfo:
    """What a vendor's error body says, in vendor-neutral terms."""

    message: str = ""
    code: str | None = None
    field_errors: Mapping[str, list[str]] = attrs.field(factory=dict)
    non_field_errors: list[str] = attrs.field(factory=list)


ErrorParser = Callable[[int, Any], ErrorInfo]
"""``(status, parsed_json_body) -> ErrorInfo``; only called when the body is JSON."""


def as_messages(value: Any) -> list[str]:
    """Normalise a vendor's "messages" value (string, list, nested dict) into a list of strings."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        out: list[str] = []
        for v in value:
            out.extend(as_messages(v))
        return out
    if isinstance(value, dict):
        out = []
        for k, v in value.items():
            out.extend(f"{k}: {m}" for m in as_messages(v))
        return out
    return [str(value)]


def default_error_parser(status: int, body: Any) -> ErrorInfo:
    """A best effort over the common shapes: ``detail``, ``message``, ``error`` + description."""
    if not isinstance(body, dict):
        return ErrorInfo(message=" ".join(as_messages(body)))
    code = body.get("code") or (body.get("error") if isinstance(body.get("error"), str) else None)
    for key in ("message", "error_description", "detail", "error_message"):
        if isinstance(body.get(key), str):
            return ErrorInfo(message=body[key], code=code)
    return ErrorInfo(message=" ".join(as_messages(body))[:300], code=code)


def field_error_parser(status: int, body: Any) -> ErrorInfo:
    """Field-keyed errors (``{"field": ["msg"], "non_field_errors": [..]}`` or ``{"detail": ..}``),
    the shape of Django REST Framework APIs."""
    if not isinstance(body, dict):
        return default_error_parser(status, body)
    message = ""
    for key in ("detail", "message", "error_description"):
        if isinstance(body.get(key), str):
            message = body[key]
            break
    code = body.get("code") if isinstance(body.get("code"), str) else None
    if code is None and isinstance(body.get("error"), str):
        code = body["error"]
    non_field = as_messages(body.get("non_field_errors"))
    skip = {"detail", "message", "error_description", "code", "error", "non_field_errors"}
    skip |= {"status_code", "status"}
    fields = {str(k): as_messages(v) for k, v in body.items() if k not in skip}
    return ErrorInfo(message=message, code=code, field_errors=fields, non_field_errors=non_field)


#: How much of a non-JSON error body is looked at for its summary: a proxy's error page says
#: what it is in its first lines, and a bounded, linear scan keeps a hostile 100 MB page from
#: costing more than a glance.
SUMMARY_SCAN = 64 * 1024


def _title(head: str, lower: str) -> str | None:
    start = lower.find("<title")
    if start < 0:
        return None
    gt = lower.find(">", start)
    end = lower.find("</title", gt + 1) if gt >= 0 else -1
    return head[gt + 1 : end] if end >= 0 else None


def _strip_tags(head: str, lower: str) -> str:
    """The text between tags, without ``<script>``/``<style>`` blocks. One pass: every step
    moves forward (a regex with a lazy ``.*?`` goes quadratic on unclosed tags)."""
    out: list[str] = []
    i, n = 0, len(head)
    while i < n:
        lt = head.find("<", i)
        if lt < 0:
            out.append(head[i:])
            break
        out.append(head[i:lt])
        out.append(" ")
        for block in ("script", "style"):
            if lower.startswith(block, lt + 1):
                close = lower.find(f"</{block}", lt + 1)
                if close < 0:
                    return "".join(out)
                lt = close
                break
        gt = head.find(">", lt + 1)
        if gt < 0:
            break
        i = gt + 1
    return "".join(out)


def text_summary(text: str, limit: int = 200) -> str:
    """A readable one-line summary of a non-JSON body: an HTML page's title, or its text."""
    head = text[:SUMMARY_SCAN]
    lower = head.lower()
    title = _title(head, lower)
    plain = title if title is not None and title.strip() else _strip_tags(head, lower)
    flat = " ".join(html.unescape(plain).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _scrub(value: Any, secrets: tuple[str, ...]) -> Any:
    """``value`` (a JSON value) with every known secret removed from its strings."""
    if isinstance(value, str):
        return redact_known(value, secrets)
    if isinstance(value, list):
        return [_scrub(v, secrets) for v in value]
    if isinstance(value, dict):
        return {redact_known(str(k), secrets): _scrub(v, secrets) for k, v in value.items()}
    return value


def error_from_response(
    response: WireResponse,
    *,
    vendor: str,
    method: str,
    parser: ErrorParser = default_error_parser,
    trace_id_header: str | None = None,
    retry_after: float | None = None,
    secrets: Iterable[str] = (),
) -> APIError:
    """The typed error for an error response (status >= 400). ``secrets``: credential values
    the client holds, scrubbed from everything the error carries (a hostile or broken server may
    echo them back)."""
    body: Any
    try:
        body = response.json()
        info = parser(response.status, body) if body is not None else ErrorInfo()
    except ValueError:
        body = response.text
        info = ErrorInfo(message=text_summary(body))
    except Exception as exc:  # a vendor parser tripped on an odd body: still raise the right class
        body = response.text
        info = ErrorInfo(message=f"unreadable error body ({type(exc).__name__})")
    known = tuple(secrets)
    if known:
        body = _scrub(body, known)
        info = ErrorInfo(
            message=redact_known(str(info.message), known),
            code=None if info.code is None else redact_known(str(info.code), known),
            field_errors={
                redact_known(str(k), known): [redact_known(str(m), known) for m in v]
                for k, v in info.field_errors.items()
            },
            non_field_errors=[redact_known(str(m), known) for m in info.non_field_errors],
        )
    message = info.message
    if not message:
        message = " ".join(
            [f"{k}: {' '.join(v)}" for k, v in info.field_errors.items()] + info.non_field_errors
        )
    if not message:
        message = _reason(response.status)
    cls = error_class_for_status(response.status)
    kwargs: dict[str, Any] = dict(
        status=response.status,
        vendor=vendor,
        method=method,
        url=redact_url(response.url, known),
        # A parser may pass a vendor's numeric code through: ``str(error)`` needs a string.
        code=None if info.code is None else str(info.code),
        field_errors={k: list(v) for k, v in info.field_errors.items()},
        non_field_errors=list(info.non_field_errors),
        trace_id=trace_id_of(response, trace_id_header, known),
        body=body,
    )
    if issubclass(cls, RateLimitError):
        return cls(message, retry_after=retry_after, **kwargs)
    return cls(message, **kwargs)


def trace_id_of(response: WireResponse, header: str | None, known: tuple[str, ...]) -> str | None:
    """The vendor's trace id, as shown: one line, and never a credential (a proxy or a debug
    build may echo the request's ``Authorization`` into it)."""
    value = response.headers.get(header) if header else None
    if value is None:
        return None
    return redact_known(" ".join(value.split())[:200], known)


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return f"HTTP {status}"

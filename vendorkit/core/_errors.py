"""Turning an error response into the right ``APIError``. Pure: no I/O.

Core owns the status -> class table; each vendor supplies only an ``ErrorParser`` saying where its
message, code, field errors and non-field errors are. A body that is not JSON (an HTML page from a
proxy, a truncated answer) still gives the right class with a readable one-line message.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from vendorkit.errors import APIError, RateLimitError, error_class_for_status

from ._wire import WireResponse, redact_url

__all__ = [
    "ErrorInfo",
    "ErrorParser",
    "as_messages",
    "default_error_parser",
    "error_from_response",
    "field_error_parser",
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


_TAG = re.compile(r"<[^>]+>")
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.I | re.S)
_SCRIPT = re.compile(r"<(script|style)[^>]*>.*?</\1>", re.I | re.S)


def text_summary(text: str, limit: int = 200) -> str:
    """A readable one-line summary of a non-JSON body: an HTML page's title, or its text."""
    m = _TITLE.search(text)
    if m and m.group(1).strip():
        plain = m.group(1)
    else:
        plain = _TAG.sub(" ", _SCRIPT.sub(" ", text))
    flat = " ".join(html.unescape(plain).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def error_from_response(
    response: WireResponse,
    *,
    vendor: str,
    method: str,
    parser: ErrorParser = default_error_parser,
    trace_id_header: str | None = None,
    retry_after: float | None = None,
) -> APIError:
    """The typed error for an error response (status >= 400)."""
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
        url=redact_url(response.url),
        # A parser may pass a vendor's numeric code through: ``str(error)`` needs a string.
        code=None if info.code is None else str(info.code),
        field_errors={k: list(v) for k, v in info.field_errors.items()},
        non_field_errors=list(info.non_field_errors),
        trace_id=response.headers.get(trace_id_header) if trace_id_header else None,
        body=body,
    )
    if issubclass(cls, RateLimitError):
        return cls(message, retry_after=retry_after, **kwargs)
    return cls(message, **kwargs)


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return f"HTTP {status}"

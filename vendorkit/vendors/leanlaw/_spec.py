"""LeanLaw as a declaration (``leanlaw.txt``): Bearer API key, ``{"data": ...}`` envelope,
limit/offset pagination (limit max 1000), sparse PUT, camelCase keys, ``x-leanlaw-traceid``."""

from __future__ import annotations

from typing import Any

from vendorkit.core import (
    Endpoint,
    Envelope,
    ErrorInfo,
    OffsetLimit,
    VendorSpec,
    as_messages,
    default_error_parser,
)

from . import models

__all__ = ["ENDPOINTS", "SPEC", "parse_error"]


def parse_error(status: int, body: Any) -> ErrorInfo:
    """LeanLaw's docs do not show an error body. Assumed, in order: ``{"error": {"code",
    "message", "details": [{"field", "message"}]}}``; ASP.NET problem details (``title``,
    ``errors: {field: [..]}``); ``{"message"}``/``{"error": ".."}``; anything else is summarised."""
    if not isinstance(body, dict):
        return default_error_parser(status, body)
    err = body.get("error")
    fields: dict[str, list[str]] = {}
    if isinstance(err, dict):
        for d in err.get("details") or []:
            if isinstance(d, dict) and d.get("field"):
                fields.setdefault(str(d["field"]), []).extend(as_messages(d.get("message")))
        code = err.get("code")
        return ErrorInfo(
            message=str(err.get("message") or ""),
            code=str(code) if code is not None else None,
            field_errors=fields,
        )
    errors = body.get("errors")
    if isinstance(errors, dict):
        fields = {str(k): as_messages(v) for k, v in errors.items()}
    elif isinstance(errors, list):
        for e in errors:
            if isinstance(e, dict) and e.get("field"):
                fields.setdefault(str(e["field"]), []).extend(as_messages(e.get("message")))
    message = body.get("message") or body.get("title") or body.get("detail")
    code = body.get("code") or (err if isinstance(err, str) else None)
    if not message and isinstance(err, str):
        message = body.get("error_description") or err
    return ErrorInfo(
        message=str(message or ""),
        code=str(code) if code is not None else None,
        field_errors=fields,
    )


SPEC = VendorSpec(
    name="leanlaw",
    base_url="https://api.leanlaw.io",
    envelope=Envelope(records="data", total="pagination.total", item="data"),
    paginator=OffsetLimit(
        offset_param="offset", limit_param="limit", default_size=1000, max_size=1000
    ),
    error_parser=parse_error,
    trace_id_header="x-leanlaw-traceid",
    key_style="camel",
    comma_params=frozenset({"select"}),
    # The docs publish no numbers: no client-side quota by default; 429s are retried honouring
    # Retry-After. Pass rate_limit="N/minute" to add one.
    quotas=(),
)

ENDPOINTS = {
    "clients": Endpoint(path="/v2/clients", model=models.Client, update_method="PUT"),
    "matters": Endpoint(path="/v2/matters", model=models.Matter, update_method="PUT"),
    "time_entries": Endpoint(path="/v2/time-entries", model=models.TimeEntry, update_method="PUT"),
    "expenses": Endpoint(path="/v2/expenses", model=models.Expense, update_method="PUT"),
    "fixed_fees": Endpoint(path="/v2/fixed-fees", model=models.FixedFee, update_method="PUT"),
    "invoices": Endpoint(path="/v2/invoices", model=models.Invoice, update_method="PUT"),
    "users": Endpoint(path="/v2/users", model=models.User, update_method="PUT"),
    "practice_areas": Endpoint(
        path="/v2/practice-areas", model=models.PracticeArea, update_method="PUT"
    ),
}

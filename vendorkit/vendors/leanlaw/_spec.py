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
    field_error_parser,
)

from . import models

__all__ = ["ENDPOINTS", "SPEC", "parse_error"]


_FIELD_KEYS = ("field", "property", "propertyName", "name", "path", "param")
_MESSAGE_KEYS = ("message", "messages", "errorMessage", "error", "msg", "detail")


def _problems(value: Any) -> tuple[dict[str, list[str]], list[str]]:
    """Field errors and other messages out of a ``details``/``errors`` value in any of the usual
    shapes: ``{field: [..]}``, ``[{"field", "message"}]`` (or ``property``/``errorMessage``...),
    or a list of strings."""
    fields: dict[str, list[str]] = {}
    other: list[str] = []
    if isinstance(value, dict):
        for k, v in value.items():
            fields.setdefault(str(k), []).extend(as_messages(v))
    elif isinstance(value, list):
        for item in value:
            if not isinstance(item, dict):
                other.extend(as_messages(item))
                continue
            field = next((item[k] for k in _FIELD_KEYS if item.get(k)), None)
            text = next((item[k] for k in _MESSAGE_KEYS if item.get(k)), None)
            if field is not None:
                fields.setdefault(str(field), []).extend(as_messages(text))
            elif text is not None:
                other.extend(as_messages(text))
    return fields, other


def _field_keyed(body: dict[str, Any]) -> bool:
    """A body whose every value is a list of messages (or a nested dict of them)."""
    return bool(body) and all(isinstance(v, list | dict) for v in body.values())


def parse_error(status: int, body: Any) -> ErrorInfo:
    """LeanLaw's docs do not show an error body. Assumed, in order: ``{"error": {"code",
    "message", "details": [{"field", "message"}]}}`` (details may also be ``{field: [..]}``);
    ASP.NET problem details (``title``, ``errors: {field: [..]}``); ``{"message"}`` or
    ``{"error": ".."}`` with optional ``errors``/``details``; a body of field-keyed message lists
    (``{"clientId": ["..."]}``, DRF style); anything else is summarised."""
    if not isinstance(body, dict):
        return default_error_parser(status, body)
    err = body.get("error")
    if isinstance(err, dict):
        fields, other = _problems(err.get("details") or err.get("errors"))
        code = err.get("code")
        message = err.get("message") or err.get("title") or err.get("detail")
        return ErrorInfo(
            message=str(message or ""),
            code=str(code) if code is not None else None,
            field_errors=fields,
            non_field_errors=other,
        )
    fields, other = _problems(body.get("errors") or body.get("details"))
    message = body.get("message") or body.get("title") or body.get("detail")
    code = body.get("code") or (err if isinstance(err, str) else None)
    if not message and isinstance(err, str):
        message = body.get("error_description") or err
    if not (message or code or fields or other) and _field_keyed(body):
        # ``{"clientId": ["Unknown client."], "non_field_errors": [..]}``: every key a field.
        return field_error_parser(status, body)
    return ErrorInfo(
        message=str(message or ""),
        code=str(code) if code is not None else None,
        field_errors=fields,
        non_field_errors=other,
    )


SPEC = VendorSpec(
    name="leanlaw",
    base_url="https://api.leanlaw.io",
    # "Most endpoints that return lists of objects are paginated" and those carry a
    # ``pagination`` block: a list without one is not paginated, so it is one complete page
    # (walking it by offset would read the same records again and again).
    envelope=Envelope(records="data", total="pagination.total", item="data", paged_by="pagination"),
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

# Filters (``leanlaw.txt``, "Requests"): ``select`` ("Many requests support a select query string
# parameter", ``select=contact,-meta``) on every list and record. The docs name no other
# filter; assumed: a list takes the ids of the records its records refer to (``clientId`` on
# matters and invoices, ``matterId`` on time entries, ...: each model's ``*_id`` fields, as
# LeanLaw names them), which is how ``clients.matters(id)`` lists one client's matters.
_SELECT = frozenset({"select"})


def _endpoint(path: str, model: type[Any], *ids: str) -> Endpoint:
    return Endpoint(
        path=path, model=model, update_method="PUT", filters=_SELECT | set(ids), get_filters=_SELECT
    )


ENDPOINTS = {
    "clients": _endpoint("/v2/clients", models.Client),
    "matters": _endpoint("/v2/matters", models.Matter, "clientId", "practiceAreaId"),
    "time_entries": _endpoint("/v2/time-entries", models.TimeEntry, "matterId", "userId"),
    "expenses": _endpoint("/v2/expenses", models.Expense, "matterId"),
    "fixed_fees": _endpoint("/v2/fixed-fees", models.FixedFee, "matterId"),
    "invoices": _endpoint("/v2/invoices", models.Invoice, "clientId", "matterId"),
    "users": _endpoint("/v2/users", models.User),
    "practice_areas": _endpoint("/v2/practice-areas", models.PracticeArea),
}

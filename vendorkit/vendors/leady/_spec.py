"""Leady as a declaration (``leady.txt`` plus the contract's assumed DRF paths): ``Token`` header,
``{"next", "previous", "results"}`` lists followed by their next link (opaque cursor, no total),
``{"detail"}`` or field-keyed errors, trailing slashes."""

from __future__ import annotations

from typing import Any

from vendorkit.core import (
    Endpoint,
    Envelope,
    ErrorInfo,
    NextLink,
    VendorSpec,
    as_messages,
    field_error_parser,
)

from . import models

__all__ = ["ENDPOINTS", "SPEC", "parse_error"]


def parse_error(status: int, body: Any) -> ErrorInfo:
    """DRF error bodies: ``{"detail": ".."}``, field-keyed ``{"field": [..], "non_field_errors":
    [..]}``, or a bare list of messages (a ``ValidationError`` raised outside a serializer), which
    are non-field errors."""
    if isinstance(body, list):
        messages = as_messages(body)
        return ErrorInfo(message="; ".join(messages), non_field_errors=messages)
    return field_error_parser(status, body)


SPEC = VendorSpec(
    name="leady",
    base_url="https://api.leady.com/v1",
    # DRF lists. Assumed where the docs are silent: a list endpoint with pagination switched off
    # (short code lists such as turnovers and magnitudes) answers a bare JSON array, read as one
    # complete page; a page that carries DRF's ``count`` (page-number pagination) reports it as
    # the total.
    envelope=Envelope(records="results", next="next", total="count", bare_list=True),
    # ``page_size`` is only sent when the caller asks for one (DRF ignores it where disabled).
    paginator=NextLink(size_param="page_size", cursor_param="cursor"),
    error_parser=parse_error,
    # "The limits are set individually for different types of data": no published numbers, so
    # no client-side quota by default; 429s are honoured through Retry-After.
    quotas=(),
)

_READ = frozenset({"list", "get"})

ENDPOINTS = {
    "resources": Endpoint(path="/resources/", model=models.Resource, actions=_READ),
    "sessions": Endpoint(
        path="/resources/{resource}/sessions/",
        item_path="/sessions/{id}/",
        model=models.Session,
        actions=frozenset({"list"}),
        # A bulk export lists the sessions of every tracked website.
        partition=("resources", "domain", "resource"),
        # The one filter the contract names (section 6): a time window of the sessions.
        filters={"period_start", "period_end"},
    ),
    "actions": Endpoint(
        path="/sessions/{session}/actions/",
        model=models.Action,
        actions=frozenset({"list"}),
        # ...and the actions of every session (one list per session: a long walk).
        partition=("sessions", "id", "session"),
    ),
    "companies": Endpoint(path="/companies/", model=models.Company, actions=_READ),
    "persons": Endpoint(path="/persons/", model=models.Person, actions=_READ),
    "saved_filters": Endpoint(path="/saved-filters/", model=models.SavedFilter),
    "blacklist": Endpoint(
        path="/blacklist/",
        model=models.BlacklistEntry,
        actions=frozenset({"list", "create", "delete"}),
    ),
    "turnovers": Endpoint(path="/turnovers/", model=models.Turnover, actions=frozenset({"list"})),
    "magnitudes": Endpoint(
        path="/magnitudes/", model=models.Magnitude, actions=frozenset({"list"})
    ),
}

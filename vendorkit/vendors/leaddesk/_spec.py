"""LeadDesk as a declaration (``leaddesk.txt``): OAuth2 bearer tokens, ``{"collection",
"_links", "_meta"}`` lists walked by ``page``/``per_page`` (max 500), objects at the root,
``{"error", "error_description", "error_validation"}`` errors."""

from __future__ import annotations

from typing import Any

from vendorkit.core import (
    Endpoint,
    Envelope,
    ErrorInfo,
    PageNumber,
    VendorSpec,
    as_messages,
    default_error_parser,
    record_fields,
)

from . import models

__all__ = ["ENDPOINTS", "RELATIONS", "SPEC", "TOKEN_PATH", "parse_error"]

TOKEN_PATH = "/oauth/access-token"


def parse_error(status: int, body: Any) -> ErrorInfo:
    """``{"error": "<id>", "error_description": "..", "error_validation": {field: [..]}}``: the id
    is the error's ``code``, the validation object its ``field_errors``."""
    if not isinstance(body, dict):
        return default_error_parser(status, body)
    code = body.get("error")
    message = body.get("error_description")
    if not isinstance(message, str):
        message = body.get("message") if isinstance(body.get("message"), str) else ""
    fields: dict[str, list[str]] = {}
    validation = body.get("error_validation")
    non_field: list[str] = []
    if isinstance(validation, dict):
        fields = {str(k): as_messages(v) for k, v in validation.items()}
    elif validation is not None:
        non_field = as_messages(validation)
    if not message and isinstance(code, str):
        message = code
    return ErrorInfo(
        message=str(message),
        code=None if code is None else str(code),
        field_errors=fields,
        non_field_errors=non_field,
    )


SPEC = VendorSpec(
    name="leaddesk",
    base_url="https://restapi-nor.leaddesk.com/stable",
    # ``{"collection", "_links", "_meta"}``: ``_meta.total`` as documented; ``_meta.count``
    # accepted as well. Objects are at the root. Assumed where the docs are silent: a list
    # endpoint answering a bare JSON array (a sub-resource read back in the shape its PATCH
    # takes, ``[{"id": 1}, ..]``) is one complete page.
    envelope=Envelope(
        records="collection",
        total=("_meta.total", "_meta.count"),
        next="_links.next",
        bare_list=True,
    ),
    # LeadDesk's default page is 25, its maximum 500: we ask for 500 unless told otherwise.
    paginator=PageNumber(page_param="page", size_param="per_page", default_size=500, max_size=500),
    error_parser=parse_error,
    # The docs publish no quota: none client-side by default; 429s are retried honouring
    # Retry-After. Pass rate_limit="N/second" to add one.
    quotas=(),
    # The docs name no fields: the models' field types are assumptions, so a field whose value
    # does not fit its type is left None (the value is still in ``record.raw``).
    lenient=True,
)

# "When passing parameters to filter a response on GET requests, parameters can be passed
# using standard query attributes" (``leaddesk.txt``, GET): any property filters, so each list's
# filters are its model's fields (and ``page``/``per_page``, the paginator's own).
ENDPOINTS = {
    "users": Endpoint(path="/users", model=models.User, filters=record_fields(models.User)),
    "campaigns": Endpoint(
        path="/campaigns", model=models.Campaign, filters=record_fields(models.Campaign)
    ),
    "contact_lists": Endpoint(
        path="/contact_lists", model=models.ContactList, filters=record_fields(models.ContactList)
    ),
    "contacts": Endpoint(
        path="/contacts", model=models.Contact, filters=record_fields(models.Contact)
    ),
    "products": Endpoint(
        path="/products", model=models.Product, filters=record_fields(models.Product)
    ),
    # Calls are the dialer's log: read-only (assumed; the docs name no write on them).
    "calls": Endpoint(
        path="/calls",
        model=models.Call,
        actions=frozenset({"list", "get"}),
        filters=record_fields(models.Call),
    ),
}

#: Sub-resources (relations): parent resource -> {relation name: related resource}.
RELATIONS: dict[str, dict[str, str]] = {
    "campaigns": {"users": "users", "products": "products", "contact_lists": "contact_lists"},
    "contact_lists": {"contacts": "contacts"},
}

"""Tasklist, a made-up to-do API, as a vendorkit adapter: one declaration and a small client.

What Tasklist's docs would say:

- base URL ``https://api.tasklist.example/v1``; every call sends ``Authorization: Token <key>``;
- ``/tasks``: GET lists, POST creates (201 and the task); ``/tasks/{id}``: GET, PATCH (only
  the fields sent change; 200 and the task) and DELETE (204). A task is ``{"id", "title",
  "done", "due"}``. POST may choose the ``id`` (any string, ``/`` included), else the server
  picks one (``t-0001``...);
- lists take ``?page=N&per_page=M`` (default 20, at most 100) and answer
  ``{"items": [...], "total": T, "page": N, "per_page": M}``;
- errors are ``{"error": {"code", "message", "fields": {name: [messages]}}}``: 401 (no key, or
  a wrong one), 404, 409 (the id is taken), 422 (validation), 429 (with ``Retry-After``).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import attrs

from vendorkit.core import (
    BaseClient,
    CrudResource,
    Endpoint,
    Envelope,
    ErrorInfo,
    HeaderAuth,
    PageNumber,
    Record,
    VendorSpec,
    as_messages,
    default_error_parser,
    resource,
)


@attrs.frozen(kw_only=True)
class Task(Record):
    id: str | None = None
    title: str | None = None
    done: bool | None = None
    due: date | None = None


def parse_error(status: int, body: Any) -> ErrorInfo:
    """Tasklist's ``{"error": {...}}``; any other body (a proxy's, say) read as best we can."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return default_error_parser(status, body)
    fields = error["fields"] if isinstance(error.get("fields"), dict) else {}
    return ErrorInfo(
        message=str(error.get("message") or ""),
        code=str(error["code"]) if error.get("code") is not None else None,
        field_errors={str(k): as_messages(v) for k, v in fields.items()},
    )


SPEC = VendorSpec(
    name="tasklist",
    base_url="https://api.tasklist.example/v1",
    envelope=Envelope(records="items", total="total"),
    paginator=PageNumber(page_param="page", size_param="per_page", default_size=100, max_size=100),
    error_parser=parse_error,
)
TASKS = Endpoint(path="/tasks", model=Task)  # all five actions, PATCH for updates


class Tasklist(BaseClient):
    """``Tasklist(api_key=...)``; ``tasks`` lists, gets, creates, updates and deletes."""

    spec = SPEC
    tasks: CrudResource[Task] = resource(TASKS)

    def __init__(self, *, api_key: str, **options: Any) -> None:
        super().__init__(auth=HeaderAuth(api_key, scheme="Token"), **options)

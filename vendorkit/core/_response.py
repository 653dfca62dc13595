"""``Response``: what ``request(..., raw=True)`` returns: a call's final answer. No I/O.

Built from the call's last attempt (``Answer``) and its ``Exchange`` once the call has succeeded;
an error status still raises its typed error before any ``Response`` exists.
"""

from __future__ import annotations

from typing import Any

import attrs
from multidict import CIMultiDictProxy

from ._attempt_rules import Answer
from ._errors import trace_id_of
from ._redact import redact_url

__all__ = ["Response"]


@attrs.frozen
class Response:
    """One call's answer as received: ``await client.request("GET", path, raw=True)``.

    ```python
    resp = await client.request("GET", "/path", raw=True)
    resp.status, resp.headers["Content-Type"], resp.trace_id, resp.elapsed, resp.attempts
    body = resp.json()          # the whole JSON body, envelope included (None if empty)
    ```

    - ``status``: the final HTTP status; ``headers``: its headers, a case-insensitive mapping;
    - ``trace_id``: the vendor's request/trace id header (the spec's ``trace_id_header``), None
      where the vendor sends none;
    - ``elapsed``: seconds the whole call took, every attempt and wait between them included;
    - ``attempts``: how many attempts the call took (1 unless it was retried; a 401 renewed
      and replayed, and redirect hops, are within one attempt);
    - ``method`` and ``url`` (the URL that answered, after redirects, credentials redacted);
    - ``content``: the body's bytes, ``text`` the same decoded as UTF-8, ``json()`` the body
      decoded the way the client decodes it.

    A DELETE that answered 404 after an attempt whose outcome was unknown (a dropped connection,
    a 502) succeeded: that attempt deleted the record. Its response is the 404 as received
    (``attempts > 1``), with ``json()`` None: the status says what answered, not the outcome.
    """

    status: int
    headers: CIMultiDictProxy[str] = attrs.field(repr=False)
    trace_id: str | None
    elapsed: float
    attempts: int
    method: str
    url: str
    content: bytes = attrs.field(repr=False)
    _body: Any = attrs.field(repr=False, alias="body")

    @classmethod
    def of(
        cls,
        answer: Answer,
        *,
        method: str,
        attempts: int,
        elapsed: float,
        trace_id_header: str | None,
        secrets: tuple[str, ...] = (),
    ) -> Response:
        response = answer.response
        return cls(
            status=response.status,
            headers=response.headers,
            trace_id=trace_id_of(response, trace_id_header, secrets),
            elapsed=elapsed,
            attempts=attempts,
            method=method,
            url=redact_url(response.url, secrets),
            content=response.body,
            body=answer.body,
        )

    def json(self) -> Any:
        """The body as JSON (the vendor's envelope included; None for an empty body)."""
        return self._body

    @property
    def text(self) -> str:
        """The body as text (UTF-8; undecodable bytes replaced)."""
        return self.content.decode("utf-8", errors="replace")


# Presented as ``vendorkit.Response``, where users meet it (the package exports it lazily).
Response.__module__ = "vendorkit"

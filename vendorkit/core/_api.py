"""The protected API: what resources and adapters may call on a client, and nothing else.

``BaseClient`` implements it; ``Resource`` and the vendor adapters are typed against it (or
against their own client class), so none of them reaches into the client's private layers. Each
method is a thin entry into one layer below it:

- ``send_json(method, url)``: one checked call (``_call``): credentials, retries, typed errors;
  returns the response and the decoded JSON body (not unwrapped).
- ``call(method, path, values)``: the same for a path template or a URL on the vendor's origin,
  with the payload unwrapped from the vendor's envelope; ``call_record`` reads it as a model.
- ``record(data, model)``: a JSON object as a model record (``DecodeError`` otherwise).
- ``fill_path(template, values)``: a path template filled from call values and ``path_vars``.
- ``walk(source, params)``: the one Pager (``_walks``) over a path template or a URL known only
  when the walk starts; ``list_of`` for a child list of model records.
- ``read_all(url)``: a GET whose list is read to its last page; ``follow_link(ref)``: what a
  hypermedia link points to, as its ``link_models`` record(s).
- ``relative_path(url)``: a URL's path relative to the base URL's path.
- ``send_unauthenticated(request)``: a request with retries but no credentials (a token revoke).
- ``options_from_env(**overrides)``: constructor options from ``VENDORKIT_<VENDOR>_*``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol, TypeVar

import cattrs
from yarl import URL

from ._envelope import Envelope
from ._pagination import Fetch, Pager, Paginator, ResumePoint
from ._spec import VendorSpec
from ._wire import WireResponse

__all__ = ["ClientAPI", "WalkSource"]

T = TypeVar("T")

WalkSource = str | Callable[[], Awaitable[str | URL]]
"""Where a walk starts: a path template, or (known only when the walk starts) a coroutine
function returning a path or URL on the vendor's origin, or an absolute ``URL`` used as is."""


class ClientAPI(Protocol):
    """The part of a client that resources and adapters use (see the module docstring)."""

    @property
    def spec(self) -> VendorSpec: ...

    converter: cattrs.Converter

    def url_for(self, path: str, params: Mapping[str, Any] | None = None) -> URL: ...

    async def fill_path(self, template: str, values: dict[str, Any]) -> str: ...

    async def send_json(
        self,
        method: str,
        url: URL,
        *,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        content: bytes | None = None,
    ) -> tuple[WireResponse, Any]: ...

    def walk(
        self,
        source: WalkSource,
        params: Mapping[str, Any] | None = None,
        *,
        transform: Callable[[Any], T],
        envelope: Envelope | None = None,
        paginator: Paginator | None = None,
        fetch: Fetch | None = None,
        headers: Mapping[str, str] | None = None,
        page_size: int | None = None,
        max_items: int | None = None,
        concurrency: int = 1,
        max_pages: int | None = None,
        resume: ResumePoint | None = None,
    ) -> Pager[T]: ...

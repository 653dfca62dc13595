"""The walk over an endpoint's list, as its ``Endpoint`` declares it.

The declarations themselves (``MethodFallback``, ``ChainOver``) are pure values in ``_listing``,
which ``_spec`` imports; this thin step builds the one Pager from them through the client's
protected API (``ClientAPI.walk`` and ``send_json``), so every page goes through the client as
every other request does. It sits above ``_api`` and below ``_resource``, its one user.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import attrs
from yarl import URL

from vendorkit.errors import APIError

from ._api import ClientAPI
from ._envelope import RawPage
from ._pagination import Chained, Pager
from ._spec import Endpoint

__all__ = ["list_pager"]

T = TypeVar("T")


def _empty_page() -> RawPage:
    return RawPage(records=[], total=None, next=None, next_declared=True)


def list_pager(
    client: ClientAPI,
    endpoint: Endpoint,
    query: Mapping[str, Any],
    *,
    transform: Callable[[Any], T],
    headers: Mapping[str, str] | None,
    pager_args: Mapping[str, Any],
) -> Pager[T]:
    """The pager over ``endpoint``'s list for ``query`` (filters and path values), as its
    declaration says: a plain walk, or one with a ``MethodFallback`` and/or a ``ChainOver``."""
    chain = endpoint.chain
    values = chain.values_for(query) if chain is not None else None
    fallback = endpoint.list_fallback
    if values is None and fallback is None:
        return client.walk(
            endpoint.path,
            query,
            transform=transform,
            envelope=endpoint.envelope,
            paginator=endpoint.paginator,
            headers=headers,
            **pager_args,
        )
    env = endpoint.envelope or client.spec.envelope
    paginator = endpoint.paginator or client.spec.paginator
    # Per walk: the method that worked is the one its later pages use.
    method = [fallback.methods[0] if fallback is not None else "GET"]

    async def get(target: URL) -> Any:
        while True:
            try:
                _, body = await client.send_json(method[0], target, headers=headers)
            except APIError as exc:
                nxt = fallback.after(method[0], exc.status) if fallback is not None else None
                if nxt is None:
                    raise
                method[0] = nxt
                continue
            return body

    if chain is None or values is None:

        async def fetch(target: URL) -> RawPage:
            return env.page(await get(target))

        # A path template: filled from ``query`` (and the path vars) once, when the walk starts.
        return client.walk(
            endpoint.path,
            query,
            transform=transform,
            fetch=fetch,
            paginator=paginator,
            **pager_args,
        )

    walk = Chained(paginator)
    rest = {k: v for k, v in query.items() if k != chain.param}

    async def chained_first() -> URL:
        walk.urls = []
        for value in values:
            each = {**rest, chain.param: value}
            resolved_path = await client.fill_path(endpoint.path, each)
            walk.urls.append(client.url_for(resolved_path, each))
        return walk.urls[0]

    async def chained_fetch(target: URL) -> RawPage:
        try:
            body = await get(target)
        except APIError as exc:
            if not chain.is_none_here(exc):
                raise
            return _empty_page()
        return attrs.evolve(env.page(body), total=None)

    return client.walk(
        chained_first, transform=transform, fetch=chained_fetch, paginator=walk, **pager_args
    )

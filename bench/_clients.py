"""The clients measured side by side, each walking one whole collection of the data server.

Every client's timed part ends by handing back a function that lists the ids it got (read from
its output file for the exports); the worker calls it after the clock stops and checks every id
arrived exactly once. Each consumes records the same cheap way (one list append per record), so
the differences are the clients' own.

- ``hand``: hand-written aiohttp fan-out, ``orjson`` decoding, 8 pages in flight where the style
  allows it (offset, page; a cursor is sequential by nature). The baseline, 1.00.
- ``hand-jsonl`` / ``hand-csv``: the same fan-out writing every record to a file, as an export.
- ``dlt``: dlt's ``RESTClient`` with its own paginators (sync, sequential: what it offers).
- ``vk-paginate``: vendorkit ``client.paginate(path, page_size=, concurrency=8)``, raw dicts.
- ``vk-list``: vendorkit ``client.<resource>.list(page_size=, concurrency=8)``, typed records.
- ``vk-jsonl`` / ``vk-csv``: ``vendorkit.export.export`` with concurrency 8.

Only vendorkit's public API is used.
"""

from __future__ import annotations

import asyncio
import csv
import math
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import orjson

WIDTH = 8  # pages in flight, for every client that can fan out
Ids = Callable[[], list[Any]]


@dataclass(frozen=True)
class Style:
    """Where one pagination style lives on the data server, and how its vendor is addressed."""

    vendor_base: str  # appended to the scenario prefix: the client's base_url
    path: str  # the list path under base_url
    resource: str  # vendorkit's resource name
    key: str  # the envelope's list key


STYLES: dict[str, Style] = {
    "offset": Style("", "/v2/clients", "clients", "data"),
    "page": Style("/stable", "/users", "users", "collection"),
    "cursor": Style("/v1", "/companies/", "companies", "results"),
}


@dataclass(frozen=True)
class Target:
    """One collection: a style, the server's root URL, latency and size, the page size."""

    style: str
    root: str
    latency_ms: int
    total: int
    page_size: int

    @property
    def base_url(self) -> str:
        return f"{self.root}/{self.latency_ms}/{self.total}{STYLES[self.style].vendor_base}"

    @property
    def list_url(self) -> str:
        return self.base_url + STYLES[self.style].path


# -- the hand-written fan-out ---------------------------------------------------------------------


async def _auth_headers(session: aiohttp.ClientSession, target: Target) -> dict[str, str]:
    """Each vendor's header; LeadDesk's needs its password-grant token first (one POST)."""
    if target.style == "cursor":
        return {"Authorization": "Token bench"}
    if target.style == "page":
        grant = {"grant_type": "password", "client_id": "b", "client_secret": "b"}
        url = target.base_url + "/oauth/access-token"
        async with session.post(url, json={**grant, "username": "u", "password": "p"}) as resp:
            resp.raise_for_status()
            token = orjson.loads(await resp.read())["access_token"]
        return {"Authorization": f"Bearer {token}"}
    return {"Authorization": "Bearer bench"}


async def _fan_out(
    urls: Iterable[str], fetch: Callable[[str], Awaitable[Any]], width: int = WIDTH
) -> None:
    """Fetch every URL with ``width`` requests in flight (workers share one iterator)."""
    pending = iter(urls)

    async def worker() -> None:
        for url in pending:
            await fetch(url)

    await asyncio.gather(*(worker() for _ in range(width)))


async def hand_walk(target: Target, on_page: Callable[[list[Any]], None]) -> None:
    """Walk the collection with plain aiohttp + orjson, calling ``on_page`` with each page's
    records: the first page, then (offset, page) every other page fanned out from its total,
    or (cursor) each ``next`` link in turn."""
    key, size, url = STYLES[target.style].key, target.page_size, target.list_url
    async with aiohttp.ClientSession() as session:
        headers = await _auth_headers(session, target)

        async def get(page_url: str) -> Any:
            async with session.get(page_url, headers=headers) as resp:
                resp.raise_for_status()
                return orjson.loads(await resp.read())

        async def fetch(page_url: str) -> None:
            on_page((await get(page_url))[key])

        if target.style == "offset":
            first = await get(f"{url}?offset=0&limit={size}")
            on_page(first[key])
            total = first["pagination"]["total"]
            await _fan_out(
                (f"{url}?offset={o}&limit={size}" for o in range(size, total, size)), fetch
            )
        elif target.style == "page":
            first = await get(f"{url}?page=1&per_page={size}")
            on_page(first[key])
            pages = math.ceil(first["_meta"]["total"] / size)
            await _fan_out((f"{url}?page={p}&per_page={size}" for p in range(2, pages + 1)), fetch)
        else:
            next_url: str | None = f"{url}?page_size={size}"
            while next_url:
                body = await get(next_url)
                on_page(body[key])
                next_url = body["next"]


async def hand(target: Target, workdir: Path) -> Ids:
    ids: list[Any] = []

    def on_page(records: list[Any]) -> None:
        for r in records:
            ids.append(r["id"])

    await hand_walk(target, on_page)
    return lambda: ids


async def hand_jsonl(target: Target, workdir: Path) -> Ids:
    path = workdir / "hand.jsonl"
    dump, newline = orjson.dumps, orjson.OPT_APPEND_NEWLINE
    with path.open("wb") as fh:

        def on_page(records: list[Any]) -> None:
            fh.write(b"".join([dump(r, option=newline) for r in records]))

        await hand_walk(target, on_page)
    return lambda: read_jsonl_ids(path)


def flat(record: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Nested objects as dotted columns; lists as JSON text (what a spreadsheet can hold)."""
    for k, v in record.items():
        if isinstance(v, dict):
            yield from flat(v, f"{prefix}{k}.")
        elif isinstance(v, list):
            yield prefix + k, orjson.dumps(v).decode()
        else:
            yield prefix + k, "" if v is None else v


async def hand_csv(target: Target, workdir: Path) -> Ids:
    path = workdir / "hand.csv"
    header: list[str] = []
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)

        def on_page(records: list[Any]) -> None:
            rows = [dict(flat(r)) for r in records]
            if not header and rows:
                header.extend(rows[0])
                writer.writerow(header)
            writer.writerows([[row.get(k, "") for k in header] for row in rows])

        await hand_walk(target, on_page)
    return lambda: read_csv_ids(path)


# -- dlt ----------------------------------------------------------------------------------------


def dlt_client(target: Target, workdir: Path) -> Ids:
    """dlt's RESTClient with the paginator matching the style. It is synchronous (requests)."""
    from dlt.sources.helpers.rest_client.auth import BearerTokenAuth
    from dlt.sources.helpers.rest_client.client import RESTClient
    from dlt.sources.helpers.rest_client.paginators import (
        BasePaginator,
        JSONLinkPaginator,
        OffsetPaginator,
        PageNumberPaginator,
    )

    style, size = STYLES[target.style], target.page_size
    paginator: BasePaginator
    headers: dict[str, str] = {}
    params: dict[str, Any] = {}
    if target.style == "offset":
        rest = RESTClient(base_url=target.base_url, auth=BearerTokenAuth("bench"))
        paginator = OffsetPaginator(limit=size, total_path="pagination.total")
    elif target.style == "page":
        rest = RESTClient(base_url=target.base_url)
        grant = {"grant_type": "password", "client_id": "b", "client_secret": "b"}
        answer = rest.post("/oauth/access-token", json={**grant, "username": "u", "password": "p"})
        answer.raise_for_status()
        headers = {"Authorization": f"Bearer {answer.json()['access_token']}"}
        # LeadDesk's total counts records, not pages: stop at the first empty page.
        paginator = PageNumberPaginator(base_page=1, page=1, total_path=None)
        params = {"per_page": size}
    else:
        rest = RESTClient(base_url=target.base_url, headers={"Authorization": "Token bench"})
        paginator = JSONLinkPaginator(next_url_path="next")
        params = {"page_size": size}
    ids: list[Any] = []
    pages = rest.paginate(
        style.path, params=params, headers=headers, paginator=paginator, data_selector=style.key
    )
    for page in pages:
        for r in page:
            ids.append(r["id"])
    return lambda: ids


# -- vendorkit ------------------------------------------------------------------------------------

# The adapter each style's walks use (imported before the clock: see ``_worker``).
VENDOR_MODULES = {
    "offset": "vendorkit.vendors.leanlaw",
    "page": "vendorkit.vendors.leaddesk",
    "cursor": "vendorkit.vendors.leady",
}


def vendorkit_client(target: Target) -> Any:
    """The adapter for the style, pointed at the data server, client-side quota off."""
    import vendorkit

    base = target.base_url
    if target.style == "offset":
        return vendorkit.LeanLaw(api_key="bench", base_url=base, rate_limit=None)
    if target.style == "page":
        return vendorkit.LeadDesk(
            client_id="b",
            client_secret="b",
            username="u",
            password="p",
            base_url=base,
            rate_limit=None,
        )
    return vendorkit.Leady(token="bench", base_url=base, rate_limit=None)


async def vk_paginate(target: Target, workdir: Path) -> Ids:
    ids: list[Any] = []
    async with vendorkit_client(target) as client:
        path = STYLES[target.style].path
        async for r in client.paginate(path, page_size=target.page_size, concurrency=WIDTH):
            ids.append(r["id"])
    return lambda: ids


async def vk_list(target: Target, workdir: Path) -> Ids:
    ids: list[Any] = []
    async with vendorkit_client(target) as client:
        resource = getattr(client, STYLES[target.style].resource)
        async for r in resource.list(page_size=target.page_size, concurrency=WIDTH):
            ids.append(r.id)
    return lambda: ids


async def vk_export(target: Target, workdir: Path, fmt: str) -> Ids:
    from vendorkit.export import Job, export

    async with vendorkit_client(target) as client:
        result = await export(
            [Job(client=client, resource=STYLES[target.style].resource)],
            out=workdir / "vk",
            format=fmt,
            concurrency=WIDTH,
            page_size=target.page_size,
        )
    if not result.ok:
        raise RuntimeError(f"vendorkit export failed: {result.jobs}")
    path = result.jobs[0].path
    if path is None:
        raise RuntimeError(f"vendorkit export wrote no file: {result.jobs}")
    return lambda: read_jsonl_ids(path) if fmt == "jsonl" else read_csv_ids(path)


async def vk_jsonl(target: Target, workdir: Path) -> Ids:
    return await vk_export(target, workdir, "jsonl")


async def vk_csv(target: Target, workdir: Path) -> Ids:
    return await vk_export(target, workdir, "csv")


# -- reading the outputs back -------------------------------------------------------------------


def read_jsonl_ids(path: Path) -> list[Any]:
    with path.open("rb") as fh:
        return [orjson.loads(line)["id"] for line in fh if line.strip()]


def read_csv_ids(path: Path) -> list[Any]:
    with path.open(newline="", encoding="utf-8") as fh:
        return [row["id"] for row in csv.DictReader(fh)]


@dataclass(frozen=True)
class Client:
    """A measured client: its label in tables, what to import before the clock starts, how it
    runs (a coroutine function, or a plain one for the synchronous dlt)."""

    label: str
    imports: tuple[str, ...]
    run: Callable[[Target, Path], Any]


CLIENTS: dict[str, Client] = {
    "hand": Client("hand-written aiohttp fan-out (orjson), baseline", (), hand),
    "hand-jsonl": Client("hand-written export loop, JSONL", (), hand_jsonl),
    "hand-csv": Client("hand-written export loop, CSV", (), hand_csv),
    "dlt": Client(
        "dlt RESTClient (sync, sequential)", ("dlt.sources.helpers.rest_client",), dlt_client
    ),
    "vk-paginate": Client("vendorkit paginate() (raw dicts)", ("vendorkit",), vk_paginate),
    "vk-list": Client("vendorkit typed list() (records)", ("vendorkit",), vk_list),
    "vk-jsonl": Client("vendorkit export, JSONL", ("vendorkit.export",), vk_jsonl),
    "vk-csv": Client("vendorkit export, CSV", ("vendorkit.export",), vk_csv),
}

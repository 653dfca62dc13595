"""Helpers for export tests: read outputs back and compare them with the emulator's own state."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from tests.client.conftest import serve  # noqa: F401  (a hand-made server, per test)
from vendorkit.export._checkpoint import seal
from vendorkit.sandbox import Emulator

ID_FIELDS = ("id", "mid", "domain", "code")


def record_id(record: dict[str, Any]) -> Any:
    """The record's identity: its id field, or the last segment of its own URL (MakeLeaps
    sending orders carry only ``url``; stored URLs and served ones differ in origin only)."""
    for field in ID_FIELDS:
        if field in record:
            return record[field]
    if "template_code" in record:  # MakeLeaps templates: one per (document type, code)
        return (record.get("document_type"), record["template_code"])
    if isinstance(record.get("url"), str):
        return record["url"].rstrip("/").rsplit("/", 1)[-1]
    raise AssertionError(f"record without an id: {record}")


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def store_collection(emu: Emulator, resource: str) -> dict[Any, dict[str, Any]]:
    """The emulator's collection behind a client resource (``time_entries`` ~ ``time-entries``)."""

    def norm(name: str) -> str:
        return name.replace("-", "").replace("_", "").lower()

    for key, records in emu.store.items():
        if norm(key) == norm(resource):
            return records
    raise AssertionError(f"{emu.name} has no collection for {resource}: {sorted(emu.store)}")


def store_ids(emu: Emulator, resource: str) -> Counter[Any]:
    return Counter(record_id(r) for r in store_collection(emu, resource).values())


def output_ids(path: Path) -> Counter[Any]:
    return Counter(record_id(r) for r in read_jsonl(path))


def resealed(ck: Any) -> Any:
    """A checkpoint edited by hand, sealed again as vendorkit would seal it: what is left to
    refuse it are the checks behind the seal (or, for a state the engine itself writes, nothing).
    Anything but an object is returned as it is."""
    if not isinstance(ck, dict):
        return ck
    return {**ck, "seal": seal({k: v for k, v in ck.items() if k != "seal"})}


# -- a hand-made LeanLaw-shaped server ---------------------------------------------------------

API_KEY = "export-api-key-S3CRET-9f1c"


class RawRecords:
    """A LeanLaw-shaped server (``/v2/<collection>``, limit/offset, ``{"data": [...],
    "pagination": {...}}``) whose records are JSON *texts*, sent exactly as given: escapes no
    JSON serialiser of ours would write (``"\\ud800"``), odd keys, anything a vendor might send."""

    def __init__(self, collections: dict[str, list[str]]) -> None:
        self.collections = collections
        self.requests = 0
        self.auth: list[str] = []
        self.site: Any = None
        self.url = ""

    async def handle(self, request: Any) -> Any:
        from aiohttp import web

        self.requests += 1
        self.auth.append(request.headers.get("Authorization", ""))
        if request.headers.get("Authorization") != f"Bearer {API_KEY}":
            return web.json_response({"message": "bad key"}, status=403)
        texts = self.collections.get(request.match_info["name"])
        if texts is None:
            return web.json_response({"message": "no such collection"}, status=404)
        limit = int(request.query.get("limit", "1000"))
        offset = int(request.query.get("offset", "0"))
        chosen = texts[offset : offset + limit]
        body = (
            '{"data":['
            + ",".join(chosen)
            + f'],"pagination":{{"limit":{limit},"offset":{offset},"total":{len(texts)}}}}}'
        )
        return web.Response(body=body.encode("utf-8"), content_type="application/json")


@pytest.fixture
async def raw_records() -> AsyncIterator[Callable[[dict[str, list[str]]], Awaitable[RawRecords]]]:
    from aiohttp import web

    runners: list[web.AppRunner] = []

    async def start(collections: dict[str, list[str]]) -> RawRecords:
        server = RawRecords(collections)
        app = web.Application()
        app.router.add_get("/v2/{name}", server.handle)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        runners.append(runner)
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        server.url = f"http://127.0.0.1:{port}"
        return server

    yield start
    for runner in runners:
        await runner.cleanup()

"""Helpers for export tests: read outputs back and compare them with the emulator's own state."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

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

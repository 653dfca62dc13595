"""Where exported records go. A sink receives whole pages, in order, and is told when the job is
complete (``commit``) or interrupted (``close``).

The file sinks write ``<name>.<ext>.part`` and rename it to ``<name>.<ext>`` only on ``commit``, so
a final file is never half-written. ``position()`` is a byte offset into the part file: the
checkpoint stores it, and ``open(resume_at=...)`` truncates back to it, which drops any page
written after the last checkpoint (it will be fetched again) instead of duplicating it. A part
file that is missing or shorter than that offset (deleted, or lost in a crash) cannot be
continued: ``open`` raises ``ValueError`` and the export starts the job over.
"""

from __future__ import annotations

import asyncio
import csv
import json
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

__all__ = ["CsvSink", "JsonlSink", "Sink", "flatten"]


class Sink(Protocol):
    """Receives one job's records. Implement it for a database, a queue, ...

    ``open(resume_at)`` starts (``None``: from nothing, discarding any earlier output) or
    continues from a position returned earlier by ``position()``, and raises ``ValueError`` when
    it cannot continue from there (the export then calls ``open(None)`` and starts the job over).
    ``write(records)`` takes one page of raw JSON objects and returns a size for the progress
    (bytes, or anything countable), ``position()`` says how far the output goes (any JSON-able
    value, stored in the checkpoint after each page), ``commit()`` marks the output complete (it
    may be called again after an interruption during a previous ``commit``), ``close()`` releases
    resources without completing it.
    """

    async def open(self, resume_at: Any | None) -> None: ...

    async def write(self, records: Sequence[Mapping[str, Any]]) -> int: ...

    def position(self) -> Any: ...

    async def commit(self) -> None: ...

    async def close(self) -> None: ...


# Characters JSON leaves alone but that ``str.splitlines()`` (and some JSONL readers) take for line
# breaks; escaped, a record stays on one line and still decodes to the same string.
_LINE_BREAKS = str.maketrans({"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"})


def _dumps(record: Any) -> str:
    text = json.dumps(record, ensure_ascii=False, separators=(",", ":"), default=str)
    # Three C-speed scans cost far less than translating every record character by character.
    if "\u2028" in text or "\u2029" in text or "\x85" in text:
        return text.translate(_LINE_BREAKS)
    return text


class JsonlSink:
    """One record's raw JSON per line, in ``path`` (written atomically)."""

    suffix = ".jsonl"

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.part = self.path.with_name(self.path.name + ".part")
        self._fh: Any = None

    async def open(self, resume_at: Any | None) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if resume_at is None:
            self._fh = open(self.part, "wb")
            return
        at = int(resume_at)
        try:
            size = self.part.stat().st_size
        except FileNotFoundError:
            raise ValueError(f"{self.part} is gone: cannot continue at byte {at}") from None
        if size < at:
            raise ValueError(f"{self.part} has {size} bytes, fewer than the {at} recorded")
        self._fh = open(self.part, "r+b")
        self._fh.truncate(at)
        self._fh.seek(at)

    async def write(self, records: Sequence[Mapping[str, Any]]) -> int:
        data = "".join(_dumps(r) + "\n" for r in records).encode()
        self._fh.write(data)
        self._fh.flush()
        return len(data)

    def position(self) -> int:
        return int(self._fh.tell()) if self._fh is not None else 0

    async def commit(self) -> None:
        if self._fh is not None:
            self._fh.flush()
            os.fsync(self._fh.fileno())
            self._fh.close()
            self._fh = None
        await self._finish()

    async def _finish(self) -> None:
        os.replace(self.part, self.path)

    async def close(self) -> None:
        if self._fh is not None:
            self._fh.flush()
            self._fh.close()
            self._fh = None


def flatten(record: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested objects become ``a.b`` columns; lists are kept as JSON text."""
    out: dict[str, Any] = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            if value:
                out.update(flatten(value, name + "."))
            else:
                out[name] = "{}"
        elif isinstance(value, list):
            out[name] = _dumps(value)
        elif value is None:
            out[name] = ""
        elif isinstance(value, bool):
            out[name] = "true" if value else "false"
        else:
            out[name] = value
    return out


class CsvSink(JsonlSink):
    """Flattened columns in a stable order (first appearance across the whole export).

    Records stream to a JSONL part file like ``JsonlSink``; ``commit`` then reads it twice (once
    for the union of columns, once to write rows), so memory stays flat however many records and
    however late a new column first appears. That assembly runs in a worker thread, so a large
    file does not stall the event loop (the other jobs' connections and progress); a cancelled
    commit waits for it rather than leave a thread writing behind the caller's back.
    """

    suffix = ".csv"

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.part = self.path.with_name(self.path.name + ".jsonl.part")

    def _rows(self) -> Iterator[dict[str, Any]]:
        with open(self.part, encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    yield flatten(json.loads(line))

    async def _finish(self) -> None:
        assembly = asyncio.ensure_future(asyncio.to_thread(self._assemble))
        try:
            await asyncio.shield(assembly)
        except asyncio.CancelledError:
            await asyncio.wait({assembly})
            raise

    def _assemble(self) -> None:
        columns: dict[str, None] = {}
        for row in self._rows():
            for key in row:
                columns.setdefault(key, None)
        tmp = self.path.with_name(self.path.name + ".tmp")
        with open(tmp, "w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(columns), extrasaction="ignore")
            writer.writeheader()
            for row in self._rows():
                writer.writerow(row)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)
        self.part.unlink()

"""Where exported records go. A sink receives whole pages, in order, and is told when the job is
complete (``commit``) or interrupted (``close``).

The file sinks write ``<name>.<ext>.part`` and rename it to ``<name>.<ext>`` only on ``commit``, so
a final file is never half-written. ``position()`` is a byte offset into the part file: the
checkpoint stores it, and ``open(resume_at=...)`` truncates back to it, which drops any page
written after the last checkpoint (it will be fetched again) instead of duplicating it.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

__all__ = ["CsvSink", "JsonlSink", "Sink", "flatten"]


class Sink(Protocol):
    """Receives one job's records. Implement it for a database, a queue, ...

    ``open(resume_at)`` starts (or continues, from a position returned earlier by ``position()``),
    ``write(records)`` takes one page of raw JSON objects, ``position()`` says how far the durable
    output goes (any JSON-able value), ``commit()`` marks the output complete, ``close()`` releases
    resources without completing it.
    """

    async def open(self, resume_at: Any | None) -> None: ...

    async def write(self, records: Sequence[Mapping[str, Any]]) -> int: ...

    def position(self) -> Any: ...

    async def commit(self) -> None: ...

    async def close(self) -> None: ...


def _dumps(record: Any) -> str:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"), default=str)


class JsonlSink:
    """One record's raw JSON per line, in ``path`` (written atomically)."""

    suffix = ".jsonl"

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.part = self.path.with_name(self.path.name + ".part")
        self._fh: Any = None

    async def open(self, resume_at: Any | None) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if resume_at is not None and self.part.exists():
            self._fh = open(self.part, "r+b")
            self._fh.truncate(int(resume_at))
            self._fh.seek(int(resume_at))
        else:
            self._fh = open(self.part, "wb")
        self._fh.flush()

    async def write(self, records: Sequence[Mapping[str, Any]]) -> int:
        data = "".join(_dumps(r) + "\n" for r in records).encode()
        self._fh.write(data)
        self._fh.flush()
        return len(data)

    def position(self) -> int:
        return int(self._fh.tell()) if self._fh is not None else 0

    async def commit(self) -> None:
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self._fh.close()
        self._fh = None
        self._finish()

    def _finish(self) -> None:
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
    however late a new column first appears.
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

    def _finish(self) -> None:
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

"""Where exported records go. A sink receives whole pages, in order, and is told when the job is
complete (``commit``) or interrupted (``close``).

The file sinks write ``<name>.<ext>.part`` and rename it to ``<name>.<ext>`` only on ``commit``, so
a final file is never half-written. Every file is created 0600 and never through a symbolic link
(see ``_files``). ``position()`` is the part file's byte offset, record count and digest (see
``_position``): the checkpoint stores it, and ``open(resume_at=...)`` verifies the part file
against it before truncating back to the offset, which drops any page written after the last
checkpoint (it will be fetched again) instead of duplicating it. A part file that does not verify
(missing, shorter, changed) raises ``CheckpointError``: the export refuses that job.
"""

from __future__ import annotations

import asyncio
import csv
import hashlib
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any, Protocol, TypeVar

from vendorkit import _json
from vendorkit.errors import CheckpointError, ClientStateError

from ._files import create_private, ensure_root, open_private, replace_into
from ._position import FilePosition, Verifier
from ._text import csv_cell, encode_lines, flat_names, flatten

__all__ = ["CsvSink", "JsonlSink", "Sink", "flatten"]

T = TypeVar("T")

_CHUNK = 1 << 20


class Sink(Protocol):
    """Receives one job's records. Implement it for a database, a queue, ...

    ``open(resume_at)`` starts (``None``: from nothing, discarding any earlier output) or
    continues from a position returned earlier by ``position()``. When it cannot continue from
    there it raises ``ValueError`` (the export then calls ``open(None)`` and starts the job over)
    or ``CheckpointError`` (the export refuses the job and leaves everything as it is, for a
    human to look at). ``write(records)`` takes one page of raw JSON objects and returns a size
    for the progress (bytes, or anything countable), ``position()`` says how far the output goes
    (any JSON-able value, stored in the checkpoint after each page), ``commit()`` marks the
    output complete (it may be called again after an interruption during a previous
    ``commit``), ``close()`` releases resources without completing it.
    """

    async def open(self, resume_at: Any | None) -> None: ...

    async def write(self, records: Sequence[Mapping[str, Any]]) -> int: ...

    def position(self) -> Any: ...

    async def commit(self) -> None: ...

    async def close(self) -> None: ...


async def _in_thread(work: Callable[[], T]) -> T:
    """``work()`` in a worker thread, so a large file does not stall the event loop. A thread
    cannot be stopped: a cancelled caller waits for it rather than leave it running with files
    that are about to be closed."""
    future = asyncio.ensure_future(asyncio.to_thread(work))
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        await asyncio.wait({future})
        raise


def _read_prefix(fh: IO[bytes], size: int) -> Verifier:
    verifier = Verifier()
    fh.seek(0)
    left = size
    while left > 0:
        chunk = fh.read(min(_CHUNK, left))
        if not chunk:
            break
        verifier.update(chunk)
        left -= len(chunk)
    return verifier


class JsonlSink:
    """One record's raw JSON per line, in ``path`` (written atomically, 0600)."""

    suffix = ".jsonl"

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.part = self.path.with_name(self.path.name + ".part")
        self._fh: IO[bytes] | None = None
        self._hash = hashlib.sha256()
        self._offset = 0
        self._lines = 0

    async def open(self, resume_at: Any | None) -> None:
        ensure_root(self.path.parent)
        if resume_at is None:
            self._fh = open(create_private(self.part), "wb")
            self._hash, self._offset, self._lines = hashlib.sha256(), 0, 0
            return
        expected = FilePosition.from_json(resume_at)
        try:
            fh = open(open_private(self.part, write=True), "r+b")
        except FileNotFoundError:
            if expected.offset == 0:  # nothing was written yet: nothing can be lost
                await self.open(None)
                return
            raise CheckpointError(
                f"{self.part} is gone: the checkpoint says {expected.lines} records were written"
            ) from None
        try:
            size = os.fstat(fh.fileno()).st_size
            if size < expected.offset:
                raise CheckpointError(
                    f"{self.part} has {size} bytes, fewer than the {expected.offset} recorded"
                )
            verifier = await _in_thread(lambda: _read_prefix(fh, expected.offset))
            problem = verifier.problem(expected)
            if problem:
                raise CheckpointError(f"{self.part} does not match its checkpoint: {problem}")
            fh.truncate(expected.offset)
            fh.seek(expected.offset)
        except BaseException:
            fh.close()
            raise
        self._fh = fh
        self._hash, self._offset, self._lines = verifier.hash, expected.offset, expected.lines

    async def write(self, records: Sequence[Mapping[str, Any]]) -> int:
        if self._fh is None:
            raise ClientStateError(f"write() before open(): {self.part} is not open")
        data = encode_lines(records)
        self._fh.write(data)
        self._fh.flush()
        self._hash.update(data)
        self._offset += len(data)
        self._lines += len(records)
        return len(data)

    def position(self) -> dict[str, Any]:
        return FilePosition(self._offset, self._lines, self._hash.hexdigest()).to_json()

    async def commit(self) -> None:
        if self._fh is not None:
            self._fh.flush()
            os.fsync(self._fh.fileno())
            self._fh.close()
            self._fh = None
        await self._finish()

    async def _finish(self) -> None:
        replace_into(self.part, self.path)

    async def close(self) -> None:
        if self._fh is not None:
            self._fh.flush()
            self._fh.close()
            self._fh = None


class CsvSink(JsonlSink):
    """Flattened columns in a stable order (first appearance across the whole export).

    Records stream to a JSONL part file like ``JsonlSink``; ``commit`` then reads it twice (once
    for the union of columns, once to write rows), so memory stays flat however many records and
    however late a new column first appears. That assembly runs in a worker thread, so a large
    file does not stall the event loop (the other jobs' connections and progress); a cancelled
    commit waits for it rather than leave a thread writing behind the caller's back.

    Text cells and column names that a spreadsheet would run as a formula are neutralised with a
    leading single quote (see ``neutralise_cell``); ``neutralise=False`` writes them as they are
    (for a loader that is not a spreadsheet).
    """

    suffix = ".csv"

    def __init__(self, path: Path, *, neutralise: bool = True) -> None:
        super().__init__(path)
        self.part = self.path.with_name(self.path.name + ".jsonl.part")
        self.neutralise = neutralise
        # The columns of every record written so far, in order of first appearance: gathered
        # as records are written, so ``commit`` reads the part file once, not twice. None after
        # a resume (records written by an earlier run are not known here): then it reads twice.
        self._columns: dict[str, None] | None = {}

    async def open(self, resume_at: Any | None) -> None:
        await super().open(resume_at)
        self._columns = {} if resume_at is None else None

    async def write(self, records: Sequence[Mapping[str, Any]]) -> int:
        written = await super().write(records)
        if self._columns is not None:
            columns = self._columns
            for record in records:
                flat_names(record, columns)
        return written

    def _records(self) -> Iterator[Any]:
        """The part file's records, read back one line at a time (memory stays flat)."""
        with open(open_private(self.part, write=False), encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    yield _json.loads(line)

    async def _finish(self) -> None:
        await _in_thread(self._assemble)

    def _assemble(self) -> None:
        columns = self._columns
        if columns is None:
            columns = {}
            for record in self._records():
                flat_names(record, columns)
        names = list(columns)
        tmp = self.path.with_name(self.path.name + ".tmp")
        with open(create_private(tmp), "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow([csv_cell(name, neutralise=self.neutralise) for name in names])
            for row in map(flatten, self._records()):
                writer.writerow(
                    [csv_cell(row.get(name, ""), neutralise=self.neutralise) for name in names]
                )
            fh.flush()
            os.fsync(fh.fileno())
        replace_into(tmp, self.path)
        self.part.unlink()

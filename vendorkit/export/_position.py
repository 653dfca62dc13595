"""How far a file sink's output goes, in a form a resume can verify. Pure: no I/O.

After every page the checkpoint stores the part file's ``offset`` (bytes written), ``lines``
(records written: one per line) and ``sha256`` (the digest of those ``offset`` bytes). A resume
reads the part file's first ``offset`` bytes once (in a worker thread) and continues only if the
digest and the line count match and the offset falls just after a line break; bytes after the
offset (a page written after the last checkpoint) are cut off and fetched again. Anything else
(a part file that was changed, shortened or removed, an offset moved, a count that disagrees) is
a ``CheckpointError``: the job is refused, never resumed into a gap or a duplicate.

The cost is one sequential read of what was already written, at disk speed, once per resume;
writing adds a hash update per page.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import attrs

from vendorkit.errors import CheckpointError

__all__ = ["FilePosition", "Verifier"]

_HEX64 = re.compile(r"[0-9a-f]{64}")
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


def _count(value: Any, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise CheckpointError(f"the checkpoint's sink position's {name} is {value!r}, not a count")
    return value


@attrs.frozen
class FilePosition:
    offset: int
    lines: int
    sha256: str

    @classmethod
    def from_json(cls, value: Any) -> FilePosition:
        """The position stored in a checkpoint, checked for types and coherence."""
        if not isinstance(value, dict):
            raise CheckpointError(
                f"the checkpoint's sink position is {value!r}, not the offset, line count and "
                "digest of the output (a checkpoint of an older vendorkit, or edited)"
            )
        offset = _count(value.get("offset"), "offset")
        lines = _count(value.get("lines"), "line count")
        digest = value.get("sha256")
        if not isinstance(digest, str) or not _HEX64.fullmatch(digest):
            raise CheckpointError(
                f"the checkpoint's sink position's digest is {digest!r}, not a SHA-256"
            )
        if (offset == 0) != (lines == 0):
            raise CheckpointError(
                f"the checkpoint's sink position says {lines} records in {offset} bytes: one "
                "cannot be 0 without the other"
            )
        if offset == 0 and digest != EMPTY_SHA256:
            raise CheckpointError(
                "the checkpoint's sink position is empty, and its digest is not that of nothing"
            )
        return cls(offset, lines, digest)

    def to_json(self) -> dict[str, Any]:
        return {"offset": self.offset, "lines": self.lines, "sha256": self.sha256}


class Verifier:
    """Reads a part file's prefix chunk by chunk: its digest, its line count, its last byte."""

    def __init__(self) -> None:
        self.hash = hashlib.sha256()
        self.lines = 0
        self.size = 0
        self.last = b""

    def update(self, chunk: bytes) -> None:
        if chunk:
            self.hash.update(chunk)
            self.lines += chunk.count(b"\n")
            self.size += len(chunk)
            self.last = chunk[-1:]

    def problem(self, expected: FilePosition) -> str | None:
        """Why the prefix read does not match ``expected`` (None: it does)."""
        if self.size != expected.offset:
            return f"it has {self.size} bytes where the checkpoint has {expected.offset}"
        if expected.offset and self.last != b"\n":
            return f"byte {expected.offset} is not the end of a record"
        if self.lines != expected.lines:
            return f"it has {self.lines} records where the checkpoint has {expected.lines}"
        if self.hash.hexdigest() != expected.sha256:
            return "its content changed since the checkpoint was written"
        return None

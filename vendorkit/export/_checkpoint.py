"""Checkpoints: one small JSON file per job, replaced atomically after every page.

It says which job it belongs to (``fingerprint``: vendor, base URL, resource, filters), where the
walk continues (the partition in progress and the pager's resume point inside it), how far the
sink's output is durable (for the file sinks: offset, record count and digest, verified on
resume), and the counts so far. It is saved right after each page has been handed to the sink:
if the process dies while a page is being written, resuming truncates the output back to the
recorded position and fetches that page again; nothing is lost or doubled, and a page that was
completely written is never fetched again.

Reading one is total: ``Checkpoint.load`` gives a ``Checkpoint``, ``None`` (no file, or a file
that is not JSON at all: a write torn by a power loss, after which starting the job over is the
only safe choice), or raises a ``CheckpointError`` (JSON that is not a checkpoint of this
version: wrong types, missing fields, impossible values) or an ``UnsafePathError`` (a symbolic
link or a non-file in its place). Never a bare ``TypeError`` or ``KeyError``.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import attrs

from vendorkit.errors import CheckpointError

from ._files import open_private, write_private_atomic

__all__ = ["VERSION", "Checkpoint"]

log = logging.getLogger("vendorkit")

#: The checkpoint format this vendorkit writes and reads (1: before verifiable sink positions).
VERSION = 2

#: A checkpoint is a few hundred bytes; one much larger than this is not ours.
MAX_SIZE = 4 << 20

# Resume point keys whose values the pagers read as numbers or as text.
_INT_KEYS = frozenset({"page", "size", "offset", "chain"})
_STR_KEYS = frozenset({"url", "cursor"})


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _check_resume_point(value: Any, where: str) -> None:
    if value is None:
        return
    if not isinstance(value, dict):
        raise CheckpointError(f"{where} is {type(value).__name__}, not a resume point")
    for key, item in value.items():
        if key in _INT_KEYS and not _is_count(item):
            raise CheckpointError(f"{where}[{key!r}] is {item!r}, not a count")
        if key in _STR_KEYS and not isinstance(item, str):
            raise CheckpointError(f"{where}[{key!r}] is {item!r}, not text")
        if not isinstance(item, str | int | float | bool | type(None)):
            raise CheckpointError(f"{where}[{key!r}] is {type(item).__name__}, not a plain value")
    if value.get("size") == 0:
        raise CheckpointError(f"{where} has a page size of 0")


def _check_partition(value: Any) -> None:
    if value is None:
        return
    if not isinstance(value, list):
        raise CheckpointError(f"'partition' is {type(value).__name__}, not a list")
    for i, level in enumerate(value):
        if not isinstance(level, dict):
            raise CheckpointError(f"'partition'[{i}] is {type(level).__name__}, not an object")
        if not _is_count(level.get("skip", 0)):
            raise CheckpointError(f"'partition'[{i}]['skip'] is {level.get('skip')!r}")
        _check_resume_point(level.get("resume"), f"'partition'[{i}]['resume']")


# field -> (check, what it must be)
_FIELDS: dict[str, tuple[Any, str]] = {
    "job": (lambda v: isinstance(v, str) and bool(v), "a job name"),
    "fingerprint": (lambda v: v is None or isinstance(v, str), "text or null"),
    "partition_args": (lambda v: v is None or isinstance(v, dict), "an object or null"),
    "partition_done": (lambda v: isinstance(v, bool), "true or false"),
    "partition_index": (_is_count, "a count"),
    "page_size": (lambda v: v is None or (_is_count(v) and v >= 1), "a page size or null"),
    "records": (_is_count, "a count"),
    "pages": (_is_count, "a count"),
    "bytes": (_is_count, "a count"),
    "total": (lambda v: v is None or _is_count(v), "a count or null"),
    "committing": (lambda v: isinstance(v, bool), "true or false"),
    "done": (lambda v: isinstance(v, bool), "true or false"),
    "stopped": (lambda v: v is None or isinstance(v, str), "text or null"),
    "error": (lambda v: v is None or isinstance(v, str), "text or null"),
}


@attrs.define(kw_only=True)
class Checkpoint:
    """A job's durable state.

    - ``partition``: where the child collection in progress sits among its parents (one
      ``{"resume": <parent page's resume point>, "skip": <index in that page>}`` per level;
      ``[]`` for a plain collection), ``None`` before the walk starts. ``partition_args`` are the
      arguments it was listed under, checked again on resume; ``partition_done`` says it is
      complete. ``partition_index`` counts completed partitions (informative).
    - ``resume``: the pager's resume point inside that partition (``None``: its beginning), with
      the ``page_size`` it was walked with.
    - ``sink_position``: the sink's ``position()`` after the last page written.
    - ``committing``: every page is written and the sink's ``commit`` has begun.
    """

    job: str
    version: int = VERSION
    fingerprint: str | None = None
    partition: list[dict[str, Any]] | None = None
    partition_args: dict[str, Any] | None = None
    partition_done: bool = False
    partition_index: int = 0
    resume: dict[str, Any] | None = None
    page_size: int | None = None
    sink_position: Any = None
    records: int = 0
    pages: int = 0
    bytes: int = 0
    total: int | None = None
    committing: bool = False
    done: bool = False
    stopped: str | None = None
    error: str | None = None

    @classmethod
    def from_json(cls, data: Any) -> Checkpoint:
        """The checkpoint ``data`` (parsed JSON) describes, or a ``CheckpointError`` saying what
        is wrong with it. Unknown keys are ignored; every known one is checked."""
        if not isinstance(data, dict):
            raise CheckpointError(f"it is a JSON {type(data).__name__}, not a checkpoint object")
        version = data.get("version", 1)
        if version != VERSION or isinstance(version, bool):
            raise CheckpointError(
                f"it is in format {version!r}, and this vendorkit reads format {VERSION} (a "
                "checkpoint of another version cannot be verified against its output)"
            )
        defaults = cls(job="-")
        values: dict[str, Any] = {}
        for name, (check, what) in _FIELDS.items():
            value = data.get(name, getattr(defaults, name)) if name != "job" else data.get(name)
            if not check(value):
                raise CheckpointError(f"its {name!r} is {value!r}, not {what}")
            values[name] = value
        _check_partition(data.get("partition"))
        _check_resume_point(data.get("resume"), "'resume'")
        if values["records"] and not values["pages"]:
            raise CheckpointError(f"it counts {values['records']} records in 0 pages")
        return cls(
            **values,
            partition=data.get("partition"),
            resume=data.get("resume"),
            sink_position=data.get("sink_position"),
        )

    def to_json(self) -> dict[str, Any]:
        return attrs.asdict(self)

    @classmethod
    def load(cls, path: Path) -> Checkpoint | None:
        """The checkpoint at ``path``; None if there is none, or if it is not JSON at all (a torn
        write after a power loss: the job starts over, with a warning). A checkpoint that is JSON
        but not a valid one is a ``CheckpointError``; a link in its place an ``UnsafePathError``."""
        path = Path(path)
        try:
            fd = open_private(path, write=False)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise CheckpointError(f"checkpoint {path} cannot be read: {exc.strerror}") from None
        with open(fd, "rb") as fh:
            raw = fh.read(MAX_SIZE + 1)
        if len(raw) > MAX_SIZE:
            raise CheckpointError(f"checkpoint {path} is larger than any checkpoint")
        try:
            data = json.loads(raw.decode("utf-8"))
        except RecursionError:
            raise CheckpointError(f"checkpoint {path} is nested too deeply") from None
        except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, an over-long number
            log.warning(
                "vendorkit: unreadable checkpoint %s (%s); starting that job over",
                path,
                type(exc).__name__,
            )
            return None
        try:
            return cls.from_json(data)
        except CheckpointError as exc:
            raise CheckpointError(f"checkpoint {path} is not valid: {exc}") from None

    def save(self, path: Path) -> None:
        """Write atomically (0600, never through a link): a temporary file renamed over the
        previous checkpoint."""
        text = json.dumps(self.to_json(), sort_keys=True, default=str, ensure_ascii=True)
        write_private_atomic(Path(path), text.encode("ascii"))

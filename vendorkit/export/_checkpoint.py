"""Checkpoints: one small JSON file per job, replaced atomically after every page.

It says which job it belongs to (``fingerprint``: vendor, base URL, resource, filters), where the
walk continues (the partition in progress and the pager's resume point inside it), how far the
sink's output is durable (for the file sinks: offset, record count and digest, verified on
resume), and the counts so far. It is saved right after each page has been handed to the sink:
if the process dies while a page is being written, resuming truncates the output back to the
recorded position and fetches that page again; nothing is lost or doubled, and a page that was
completely written is never fetched again.

**Sealed.** The output position is verified against the output file, but a resume point (an
offset, a page number, a next link, an opaque cursor, a parent page's position) cannot be checked
against anything on disk. So every checkpoint carries a ``seal``: the SHA-256 of all its fields
in canonical JSON. The seal binds the resume point to the record counts and to the sink position
(whose digest binds it to the output's bytes): moving the resume point, the partition cursor or
a count alone, or damaging any field, is refused as a ``CheckpointError``. It detects edits and
damage, not a forger who recomputes it (whoever can write the checkpoint can write the output
too). Where the pagination style allows, the resume point is also checked against the counts
of the partition in progress (``_check_walk``), seal or no seal.

Reading one is total: ``Checkpoint.load`` gives a ``Checkpoint``, ``None`` (no file, or a file
that is not JSON at all: a write torn by a power loss, after which starting the job over is the
only safe choice), or raises a ``CheckpointError`` (JSON that is not a checkpoint of this
version: wrong types, missing fields, impossible values) or an ``UnsafePathError`` (a symbolic
link or a non-file in its place). Never a bare ``TypeError`` or ``KeyError``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from pathlib import Path
from typing import Any

import attrs

from vendorkit.errors import CheckpointError

from ._files import open_private, write_private_atomic

__all__ = ["VERSION", "Checkpoint"]

log = logging.getLogger("vendorkit")

#: The checkpoint format this vendorkit writes and reads (1: before verifiable sink positions;
#: 2: before the seal and the partition's own counts).
VERSION = 3

#: Prefixed to what the seal hashes, so that no other SHA-256 of ours can pass for a seal.
_SEAL_DOMAIN = b"vendorkit checkpoint seal, format 3\n"
_HEX64 = re.compile(r"[0-9a-f]{64}")

#: How many skipped parents a checkpoint names (it counts them all).
MAX_SKIPPED_NAMED = 100

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


def _canonical(body: dict[str, Any]) -> bytes:
    return json.dumps(
        body, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str
    ).encode("ascii")


def seal(body: dict[str, Any]) -> str:
    """The seal of a checkpoint's fields (``body``: every field but ``seal``)."""
    return hashlib.sha256(_SEAL_DOMAIN + _canonical(body)).hexdigest()


def _same_chain(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return a.get("chain") == b.get("chain")


def _check_walk(values: dict[str, Any]) -> None:
    """The resume point agrees with what was written of the partition in progress.

    Pure, and true of every checkpoint the engine writes (see ``_engine._walk``):

    - a partition that is complete has no resume point; one in progress has one exactly when
      pages of it were written (none: it starts from its beginning again; one with nothing
      written: its first pages would be skipped). Its counts never exceed the job's.
    - page numbers (``{"page": n}``): each page handed over moves the walk one page on, so the
      resume page is the partition's first page plus its pages written, exactly;
    - offsets (``{"offset": n}``): each record handed over came from its own offset (records
      the pager drops as an overlap only move it further), so the resume offset is at least the
      partition's first offset plus its records written. Ahead of that, only the seal tells.
    - next links and opaque cursors: nothing to compare; the seal binds them.
    """
    resume, start = values["resume"], values["partition_start"]
    pages, records = values["partition_pages"], values["partition_records"]
    if pages > values["pages"] or records > values["records"]:
        raise CheckpointError(
            f"it counts {records} records in {pages} pages of the partition in progress, more "
            f"than the job's {values['records']} in {values['pages']}"
        )
    if values["partition_done"]:
        if resume is not None:
            raise CheckpointError("its partition is complete and yet has a resume point")
        return
    if resume is None:
        if pages:
            raise CheckpointError(
                f"{pages} pages of the partition in progress were written and it has no resume "
                "point: they would be exported again"
            )
        return
    if not pages or start is None:
        raise CheckpointError(
            "it has a resume point in a partition of which nothing was written: the records "
            "before it would be missing"
        )
    if not _same_chain(resume, start):
        return
    if "page" in resume and "page" in start and resume["page"] - start["page"] != pages:
        raise CheckpointError(
            f"its resume point is page {resume['page']}, and {pages} pages from page "
            f"{start['page']} were written: that is page {start['page'] + pages}"
        )
    if "offset" in resume and "offset" in start and resume["offset"] - start["offset"] < records:
        raise CheckpointError(
            f"its resume point is offset {resume['offset']}, behind the {records} records "
            f"written from offset {start['offset']}: they would be exported again"
        )


def _check_skipped(value: Any) -> None:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise CheckpointError(f"its 'skipped_parents' is {value!r}, not a list of text")
    if len(value) > MAX_SKIPPED_NAMED:
        raise CheckpointError(f"it names {len(value)} skipped parents, more than it ever does")


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
    "partition_records": (_is_count, "a count"),
    "partition_pages": (_is_count, "a count"),
    "skipped_parents_count": (_is_count, "a count"),
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
    partition_start: dict[str, Any] | None = None
    partition_records: int = 0
    partition_pages: int = 0
    skipped_parents: list[str] = attrs.field(factory=list)
    skipped_parents_count: int = 0
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
        _check_resume_point(data.get("partition_start"), "'partition_start'")
        _check_skipped(data.get("skipped_parents", []))
        if values["records"] and not values["pages"]:
            raise CheckpointError(f"it counts {values['records']} records in 0 pages")
        if len(data.get("skipped_parents", [])) > values["skipped_parents_count"]:
            raise CheckpointError("it names more skipped parents than it counts")
        _check_walk(
            {**values, "resume": data.get("resume"), "partition_start": data.get("partition_start")}
        )
        ck = cls(
            **values,
            partition=data.get("partition"),
            resume=data.get("resume"),
            partition_start=data.get("partition_start"),
            skipped_parents=data.get("skipped_parents", []),
            sink_position=data.get("sink_position"),
        )
        # Last: the checks above say what is wrong where they can; the seal catches the rest.
        stored = data.get("seal")
        if not isinstance(stored, str) or not _HEX64.fullmatch(stored):
            raise CheckpointError(f"its 'seal' is {stored!r}, not a SHA-256")
        try:
            expected = seal(ck.body())
        except (ValueError, TypeError, RecursionError):
            raise CheckpointError("its sink position cannot be written as JSON") from None
        if stored != expected:
            raise CheckpointError(
                "its seal does not match its content: it was edited or damaged since it was "
                "written (a resume point, a count or a position that was moved would resume into "
                "a gap or a duplicate)"
            )
        return ck

    def body(self) -> dict[str, Any]:
        """Every field, as JSON values (what the seal covers)."""
        return attrs.asdict(self)

    def to_json(self) -> dict[str, Any]:
        """The checkpoint as written: its fields and their ``seal``."""
        body = self.body()
        return {**body, "seal": seal(body)}

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

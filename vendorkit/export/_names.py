"""Which job names are safe to turn into paths under ``out=``. Pure: no I/O.

A name is one or more ``/``-separated segments, each a plain file or folder name. Everything that
could place a file outside ``out=``, or somewhere other than where the name says, is refused with
a ``ConfigurationError`` before anything is fetched:

- not a string, empty, or not encodable as UTF-8 (a lone surrogate: no file system takes it);
- absolute (``/x``), a drive (``C:x``), a backslash anywhere (a separator on Windows), NUL or any
  other control character;
- an empty segment (``a//b``, a trailing ``/``), a segment starting with a dot (``.``, ``..``,
  ``.checkpoints``: the export's own folder, and hidden files), a colon (Windows drives and
  alternate data streams), leading or trailing white space;
- a segment longer than 200 bytes in UTF-8 (file systems allow 255, and suffixes such as
  ``.csv.jsonl.part`` or ``.jsonl.json.tmp`` are added to it).
"""

from __future__ import annotations

import unicodedata

from vendorkit.errors import ConfigurationError

__all__ = ["MAX_SEGMENT_BYTES", "check_name", "check_segment", "collision_key"]

MAX_SEGMENT_BYTES = 200


def _problem(segment: str) -> str | None:
    if not segment:
        return "an empty segment"
    if segment.startswith("."):
        return "a segment starting with '.'"
    if "\\" in segment:
        return "a backslash"
    if ":" in segment:
        return "a colon"
    if any(ord(c) < 32 or ord(c) == 127 for c in segment):
        return "a control character"
    if segment != segment.strip():
        return "leading or trailing white space"
    try:
        size = len(segment.encode("utf-8"))
    except UnicodeEncodeError:
        return "text that is not valid Unicode (a lone surrogate)"
    if size > MAX_SEGMENT_BYTES:
        return f"a segment longer than {MAX_SEGMENT_BYTES} bytes"
    return None


def check_segment(value: object, what: str) -> str:
    """``value`` if it is safe as one path segment, else a ``ConfigurationError``."""
    if not isinstance(value, str):
        raise ConfigurationError(f"{what} must be a string, not {type(value).__name__}")
    problem = "a '/'" if "/" in value else _problem(value)
    if problem:
        raise ConfigurationError(f"{what} {value!r} cannot be a file name: it has {problem}")
    return value


def check_name(value: object, what: str = "Job name") -> tuple[str, ...]:
    """The segments of ``value``, a relative ``/``-separated name, or a ``ConfigurationError``."""
    if not isinstance(value, str):
        raise ConfigurationError(f"{what} must be a string, not {type(value).__name__}")
    if not value:
        raise ConfigurationError(f"{what} must not be empty")
    if value.startswith("/") or (len(value) > 1 and value[1] == ":" and value[0].isalpha()):
        raise ConfigurationError(f"{what} {value!r} must be relative to out=, not absolute")
    segments = tuple(value.split("/"))
    for segment in segments:
        problem = _problem(segment)
        if problem:
            raise ConfigurationError(f"{what} {value!r} cannot be a path under out=: {problem}")
    return segments


def collision_key(name: str) -> str:
    """What two names share when they would write the same file on a case-insensitive or
    normalising file system (macOS, Windows): ``A/x`` and ``a/x`` are one output there."""
    return unicodedata.normalize("NFC", name).casefold()

"""The export's own errors: both are ``VendorkitError``s, and both leave every file as it was."""

from __future__ import annotations

from vendorkit.errors import VendorkitError

__all__ = ["CheckpointError", "UnsafePathError"]


class CheckpointError(VendorkitError):
    """A checkpoint that cannot be trusted: it does not verify against its output (an offset,
    a count or a digest that disagrees with the part file, a part file gone or changed) or it is
    not a checkpoint this version writes (wrong types, missing fields). The job is refused, never
    resumed into a gap or a duplicate; the message says how to start it over."""


class UnsafePathError(VendorkitError):
    """A path the export writes (an output, its ``.part`` or ``.tmp`` file, a checkpoint, a folder
    it creates) is a symbolic link or not a regular file: the export refuses to write through it."""

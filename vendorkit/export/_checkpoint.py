"""Checkpoints: one small JSON file per job, replaced atomically after every page.

It says which job it belongs to (``fingerprint``: vendor, base URL, resource, filters), where the
walk continues (the partition in progress and the pager's resume point inside it), how far the
sink's output is durable, and the counts so far. It is saved right after each page has been
handed to the sink: if the process dies while a page is being written, resuming truncates the
output back to the recorded position and fetches that page again; nothing is lost or doubled, and
a page that was completely written is never fetched again.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

import attrs

__all__ = ["Checkpoint"]

log = logging.getLogger("vendorkit")


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
    def load(cls, path: Path) -> Checkpoint | None:
        """The checkpoint at ``path``; None if there is none, or if it cannot be read (a torn
        write after a power loss): starting the job over is then the only safe choice."""
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            log.warning("vendorkit: unreadable checkpoint %s (%s); starting over", path, exc)
            return None
        if not isinstance(data, dict) or not isinstance(data.get("job"), str):
            log.warning("vendorkit: malformed checkpoint %s; starting over", path)
            return None
        fields = attrs.fields_dict(cls)
        return cls(**{k: v for k, v in data.items() if k in fields})

    def save(self, path: Path) -> None:
        """Write atomically: a temporary file renamed over the previous checkpoint."""
        path = Path(path)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(attrs.asdict(self), sort_keys=True, default=str), "utf-8")
        os.replace(tmp, path)

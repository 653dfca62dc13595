"""Checkpoints: one small JSON file per job, replaced atomically after every page.

It says where the walk continues (the pager's resume point), how many partitions (parent records)
are complete, how far the sink's output is durable, and the counts so far. A checkpoint is
written *before* a page is handed to the sink: if the process dies mid-page, resuming truncates
the output to the recorded position and fetches that page again; nothing is lost or doubled.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import attrs

__all__ = ["Checkpoint"]


@attrs.define(kw_only=True)
class Checkpoint:
    job: str
    resume: dict[str, Any] | None = None
    partition_index: int = 0
    sink_position: Any = None
    records: int = 0
    pages: int = 0
    bytes: int = 0
    done: bool = False
    stopped: str | None = None

    @classmethod
    def load(cls, path: Path) -> Checkpoint | None:
        try:
            data = json.loads(Path(path).read_text())
        except FileNotFoundError:
            return None
        fields = attrs.fields_dict(cls)
        return cls(**{k: v for k, v in data.items() if k in fields})

    def save(self, path: Path) -> None:
        path = Path(path)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(attrs.asdict(self), sort_keys=True))
        os.replace(tmp, path)

"""Bulk exports: concurrent, quota-aware, resumable, exactly once. See ``docs/export.md``."""

from vendorkit.errors import CheckpointError, UnsafePathError

from ._accounts import Account, export_accounts, load_accounts, parse_accounts
from ._checkpoint import Checkpoint
from ._engine import ExportResult, Job, JobResult, Progress, export, exportable_resources
from ._sinks import CsvSink, JsonlSink, Sink, flatten
from ._text import column_keys, neutralise_cell, restore_cell

__all__ = [
    "Account",
    "Checkpoint",
    "CheckpointError",
    "CsvSink",
    "ExportResult",
    "Job",
    "JobResult",
    "JsonlSink",
    "Progress",
    "Sink",
    "UnsafePathError",
    "column_keys",
    "export",
    "export_accounts",
    "exportable_resources",
    "flatten",
    "load_accounts",
    "neutralise_cell",
    "parse_accounts",
    "restore_cell",
]

"""Bulk exports: concurrent, quota-aware, resumable, exactly once. See ``docs/export.md``."""

from ._checkpoint import Checkpoint
from ._engine import ExportResult, Job, JobResult, Progress, export, exportable_resources
from ._sinks import CsvSink, JsonlSink, Sink, flatten

__all__ = [
    "Checkpoint",
    "CsvSink",
    "ExportResult",
    "Job",
    "JobResult",
    "JsonlSink",
    "Progress",
    "Sink",
    "export",
    "exportable_resources",
    "flatten",
]

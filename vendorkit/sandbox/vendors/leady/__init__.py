"""The Leady emulator (``leady.txt``): ``routes`` (the emulator and its route table), ``schemas``
(writable fields, messages), ``seed`` and its vocabularies in ``data``."""

from .routes import LeadyEmulator

__all__ = ["LeadyEmulator"]

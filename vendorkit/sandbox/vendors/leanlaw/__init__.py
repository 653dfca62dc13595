"""The LeanLaw emulator (``leanlaw.txt``): ``routes`` (the emulator and its route table),
``schemas`` (collections, fields, messages), ``rules`` (defaults and derived fields), ``seed``."""

from .routes import LeanLawEmulator

__all__ = ["LeanLawEmulator"]

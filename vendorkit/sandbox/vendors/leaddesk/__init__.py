"""The LeadDesk emulator (``leaddesk.txt``): ``routes`` (the emulator, its route table, the
OAuth2 grants and the relations), ``schemas`` (collections, fields, messages), ``seed``."""

from .routes import LeadDeskEmulator

__all__ = ["LeadDeskEmulator"]

"""``Problem``: the one error type of every emulator, raised anywhere below a handler.

A problem says what went wrong (status, a vendor error ``code``, a ``message`` or a catalogue
``key`` with its arguments, per-field ``fields``); the emulator's ``render_problem`` gives it the
vendor's own body shape, so handlers and rule hooks never build error bodies themselves. No I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["Problem"]


class Problem(Exception):
    """An error answer. ``fields`` maps a field name to its messages (or to whatever entries
    the vendor's renderer understands, such as catalogue keys to translate late)."""

    def __init__(
        self,
        status: int,
        message: str = "",
        *,
        code: str | None = None,
        key: str | None = None,
        kw: Mapping[str, Any] | None = None,
        fields: Mapping[str, list[Any]] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message or key or str(status))
        self.status = status
        self.message = message
        self.code = code
        self.key = key
        self.kw = dict(kw or {})
        self.fields = fields
        self.headers = headers

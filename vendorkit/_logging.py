"""``VENDORKIT_LOG=debug|info|warning``: vendorkit's log on stderr, for library users and the CLI.

``import vendorkit`` reads the variable once (``configure_from_env``) and, when it names a
level, puts one ``StderrHandler`` on the ``vendorkit`` logger; the CLI calls ``install`` with its
own scrubbing (the environment's secrets, terminal controls) and gets that same handler, so no
line is ever written twice. Each record is one line, ``vendorkit DEBUG: GET https://... -> 200
in 0.120s attempt 1 trace=abc``: its message as the core wrote it (URLs already redacted, never a
header or a body), scrubbed once more of the live clients' secrets and of credential shapes, a
traceback never (an exception shows as its type and redacted message). An unknown value is
ignored with one line saying so; nothing here ever raises at import.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable

__all__ = ["LEVELS", "StderrHandler", "configure_from_env", "install", "level_from_env"]

LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING}
ENV = "VENDORKIT_LOG"

_logger = logging.getLogger("vendorkit")
_warned: list[str] = []  # the unknown values already reported (each once per process)


class StderrHandler(logging.Handler):
    """vendorkit's records on stderr, one scrubbed line each with one prefix, never a traceback
    (its frames and chained causes may carry what a foreign exception was handed).

    ``scrub``: more cleaning of each line (the CLI's: the secrets of its environment and
    clients, terminal controls escaped). ``sys.stderr`` is looked up at each line, so a
    redirection made later (pytest's capture, rich's live progress) is honoured.
    """

    def __init__(self, level: int, scrub: Callable[[str], str] | None = None) -> None:
        super().__init__(level)
        self.scrub = scrub

    def format(self, record: logging.LogRecord) -> str:
        try:
            message = record.getMessage()
        except Exception:  # a record whose arguments do not fit its format: still shown
            message = str(record.msg)
        # The core's messages start with "vendorkit: " for other handlers; here the prefix says it.
        message = message.removeprefix("vendorkit: ")
        if record.exc_info and record.exc_info[1] is not None:
            from vendorkit.core._redact import describe_exception

            message += f" ({describe_exception(record.exc_info[1])})"
        from vendorkit.core._redact import known_secrets, redact_text

        line = " ".join(f"vendorkit {record.levelname}: {message}".split())
        line = redact_text(line, known_secrets())
        return self.scrub(line) if self.scrub is not None else line

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
            stream = sys.stderr
            stream.write(line + "\n")
            stream.flush()
        except Exception:
            self.handleError(record)


def level_from_env(default: int | None = None) -> int | None:
    """The level ``VENDORKIT_LOG`` names (``default`` if unset or unknown; an unknown value is
    reported once on stderr, never raised)."""
    raw = os.environ.get(ENV, "")
    value = raw.strip().lower()
    if not value:
        return default
    level = LEVELS.get(value)
    if level is None and raw not in _warned:
        _warned.append(raw)
        try:
            sys.stderr.write(
                f"vendorkit WARNING: {ENV}={raw[:40]!r} is not one of "
                f"{', '.join(LEVELS)}; ignored\n"
            )
        except Exception:
            pass
    return default if level is None else level


def install(
    level: int, *, scrub: Callable[[str], str] | None = None, propagate: bool | None = None
) -> StderrHandler:
    """The one ``StderrHandler`` on the ``vendorkit`` logger at ``level`` (added the first time,
    updated after: idempotent), the logger let through at least that level. ``propagate``:
    whether records also reach the root logger's handlers (None: left as it is)."""
    handler = next((h for h in _logger.handlers if isinstance(h, StderrHandler)), None)
    if handler is None:
        handler = StderrHandler(level, scrub)
        _logger.addHandler(handler)
    else:
        handler.setLevel(level)
        if scrub is not None:
            handler.scrub = scrub
    if _logger.level == logging.NOTSET or _logger.level > level:
        _logger.setLevel(level)
    if propagate is not None:
        _logger.propagate = propagate
    return handler


def configure_from_env() -> None:
    """At ``import vendorkit``: the stderr handler if ``VENDORKIT_LOG`` names a level. Never
    raises (a library's import must not fail over a logging setting)."""
    try:
        level = level_from_env()
        if level is not None:
            install(level)
    except Exception:
        pass

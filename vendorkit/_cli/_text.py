"""What the command shows of text it did not write: ``visible`` and ``visible_json`` write every
character a terminal would act on as its escape, and ``_secrets`` scrubs every credential the
command holds (the environment's, the clients') from whatever it prints or logs. One module, so
that every printer (errors, logs, progress, summaries, ``get``) escapes and scrubs alike; it does
no I/O beyond reading the environment."""

from __future__ import annotations

import base64
import itertools
import os
import re
import unicodedata
from typing import Any

from vendorkit._registry import VENDORS

# Characters a terminal acts on or a reader cannot see: controls (C0, DEL, C1: ESC starts the
# sequences that set a window title, open a hyperlink or clear the screen, and U+009B is CSI on
# its own), format characters (bidi overrides and isolates that reorder what is shown, zero-width
# characters, tag characters), line and paragraph separators, lone surrogates.
_HIDDEN = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
_NOT_PLAIN_ASCII = re.compile(r"[^\x20-\x7e]")


def _escape_char(char: str) -> str:
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def _visible_char(match: re.Match[str]) -> str:
    char = match.group()
    return _escape_char(char) if unicodedata.category(char) in _HIDDEN else char


def visible(text: str) -> str:
    """``text`` with every character a terminal would act on, or a reader could not see, written
    as its Python escape (``\\x1b``, ``\\u202e``): what the command prints of vendor or server
    text cannot drive the operator's terminal. Other text (Japanese included) is kept as is."""
    return _NOT_PLAIN_ASCII.sub(_visible_char, text)


def _json_escape(match: re.Match[str]) -> str:
    char = match.group()
    if char == "\n" or unicodedata.category(char) not in _HIDDEN:
        return char  # outside strings, JSON holds line breaks; inside, json.dumps escaped them
    code = ord(char)
    if code > 0xFFFF:  # JSON escapes a character beyond the BMP as its UTF-16 pair
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
    return f"\\u{code:04x}"


def visible_json(text: str) -> str:
    """JSON text (``json.dumps(..., ensure_ascii=False)``) with every hidden character (see
    ``visible``) inside its strings written as a ``\\u`` escape: still JSON, ``json.loads``
    gives back the same value, and nothing in it can drive a terminal."""
    return _NOT_PLAIN_ASCII.sub(_json_escape, text)


# Settings, not credentials: scrubbing "password" (a grant type) would garble every message.


class _Secrets:
    """The credentials this command holds: read from the environment (every
    ``VENDORKIT_<VENDOR>_<FIELD>`` value but the base URL, and the Basic forms of their pairs)
    and, once built, the clients' own (tokens issued during the run). Everything the command
    prints or logs is scrubbed of them, and of anything shaped like a credential, whatever an
    exception carried."""

    def __init__(self) -> None:
        self.clients: list[Any] = []
        # The env_prefix of every account an ``--accounts`` run reads.
        self.prefixes: list[str] = []

    def from_env(self) -> set[str]:
        from vendorkit.core import SETTING_FIELDS

        # The settings among the variables (a base URL, a grant type, a language): not scrubbed.
        settings = tuple(f"_{field.upper()}" for field in SETTING_FIELDS)
        prefixes = [f"VENDORKIT_{v.upper()}_" for v in VENDORS] + self.prefixes
        values: set[str] = set()
        for prefix in prefixes:
            group = sorted(
                value
                for name, value in os.environ.items()
                if name.startswith(prefix) and not name.endswith(settings) and value
            )
            values.update(group)
            # The Basic forms of one account's pairs (not of every pair across accounts).
            for a, b in itertools.permutations(group, 2):
                values.add(base64.b64encode(f"{a}:{b}".encode()).decode())
        return values

    def all(self) -> set[str]:
        found = self.from_env()
        for client in self.clients:
            try:
                found.update(s for s in client.auth.secrets() if isinstance(s, str))
            except Exception:  # an auth strategy without secrets(): the environment still counts
                continue
        return found

    def clean(self, text: object) -> str:
        """``text`` on one line, scrubbed, and safe to show: every terminal control, invisible
        format character and lone surrogate as its escape (``visible``)."""
        from vendorkit.core import redact_text

        line = " ".join(str(text).split())
        return visible(redact_text(line, self.all()))


_secrets = _Secrets()

"""Credentials on the emulators' side: reading ``Authorization`` headers, and OAuth2 token pairs.

``bearer``/``basic`` parse a header into its credential, or ``None``; the emulator's
``authenticate`` hook (run by one middleware for every path outside ``open_paths``) decides what
a credential allows. ``OAuth2`` issues the token endpoint's answer and rotates refresh tokens: a
refresh kills the refresh token used and the access token issued with it, at once, as the
vendors' docs say. No I/O.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._emulator import Tokens

__all__ = ["NO_STORE", "OAuth2", "basic", "bearer"]

#: RFC 6749 section 5.1: token answers must not be cached.
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def bearer(header: str, *, scheme: str = "bearer", colon: bool = True) -> str | None:
    """The token of ``Authorization: <scheme> <token>`` (``Bearer:`` tolerated with ``colon``),
    or ``None``."""
    name, _, token = header.strip().partition(" ")
    token = token.strip()
    name = name.rstrip(":") if colon else name
    return token if name.lower() == scheme and token else None


def basic(header: str) -> tuple[str, str] | None:
    """``(user, password)`` of ``Authorization: Basic <base64>``, or ``None``."""
    name, _, value = header.partition(" ")
    if name.rstrip(":").lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, sep, password = decoded.partition(":")
    return (user, password) if sep else None


def _seconds(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


class OAuth2:
    """Token answers over an emulator's ``Tokens``.

    ``default_ttl``: ``expires_in`` when tokens do not expire. ``refresh_factor``: refresh tokens
    live this many times longer than access tokens (``None``: no refresh tokens).
    ``whole_seconds``: ``expires_in`` truncated to an integer."""

    def __init__(
        self,
        tokens: Tokens,
        *,
        default_ttl: float,
        refresh_factor: float | None = None,
        whole_seconds: bool = False,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        self.tokens = tokens
        self.default_ttl = default_ttl
        self.refresh_factor = refresh_factor
        self.whole_seconds = whole_seconds
        self.extra = dict(extra or {})
        self._pairs = 0

    def grant(self, grant: str, subject: Mapping[str, Any]) -> dict[str, Any]:
        """A new access token (and refresh token) for ``subject``: the token endpoint's body."""
        self._pairs += 1
        ttl = self.tokens.ttl
        common: dict[str, Any] = {"pair": self._pairs, "grant": grant, "subject": dict(subject)}
        body: dict[str, Any] = {
            "access_token": self.tokens.issue("", kind="access", **common),
            "token_type": "Bearer",
        }
        expires = self.default_ttl if ttl is None else ttl
        body["expires_in"] = int(expires) if self.whole_seconds else _seconds(expires)
        if self.refresh_factor is not None:
            refresh_ttl = None if ttl is None else ttl * self.refresh_factor
            body["refresh_token"] = self.tokens.issue("", ttl=refresh_ttl, kind="refresh", **common)
        body.update(self.extra)
        return body

    def refresh(self, token: str) -> dict[str, Any] | None:
        """Rotate: a new pair for the refresh token's subject, the old pair revoked; ``None``
        when ``token`` is not a live refresh token."""
        info = self.tokens.lookup(token)
        if info is None or info.get("kind") != "refresh":
            return None
        self.tokens.revoke_where(pair=info["pair"])
        return self.grant(str(info["grant"]), dict(info["subject"]))

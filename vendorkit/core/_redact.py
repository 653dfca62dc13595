"""Keeping secrets out of text. Pure: no I/O.

Anything vendorkit shows (an error's message, a log line, a hook's argument, a checkpoint's
``error``) is built from our own words plus, at most, text that passed through ``redact_text``.
Two nets, both always applied:

- **known secrets**: the exact values the client holds (an API key, a client secret, a password,
  the Basic header value, tokens it has been issued), in the spellings they take in text (as is,
  percent-encoded, JSON- and repr-escaped), wherever they appear;
- **shapes**: ``Authorization: ...``-style headers (also inside a dict's or a multidict's repr),
  ``Bearer``/``Basic`` credentials, ``user:password@`` in URLs, and sensitive query or JSON keys
  (``token=...``, ``"password": "..."``), every occurrence, not only the first.

A foreign exception is never shown by its ``repr`` (aiohttp's carries the request headers):
``describe_exception`` gives its type and its redacted message, on one bounded line.

This is the one module that decides what is hidden: URLs (``redact_url``), headers
(``redact_headers``), text and exceptions. Every other module asks it.
"""

from __future__ import annotations

import functools
import json
import re
import weakref
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote, quote_plus

from yarl import URL

__all__ = [
    "REDACTED",
    "SENSITIVE_HEADERS",
    "SENSITIVE_KEYS",
    "describe_exception",
    "known_secrets",
    "redact_headers",
    "redact_known",
    "redact_text",
    "redact_url",
    "remember_secrets",
    "secret_spellings",
]

REDACTED = "***"

#: Query, form and JSON keys whose values never reach a log line, an error or a repr. Besides
#: OAuth's and the vendors' own, the signed-URL parameters OpenTelemetry's HTTP conventions ask
#: ``url.full`` to redact (``AWSAccessKeyId``, ``Signature``, ``sig``, ``X-Goog-Signature``):
#: a vendor's download link may be a presigned storage URL. Matched case-insensitively.
SENSITIVE_KEYS = frozenset(
    {
        "access_token",
        "api_key",
        "apikey",
        "awsaccesskeyid",
        "sig",
        "signature",
        "x-amz-signature",
        "x-goog-signature",
        "client_secret",
        "id_token",
        "key",
        "passwd",
        "password",
        "refresh_token",
        "secret",
        "token",
    }
)

#: Header names whose values are credentials.
SENSITIVE_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "x-api-key",
        "x-auth-token",
    }
)

# Known secrets shorter than this are not scrubbed on their own: replacing every "ab" in a
# message would destroy it and protect nothing (such a value is not a credential).
MIN_SECRET_LENGTH = 4

_KEYS = "|".join(sorted(SENSITIVE_KEYS, key=len, reverse=True))
_HEADERS = "|".join(sorted(SENSITIVE_HEADERS, key=len, reverse=True))

_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)[^/\s@'\"<>]*@")
# ``Authorization: Bearer x``, ``'Authorization': 'Bearer x'``, ``authorization=x``: up to the
# end of the quoted value or the line.
_HEADER = re.compile(rf"(?i)\b({_HEADERS})(['\"]?\s*[:=]\s*)(['\"]?)[^'\"\r\n]*")
_SCHEME = re.compile(r"(?i)\b(bearer|basic)(\s+)[A-Za-z0-9\-._~+/]+=*")
_QUERY = re.compile(rf"(?i)(?<![A-Za-z0-9_\-])({_KEYS})=[^&\s'\"#;,)<>]*")
_JSON = re.compile(rf"(?i)(['\"](?:{_KEYS})['\"]\s*:\s*['\"])[^'\"]*")

#: Longest text a described exception contributes to a message.
MAX_DESCRIPTION = 500


def secret_spellings(secret: str) -> set[str]:
    """The ways ``secret`` can appear in text: as is, percent-encoded (path or form style),
    JSON-escaped and repr-escaped."""
    out = {secret, quote(secret, safe=""), quote_plus(secret)}
    out.add(json.dumps(secret)[1:-1])
    out.add(repr(secret)[1:-1])
    return {s for s in out if len(s) >= MIN_SECRET_LENGTH and s.strip("*")}


@functools.lru_cache(maxsize=128)
def _known_pattern(secrets: tuple[str, ...]) -> re.Pattern[str] | None:
    """One pattern for every spelling of these secrets (cached: a client's secrets change
    rarely, and a URL is shown on every request). A secret shorter than ``MIN_SECRET_LENGTH``
    (a three-character password) is matched only where it stands alone, not inside a word, so
    that scrubbing it keeps the rest of a message readable; a single character is no secret."""
    long: set[str] = set()
    short: set[str] = set()
    for secret in secrets:
        if not isinstance(secret, str):
            continue
        if len(secret) >= MIN_SECRET_LENGTH:
            long |= secret_spellings(secret)
        elif len(secret) >= 2 and secret.strip("*"):
            short.add(secret)
    parts = [re.escape(x) for x in sorted(long, key=len, reverse=True)]
    parts += [
        rf"(?<![0-9A-Za-z]){re.escape(x)}(?![0-9A-Za-z])"
        for x in sorted(short, key=len, reverse=True)
    ]
    return re.compile("|".join(parts)) if parts else None


def redact_known(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every spelling of each known secret replaced by ``***`` (and nothing else
    changed: for a vendor's own message, which the shapes could garble)."""
    pattern = _known_pattern(tuple(s for s in secrets if isinstance(s, str) and s))
    if pattern is None:
        return text
    # Until nothing changes: a replacement must not leave a secret made of its neighbours.
    for _ in range(8):
        scrubbed = pattern.sub(REDACTED, text)
        if scrubbed == text:
            break
        text = scrubbed
    return text


def redact_text(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with every known secret and every credential-shaped value replaced by ``***``."""
    text = redact_known(str(text), secrets)
    text = _USERINFO.sub(rf"\1{REDACTED}@", text)
    text = _HEADER.sub(rf"\1\2\3{REDACTED}", text)
    text = _SCHEME.sub(rf"\1\2{REDACTED}", text)
    text = _QUERY.sub(rf"\1={REDACTED}", text)
    return _JSON.sub(rf"\1{REDACTED}", text)


def describe_exception(exc: BaseException, secrets: Iterable[str] = ()) -> str:
    """``TypeName: message`` of a foreign exception, redacted, on one line of bounded length.
    Never its ``repr``: aiohttp's exceptions carry the request (URL and headers) in theirs."""
    try:
        message = str(exc)
    except Exception:  # a broken __str__ must not turn an error report into another error
        message = ""
    text = redact_text(" ".join(message.split()), secrets)
    name = type(exc).__name__
    line = f"{name}: {text}" if text else name
    if len(line) > MAX_DESCRIPTION:
        line = line[: MAX_DESCRIPTION - 1] + "…"
    return line


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """``headers`` with every credential header's value replaced by ``***``."""
    return {k: (REDACTED if k.lower() in SENSITIVE_HEADERS else v) for k, v in headers.items()}


def redact_url(url: URL | str, secrets: Iterable[str] = ()) -> str:
    """The URL with user-info removed, sensitive query values and a credential-bearing fragment
    replaced by ``***``, and (``secrets``) the client's own credentials under any name too.
    Never raises: text that is not a URL is redacted as text."""
    try:
        u = URL(url) if isinstance(url, str) else url
        shown = _redacted(u)
    except (ValueError, TypeError, UnicodeError):
        shown = redact_text(str(url))
    return redact_known(shown, secrets)


def _redacted(u: URL) -> str:
    if u.user is not None or u.password is not None:
        u = u.with_user(None)
    if u.query and any(k.lower() in SENSITIVE_KEYS for k in u.query):
        u = u.with_query(
            [(k, REDACTED if k.lower() in SENSITIVE_KEYS else v) for k, v in u.query.items()]
        )
    if u.fragment and any(k in u.fragment.lower() for k in SENSITIVE_KEYS):
        # An implicit-grant style ``#access_token=...``: fragments are never sent, never shown.
        u = u.with_fragment(REDACTED)
    return str(u)


# -- the secrets of every live client, for the stderr log handler ------------------------------

_SECRET_SOURCES: weakref.WeakSet[Any] = weakref.WeakSet()


def remember_secrets(source: Any) -> None:
    """Count ``source.secrets()`` (an auth strategy of a client) among the secrets every line of
    vendorkit's own stderr log (``VENDORKIT_LOG``) is scrubbed of, for as long as it lives:
    a message no layer could redact (a caller's hook raising with a credential in its message)
    still never shows one."""
    _SECRET_SOURCES.add(source)


def known_secrets() -> tuple[str, ...]:
    """Every secret the live clients of this process hold (see ``remember_secrets``)."""
    found: set[str] = set()
    for source in list(_SECRET_SOURCES):
        try:
            found.update(s for s in source.secrets() if isinstance(s, str) and s)
        except Exception:  # a strategy without secrets(): the credential shapes still count
            continue
    return tuple(sorted(found))

"""Checking what a caller passed: numbers of the right kind and range, names that exist. Pure.

Each check raises ``ConfigurationError`` naming the option, so a typo or a wrong type is caught
where it is made (``timeout="5"``, ``max_retries=-1``, ``max_retrys=3``), not deep inside a send
as a ``TypeError``.
"""

from __future__ import annotations

import difflib
import ipaddress
import math
from collections.abc import Iterable, Mapping
from typing import Any

from vendorkit.errors import ConfigurationError

__all__ = [
    "closest",
    "header_value",
    "headers_mapping",
    "http_method",
    "is_loopback",
    "seconds",
    "unknown_option",
    "whole",
]

_TOKEN_CHARS = frozenset(
    "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
)


def seconds(name: str, value: Any, *, positive: bool = False) -> float:
    """A finite number of seconds (``int`` or ``float``, not ``bool``), >= 0 (> 0 if
    ``positive``)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigurationError(f"{name} must be a number of seconds, not {value!r}")
    try:
        number = float(value)
    except OverflowError:  # an int beyond float range: not a finite number of seconds
        number = math.inf
    if not math.isfinite(number) or number < 0 or (positive and number == 0):
        need = "a positive" if positive else "a non-negative"
        raise ConfigurationError(f"{name} must be {need} finite number of seconds, not {value!r}")
    return number


def whole(name: str, value: Any, *, minimum: int = 0) -> int:
    """An ``int`` (not ``bool``) of at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigurationError(f"{name} must be a whole number, not {value!r}")
    if value < minimum:
        raise ConfigurationError(f"{name} must be at least {minimum}, not {value!r}")
    return value


def header_value(name: str, value: Any) -> str:
    """A string that can be sent as an HTTP header value: no line breaks (which would smuggle in
    headers of their own), only characters HTTP/1.1 can carry."""
    if not isinstance(value, str):
        raise ConfigurationError(f"{name} must be a string, not {value!r}")
    if any(c in value for c in "\r\n\x00"):
        raise ConfigurationError(f"{name} must not contain line breaks or NUL")
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        raise ConfigurationError(f"{name} has characters HTTP headers cannot carry") from None
    return value


def encodable(text: str) -> bool:
    """Whether ``text`` can be sent at all: UTF-8 refuses a lone surrogate, which yarl would
    silently drop from a URL and a form would fail on at send time."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def http_method(value: Any) -> str:
    """An HTTP method name (``"get"`` is ``"GET"``)."""
    if not isinstance(value, str) or not value or not set(value) <= _TOKEN_CHARS:
        raise ConfigurationError(f"not an HTTP method: {value!r}")
    return value.upper()


def headers_mapping(value: Any) -> Mapping[str, str]:
    """Request headers: a mapping of names to values, each sendable (see ``header_value``)."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ConfigurationError(f"headers must be a mapping of names to values, not {value!r}")
    for name, one in value.items():
        if not isinstance(name, str) or not name or not set(name) <= _TOKEN_CHARS:
            raise ConfigurationError(f"not a header name: {name!r}")
        header_value(f"the {name} header", one)
    return value


def closest(name: str, known: Iterable[str]) -> str | None:
    """The known name ``name`` most likely misspells, if any is close."""
    matches = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return matches[0] if matches else None


def unknown_option(where: str, name: str, known: Iterable[str]) -> ConfigurationError:
    """The error for an option ``where`` does not take, suggesting the closest known name."""
    guess = closest(name, known)
    hint = f"; did you mean {guess!r}?" if guess else ""
    return ConfigurationError(f"{where} got an unknown option {name!r}{hint}")


def is_loopback(host: str | None) -> bool:
    """Whether ``host`` is this machine (``localhost``, ``127.0.0.0/8``, ``::1``)."""
    if not host:
        return False
    name = host.strip("[]").lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False

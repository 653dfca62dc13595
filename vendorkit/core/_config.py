"""A client's configuration: its options checked into values, before anything is sent. No I/O.

What ``BaseClient.__init__`` takes is checked here, one function per option that needs more than
a type check (``_options`` holds the small checks they share), so a wrong option is a
``ConfigurationError`` naming it at construction, never a ``TypeError`` deep inside a send.
"""

from __future__ import annotations

import inspect
import logging
import os
import ssl as ssl_module
from collections.abc import Mapping, Sequence
from typing import Any

from yarl import URL

from vendorkit.errors import ConfigurationError

from ._options import is_loopback, seconds, whole
from ._ratelimit import Quota, RateLimiter, parse_quotas
from ._redact import redact_url
from ._retry import RetryPolicy

__all__ = [
    "DEFAULT",
    "DEFAULT_CONNECT_TIMEOUT",
    "DEFAULT_MAX_CONNECTIONS",
    "DEFAULT_MAX_QUOTA_WAIT",
    "DEFAULT_MAX_RESPONSE_SIZE",
    "DEFAULT_TIMEOUT",
    "SETTING_FIELDS",
    "base_url_option",
    "env_options",
    "env_variables",
    "option_names",
    "quota_wait_option",
    "rate_limiter_option",
    "retry_policy_option",
    "tls_option",
]

log = logging.getLogger("vendorkit")

DEFAULT_TIMEOUT = 30.0
DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_MAX_CONNECTIONS = 20
#: Bytes of one response body (after decompression) beyond which it is refused: far above any
#: page a vendor documents, far below what would exhaust memory (a "gzip bomb").
DEFAULT_MAX_RESPONSE_SIZE = 64 * 2**20
#: Seconds a plain call waits at most for a client-side quota slot: two whole minute windows,
#: never the hours a spent daily quota would take (that raises RateLimitError instead).
DEFAULT_MAX_QUOTA_WAIT = 120.0


class _Default:
    def __repr__(self) -> str:
        return "DEFAULT"


DEFAULT: Any = _Default()
"""Sentinel: "use the vendor's default" (e.g. ``rate_limit=DEFAULT`` is the documented quota)."""


def base_url_option(value: Any, *, allow_http: bool) -> URL:
    """The client's base URL, checked: absolute http(s), no credentials in it, and plain http only
    to this machine unless the caller opts in (credentials would cross the network in clear)."""
    if not isinstance(value, str | URL):
        raise ConfigurationError(f"base_url must be a string, not {value!r}")
    try:
        url = URL(value)
        host = url.host
    except (ValueError, TypeError, UnicodeError):
        raise ConfigurationError(f"base_url is not a valid URL: {redact_url(str(value))}") from None
    if not url.is_absolute() or url.scheme not in ("http", "https") or not host:
        raise ConfigurationError(f"base_url must be an absolute http(s) URL: {redact_url(url)}")
    if url.user is not None or url.password is not None:
        raise ConfigurationError("base_url must not contain credentials")
    if url.scheme == "http" and not allow_http and not is_loopback(host):
        raise ConfigurationError(
            f"base_url {redact_url(url)} is plain http to another machine: credentials would "
            "cross the network unencrypted. Use https, or pass allow_http=True if you mean it"
        )
    return url


def tls_option(value: Any) -> ssl_module.SSLContext | bool:
    """What aiohttp's ``ssl=`` gets: an ``SSLContext`` as given, True (verify, the default), or
    False (no certificate verification, said once in the log)."""
    if value is None or value is True:
        return True
    if value is False:
        log.warning(
            "vendorkit: TLS certificate verification is off (ssl=False): anyone on the network "
            "path can read and change this client's requests, credentials included"
        )
        return False
    if isinstance(value, ssl_module.SSLContext):
        return value
    raise ConfigurationError(f"ssl must be an ssl.SSLContext, True or False, not {value!r}")


def retry_policy_option(max_retries: Any, max_retry_wait: Any) -> RetryPolicy:
    """The retry policy: the defaults, with what the caller set checked."""
    policy_args: dict[str, Any] = {}
    if max_retries is not None:
        policy_args["max_retries"] = whole("max_retries", max_retries)
    if max_retry_wait is not None:
        policy_args["max_retry_wait"] = seconds("max_retry_wait", max_retry_wait)
    return RetryPolicy(**policy_args)


def quota_wait_option(value: Any) -> float | None:
    """``max_quota_wait``: DEFAULT is two minute windows; None waits as long as it takes."""
    if value is DEFAULT:
        return DEFAULT_MAX_QUOTA_WAIT
    if value is None:
        return None
    return seconds("max_quota_wait", value)


def rate_limiter_option(
    rate_limit: Any,
    *,
    quotas: Sequence[Quota],
    key: str,
    redis_url: str | None,
    timeout: float,
) -> RateLimiter | None:
    """The client-side quota: none, one passed in, the vendor's documented ``quotas`` (DEFAULT),
    or the caller's own (a string or quotas), counted under ``key``."""
    if rate_limit is None:
        return None
    if isinstance(rate_limit, RateLimiter):
        return rate_limit
    chosen: Sequence[Quota]
    if rate_limit is DEFAULT:
        chosen = quotas
    else:
        try:
            chosen = parse_quotas(rate_limit)
        except (ValueError, TypeError) as exc:
            raise ConfigurationError(f"invalid rate_limit {rate_limit!r}: {exc}") from None
    if not chosen:
        return None
    return RateLimiter(chosen, key=key, storage=redis_url, timeout=timeout)


def option_names(cls: type) -> list[str]:
    """The keyword options a client class takes (its own and its bases'), for suggestions."""
    names: list[str] = []
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        for name, param in inspect.signature(init).parameters.items():
            if param.kind is inspect.Parameter.KEYWORD_ONLY and name not in names:
                names.append(name)
    return names


#: Fields read from the environment that are settings, not credentials: shown as they are,
#: never scrubbed from a message (where the API is, a grant type, a language).
SETTING_FIELDS = ("base_url", "grant_type", "accept_language")


def env_variables(prefix: str, fields: Sequence[tuple[str, bool]]) -> list[tuple[str, str, bool]]:
    """``(field, variable, required)`` for each of ``fields`` and ``base_url`` (always read):
    the variable is ``<prefix><FIELD>``."""
    return [(f, f"{prefix}{f.upper()}", required) for f, required in (*fields, ("base_url", False))]


def env_options(
    vendor: str,
    fields: Sequence[tuple[str, bool]],
    overrides: dict[str, Any],
    *,
    prefix: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Constructor arguments from ``VENDORKIT_<VENDOR>_<FIELD>`` variables, or ``<prefix><FIELD>``
    (``fields``: (field, required) pairs; ``base_url`` is always read; ``environ`` in place of
    ``os.environ``), ``overrides`` winning."""
    env = os.environ if environ is None else environ
    kwargs: dict[str, Any] = {}
    chosen = f"VENDORKIT_{vendor.upper()}_" if prefix is None else prefix
    for field, name, required in env_variables(chosen, fields):
        if field in overrides:
            continue
        value = env.get(name)
        if value:
            kwargs[field] = value
        elif required:
            raise ConfigurationError(f"environment variable {name} is not set")
    kwargs.update(overrides)
    return kwargs

"""Request URLs from a base URL, a path (or path template) and values. Pure: no I/O.

``build_url`` is the whole rule for a client's URLs: a path under the base URL, or an absolute
URL on the vendor's own origin (credentials never go elsewhere), plus a checked query.

The rule that matters: **an id is one path segment, whatever it contains.** ``path_segment``
percent-encodes every character that could end a segment or start a query (``/``, ``?``, ``#``,
``%`` itself, ...), and refuses the values no encoding makes safe (empty, ``.``, ``..``), so
``delete("x/../../matters/M-1")`` can never reach another resource. Paths are joined in their
encoded form (yarl's ``encoded=True``), so a ``%2F`` the caller wrote stays a ``%2F``; a path
with a ``.``/``..`` segment (also written ``%2E``) is refused, since servers and proxies resolve
those before routing.
"""

from __future__ import annotations

import functools
import math
import string
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote
from uuid import UUID

from yarl import URL

from vendorkit.errors import ConfigurationError

from ._options import encodable
from ._redact import redact_url
from ._wire import same_origin

__all__ = [
    "build_url",
    "check_params",
    "check_path",
    "fill_template",
    "join_path",
    "merge_params",
    "path_segment",
    "placeholders",
]

_DOT_SEGMENTS = frozenset({".", "..", "%2e", "%2e%2e", ".%2e", "%2e."})


def path_segment(value: Any) -> str:
    """``value`` (an id: a string, an int or a UUID) as one percent-encoded path segment."""
    if isinstance(value, bool) or not isinstance(value, str | int | UUID):
        raise ConfigurationError(f"an id must be a string or an integer, not {value!r}")
    try:
        text = str(value)
    except ValueError:  # an int of more digits than Python writes
        raise ConfigurationError("an id of that many digits cannot be sent") from None
    if text in ("", ".", ".."):
        raise ConfigurationError(f"{text!r} is not an id (it would not name one path segment)")
    try:
        return quote(text, safe="")
    except UnicodeEncodeError:
        # A lone surrogate (JSON can decode one): no URL can carry it.
        raise ConfigurationError(f"the id {text!r} has characters a URL cannot carry") from None


def placeholders(template: str) -> list[str]:
    """The ``{name}`` placeholders of a path template, in order."""
    try:
        fields = [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
    except ValueError:
        raise ConfigurationError(f"not a path template: {template!r}") from None
    if any(not name or name.isdigit() for name in fields):
        # ``{}`` and ``{0}`` would be filled by position, and there is none: a template names
        # each of its values.
        raise ConfigurationError(
            f"not a path template (a placeholder without a name): {template!r}"
        )
    return fields


def fill_template(template: str, values: Mapping[str, Any]) -> str:
    """``template`` with each placeholder replaced by its value as one path segment."""
    names = placeholders(template)
    missing = [n for n in names if n not in values]
    if missing:
        raise ConfigurationError(f"missing path argument(s) {', '.join(missing)} for {template}")
    return template.format(**{n: path_segment(values[n]) for n in names})


def check_path(raw_path: str) -> None:
    """Refuse a path that would not be sent as written: one with ``.``/``..`` segments (plain or
    percent-encoded), or starting with ``//`` (which reads as another host)."""
    if raw_path.startswith("//"):
        raise ConfigurationError(f"a path must not start with '//': {raw_path!r}")
    for segment in raw_path.split("/"):
        if segment.lower() in _DOT_SEGMENTS:
            raise ConfigurationError(
                f"a path must not contain '.' or '..' segments: {raw_path!r} (an id with one of "
                "those is not an id)"
            )


@functools.lru_cache(maxsize=1024)
def join_path(base: URL, path: str) -> URL:
    """``path`` (``/things/x%2Fy?q=1``, encoded as it will be sent) under ``base``'s path.
    Pure, and asked for the same few paths again and again: cached (yarl URLs are immutable)."""
    if not path.startswith("/"):
        path = "/" + path
    raw, _, query = path.partition("?")
    raw = raw.partition("#")[0]
    check_path(raw)
    try:
        # Quote what is not already encoded (a space, non-ASCII), keep every %XX as written.
        encoded = quote(raw, safe="/%:@!$&'()*+,;=-._~")
        url = base.with_path(base.raw_path.rstrip("/") + encoded, encoded=True)
        return url.with_query(URL("?" + query).query) if query else url
    except (ValueError, TypeError, UnicodeError):
        raise ConfigurationError(f"not a valid path: {path!r}") from None


def check_params(params: Any) -> None:
    """Refuse query parameters that would not be sent as the caller meant: a ``params`` that is
    not a mapping, a value of no query form (bytes, whose ``str`` is Python's ``b'...'``; a
    mapping or a set; a non-finite float), and text a URL cannot carry (yarl silently drops a
    lone surrogate, which would send another filter than the one asked for: ``name="a\\udfffb"``
    would search for "ab")."""
    if not isinstance(params, Mapping):
        raise ConfigurationError(f"params must be a mapping of names to values, not {params!r}")
    for key, value in params.items():
        if not isinstance(key, str):
            raise ConfigurationError(f"a query parameter name must be text, not {key!r}")
        values = value if isinstance(value, list | tuple) else (value,)
        for one in (key, *values):
            if isinstance(one, bytes | bytearray | memoryview | Mapping | set | frozenset):
                raise ConfigurationError(
                    f"the query parameter {key!r} has a value of no query form: {one!r:.60}"
                )
            if isinstance(one, float) and not math.isfinite(one):
                raise ConfigurationError(f"the query parameter {key!r} is {one!r}")
            if isinstance(one, str) and not encodable(one):
                raise ConfigurationError(
                    f"the query parameter {key!r} has characters a URL cannot carry"
                )


def merge_params(url: URL, params: Mapping[str, Any] | None) -> URL:
    """``url`` plus ``params``: lists become repeated keys, booleans lower-case, None dropped."""
    if not params:
        return url
    items: list[tuple[str, str]] = []
    for k, v in params.items():
        if v is None:
            continue
        values = v if isinstance(v, list | tuple) else [v]
        for one in values:
            items.append((k, _param(one)))
    keys = {k for k, _ in items}
    kept = [(k, v) for k, v in url.query.items() if k not in keys]
    return url.with_query(kept + items)


def _param(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)


def build_url(
    *,
    base: URL,
    origin: URL,
    path: str,
    params: Mapping[str, Any] | None,
    comma_params: frozenset[str] = frozenset(),
) -> URL:
    """An absolute URL for ``path``: relative to ``base`` (sent as written, a ``%2F`` stays
    encoded; ``.``/``..`` segments are refused), or an absolute URL on ``origin``. ``params``
    (checked) go into the query; those named in ``comma_params`` with list values are sent
    comma-joined instead of as repeated keys."""
    if not isinstance(path, str):
        raise ConfigurationError(f"a path must be a string, not {path!r}")
    if "://" in path:
        try:
            url = URL(path)
        except (ValueError, TypeError, UnicodeError):
            raise ConfigurationError(f"not a valid URL: {redact_url(path)}") from None
        if not same_origin(origin, url):
            raise ConfigurationError(
                f"refusing to send credentials to {redact_url(url)}: not on {redact_url(origin)}"
            )
    else:
        url = join_path(base, path)
    if params is None:
        return url
    check_params(params)
    if params and comma_params:
        params = {
            k: ",".join(map(str, v)) if k in comma_params and isinstance(v, list | tuple) else v
            for k, v in params.items()
        }
    try:
        return merge_params(url, params)
    except (ValueError, TypeError, UnicodeError):
        raise ConfigurationError(
            f"query parameters that cannot be sent: {sorted(params or {})}"
        ) from None

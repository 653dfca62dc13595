"""The keywords a list or get call takes: its options, and the filters the vendor documents. Pure.

An ``Endpoint`` declares the filters its vendor documents (``filters=`` for ``list()``,
``get_filters=`` for ``get()``); a call also takes its path's ``{placeholders}``, a chained
list's parameter and the paginator's own parameters (``per_page``, ``offset``, ...), which are
documented query parameters too. Any other keyword is refused here, before a request is built,
naming the closest known name; ``params={...}`` carries what the docs do not list, unchecked
(but still refused if it cannot be sent as meant, ``_urls.check_params``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypedDict

import attrs

from vendorkit.errors import ConfigurationError

from ._options import closest

__all__ = [
    "GET_OPTIONS",
    "LIST_OPTIONS",
    "RANGE_LOOKUPS",
    "NoFilters",
    "QueryValue",
    "checked_query",
    "paginator_params",
    "record_fields",
    "with_ranges",
]

#: Django's range lookups, as django-filter APIs name them (``date__gte``).
RANGE_LOOKUPS = ("__lt", "__lte", "__gt", "__gte")

#: ``list()``'s own keyword options (everything else is a filter).
LIST_OPTIONS = (
    "page_size",
    "max_items",
    "max_pages",
    "concurrency",
    "resume",
    "headers",
    "params",
)
#: ``get()``'s own keyword options.
GET_OPTIONS = ("headers", "params")

_Scalar = str | int | float | bool | Decimal | date | datetime
#: What a filter's value may be: a scalar (a bool is sent ``true``/``false``, a date or datetime
#: in ISO 8601), a list or tuple (repeated keys, or comma-joined where the vendor wants that), or
#: None (not sent).
QueryValue = _Scalar | Sequence[_Scalar] | None


class NoFilters(TypedDict, total=False):
    """The filters of a resource whose vendor documents none: ``list()`` takes only its options
    (a typed resource class widens this with its own ``TypedDict``)."""


def with_ranges(*fields: str, lookups: Sequence[str] = RANGE_LOOKUPS) -> frozenset[str]:
    """Each field and its range lookups: ``with_ranges("date")`` is ``date``, ``date__lt``,
    ``date__lte``, ``date__gt``, ``date__gte``."""
    return frozenset(f"{field}{op}" for field in fields for op in ("", *lookups))


def record_fields(model: type[Any], *, exclude: Iterable[str] = ()) -> frozenset[str]:
    """The field names of an attrs record class (``raw`` aside): the filters of an API that
    filters by any property of its objects."""
    skip = {"raw", *exclude}
    return frozenset(f.name for f in attrs.fields(model) if f.name not in skip)


def paginator_params(paginator: Any) -> frozenset[str]:
    """The query parameters a paginator writes itself (``page``/``per_page``,
    ``offset``/``limit``, ``cursor``...): documented parameters a call may set as well."""
    inner = getattr(paginator, "inner", None)
    if inner is not None:
        return paginator_params(inner)
    if not attrs.has(type(paginator)):
        return frozenset()
    names = (getattr(paginator, f.name) for f in attrs.fields(type(paginator)))
    fields = (f.name for f in attrs.fields(type(paginator)))
    return frozenset(
        value
        for field, value in zip(fields, names, strict=True)
        if field.endswith("_param") and isinstance(value, str) and value
    )


def checked_query(
    where: str,
    filters: Mapping[str, Any],
    params: Any,
    *,
    accepted: frozenset[str],
    options: Sequence[str],
) -> dict[str, Any]:
    """The query of one call: ``filters`` (each a name in ``accepted``) plus ``params`` (a
    mapping sent as given). An unknown filter raises ``ConfigurationError`` naming the closest
    option or filter; a name given both ways raises too."""
    for name in filters:
        if name not in accepted:
            raise unknown_filter(where, name, accepted, options)
    query = dict(filters)
    if params is None:
        return query
    if not isinstance(params, Mapping):
        raise ConfigurationError(
            f"{where}: params must be a mapping of query parameter names to values, "
            f"not {params!r:.60}"
        )
    for name, value in params.items():
        if name in query:
            raise ConfigurationError(f"{where}: {name!r} given both as a filter and in params=")
        query[name] = value
    return query


def unknown_filter(
    where: str, name: str, accepted: Iterable[str], options: Sequence[str]
) -> ConfigurationError:
    """The error for a keyword that is neither an option nor a documented filter."""
    known = sorted(accepted)
    guess = closest(name, [*options, *known])
    hint = f"; did you mean {guess!r}?" if guess else ""
    listed = ", ".join(known[:12]) + (", ..." if len(known) > 12 else "") if known else "none"
    return ConfigurationError(
        f"{where} got an unknown option or filter {name!r}{hint} (its documented filters: "
        f"{listed}; send any other query parameter with params={{{name!r}: ...}})"
    )

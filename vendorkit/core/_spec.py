"""What an adapter declares: its ``VendorSpec`` and one ``Endpoint`` per resource. No I/O.

An adapter is a declaration, as in Airbyte's manifests or dlt's REST client: base URL, envelope,
paginator, error parser, trace-id header, quotas, key style, and resources that say only what
differs from the spec's defaults.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from vendorkit.errors import ConfigurationError

from ._envelope import Envelope
from ._errors import ErrorParser, default_error_parser
from ._listing import ChainOver, MethodFallback
from ._pagination import Paginator
from ._ratelimit import Quota
from ._structuring import ConverterRule

__all__ = ["Endpoint", "VendorSpec"]

ALL_ACTIONS = frozenset({"list", "get", "create", "update", "delete"})


@attrs.frozen(kw_only=True)
class VendorSpec:
    """One vendor's wire conventions."""

    name: str
    base_url: str
    envelope: Envelope
    paginator: Paginator
    error_parser: ErrorParser = default_error_parser
    trace_id_header: str | None = None
    quotas: tuple[Quota, ...] = ()
    key_style: str = "snake"
    default_headers: Mapping[str, str] = attrs.field(factory=dict)
    # Query parameters whose list values are sent comma-joined (``select=a,-b``, ``expand=x,y``)
    # instead of as repeated keys.
    comma_params: frozenset[str] = frozenset()
    # Reading and writing records past the converter's defaults (``_structuring``): rules such as
    # ``SendAsRead``, ``BareValueAs``, ``NoneUnless``; and ``lenient``: a field that does not fit
    # its (assumed) type is left None instead of failing the record.
    # Hypermedia ids: where set (the id field's name, ``"mid"``), an id argument may also be a
    # record or dict (its ``url``, else its id) or an object URL on the vendor's origin, which
    # must name a record of that very resource (``Resource``).
    link_ids: str | None = None
    converter_rules: tuple[ConverterRule, ...] = ()
    lenient: bool = False


def _names(value: Iterable[str]) -> frozenset[str]:
    if isinstance(value, str):  # one name, not its letters
        raise ConfigurationError(f"filters must be a set of names, not the string {value!r}")
    return frozenset(value)


@attrs.frozen(kw_only=True)
class Endpoint:
    """One resource.

    ``path`` is the collection path, relative to the base URL, with ``{placeholders}`` filled from
    call arguments or the client's path variables (``{partner_mid}``). ``item_path`` defaults to
    ``path`` + ``{id}`` (keeping a trailing slash if ``path`` has one). ``actions`` lists what the
    vendor allows; the resource object has exactly those methods. ``update_method`` is ``PATCH``
    or ``PUT`` (a sparse PUT). ``model`` is the attrs record class (None: plain dicts).
    ``list_fallback``, ``chain`` and ``scalar_field`` declare lists of an odd shape (see
    ``MethodFallback``, ``ChainOver``).

    ``filters`` are the query parameters the vendor documents for the list (``with_ranges`` adds
    range lookups), ``get_filters`` those of one record's GET (``expand``, ``select``): any other
    keyword of ``list()``/``get()`` is refused before a request is sent (``_query``). The path's
    placeholders, a ``chain`` parameter and the paginator's own parameters are always taken. An
    endpoint that declares none takes no filters: ``params={...}`` sends undocumented ones.
    """

    path: str
    model: type[Any] | None = None
    item_path: str | None = None
    actions: frozenset[str] = ALL_ACTIONS
    update_method: str = "PATCH"
    envelope: Envelope | None = None
    paginator: Paginator | None = None
    list_params: Mapping[str, Any] = attrs.field(factory=dict)
    # A child collection listed per parent record: (parent resource, parent field, argument),
    # e.g. ("resources", "domain", "resource") lists sessions for every tracked website. Used by
    # bulk exports to reach every record; direct calls pass the argument themselves.
    partition: tuple[str, str, str] | None = None
    # How the list is fetched where it is more than one GET per page (see ``_listing``): another
    # method where the first is refused, and one list per value of a parameter the call leaves
    # out (with the statuses that mean "no records here").
    list_fallback: MethodFallback | None = None
    chain: ChainOver | None = None
    # A list item sent as a bare value (``"JPY"``) is read as ``{scalar_field: value}``.
    scalar_field: str | None = None
    filters: frozenset[str] = attrs.field(default=frozenset(), converter=_names)
    get_filters: frozenset[str] = attrs.field(default=frozenset(), converter=_names)

    def __attrs_post_init__(self) -> None:
        unknown = set(self.actions) - ALL_ACTIONS
        if unknown:
            raise ConfigurationError(f"unknown actions {sorted(unknown)}")
        if self.update_method not in ("PATCH", "PUT"):
            raise ConfigurationError("update_method must be PATCH or PUT")

    @property
    def item(self) -> str:
        if self.item_path is not None:
            return self.item_path
        if self.path.endswith("/"):
            return self.path + "{id}/"
        return self.path + "/{id}"

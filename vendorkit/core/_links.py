"""Hypermedia links: which model an object or list URL holds, read from the adapter's declared
endpoints. Pure (no I/O); ``ClientAPI.follow_link`` does the fetching."""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from ._convert import Record
from ._spec import Endpoint

__all__ = ["LinkModels", "is_url", "link_of"]


def is_url(value: Any) -> bool:
    """True for an absolute URL string (``scheme://...``)."""
    return isinstance(value, str) and "://" in value


def link_of(value: Any, id_field: str | None = None) -> Any:
    """The link a value stands for: a record's or dict's ``url`` (or, given ``id_field``, where
    it has no url, its id under that name), else the value itself."""
    if isinstance(value, Record):
        url = getattr(value, "url", None)
        return url or getattr(value, id_field, None) if id_field else url
    if isinstance(value, Mapping):
        url = value.get("url")
        return url or value.get(id_field) if id_field else url
    return value


def template_regex(template: str) -> re.Pattern[str]:
    """A regex matching the paths a ``{placeholder}`` template stands for (one segment each)."""
    out = ""
    for literal, name, _, _ in string.Formatter().parse(template):
        out += re.escape(literal)
        if name:
            out += "[^/]+"
    return re.compile("^" + out + "$")


@attrs.frozen
class LinkModels:
    """(path regex, model) pairs, first match wins: the model of an object or list URL."""

    patterns: tuple[tuple[re.Pattern[str], type[Any]], ...] = ()

    @classmethod
    def build(
        cls, endpoints: Iterable[Endpoint], extra: Mapping[str, type[Any]] | None = None
    ) -> LinkModels:
        """From every endpoint with a model (its item path, then its list path), then ``extra``
        (``{path template: model}`` for objects no endpoint lists)."""
        patterns: list[tuple[re.Pattern[str], type[Any]]] = []
        for endpoint in endpoints:
            if endpoint.model is None:
                continue
            patterns.append((template_regex(endpoint.item), endpoint.model))
            patterns.append((template_regex(endpoint.path), endpoint.model))
        for template, model in (extra or {}).items():
            patterns.append((template_regex(template), model))
        return cls(tuple(patterns))

    def model_for(self, path: str) -> type[Any] | None:
        """The model of ``path`` (relative to the base URL's path), or None."""
        for pattern, model in self.patterns:
            if pattern.match(path):
                return model
        return None

"""Rules a ``VendorSpec`` names for reading and writing records past the converter's defaults,
and lenient structuring. Pure: no I/O.

Each rule is a small frozen value whose ``apply(converter)`` registers its hooks; the client
applies its spec's ``converter_rules`` once, when it builds its converter. What the rule says is
in its name:

- ``SendAsRead(classes)``: value objects nested in records (line items, addresses) are sent back
  as they were read: fields the model does not know are kept, and a field left ``None`` on a new
  one is not sent at all (a vendor may refuse an explicit null).
- ``BareValueAs(cls, field)``: a bare string where a ``cls`` object is expected
  (``"a@b.example"`` for an e-mail) is read as ``{field: value}``.
- ``NoneUnless(cls, field, accept)``: a field whose value ``accept`` refuses is read as ``None``
  (the value stays in ``record.raw``), instead of failing the record.

``lenient_structure`` reads a record field by field where the models' field types are only
assumptions (``VendorSpec(lenient=True)``): a field that does not fit is left ``None``. The
fields declared ``always_sent`` (ids) are the exception: they are what the docs do promise, their
types carry no ``None``, so a record without one still fails, naming it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol, TypeVar

import attrs
import cattrs
from cattrs.gen import make_dict_unstructure_fn, override

from vendorkit.errors import DecodeError

from ._convert import ALWAYS_SENT, Record, always_sent_fields, structure

__all__ = [
    "BareValueAs",
    "ConverterRule",
    "NoneUnless",
    "SendAsRead",
    "lenient_structure",
]

log = logging.getLogger("vendorkit")

T = TypeVar("T")


class ConverterRule(Protocol):
    """Anything with ``apply(converter)``: registers its hooks on a client's converter."""

    def apply(self, converter: cattrs.Converter) -> None: ...


def _classes(value: Iterable[type[Record]]) -> tuple[type[Record], ...]:
    return tuple(value)


@attrs.frozen
class SendAsRead:
    """Send these nested value objects back as read (see the module docstring)."""

    classes: tuple[type[Record], ...] = attrs.field(converter=_classes)

    def apply(self, converter: cattrs.Converter) -> None:
        for cls in self.classes:
            converter.register_unstructure_hook(cls, _as_read(converter, cls))


def _as_read(converter: cattrs.Converter, cls: type[Record]) -> Callable[[Any], dict[str, Any]]:
    # An ``always_sent`` field still at its default (a new value object) is not sent.
    assigned = {name: override(omit_if_default=True) for name in always_sent_fields(cls)}
    base = make_dict_unstructure_fn(
        cls,
        converter,
        raw=override(omit=True),
        **assigned,  # type: ignore[arg-type]
    )
    names = frozenset(a.name for a in attrs.fields(cls))

    def hook(obj: Record) -> dict[str, Any]:
        out = base(obj)
        raw = obj.raw or {}
        merged = {k: v for k, v in raw.items() if k not in names}
        merged.update({k: v for k, v in out.items() if v is not None or k in raw})
        return merged

    return hook


@attrs.frozen
class BareValueAs:
    """Read a bare string given for a ``cls`` object as ``{field: value}``."""

    cls: type[Record]
    field: str

    def apply(self, converter: cattrs.Converter) -> None:
        inner = converter.get_structure_hook(self.cls)
        field = self.field

        def hook(data: Any, tp: Any) -> Any:
            if isinstance(data, str):
                data = {field: data}  # which is also the record's ``raw``
            return inner(data, tp)

        converter.register_structure_hook(self.cls, hook)


@attrs.frozen
class NoneUnless:
    """Read ``cls.field`` as None where ``accept(value)`` is false (the value stays in raw)."""

    cls: type[Record]
    field: str
    accept: Callable[[Any], bool]

    def apply(self, converter: cattrs.Converter) -> None:
        inner = converter.get_structure_hook(self.cls)
        field, accept = self.field, self.accept

        def hook(data: Any, tp: Any) -> Any:
            if isinstance(data, Mapping) and field in data and not accept(data[field]):
                record = inner({**data, field: None}, tp)
                object.__setattr__(record, "raw", data)  # the value stays in raw
                return record
            return inner(data, tp)

        converter.register_structure_hook(self.cls, hook)


def lenient_structure(converter: cattrs.Converter, data: Any, model: type[T]) -> T:
    """``data`` as a ``model`` record. Where the models' field types are assumptions (the docs
    name no fields), a field whose value does not fit its type is left ``None`` (the value is
    still in ``record.raw``) instead of failing the whole read."""
    try:
        return structure(converter, data, model)
    except DecodeError:
        if not isinstance(data, Mapping):
            raise
    fields = attrs.fields(model)  # type: ignore[arg-type]
    # The ``always_sent`` fields go into every trial (and a record whose own do not fit fails
    # here, naming them): only the assumed fields are read leniently.
    kept: dict[str, Any] = {
        f.name: data[f.name] for f in fields if f.metadata.get(ALWAYS_SENT) and f.name in data
    }
    structure(converter, kept, model)
    for field in fields:
        if field.name == "raw" or field.name in kept or field.name not in data:
            continue
        try:
            structure(converter, {**kept, field.name: data[field.name]}, model)
        except DecodeError:
            log.debug("vendorkit: %s.%s does not fit; left None", model.__name__, field.name)
            continue
        kept[field.name] = data[field.name]
    record = structure(converter, kept, model)
    return attrs.evolve(record, raw=data)  # type: ignore[misc]

"""Records in, wire JSON out: one cattrs converter per key style. Pure: no I/O.

Money is ``Decimal`` (strings on the wire, never floats), timestamps are timezone-aware
``datetime`` (``Z`` and offsets; a naive timestamp is taken as UTC, which is what every vendor here
documents), dates are ``date``. Wire names are snake_case or camelCase by the vendor's
``key_style``; the model classes stay snake_case. Unknown fields are never lost: ``record.raw``
is the exact object received.

A field declared with ``always_sent(default)`` (ids, object URLs) is one the vendor sends in every
record it returns: it is typed without ``None``, and a record read without it (or with ``null``)
is a ``DecodeError`` naming it (``required field missing @ $.mid``). The default is what a model
built by hand for a ``create`` holds (``""``, ``0``): the vendor assigns the real value, so a
field still at its default is never sent.

"Decimal goes out as a string" is decided here once (``decimal_out``), for records
(``to_wire``) and for any JSON body sent (``dumps``) alike.
"""

from __future__ import annotations

import json
import re
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.errors import AttributeValidationNote
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override
from cattrs.v import format_exception

from vendorkit.errors import ConfigurationError, DecodeError

__all__ = [
    "ALWAYS_SENT",
    "Record",
    "always_sent",
    "always_sent_fields",
    "changed_fields",
    "decimal_out",
    "dumps",
    "make_converter",
    "structure",
    "to_camel",
    "to_wire",
]

T = TypeVar("T")


@attrs.frozen(kw_only=True)
class Record:
    """Base of every model. ``raw`` is the JSON object the vendor sent, unknown fields included;
    it takes no part in equality."""

    raw: dict[str, Any] = attrs.field(factory=dict, eq=False, repr=False)


#: The attrs metadata key that marks a field ``always_sent``.
ALWAYS_SENT = "vendorkit.always_sent"


def always_sent(default: T) -> T:
    """A field the vendor sends in every record it returns (an id, the object's URL): typed
    without ``None``; reading a record without it is a ``DecodeError`` naming the field.
    ``default`` (``""``, ``0``) is what a model built by hand holds until the vendor assigns
    the value; a field still at its default is never sent.

    ```python
    @attrs.frozen(kw_only=True)
    class Client(Record):
        id: str = always_sent("")
        name: str | None = None
    ```
    """
    field: T = attrs.field(default=default, metadata={ALWAYS_SENT: True})
    return field


def always_sent_fields(cls: type[Any]) -> tuple[str, ...]:
    """The names of ``cls``'s ``always_sent`` fields, in declaration order."""
    return tuple(a.name for a in attrs.fields(cls) if a.metadata.get(ALWAYS_SENT))


class _NullField(ValueError):
    """An ``always_sent`` field given as ``null``."""


def _absent(cls: type[Any], name: str, ftype: Any, present: bool) -> Exception:
    """The error for a record without one of its ``always_sent`` fields, shaped as cattrs'
    own (a class validation error with the attribute's note), so its path reads
    ``required field missing @ $.items[2].mid`` however deep the record is nested."""
    inner: Exception = _NullField(name) if present else KeyError(name)
    where = f"Structuring class {cls.__qualname__} @ attribute {name}"
    inner.add_note(AttributeValidationNote(where, name, ftype))
    return cattrs.ClassValidationError(f"While structuring {cls.__name__}", [inner], cls)


def _format_problem(exc: BaseException, tp: Any) -> str:
    if isinstance(exc, _NullField):
        return "required field is null"
    return format_exception(exc, tp)


_PLAIN: tuple[Any, ...] = (int, str, float, bool, type(None))

_CAMEL = re.compile(r"_([a-z0-9])")


def to_camel(name: str) -> str:
    return _CAMEL.sub(lambda m: m.group(1).upper(), name)


def _decimal(value: Any, _: Any) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        value = repr(value)  # the shortest repr, not the binary expansion
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"not a decimal: {value!r}") from None


def decimal_out(value: Decimal) -> str:
    """A ``Decimal`` as it goes on the wire: its exact digits as a string, never a float. NaN
    and the infinities are no amount a vendor can take: refused, as a float NaN is."""
    if not value.is_finite():
        raise ConfigurationError(f"{value} is not an amount that can be sent (not finite)")
    return str(value)


def _datetime(value: Any, _: Any) -> datetime:
    if isinstance(value, datetime):
        dt = value
    else:
        text = str(value)
        try:
            dt = datetime.fromisoformat(text)  # takes a trailing "Z" since Python 3.11
        except ValueError:
            if not text.endswith(("Z", "z")):
                raise
            dt = datetime.fromisoformat(text[:-1] + "+00:00")  # a lower-case "z"
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


def _date(value: Any, _: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value)
    return date.fromisoformat(text[:10])


def _dt_out(value: datetime) -> str:
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _is_any_object(tp: Any) -> bool:
    """``dict[str, Any]`` (or ``dict[str, Any] | None``)."""
    args = tuple(a for a in typing.get_args(tp) if a is not type(None))
    if typing.get_origin(tp) in (typing.Union, types.UnionType) and len(args) == 1:
        tp = args[0]
    return typing.get_origin(tp) is dict and typing.get_args(tp) == (str, Any)


def _json_object(value: Any, tp: Any) -> Any:
    if value is None and typing.get_origin(tp) in (typing.Union, types.UnionType):
        return None
    if isinstance(value, dict):
        return value
    raise ValueError(f"expected a JSON object, got {type(value).__name__}")


def _plain_union_hook(tp: Any) -> Any:
    """The structuring function for one union of plain JSON types (``int | str | None``): the
    value kept if it is one of them, else a scalar coerced to the first that takes it. Built
    once per type, so no record pays for ``typing.get_args``."""
    args = typing.get_args(tp)
    nullable = type(None) in args
    kinds = tuple(a for a in args if a is not type(None))

    def plain_union(value: Any, _: Any) -> Any:
        if value is None and nullable:
            return None
        if type(value) in kinds:
            return value
        if not isinstance(value, str | int | float):
            # Coerce scalars only: ``str()`` of a JSON object or list is not the vendor's value.
            raise ValueError(f"{value!r} is none of {tp}")
        for kind in kinds:
            try:
                return kind(value)
            except (TypeError, ValueError):
                continue
        raise ValueError(f"{value!r} is none of {tp}")

    return plain_union


def make_converter(key_style: str = "snake", rules: Iterable[Any] = ()) -> cattrs.Converter:
    """A converter for one vendor's wire names (``"snake"`` or ``"camel"``), with the vendor's
    converter ``rules`` applied last (``_structuring``: each has ``apply(converter)``)."""
    if key_style not in ("snake", "camel"):
        raise ValueError("key_style must be 'snake' or 'camel'")
    conv = cattrs.Converter()
    conv.register_structure_hook(Decimal, _decimal)
    conv.register_unstructure_hook(Decimal, decimal_out)
    conv.register_structure_hook(datetime, _datetime)
    conv.register_unstructure_hook(datetime, _dt_out)
    conv.register_structure_hook(date, _date)
    conv.register_unstructure_hook(date, lambda d: d.isoformat())
    conv.register_structure_hook(Any, lambda v, _: v)

    # ``X | None`` with its ``X`` hook found once (cattrs' own looks it up on every value).
    # Registered first: the more specific factories below take precedence over it.
    def is_optional(tp: Any) -> bool:
        args = typing.get_args(tp)
        return (
            typing.get_origin(tp) in (typing.Union, types.UnionType)
            and len(args) == 2
            and type(None) in args
        )

    def optional_hook(tp: Any) -> Any:
        inner = next(a for a in typing.get_args(tp) if a is not type(None))
        found: list[Any] = []

        def optional(value: Any, _: Any) -> Any:
            if value is None:
                return None
            # Looked up at the first value, not when the record's function is generated: a
            # rule applied after that (``BareValueAs`` on the inner class) must still count.
            if not found:
                found.append(conv.get_structure_hook(inner))
            return found[0](value, inner)

        return optional

    conv.register_structure_hook_factory(is_optional, optional_hook)

    # Unions of plain JSON types (``int | str | None``): keep the value if it is one of them.
    def is_plain_union(tp: Any) -> bool:
        args = typing.get_args(tp)
        return (
            typing.get_origin(tp) in (typing.Union, types.UnionType)
            and bool(args)
            and all(a in _PLAIN for a in args)
        )

    conv.register_structure_hook_factory(is_plain_union, _plain_union_hook)
    # JSON objects kept as they are (``meta: dict[str, Any]``): the value itself, not a copy
    # rebuilt key by key, which cost more than the rest of a record.
    conv.register_structure_hook_factory(_is_any_object, lambda tp: _json_object)

    def wire(name: str) -> str:
        return to_camel(name) if key_style == "camel" else name

    def is_record(cls: Any) -> bool:
        return isinstance(cls, type) and issubclass(cls, Record)

    def structure_factory(cls: Any) -> Any:
        overrides = {
            a.name: override(omit=True) if a.name == "raw" else override(rename=wire(a.name))
            for a in attrs.fields(cls)
        }
        # cattrs generates (compiles) one structuring function per class, once.
        fn = make_dict_structure_fn(cls, conv, **overrides)  # type: ignore[arg-type]
        required = tuple(
            (a.name, wire(a.name), a.type) for a in attrs.fields(cls) if a.metadata.get(ALWAYS_SENT)
        )

        def structure_record(data: Any, tp: Any) -> Any:
            record = fn(data, tp)
            # ``raw`` is the very object received, for nested records (line items, addresses)
            # too; set after construction, so no record costs a copy of its JSON object.
            object.__setattr__(record, "raw", data)
            return record

        if not required:
            return structure_record

        def structure_complete(data: Any, tp: Any) -> Any:
            if isinstance(data, Mapping):
                for name, key, ftype in required:
                    if data.get(key) is None:
                        raise _absent(cls, name, ftype, key in data)
            return structure_record(data, tp)

        return structure_complete

    def unstructure_factory(cls: Any) -> Any:
        # An ``always_sent`` field still at its default (a model built by hand) is the vendor's
        # to assign: not sent.
        overrides = {
            a.name: override(omit=True)
            if a.name == "raw"
            else override(rename=wire(a.name), omit_if_default=bool(a.metadata.get(ALWAYS_SENT)))
            for a in attrs.fields(cls)
        }
        return make_dict_unstructure_fn(cls, conv, **overrides)  # type: ignore[arg-type]

    conv.register_structure_hook_factory(is_record, structure_factory)
    conv.register_unstructure_hook_factory(is_record, unstructure_factory)
    for rule in rules:
        rule.apply(conv)
    return conv


def structure(converter: cattrs.Converter, data: Any, cls: type[T]) -> T:
    """``data`` (a JSON object) as a ``cls`` record with ``raw`` set; ``DecodeError`` if it does
    not fit (the message gives the path of each problem, e.g. ``$.total``)."""
    return structurer(converter, cls)(data)


def structurer(converter: cattrs.Converter, cls: type[T]) -> Callable[[Any], T]:
    """``structure`` for one class with its hook looked up once: what a list applies to each of
    its records."""
    hook = converter.get_structure_hook(cls)

    def structure_one(data: Any) -> T:
        if type(data) is not dict and not isinstance(data, Mapping):
            raise DecodeError(
                f"expected a JSON object for {cls.__name__}, got {type(data).__name__}"
            )
        try:
            record: T = hook(data, cls)
            return record
        except Exception as exc:
            if isinstance(exc, cattrs.BaseValidationError):
                problems = "; ".join(cattrs.transform_error(exc, format_exception=_format_problem))
            else:
                problems = str(exc)
            raise DecodeError(f"{cls.__name__} does not fit the data: {problems}") from exc

    return structure_one


def to_wire(converter: cattrs.Converter, data: Any) -> Any:
    """A model (wire names, money as strings) or a dict (sent exactly as given) as JSON data."""
    if isinstance(data, Record):
        out = converter.unstructure(data)
        return {k: v for k, v in out.items() if v is not None}
    return data


def changed_fields(
    converter: cattrs.Converter,
    record: Record,
    read: Callable[[cattrs.Converter, Any, type[Any]], Any] | None = None,
) -> dict[str, Any]:
    """What differs between a (modified) record and the ``raw`` it was read from: what an update
    should send. A record built by hand (empty ``raw``) sends its non-None fields. ``read`` is
    how the record was read (``structure`` by default; a lenient vendor passes its own), so the
    baseline is what the caller was given."""
    out = converter.unstructure(record)
    if not record.raw:
        return {k: v for k, v in out.items() if v is not None}
    reread = (read or structure)(converter, record.raw, type(record))
    baseline: dict[str, Any] = converter.unstructure(reread)
    return {k: v for k, v in out.items() if baseline.get(k) != v}


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return decimal_out(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dumps(data: Any) -> bytes:
    """A request body as JSON: Decimal as strings (``decimal_out``), ISO dates. A string UTF-8
    cannot carry (a lone surrogate, as JSON may decode one) is sent \\u-escaped, which JSON
    allows. What cannot be JSON at all is a ``ConfigurationError``."""
    try:
        # allow_nan=False: NaN and Infinity are not JSON, and a vendor would refuse the body.
        text = json.dumps(data, default=_json_default, ensure_ascii=False, allow_nan=False)
        try:
            return text.encode()
        except UnicodeEncodeError:
            return json.dumps(
                data, default=_json_default, ensure_ascii=True, allow_nan=False
            ).encode()
    except (TypeError, ValueError, RecursionError) as exc:
        raise ConfigurationError(f"the request body cannot be sent as JSON: {exc}") from None

"""One schema vocabulary and one validation engine for every emulator's writable fields.

A vendor declares ``Field``s (its ``schemas.py``) and a message catalogue (its ``messages.py``);
``validate`` checks a request body against them and returns the values to store or the problems
found, each a ``(field, code, arguments)`` the vendor words in its own language. What differs
between vendors (strict or loose booleans, case-folded choices, stripped strings, signed money) is
an option of a field, not another engine. Pure: no I/O, no HTTP.

Kinds: ``string``, ``bool``, ``int``, ``decimal``, ``date``, ``choice``, ``ref`` (an id in
another collection), ``object`` (a JSON object); a vendor may name composite kinds of its own
(MakeLeaps' reference lists and addresses) that its own coercion handles.

Codes: ``required`` (missing on create), ``null`` (null where a value is required), ``blank``
(an empty string where a value is required), ``string``, ``max_length``, ``email``, ``bool``,
``int``, ``decimal_type``, ``decimal``, ``min``, ``positive``, ``date_type``, ``date``, ``choice``,
``ref``, ``object``.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import attrs

__all__ = ["CENTS", "Field", "Issue", "cents", "validate"]

CENTS = Decimal("0.01")
#: A problem with one field: the field, a code from the module docstring, its arguments.
Issue = tuple[str, str, dict[str, Any]]


def cents(value: Decimal | int | float | str) -> str:
    """Money as a two-place decimal string (``"350.00"``)."""
    return str(Decimal(str(value)).quantize(CENTS))


class _Bad(Exception):
    def __init__(self, code: str, **kw: Any) -> None:
        super().__init__(code)
        self.code = code
        self.kw = kw


@attrs.frozen
class Field:
    """A writable field.

    ``required``: POST must send it (and it may not be null or blank). ``choices``: for
    ``choice``. ``ref``: the collection a ``ref`` names. ``max_length``: for ``string``.
    ``email``: a predicate the string must pass (code ``email``). ``strip``: store strings
    stripped. ``fold_case``: ``choice`` and ``ref`` match case-insensitively. ``loose_bool``:
    ``0``/``1``/``"0"``/``"1"`` are booleans too. ``minimum``/``exclusive``: the smallest
    ``decimal`` allowed. ``null_ok``: ``null`` is stored as such (otherwise it is checked like any
    value). ``blank_is_null``: ``""`` means ``null``.
    """

    kind: str
    required: bool = False
    choices: tuple[Any, ...] = ()
    ref: str | None = None
    max_length: int | None = None
    email: Callable[[str], bool] | None = None
    strip: bool = False
    fold_case: bool = False
    loose_bool: bool = False
    minimum: Decimal | None = None
    exclusive: bool = False
    null_ok: bool = True
    blank_is_null: bool = False


def _check(field: Field, value: Any, exists: Callable[[str, str], bool]) -> Any:
    kind = field.kind
    if kind == "string":
        if not isinstance(value, str):
            raise _Bad("string")
        if field.strip:
            value = value.strip()
        if field.required and not value:
            raise _Bad("blank")
        if field.max_length is not None and len(value) > field.max_length:
            raise _Bad("max_length", max=field.max_length)
        if field.email is not None and not field.email(value):
            raise _Bad("email")
        return value
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if field.loose_bool and value in (0, 1, "0", "1"):
            return value in (1, "1")
        raise _Bad("bool")
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise _Bad("int")
        return value
    if kind == "decimal":
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise _Bad("decimal_type")
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise _Bad("decimal") from None
        low = field.minimum
        if not number.is_finite():
            raise _Bad("decimal" if low is None else "min", min=low)
        if low is not None and number < low:
            raise _Bad("min", min=low)
        if low is not None and field.exclusive and number == low:
            raise _Bad("positive", min=low)
        return cents(number)
    if kind == "date":
        if not isinstance(value, str):
            raise _Bad("date_type")
        try:
            return date.fromisoformat(value[:10]).isoformat()
        except ValueError:
            raise _Bad("date") from None
    if kind == "choice":
        if field.fold_case:
            if isinstance(value, str):
                for choice in field.choices:
                    if choice.lower() == value.lower():
                        return choice
        elif value in field.choices:
            return value
        raise _Bad("choice", choices=", ".join(map(str, field.choices)))
    if kind == "ref":
        assert field.ref is not None
        if isinstance(value, str):
            key = value.lower() if field.fold_case else value
            if exists(field.ref, key):
                return key
        raise _Bad("ref", ref=field.ref)
    if kind == "object":
        if not isinstance(value, dict):
            raise _Bad("object")
        return value
    raise AssertionError(kind)  # pragma: no cover - a schema typo


def validate(
    body: Mapping[str, Any],
    fields: Mapping[str, Field],
    *,
    creating: bool,
    exists: Callable[[str, str], bool] | Mapping[str, Container[Any]] = lambda _r, _k: False,
) -> tuple[dict[str, Any], list[Issue]]:
    """The values of ``body`` that ``fields`` declares, checked and converted, and the issues
    found (one per field, in declaration order). Unknown and read-only keys are ignored."""
    if isinstance(exists, Mapping):
        store = exists

        def exists(ref: str, key: str) -> bool:
            return key in store[ref]

    values: dict[str, Any] = {}
    issues: list[Issue] = []
    for name, field in fields.items():
        if name not in body:
            if creating and field.required:
                issues.append((name, "required", {"value": None}))
            continue
        value = body[name]
        if field.blank_is_null and value == "":
            value = None
        try:
            if value is None and field.null_ok:
                if field.required:
                    raise _Bad("null")
                values[name] = None
                continue
            values[name] = _check(field, value, exists)
        except _Bad as bad:
            issues.append((name, bad.code, {"value": value, **bad.kw}))
    return values, issues

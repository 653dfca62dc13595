"""Declarative list filters: one ``Filter`` per query parameter, one engine for every list.

The vendors filter their lists the way django-filter does: each parameter present is read
(``parse``), the values that do not read are reported together (each as an ``Issue`` the vendor
words in its own language) and the records kept are those every parameter's ``test`` passes.
Declaring a list's filters as a table keeps "which parameters, read how, matching what" in one
place instead of a hand-written loop per list. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import attrs

from ._schema import Issue

__all__ = ["RANGE_OPS", "Filter", "where"]

Test = Callable[[Any], bool]


@attrs.frozen
class Filter:
    """One query parameter: ``parse`` reads its text (``None`` or ``ValueError``: not a valid
    value, reported as ``code``), ``test(record, value)`` keeps a record."""

    test: Callable[[Any, Any], bool]
    parse: Callable[[str], Any] = str
    code: str = "invalid"


def _ordered(op: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    return lambda have, bound: have is not None and op(have, bound)


#: Django's range lookups (``field``, ``field__lt``, ...): ``(stored value, bound) -> bool``.
RANGE_OPS: Mapping[str, Callable[[Any, Any], bool]] = {
    "": lambda have, bound: have == bound,
    "__lt": _ordered(lambda have, bound: have < bound),
    "__lte": _ordered(lambda have, bound: have <= bound),
    "__gt": _ordered(lambda have, bound: have > bound),
    "__gte": _ordered(lambda have, bound: have >= bound),
}


def where(
    query: Mapping[str, str], filters: Mapping[str, Filter], issues: list[Issue]
) -> Test | None:
    """The test every record must pass for the parameters of ``query`` that ``filters``
    declares (``None``: no filter applies); parameters that do not read go to ``issues`` as
    ``(parameter, code, {"value": text})``."""
    tests: list[tuple[Callable[[Any, Any], bool], Any]] = []
    for name, spec in filters.items():
        if name not in query:
            continue
        raw = query[name]
        try:
            value = spec.parse(raw)
        except ValueError:
            value = None
        if value is None:
            issues.append((name, spec.code, {"value": raw}))
        else:
            tests.append((spec.test, value))
    if not tests:
        return None
    if len(tests) == 1:
        test, value = tests[0]
        return lambda record: test(record, value)
    return lambda record: all(test(record, value) for test, value in tests)

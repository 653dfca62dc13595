"""Leady's writable fields and its Django REST Framework messages (``messages`` words the
schema engine's codes). Tables only."""

from __future__ import annotations

from ..._schema import Field

SAVED_FILTER = {
    "name": Field("string", required=True, strip=True, max_length=100),
    "filter": Field("object", null_ok=False),
    "resource": Field("ref", ref="resources", fold_case=True),
}

REQUIRED = "This field is required."
_BLANK = "This field may not be blank."
MESSAGES = {
    "required": REQUIRED,
    "null": _BLANK,
    "blank": _BLANK,
    "string": _BLANK,
    "max_length": "Ensure this field has no more than {max} characters.",
    "object": "Value must be valid JSON object.",
    "ref": 'Invalid domain "{value}" - object does not exist.',
}

#: The API root's links, in the order DRF's router lists them.
ROOT = (
    "resources",
    "companies",
    "persons",
    "saved-filters",
    "blacklist",
    "turnovers",
    "magnitudes",
)
#: Collection -> the query parameters it filters on (case-insensitive equality).
FILTERS = {"companies": ("country", "turnover", "magnitude"), "persons": ("company",)}

"""The synthetic records (~630 bytes of JSON each) in each vendor's own shape, so the real
adapters' models structure them as they would the vendor's: LeanLaw clients (camelCase, GUID ids),
LeadDesk users (integer ids, timestamps) and Leady companies (integer ids, nested code objects).

A record is rendered from a byte template filled with its index, not built as a dict and encoded:
the server must stay well ahead of the fastest client, and ``bytes % mapping`` is several times
faster than building the dict and calling ``orjson.dumps``. The templates are made by ``orjson``
from a sample record, so the JSON is valid by construction (``tests/test_bench_smoke.py`` checks
a rendered page decodes).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

STYLES = ("offset", "page", "cursor")

# Placeholders in the sample records: a string value equal to a key becomes that field of the
# mapping each record is rendered with; a quoted number placeholder becomes a bare number.
_NUMBER = "@ID@"


def _leanlaw() -> dict[str, Any]:
    return {
        "id": "00000000-0000-4000-8000-@I12@",
        "name": "Client @I@ Holdings LLC",
        "status": "@STATUS@",
        "contact": {
            "firstName": "Ada",
            "lastName": "Lovelace @I@",
            "email": "client@I@@example.com",
            "phone": "+1 555 0100",
            "address": {
                "street": "@I@ Main Street",
                "city": "Seattle",
                "state": "WA",
                "zip": "98101",
                "country": "US",
            },
        },
        "meta": {
            "createdAt": "2024-05-01T12:00:00Z",
            "updatedAt": "2024-06-01T08:30:00Z",
            "createdBy": "00000000-0000-4000-8000-000000000001",
        },
        "billingRate": "250.00",
        "currency": "USD",
        "externalId": "EXT-@I12@",
        "tags": ["litigation", "priority"],
        "notes": "Retainer agreement on file; invoices are sent monthly by email.",
    }


def _leaddesk() -> dict[str, Any]:
    return {
        "id": _NUMBER,
        "username": "agent@I@",
        "first_name": "Agent",
        "last_name": "Number @I@",
        "email": "agent@I@@callcenter.example.com",
        "phone": "+358 40 123 4567",
        "role": "agent",
        "language": "fi",
        "active": True,
        "created_at": "2024-05-01T12:00:00+00:00",
        "updated_at": "2024-06-01T08:30:00+00:00",
        "team": "Outbound sales, Helsinki",
        "extension": "4711",
        "skills": ["outbound", "fi", "sv", "en"],
        "status": "@STATUS@",
        "_links": {
            "self": "https://restapi-nor.leaddesk.com/stable/users/@I@",
            "campaigns": "https://restapi-nor.leaddesk.com/stable/users/@I@/campaigns",
        },
        "notes": "Works the morning shift; speaks Finnish, Swedish and English.",
    }


def _leady() -> dict[str, Any]:
    return {
        "id": _NUMBER,
        "name": "Company @I@ Oy",
        "domain": "company@I@.example.fi",
        "country": "FI",
        "turnover": {"code": "T4", "name": "10-50 MEUR"},
        "magnitude": {"code": "M3", "name": "50-249 employees"},
        "business_id": "@I12@-7",
        "industry": {"code": "62010", "name": "Computer programming activities"},
        "address": {"street": "Mannerheimintie @I@", "city": "Helsinki", "zip": "00100"},
        "website": "https://company@I@.example.fi/",
        "status": "@STATUS@",
        "employees": 120,
        "description": (
            "A software house building web and mobile applications for retail and logistics "
            "customers in the Nordics, with offices in Helsinki, Tampere and Oulu."
        ),
    }


_SAMPLES: dict[str, Callable[[], dict[str, Any]]] = {
    "offset": _leanlaw,
    "page": _leaddesk,
    "cursor": _leady,
}


def _template(sample: dict[str, Any]) -> bytes:
    """The sample as a ``bytes % mapping`` template (literal ``%`` escaped first)."""
    raw = orjson.dumps(sample).replace(b"%", b"%%")
    raw = raw.replace(b'"' + _NUMBER.encode() + b'"', b"%(i)d")
    for token, spec in ((b"@I12@", b"%(i)012d"), (b"@I@", b"%(i)d"), (b"@STATUS@", b"%(s)s")):
        raw = raw.replace(token, spec)
    return raw


_TEMPLATES = {style: _template(make()) for style, make in _SAMPLES.items()}
_STATUS = (b"archived", b"active", b"active")


def render(style: str, start: int, stop: int) -> bytes:
    """Records ``start`` to ``stop - 1`` as the inside of a JSON array (no brackets)."""
    tpl = _TEMPLATES[style]
    return b",".join([tpl % {b"i": i, b"s": _STATUS[i % 3]} for i in range(start, stop)])


def index_of(style: str, record_id: Any) -> int:
    """The record's index back from its id (LeanLaw GUIDs end in the zero-padded index)."""
    if style == "offset":
        return int(str(record_id)[-12:])
    return int(record_id)

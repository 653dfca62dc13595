"""Small pure helpers of the MakeLeaps emulator: MakeLeaps' timestamps, dates, money, query
flags, filter predicates, a minimal PDF, and the request helpers for pages, uploads and Django's
``APPEND_SLASH``."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from multidict import MultiDict

from . import data as D
from .messages import _invalid

Record = dict[str, Any]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# -- small value helpers --------------------------------------------------------------------------


def _ts(dt: datetime) -> str:
    """A timestamp as MakeLeaps returns it: UTC, microseconds, ``Z``."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _now() -> datetime:
    return datetime.now(UTC)


_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _parse_date(value: str) -> date | None:
    if not _DATE_RE.match(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _parse_datetime(value: str) -> datetime | None:
    """An ISO 8601 date and time (seconds and zone optional; naive means UTC)."""
    if len(value) < 16 or value[10] not in "T ":
        return None
    try:
        dt = datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def _decimal(value: str) -> Decimal | None:
    try:
        d = Decimal(value.strip())
    except (InvalidOperation, AttributeError):
        return None
    return d if d.is_finite() else None


def _places(currency: str) -> int:
    info = D.CURRENCIES.get(currency)
    return info[3] if info else 2


def _money(value: Decimal, places: int) -> str:
    return str(value.quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP))


def _rate_key(rate: Decimal) -> str:
    return format(rate.normalize(), "f")


def _jstype(value: Any) -> str:
    """A JSON value's Python type name, as DRF's messages give it (``NoneType``, ``dict``)."""
    return type(value).__name__


def _bool_param(value: str) -> bool | None:
    v = value.strip().lower()
    if v in ("true", "1", "yes", "y", "on"):
        return True
    if v in ("false", "0", "no", "n", "off"):
        return False
    return None


def _mid_of(value: str) -> str:
    """The mid in a filter value that may be a bare mid or a resource URL."""
    value = value.strip()
    if "/" in value:
        return urlsplit(value).path.rstrip("/").rsplit("/", 1)[-1]
    return value


def _slug(text: str) -> str:
    out = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    for suffix in ("-co-ltd", "-inc", "-llc", "-ltd", "-corporation", "-pte", "-gmbh"):
        out = out.replace(suffix, "")
    return out.strip("-") or "example"


def _minimal_pdf(title: str) -> bytes:
    text = title.encode("ascii", "replace").decode()
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    body = "%PDF-1.4\n"
    offsets = []
    for i, obj in enumerate(objects, 1):
        offsets.append(len(body))
        body += f"{i} 0 obj\n{obj}\nendobj\n"
    xref = len(body)
    body += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n"
    body += "".join(f"{o:010d} 00000 n \n" for o in offsets)
    body += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    return body.encode()


def _lang(request: web.Request) -> str:
    header = request.headers.get("Accept-Language", "")
    first = header.split(",", 1)[0].strip().lower()
    return "ja" if first.startswith("ja") else "en"


def _last(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]


def _expand(request: web.Request) -> frozenset[str]:
    parts = (v.strip() for v in request.query.get("expand", "").split(","))
    return frozenset(v for v in parts if v)


def _day(value: str) -> datetime | None:
    parsed = _parse_date(value)
    return datetime(parsed.year, parsed.month, parsed.day, tzinfo=UTC) if parsed else None


def _inbox_nested(entry: Record) -> Record:
    """What an inbox entry carries: its received document or accepted order."""
    nested: Record = entry.get("received_doc") or entry.get("accepted_order") or {}
    return nested


def _inbox_data(entry: Record) -> Record:
    data: Record = _inbox_nested(entry).get("document_data") or {}
    return data


def _valid_mixed(value: Any) -> bool:
    if not isinstance(value, dict):
        return False
    for rate, totals in value.items():
        if _decimal(str(rate)) is None or not isinstance(totals, dict) or not totals:
            return False
        for key, money in totals.items():
            if key not in ("subtotal", "tax") or not isinstance(money, dict):
                return False
            amount = money.get("amount")
            if not isinstance(amount, str) or _decimal(amount) is None:
                return False
            if not isinstance(money.get("currency"), str):
                return False
    return True


def _page_url(request: web.Request, page: int) -> str:
    query: MultiDict[str] = MultiDict(request.query)
    query.popall("page", None)
    if page > 1:
        query["page"] = str(page)
    return str(request.url.with_query(query))


def _pdf_response(title: str, filename: str) -> web.Response:
    return web.Response(
        body=_minimal_pdf(title),
        content_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )


async def _read_upload(request: web.Request) -> dict[str, Any]:
    """The ``content_file`` of a multipart upload: name, type and size."""
    if not request.content_type.startswith("multipart/"):
        _invalid("content_file", "no_file")
    form = await request.post()
    upload = form.get("content_file")
    if not isinstance(upload, web.FileField):
        _invalid("content_file", "no_file")
    size = len(upload.file.read())
    return {"filename": upload.filename, "content_type": upload.content_type, "size": size}


@web.middleware
async def _append_slash(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Django's ``APPEND_SLASH``: a GET for ``/api/x`` is redirected to ``/api/x/`` (301)."""
    if (
        request.match_info.http_exception is not None
        and request.method in ("GET", "HEAD")
        and not request.path.endswith("/")
    ):
        clone = request.clone(rel_url=request.path + "/")
        match = await request.app.router.resolve(clone)
        if match.http_exception is None:
            location = request.path + "/"
            if request.query_string:
                location += "?" + request.query_string
            raise web.HTTPMovedPermanently(location=location)
    return await handler(request)

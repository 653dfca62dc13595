"""``vendorkit.MakeLeaps`` against a small MakeLeaps server written from the contract and
``makeleaps.txt`` only (not from our sandbox emulator), varying wherever the docs leave room:
partners listed with a ``mid`` or only a ``url``, absolute ``meta.next`` links carrying
``page=N`` and every filter, ``count`` totals, ``response`` as a list or an object, money as
strings (a float is refused like the docs say), timestamps with ``+09:00`` offsets and ``Z``,
unknown fields, 201 creates, PATCH updates, 204 deletes, DRF style 400 bodies (English or
Japanese), 5xx ``detail``, 429 + ``Retry-After``, an un-enveloped 401 on an expired token,
202 + Task for pickup links, HATEOAS URLs for sending-order items/send/cancel."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import operator
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import aiohttp
import attrs
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from yarl import URL

from vendorkit import MakeLeaps, errors
from vendorkit.core import MemoryTokenStore
from vendorkit.vendors.makeleaps import models

CLIENT_ID = "ml-client-id-42"
CLIENT_SECRET = "ml-S3CRET-value-9f8e7d"
BASIC = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
P1 = "2000000000000000001"
P2 = "2000000000000000002"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
MONEY = ("subtotal", "tax", "jp_withholding_tax", "total", "unit_cost", "price", "vendor_cost")
DOC_TYPES = ("invoice", "quote", "invoice", "receipt", "invoice", "orderslip", "invoice")

MESSAGES = {
    "required": ("This field is required.", "このフィールドは必須です"),
    "date": (
        "Date has wrong format. Use one of these formats instead: YYYY[-MM[-DD]].",
        "日付の形式が違います。以下のどれかの形式にしてください: YYYY[-MM[-DD]]。",
    ),
    "duplicate": (
        "A document with type '{t}' and number '{n}' already exists.",
        "書類番号{n}の{t}がすでにあります。別の書類番号をお選びください。",
    ),
    "decimal": ("Decimal values must be submitted as strings.", "数値は文字列で送信してください"),
    "blank": ("This field may not be blank.", "この項目は空にできません。"),
    "not_found": ("Not found.", "見つかりませんでした。"),
}


def _ja(request: web.Request) -> bool:
    return request.headers.get("Accept-Language", "").lower().startswith("ja")


def _msg(request: web.Request, key: str, **fmt: str) -> str:
    en, ja = MESSAGES[key]
    return (ja if _ja(request) else en).format(**fmt)


def _parse_ts(text: str) -> datetime:
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class MakeLeapsServer:
    """An independent MakeLeaps: OAuth2 client credentials, ``{"meta", "response"}`` envelopes,
    pages of ``page_size`` records walked by absolute ``meta.next`` URLs."""

    def __init__(self, *, partners: str = "url-only", page_size: int = 3) -> None:
        self.partner_style = partners
        self.page_size = page_size
        self.ttl = 36000
        self.tokens: dict[str, float] = {}  # token -> expiry (monotonic)
        self.token_counter = 0
        self.seen: list[dict[str, Any]] = []
        self.throttle: list[str] = []  # Retry-After values of the next API answers
        self.failures: list[tuple[int, dict[str, Any]]] = []  # next API answers
        self.expire_tokens_now = False
        self.reject_tokens = False
        self.currency_get_allowed = True  # the docs list only OPTIONS for /api/currency/
        self.unavailable_types = {"timesheet": 404, "acceptance": 400}
        self.task_finished_as_flag = False
        self.next_origin: URL | None = None  # a (broken) server linking pages on another origin
        self.stuck_tasks = False
        self.counter = 5000
        self.ts: TestServer | None = None
        self.data: dict[str, dict[str, dict[str, Any]]] = {}
        self.settings: dict[str, dict[str, Any]] = {}
        self.items: dict[str, dict[str, dict[str, Any]]] = {}
        self.tasks: dict[str, dict[str, Any]] = {}
        self.links: dict[str, dict[str, Any]] = {}

    # -- plumbing -------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self.ts is not None
        return str(self.ts.make_url("")).rstrip("/")

    def u(self, path: str) -> str:
        return self.url + path

    def p(self, path: str) -> str:
        """An absolute URL under the partner."""
        return self.u(f"/api/partner/{P1}{path}")

    def next_mid(self) -> str:
        self.counter += 1
        return f"30000000000000{self.counter}"

    def requests(self, method: str | None = None, path: str | None = None) -> list[dict[str, Any]]:
        return [
            s
            for s in self.seen
            if (method is None or s["method"] == method) and (path is None or s["path"] == path)
        ]

    def api_calls(self) -> list[tuple[str, str]]:
        return [(s["method"], s["path"]) for s in self.seen if s["path"].startswith("/api/")]

    @staticmethod
    def envelope(response: Any, status: int = 200, **meta: Any) -> web.Response:
        return web.json_response(
            {"meta": {"status": status, "status_code": status, **meta}, "response": response},
            status=status,
        )

    @staticmethod
    def error(status: int, response: Any, headers: dict[str, str] | None = None) -> web.Response:
        return web.json_response(
            {"meta": {"status_code": status}, "response": response}, status=status, headers=headers
        )

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        raw = await request.read()
        self.seen.append(
            {
                "method": request.method,
                "path": request.path,
                "query": dict(request.query),
                "headers": dict(request.headers),
                "raw": raw,
                "at": time.monotonic(),
            }
        )
        if request.path.startswith("/api/"):
            refused = self._check_bearer(request)
            if refused is not None:
                return refused
            if self.throttle:
                return self.error(
                    429,
                    {"detail": "Request was throttled."},
                    headers={"Retry-After": self.throttle.pop(0)},
                )
            if self.failures:
                status, body = self.failures.pop(0)
                return web.json_response(body, status=status)
        try:
            return await handler(request)
        except web.HTTPNotFound:
            return self.error(404, {"detail": _msg(request, "not_found")})
        except web.HTTPMethodNotAllowed:
            return self.error(405, {"detail": f'Method "{request.method}" not allowed.'})

    def _check_bearer(self, request: web.Request) -> web.Response | None:
        auth = request.headers.get("Authorization", "")
        token = auth[len("Bearer ") :] if auth.startswith("Bearer ") else None
        expiry = self.tokens.get(token or "")
        if self.expire_tokens_now:
            self.expire_tokens_now = False
            self.tokens.clear()
            expiry = None
        if self.reject_tokens or token is None or expiry is None or time.monotonic() >= expiry:
            # Un-enveloped, as the docs show.
            return web.json_response(
                {"status_code": 401, "detail": "Authentication credentials were not provided."},
                status=401,
            )
        return None

    def _basic_ok(self, request: web.Request) -> bool:
        return request.headers.get("Authorization") == f"Basic {BASIC}"

    # -- OAuth2 ---------------------------------------------------------------------------------

    async def token(self, request: web.Request) -> web.Response:
        form = await request.post()
        if not self._basic_ok(request):
            return web.json_response({"error": "invalid_client"}, status=401)
        if form.get("grant_type") != "client_credentials":
            return web.json_response({"error": "unsupported_grant_type"}, status=400)
        self.token_counter += 1
        token = f"tok{self.token_counter:04d}abcdef"
        self.tokens[token] = time.monotonic() + self.ttl
        return web.json_response(
            {
                "access_token": token,
                "token_type": "Bearer",
                "expires_in": self.ttl,
                "scope": "read write",
            }
        )

    async def revoke(self, request: web.Request) -> web.Response:
        form = await request.post()
        if not self._basic_ok(request):
            return web.json_response({"error": "invalid_client"}, status=401)
        self.tokens.pop(str(form.get("token")), None)
        return web.Response(status=200)

    # -- data -----------------------------------------------------------------------------------

    def seed(self) -> None:
        d: dict[str, dict[str, dict[str, Any]]] = {
            k: {} for k in ("employee", "client", "contact", "document", "item", "history")
        }
        d["sending/order"] = {}
        for i in range(4):
            mid = f"1100000000000000{i}"
            d["employee"][mid] = {
                "url": self.p(f"/employee/{mid}/"),
                "mid": mid,
                "name": f"Employee {i}",
                "email": f"e{i}@example.co.jp",
                "start_date": "2019-04-01T00:00:00+09:00",
                "end_date": None,
                "integrations": {},
                "has_seat": "True",
                "is_owner": i == 0,
                "is_admin": "False",
            }
        for i in range(6):
            mid = f"1200000000000000{i}"
            d["contact"][mid] = {
                "url": self.p(f"/contact/{mid}/"),
                "mid": mid,
                "owner": self.p(f"/client/1300000000000000{i % 4}/"),
                "owner_type": "client",
                "contact_type": "organization" if i < 4 else "person",
                "name": f"Org {i}" if i < 4 else "",
                "family_name": "" if i < 4 else f"Family{i}",
                "given_name": "",
                "display_name": f"Org {i}" if i < 4 else f"Family{i}",
                "format": "default",
                "phone_number": "03-0000-000{i}",
                "email": {"address": f"c{i}@client.example"} if i % 2 else None,
                "addresses": [
                    {
                        "format": "jp_default",
                        "country_name": "JP",
                        "postal_code": "153-0061",
                        "region": "tokyo",
                        "locality": "Meguro-ku",
                        "street_address": "3-1-5 Nakameguro",
                        "extended_address": "YK Bldg 2F",
                        "x_geo": "35.64,139.69",
                    }
                ],
                "is_default": "True",
            }
        for i in range(4):
            mid = f"1300000000000000{i}"
            contacts = [self.p(f"/contact/1200000000000000{i}/")]
            if i == 0:
                contacts.append(self.p("/contact/12000000000000004/"))
            d["client"][mid] = {
                "url": self.p(f"/client/{mid}/"),
                "mid": mid,
                "display_name": f"Org {i}",
                "organization_type": "organization",
                "is_organization": True,
                "date_archived": None,
                "client_external_id": f"EXT-{i}",
                "contacts": contacts,
                "default_contact": contacts[0],
                "settings": self.p(f"/client/{mid}/settings/"),
                "lang_code": "ja",
                "managing_teams": [],
            }
            self.settings[mid] = {
                "url": self.p(f"/client/{mid}/settings/"),
                "securesend_subject": "@(document_number)",
                "securesend_message": "いつもお世話になっております。",
                "send_by_secure_send": True,
                "send_by_post": False,
                "enable_cc_payments": False,
                "use_document_contact": True,
            }
        for i, kind in enumerate(DOC_TYPES):
            mid = f"1400000000000000{i}"
            number = f"{100 + i:03d}"
            d["document"][mid] = {
                "url": self.p(f"/document/{mid}/"),
                "mid": mid,
                "document_number": number,
                "document_type": kind,
                "display_name": f"{kind.title()} #{number}",
                "title": "Consulting" if i % 2 else "Maintenance makeleaps",
                "client": self.p(f"/client/1300000000000000{i % 4}/"),
                "client_contact": self.p(f"/contact/1200000000000000{i % 4}/"),
                "currency": "JPY",
                "subtotal": "10000",
                "tax": "1000",
                "total": f"1100{i}.50",
                "tax_rate": "10.00",
                "mixed_tax_rate_totals": {
                    "10": {
                        "subtotal": {"amount": "10000", "currency": "JPY"},
                        "tax": {"amount": "1000", "currency": "JPY"},
                    }
                },
                "lineitems": [
                    {
                        "kind": "normal",
                        "position": 0,
                        "description": "Work",
                        "unit_cost": "1.17",
                        "quantity": "3",
                        "price": "3.51",
                        "tax_rate": "10",
                        "is_taxable": True,
                        "x_line_extra": "kept",
                    }
                ],
                "date": f"2017-06-{15 + i:02d}",
                "date_due": f"2017-07-{15 + i:02d}",
                "date_paid": "2018-03-30T12:00:00+09:00" if i % 2 == 0 else None,
                "date_sent": "2013-11-15T06:10:21.602Z",
                "tags": [],
                "pickup_links": self.p(f"/document/{mid}/pickup-link/"),
                "x_future_field": {"nested": [1, 2]},
            }
        for i in range(3):
            mid = f"1500000000000000{i}"
            d["item"][mid] = {
                "url": self.p(f"/item/{mid}/"),
                "mid": mid,
                "product_code": f"ABC-{i}",
                "kind": "normal",
                "description": f"Product {i}",
                "unit_cost": "1200.00",
                "quantity": "1",
                "tax_category": "custom",
                "tax_rate": "8",
                "interval": "monthly",
                "metered": False,
            }
        for i in range(5):
            mid = f"1600000000000000{i}"
            d["history"][mid] = {
                "mid": mid,
                "web_url": f"https://app.makeleaps.com/history/{mid}/",
                "action_time": f"2023-01-0{i + 1}T09:00:00.00Z",
                "created_by": {"name": "Employee 0"},
                "event_name": "document_created",
                "metadata": "{}",
                "action_flag": 1,
                "object_repr": f"Invoice #{100 + i}",
            }
        self.data = d

    def inbox(self) -> list[dict[str, Any]]:
        return [
            {
                "mid": "17000000000000000",
                "url": self.p("/inbox/inbox/17000000000000000/"),
                "type": "accepted_order",
                "accepted_order": {
                    "mid": "17100000000000000",
                    "time_accepted": "2023-05-01T10:00:00+09:00",
                    "document": self.p("/document/14000000000000001/"),
                    "signatory": "Jane",
                    "is_paid": "False",
                },
                "received_doc": None,
                "time_received": "2023-05-01T10:00:00+09:00",
                "time_read": None,
            },
            {
                "mid": "17000000000000001",
                "url": self.p("/inbox/inbox/17000000000000001/"),
                "type": "received_doc",
                "accepted_order": None,
                "received_doc": {
                    "mid": "17200000000000000",
                    "vendor_name": "Supplier KK",
                    "document_data": {"document_type": "invoice", "total": "5000"},
                },
                "time_received": "2023-04-01T01:00:00Z",
                "time_read": "2023-04-02T01:00:00Z",
            },
        ]

    # -- lists ----------------------------------------------------------------------------------

    def page(self, request: web.Request, rows: list[Any]) -> web.Response:
        number = int(request.query.get("page", "1"))
        start = (number - 1) * self.page_size
        chunk = rows[start : start + self.page_size]
        more = start + self.page_size < len(rows)
        nxt = str(request.url.update_query(page=number + 1)) if more else None
        if nxt is not None and self.next_origin is not None:
            nxt = str(
                URL(nxt).with_host(self.next_origin.host or "").with_port(self.next_origin.port)
            )
        prev = str(request.url.update_query(page=number - 1)) if number > 1 else None
        return self.envelope(chunk, next=nxt, prev=prev, page=number, count=len(rows))

    def _partner(self, request: web.Request) -> None:
        if request.match_info.get("partner") != P1:
            raise web.HTTPNotFound()

    def _row(self, coll: str, request: web.Request) -> dict[str, Any]:
        self._partner(request)
        row = self.data[coll].get(request.match_info["mid"])
        if row is None:
            raise web.HTTPNotFound()
        return row

    def _documents(self, request: web.Request) -> list[dict[str, Any]]:
        rows = list(self.data["document"].values())
        q = request.query
        for key in ("document_type", "currency"):
            if key in q:
                rows = [r for r in rows if r.get(key) == q[key]]
        if "client" in q:
            rows = [r for r in rows if str(r["client"]).rstrip("/").endswith(q["client"])]
        if "paid" in q:
            want = q["paid"].lower() in ("true", "1")
            rows = [r for r in rows if (r.get("date_paid") is not None) == want]
        if "search" in q:
            needle = q["search"].lower()
            rows = [
                r
                for r in rows
                if needle in f"{r['display_name']} {r.get('title')} {r['document_number']}".lower()
            ]
        for field in ("date", "date_due"):
            for op, test in (
                ("", operator.eq),
                ("__lt", operator.lt),
                ("__lte", operator.le),
                ("__gt", operator.gt),
                ("__gte", operator.ge),
            ):
                if field + op in q:
                    bound = date.fromisoformat(q[field + op])  # dates only, as the docs say
                    rows = [r for r in rows if test(date.fromisoformat(r[field]), bound)]
        for op, test in (("__lt", operator.lt), ("__gte", operator.ge)):
            if "date_sent" + op in q:
                bound = _parse_ts(q["date_sent" + op])
                rows = [r for r in rows if test(_parse_ts(r["date_sent"]), bound)]
        return [self._expand(request, r) for r in rows]

    def _expand(self, request: web.Request, row: dict[str, Any]) -> dict[str, Any]:
        fields = [f for f in request.query.get("expand", "").split(",") if f]
        out = dict(row)
        if _ja(request) and "display_name" in out:
            kind = {"invoice": "請求書", "quote": "見積書"}.get(row["document_type"], "書類")
            out["display_name"] = f"{kind}番号{row['document_number']}"
        for f in fields:
            if f == "client" and isinstance(out.get("client"), str):
                out["client"] = self.data["client"][out["client"].rstrip("/").split("/")[-1]]
            elif f == "client_contact" and isinstance(out.get("client_contact"), str):
                key = out["client_contact"].rstrip("/").split("/")[-1]
                out["client_contact"] = self.data["contact"][key]
        return out

    async def list_coll(self, request: web.Request, coll: str) -> web.Response:
        self._partner(request)
        if coll == "document":
            return self.page(request, self._documents(request))
        rows = list(self.data[coll].values())
        q = request.query
        if coll == "item":
            if "product_code" in q:
                rows = [r for r in rows if r["product_code"] == q["product_code"]]
            if "product_code__contains" in q:
                rows = [r for r in rows if q["product_code__contains"] in r["product_code"]]
        if coll == "history":
            if "date_start" in q:
                rows = [
                    r for r in rows if _parse_ts(r["action_time"]) >= _parse_ts(q["date_start"])
                ]
            if "date_end" in q:
                rows = [r for r in rows if _parse_ts(r["action_time"]) <= _parse_ts(q["date_end"])]
        if "search" in q:
            rows = [r for r in rows if q["search"].lower() in json.dumps(r).lower()]
        return self.page(request, rows)

    async def get_coll(self, request: web.Request, coll: str) -> web.Response:
        row = self._row(coll, request)
        return self.envelope(self._expand(request, row) if coll == "document" else row)

    # -- writes ---------------------------------------------------------------------------------

    def _float_errors(self, request: web.Request, body: dict[str, Any]) -> dict[str, list[str]]:
        bad: dict[str, list[str]] = {}
        for key in (*MONEY, "quantity", "tax_rate"):
            if key in body and body[key] is not None and not isinstance(body[key], str):
                bad[key] = [_msg(request, "decimal")]
        for line in body.get("lineitems") or []:
            for key in (*MONEY, "quantity", "tax_rate"):
                if key in line and line[key] is not None and not isinstance(line[key], str):
                    bad.setdefault("lineitems", []).append(_msg(request, "decimal"))
        return bad

    def _validate(
        self, request: web.Request, coll: str, body: dict[str, Any], current: dict[str, Any] | None
    ) -> web.Response | None:
        problems = self._float_errors(request, body)
        non_field: list[str] = []
        if coll == "document":
            if current is None and not body.get("currency"):
                problems["currency"] = [_msg(request, "required")]
            if "date" in body:
                try:
                    date.fromisoformat(str(body["date"]))
                except ValueError:
                    problems["date"] = [_msg(request, "date")]
            kind = body.get("document_type", (current or {}).get("document_type"))
            number = body.get("document_number")
            for other in self.data["document"].values():
                if (
                    number is not None
                    and other is not current
                    and other["document_type"] == kind
                    and other["document_number"] == number
                ):
                    non_field.append(_msg(request, "duplicate", t=str(kind), n=str(number)))
        if coll == "sending/order" and body.get("message") == "":
            problems["message"] = [_msg(request, "blank")]
        if problems or non_field:
            return self.error(
                400, {**problems, **({"non_field_errors": non_field} if non_field else {})}
            )
        return None

    async def create_coll(self, request: web.Request, coll: str) -> web.Response:
        self._partner(request)
        body = await request.json()
        problem = self._validate(request, coll, body, None)
        if problem is not None:
            return problem
        mid = self.next_mid()
        path = {"sending/order": "sending/order", "item": "item"}.get(coll, coll)
        row = {**body, "url": self.p(f"/{path}/{mid}/"), "mid": mid}
        if coll == "client":
            contacts = []
            for c in body.get("contacts") or []:
                if isinstance(c, dict):
                    cmid = self.next_mid()
                    self.data["contact"][cmid] = {
                        **c,
                        "mid": cmid,
                        "url": self.p(f"/contact/{cmid}/"),
                    }
                    contacts.append(self.p(f"/contact/{cmid}/"))
                else:
                    contacts.append(c)
            row["contacts"] = contacts
            row["default_contact"] = body.get("default_contact") or (
                contacts[0] if contacts else None
            )
            row["display_name"] = next(
                (c.get("name") for c in body.get("contacts") or [] if isinstance(c, dict)),
                "Client",
            )
        if coll == "document":
            row["display_name"] = (
                f"{str(body.get('document_type', '')).title()} #{body.get('document_number')}"
            )
            row["pickup_links"] = self.p(f"/document/{mid}/pickup-link/")
        if coll == "sending/order":
            base = self.p(f"/sending/order/{mid}/")
            row.update(
                send_url=base + "send/",
                items_url=base + "items/",
                items=[],
                ready_to_order=False,
                validation_errors=["Add at least one item."],
                status={
                    "url": base + "status/",
                    "securesend": "draft",
                    "sendbypost": "draft",
                    "securesend_cancelled": False,
                    "sendbypost_cancelled": False,
                },
            )
            self.items[mid] = {}
        self.data[coll][mid] = row
        return self.envelope(row, status=201)

    async def update_coll(self, request: web.Request, coll: str) -> web.Response:
        row = self._row(coll, request)
        body = await request.json()
        problem = self._validate(request, coll, body, row)
        if problem is not None:
            return problem
        if request.method == "PUT":
            keep: dict[str, Any] = {k: row[k] for k in ("url", "mid") if k in row}
            row.clear()
            row.update(keep)
        row.update({k: v for k, v in body.items() if k not in ("url", "mid")})
        return self.envelope(row)

    async def delete_coll(self, request: web.Request, coll: str) -> web.Response:
        row = self._row(coll, request)
        del self.data[coll][row["mid"]]
        return web.Response(status=204)

    # -- special endpoints ----------------------------------------------------------------------

    async def root(self, request: web.Request) -> web.Response:
        return self.envelope(
            {
                "partners": [{"url": self.p("/"), "name": "TEST COMPANY"}],
                "currencies": self.u("/api/currency/"),
            }
        )

    def _partner_rows(self, request: web.Request) -> list[dict[str, Any]]:
        rows = []
        for mid, en, ja in ((P1, "Example Company", "株式会社例"), (P2, "Other Co", "他社")):
            row: dict[str, Any] = {
                "url": self.u(f"/api/partner/{mid}/"),
                "name": ja if _ja(request) else en,
                "clients": self.u(f"/api/partner/{mid}/client/"),
                "documents": self.u(f"/api/partner/{mid}/document/"),
                "account_name": "example",
                "integrations": {},
            }
            if self.partner_style == "with-mid":
                row["mid"] = mid
            rows.append(row)
        return rows

    async def partners(self, request: web.Request) -> web.Response:
        return self.page(request, self._partner_rows(request))

    async def partner(self, request: web.Request) -> web.Response:
        for row in self._partner_rows(request):
            if row["url"].rstrip("/").endswith(request.match_info["partner"]):
                return self.envelope(row)
        raise web.HTTPNotFound()

    async def currencies(self, request: web.Request) -> web.Response:
        if request.method == "GET" and not self.currency_get_allowed:
            return self.error(405, {"detail": 'Method "GET" not allowed.'})
        return self.page(
            request, [{"code": "JPY", "name": "Japanese Yen"}, {"code": "USD", "name": "US Dollar"}]
        )

    async def me(self, request: web.Request) -> web.Response:
        self._partner(request)
        return self.envelope(self.data["employee"]["11000000000000000"])

    async def client_contacts(self, request: web.Request) -> web.Response:
        client = self._row("client", request)
        rows = [self.data["contact"][c.rstrip("/").split("/")[-1]] for c in client["contacts"]]
        return self.page(request, rows)

    async def client_settings(self, request: web.Request) -> web.Response:
        client = self._row("client", request)
        settings = self.settings[client["mid"]]
        if request.method in ("PATCH", "PUT"):
            settings.update(await request.json())
        return self.envelope(settings)

    async def templates(self, request: web.Request) -> web.Response:
        self._partner(request)
        kind = request.match_info["document_type"]
        if kind in self.unavailable_types:
            status = self.unavailable_types[kind]
            detail = {"document_type": [f'"{kind}" is not a valid choice.']}
            return self.error(status, {"detail": "Not found."} if status == 404 else detail)
        rows = [
            {
                "template_code": f"ja_JP_pro_{n}",
                "document_type": kind,
                "display_name": f"Professional {n} (Japanese)",
                "language_code": "ja",
                "is_archived": n == 3,
            }
            for n in (1, 2, 3)
        ]
        if request.query.get("is_archived") == "false":
            rows = [r for r in rows if not r["is_archived"]]
        return self.page(request, rows)

    async def inbox_list(self, request: web.Request) -> web.Response:
        self._partner(request)
        return self.page(request, self.inbox())

    # sending orders: items, send, cancel, all reached through the order's URLs
    async def order_items(self, request: web.Request) -> web.Response:
        order = self._row("sending/order", request)
        items = self.items[order["mid"]]
        if request.method == "GET":
            return self.page(request, list(items.values()))
        body = await request.json()
        imid = self.next_mid()
        item = {
            "url": order["url"] + f"items/{imid}/",
            "sending_order": order["url"],
            "position": body.get("position", len(items)),
            "document": body.get("document"),
            "filename": body.get("filename"),
            "upload_url": order["url"] + f"items/{imid}/upload/" if body.get("filename") else None,
        }
        items[imid] = item
        order["items"] = list(items.values())
        order["ready_to_order"] = True
        order["validation_errors"] = []
        return self.envelope(item, status=201)

    async def order_item(self, request: web.Request) -> web.Response:
        order = self._row("sending/order", request)
        items = self.items[order["mid"]]
        if request.match_info["item"] not in items:
            raise web.HTTPNotFound()
        if request.method == "DELETE":
            del items[request.match_info["item"]]
            order["items"] = list(items.values())
            return web.Response(status=204)
        return self.envelope(items[request.match_info["item"]])

    async def order_send(self, request: web.Request) -> web.Response:
        order = self._row("sending/order", request)
        if not order["ready_to_order"]:
            return self.error(400, {"non_field_errors": ["The order is not ready."]})
        order["status"] = {
            **order["status"],
            "securesend": "not_viewed",
            "sendbypost": "not_selected",
        }
        return self.envelope(order)

    async def order_status(self, request: web.Request) -> web.Response:
        order = self._row("sending/order", request)
        body = await request.json()
        order["status"].update(body)
        if body.get("securesend_cancelled"):
            order["status"]["securesend"] = "cancelled"
        return self.envelope(order["status"])

    # pickup links and tasks
    async def pickup_links(self, request: web.Request) -> web.Response:
        doc = self._row("document", request)
        if request.method == "GET":
            rows = [link for link in self.links.values() if link["_doc"] == doc["mid"]]
            return self.page(request, [{k: v for k, v in r.items() if k != "_doc"} for r in rows])
        if await request.read():
            return self.error(400, {"non_field_errors": ["Send no body."]})
        tmid = self.next_mid()
        self.tasks[tmid] = {"doc": doc["mid"], "completion": 0, "polls": 0, "link": None}
        return self.envelope(self._task(tmid), status=202)

    def _task(self, tmid: str) -> dict[str, Any]:
        task = self.tasks[tmid]
        done = task["completion"] >= 100
        return {
            "mid": tmid,
            "uilongtask": {
                "url": self.u(f"/api/taskprogress/9{tmid}/"),
                "mid": f"9{tmid}",
                "current_progress": task["completion"],
                "max_progress": 100,
                "time_done": "2021-02-03T05:28:43.271956Z" if done else None,
                "finished": done,
                "errors": [],
            },
            "employee": self.p("/employee/11000000000000000/"),
            "url": self.p(f"/task/{tmid}/"),
            "result_url": self.p(f"/task/{tmid}/results/"),
            "completion": task["completion"],
            "failed_chunks": [],
            "finished": (
                ("True" if done else "False")
                if self.task_finished_as_flag
                else ("2021-02-03T05:28:43.271956Z" if done else None)
            ),
        }

    async def task(self, request: web.Request) -> web.Response:
        self._partner(request)
        task = self.tasks.get(request.match_info["mid"])
        if task is None:
            raise web.HTTPNotFound()
        task["polls"] += 1
        if not self.stuck_tasks:
            task["completion"] = min(100, task["completion"] + 50)
        if task["completion"] >= 100 and task["link"] is None:
            lmid = self.next_mid()
            base = self.p(f"/secureinbox/pickup-link/{lmid}/")
            self.links[lmid] = {
                "_doc": task["doc"],
                "mid": lmid,
                "url": base,
                "cancel_url": base + "cancel/",
                "uncancel_url": base + "uncancel/",
                "created": "2021-02-03T05:28:43.271956Z",
                "link": f"https://example.com/secureinbox/p/{lmid}hash/",
                "email": "",
                "date_clicked": None,
                "source": "Shareable Link Panel",
                "expiration_date": "2021-04-04T14:30:38",
                "is_cancelled": False,
                "created_by": "Somebody",
                "supersend": None,
            }
            task["link"] = lmid
        return self.envelope(self._task(request.match_info["mid"]))

    async def task_results(self, request: web.Request) -> web.Response:
        self._partner(request)
        task = self.tasks.get(request.match_info["mid"])
        if task is None:
            raise web.HTTPNotFound()
        rows = [self.links[task["link"]]] if task["link"] else []
        return self.page(request, [{k: v for k, v in r.items() if k != "_doc"} for r in rows])

    async def pickup_link(self, request: web.Request) -> web.Response:
        self._partner(request)
        link = self.links.get(request.match_info["mid"])
        if link is None:
            raise web.HTTPNotFound()
        action = request.match_info.get("action")
        if action == "cancel":
            link["is_cancelled"] = True
        elif action == "uncancel":
            link["is_cancelled"] = False
        return self.envelope({k: v for k, v in link.items() if k != "_doc"})

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self.middleware])
        r = app.router
        r.add_post("/user/oauth2/token/", self.token)
        r.add_post("/user/oauth2/revoke-token/", self.revoke)
        r.add_get("/api/", self.root)
        r.add_get("/api/currency/", self.currencies)
        r.add_route("OPTIONS", "/api/currency/", self.currencies)
        r.add_get("/api/partner/", self.partners)
        r.add_get("/api/partner/{partner}/", self.partner)
        base = "/api/partner/{partner}"
        r.add_get(base + "/employee/me/", self.me)
        # (collection, list methods, item methods), as the docs' endpoint tables say
        table = (
            ("employee", "GET", "GET"),
            ("document", "GET POST", "GET PUT PATCH DELETE"),
            ("item", "GET POST", "GET PUT PATCH"),
            ("client", "GET POST", "GET PUT PATCH DELETE"),
            ("contact", "GET POST", "GET PUT PATCH DELETE"),
            ("sending/order", "GET POST", "GET PUT PATCH DELETE"),
            ("history", "GET POST", "GET"),
        )
        for coll, list_methods, item_methods in table:
            for m in list_methods.split():
                fn = self.list_coll if m == "GET" else self.create_coll
                r.add_route(m, f"{base}/{coll}/", _bind(fn, coll))
            for m in item_methods.split():
                fn = {"GET": self.get_coll, "DELETE": self.delete_coll}.get(m, self.update_coll)
                r.add_route(m, f"{base}/{coll}/{{mid}}/", _bind(fn, coll))
        r.add_get(base + "/client/{mid}/contact/", self.client_contacts)
        for m in ("GET", "PUT", "PATCH"):
            r.add_route(m, base + "/client/{mid}/settings/", self.client_settings)
        r.add_get(base + "/template/{document_type}/", self.templates)
        r.add_get(base + "/inbox/inbox/", self.inbox_list)
        r.add_route("*", base + "/sending/order/{mid}/items/", self.order_items)
        r.add_route("*", base + "/sending/order/{mid}/items/{item}/", self.order_item)
        r.add_post(base + "/sending/order/{mid}/send/", self.order_send)
        r.add_post(base + "/sending/order/{mid}/status/", self.order_status)
        r.add_get(base + "/document/{mid}/pickup-link/", self.pickup_links)
        r.add_post(base + "/document/{mid}/pickup-link/", self.pickup_links)
        r.add_get(base + "/secureinbox/pickup-link/{mid}/", self.pickup_link)
        r.add_post(
            base + "/secureinbox/pickup-link/{mid}/{action:cancel|uncancel}/", self.pickup_link
        )
        r.add_get(base + "/task/{mid}/", self.task)
        r.add_get(base + "/task/{mid}/results/", self.task_results)
        return app


def _bind(fn: Callable[[web.Request, str], Awaitable[web.Response]], coll: str) -> Handler:
    async def handler(request: web.Request) -> web.Response:
        return await fn(request, coll)

    return handler


async def _start(srv: MakeLeapsServer) -> TestServer:
    ts = TestServer(srv.app(), host="127.0.0.1")
    await ts.start_server()
    srv.ts = ts
    srv.seed()
    return ts


@pytest.fixture
async def server() -> AsyncIterator[MakeLeapsServer]:
    srv = MakeLeapsServer()
    ts = await _start(srv)
    try:
        yield srv
    finally:
        await ts.close()


def make_client(server: MakeLeapsServer, **options: Any) -> MakeLeaps:
    kwargs: dict[str, Any] = {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "base_url": server.url,
        "max_retry_wait": 5,
        "rate_limit": None,
    }
    kwargs.update(options)
    return MakeLeaps(**kwargs)


@pytest.fixture
async def ml(server: MakeLeapsServer) -> AsyncIterator[MakeLeaps]:
    async with make_client(server) as client:
        yield client


def _doc_mid(i: int) -> str:
    return f"1400000000000000{i}"


# -- construction and configuration -------------------------------------------------------------


async def test_keyword_only_default_base_url_and_default_quota() -> None:
    with pytest.raises(TypeError):
        MakeLeaps(CLIENT_ID, CLIENT_SECRET)  # type: ignore[call-arg]
    client = MakeLeaps(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    try:
        assert client.base_url == "https://api.makeleaps.com"
        assert client.partner_mid is None
        assert client.rate_limiter is not None
        quotas = sorted((q.limit, q.per) for q in client.rate_limiter.quotas)
        assert quotas == [(120, 60.0), (5000, 86400.0)]
        for text in (repr(client), repr(client.auth), repr(client.token_store)):
            assert CLIENT_SECRET not in text and BASIC not in text
    finally:
        await client.aclose()
    unlimited = MakeLeaps(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, rate_limit=None)
    try:
        assert unlimited.rate_limiter is None
    finally:
        await unlimited.aclose()


async def test_every_documented_option(server: MakeLeapsServer) -> None:
    async with aiohttp.ClientSession() as session:
        async with MakeLeaps(
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            partner_mid=P1,
            accept_language="ja",
            base_url=server.url,
            session=session,
            timeout=5.0,
            max_retries=1,
            max_retry_wait=2.0,
            rate_limit="100/second",
            token_store=MemoryTokenStore(),
            user_agent="contract-test/1.0",
        ) as client:
            assert len(await client.employees.list().all()) == 4
        assert not session.closed
    sent = server.requests("GET", f"/api/partner/{P1}/employee/")[0]["headers"]
    assert sent["User-Agent"] == "contract-test/1.0"
    assert sent["Accept-Language"] == "ja"
    assert server.requests("GET", "/api/partner/") == []  # partner_mid given: no discovery


async def test_from_env_names_the_missing_variable(
    server: MakeLeapsServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("CLIENT_ID", "CLIENT_SECRET", "PARTNER_MID", "ACCEPT_LANGUAGE", "BASE_URL"):
        monkeypatch.delenv(f"VENDORKIT_MAKELEAPS_{name}", raising=False)
    with pytest.raises(errors.ConfigurationError, match="VENDORKIT_MAKELEAPS_CLIENT_ID"):
        MakeLeaps.from_env()
    monkeypatch.setenv("VENDORKIT_MAKELEAPS_CLIENT_ID", CLIENT_ID)
    with pytest.raises(errors.ConfigurationError, match="VENDORKIT_MAKELEAPS_CLIENT_SECRET"):
        MakeLeaps.from_env()
    monkeypatch.setenv("VENDORKIT_MAKELEAPS_CLIENT_SECRET", CLIENT_SECRET)
    monkeypatch.setenv("VENDORKIT_MAKELEAPS_BASE_URL", server.url)
    async with MakeLeaps.from_env(rate_limit=None) as client:
        assert client.base_url == server.url
        assert (await client.employees.me()).name == "Employee 0"
        assert client.partner_mid == P1


# -- OAuth2 -------------------------------------------------------------------------------------


async def test_token_request_is_basic_auth_with_form_grant(server: MakeLeapsServer) -> None:
    async with make_client(server) as ml:
        results = await asyncio.gather(*(ml.employees.me() for _ in range(8)))
    assert {e.mid for e in results} == {"11000000000000000"}
    tokens = server.requests("POST", "/user/oauth2/token/")
    assert len(tokens) == 1  # one token however many tasks start at once
    sent = tokens[0]
    assert sent["headers"]["Authorization"] == f"Basic {BASIC}"
    assert sent["headers"]["Content-Type"].startswith("application/x-www-form-urlencoded")
    assert dict(URL("/?" + sent["raw"].decode()).query) == {"grant_type": "client_credentials"}
    for call in server.requests("GET", f"/api/partner/{P1}/employee/me/"):
        assert call["headers"]["Authorization"] == "Bearer tok0001abcdef"
    assert len(server.requests("GET", "/api/partner/")) == 1  # one discovery too


async def test_bad_credentials_raise_authentication_error_without_secrets(
    server: MakeLeapsServer,
) -> None:
    async with make_client(server, client_secret="wrong-" + CLIENT_SECRET) as ml:
        with pytest.raises(errors.AuthenticationError) as info:
            await ml.documents.list().all()
    err = info.value
    assert err.status == 401 and err.code == "invalid_client" and err.vendor == "makeleaps"
    for text in (str(err), repr(err), json.dumps(err.body), str(err.url)):
        assert CLIENT_SECRET not in text and "Basic" not in text
    assert server.api_calls() == []  # nothing reached the API without a token


async def test_short_expires_in_renews_the_token_before_it_expires(
    server: MakeLeapsServer,
) -> None:
    server.ttl = 1
    async with make_client(server, partner_mid=P1) as ml:
        await ml.employees.me()
        await asyncio.sleep(1.05)
        await ml.employees.me()
    assert len(server.requests("POST", "/user/oauth2/token/")) == 2
    calls = server.requests("GET", f"/api/partner/{P1}/employee/me/")
    assert len(calls) == 2  # renewed ahead: the expired token was never sent
    assert calls[0]["headers"]["Authorization"] != calls[1]["headers"]["Authorization"]


async def test_expired_token_401_unenveloped_gets_one_new_token_and_a_replay(
    server: MakeLeapsServer,
) -> None:
    async with make_client(server, partner_mid=P1) as ml:
        await ml.employees.me()
        server.expire_tokens_now = True
        created = await ml.contacts.create({"contact_type": "person", "family_name": "Yamada"})
        assert created.family_name == "Yamada"
    posts = server.requests("POST", f"/api/partner/{P1}/contact/")
    assert len(posts) == 2  # refused once, replayed once with the new token
    assert posts[1]["headers"]["Authorization"] == "Bearer tok0002abcdef"
    assert len(server.requests("POST", "/user/oauth2/token/")) == 2
    assert len(server.data["contact"]) == 7  # created once


async def test_a_persistent_401_is_an_authentication_error(server: MakeLeapsServer) -> None:
    async with make_client(server, partner_mid=P1) as ml:
        await ml.employees.me()
        server.reject_tokens = True  # every token, new ones included, is refused
        with pytest.raises(errors.AuthenticationError) as info:
            await ml.employees.me()
    assert info.value.message == "Authentication credentials were not provided."
    assert len(server.requests("POST", "/user/oauth2/token/")) == 2  # one renewal, no loop


async def test_revoke_token(server: MakeLeapsServer) -> None:
    async with make_client(server, partner_mid=P1) as ml:
        await ml.employees.me()
        await ml.revoke_token()
        revoke = server.requests("POST", "/user/oauth2/revoke-token/")
        assert len(revoke) == 1
        assert revoke[0]["headers"]["Authorization"] == f"Basic {BASIC}"
        assert dict(URL("/?" + revoke[0]["raw"].decode()).query) == {"token": "tok0001abcdef"}
        assert "tok0001abcdef" not in server.tokens
        await ml.employees.me()  # a new token, no 401 on the way
    assert len(server.requests("POST", "/user/oauth2/token/")) == 2
    assert all(
        s["headers"]["Authorization"] == "Bearer tok0002abcdef"
        for s in server.requests("GET", f"/api/partner/{P1}/employee/me/")[1:]
    )


# -- partner discovery --------------------------------------------------------------------------


@pytest.mark.parametrize("style", ["url-only", "with-mid"])
async def test_partner_discovery_takes_the_first_partner(style: str) -> None:
    srv = MakeLeapsServer(partners=style, page_size=1)  # the partner list is paginated too
    ts = await _start(srv)
    try:
        async with make_client(srv) as ml:
            assert await ml.get_partner_mid() == P1
            assert ml.partner_mid == P1
            partners = await ml.partners.list().all()
            assert [p.partner_mid for p in partners] == [P1, P2]
            one = await ml.partners.get(P1)
            assert one.name == "Example Company" and one.raw["account_name"] == "example"
            ja = await ml.partners.get(P1, headers={"Accept-Language": "ja"})
            assert ja.name == "株式会社例"
        assert len(srv.requests("GET", "/api/partner/")) == 3  # discovery + the 2-page list
    finally:
        await ts.close()


# -- lists, envelopes, pagination ---------------------------------------------------------------


async def test_documents_walk_absolute_next_links_with_count(
    server: MakeLeapsServer, ml: MakeLeaps
) -> None:
    pages = [page async for page in ml.documents.list().pages()]
    assert [len(p.records) for p in pages] == [3, 3, 1]
    assert {p.total for p in pages} == {7}
    assert [d.mid for p in pages for d in p.records] == list(server.data["document"])
    queries = [s["query"] for s in server.requests("GET", f"/api/partner/{P1}/document/")]
    assert [q.get("page") for q in queries] == [None, "2", "3"]
    assert len(await ml.documents.list(max_items=4).all()) == 4
    everything = [d async for d in ml.documents.list(concurrency=3)]
    assert len(everything) == 7


async def test_document_filters_pass_through(server: MakeLeapsServer, ml: MakeLeaps) -> None:
    invoices = await ml.documents.list(document_type="invoice").all()
    assert {d.document_type for d in invoices} == {"invoice"} and len(invoices) == 4
    early = await ml.documents.list(date__lte=date(2017, 6, 17)).all()
    assert [d.date for d in early] == [date(2017, 6, 15), date(2017, 6, 16), date(2017, 6, 17)]
    window = await ml.documents.list(date__gte="2017-06-16", date__lt=date(2017, 6, 18)).all()
    assert [d.date for d in window] == [date(2017, 6, 16), date(2017, 6, 17)]
    paid = await ml.documents.list(paid=True, document_type="invoice").all()
    assert len(paid) == 4 and all(d.date_paid is not None for d in paid)
    found = await ml.documents.list(search="makeleaps").all()
    assert {d.title for d in found} == {"Maintenance makeleaps"}
    sent_before = await ml.documents.list(date_sent__lt=datetime(2014, 1, 1, tzinfo=UTC)).all()
    assert len(sent_before) == 7
    jst = timezone(timedelta(hours=9))
    assert (
        len(
            await ml.documents.list(date_sent__gte=datetime(2013, 11, 15, 15, 10, tzinfo=jst)).all()
        )
        == 7
    )
    assert (
        await ml.documents.list(date_sent__gte=datetime(2013, 11, 15, 15, 11, tzinfo=jst)).all()
        == []
    )
    assert {"date_sent__gte": "2013-11-15T15:11:00+09:00"} in [
        s["query"] for s in server.requests("GET", f"/api/partner/{P1}/document/")
    ]
    queries = [s["query"] for s in server.requests("GET", f"/api/partner/{P1}/document/")]
    assert {"date__lte": "2017-06-17"} in queries
    assert {"date__gte": "2017-06-16", "date__lt": "2017-06-18"} in queries
    assert {"paid": "true", "document_type": "invoice"} in queries
    # every filter survives on the next pages (they ride on the absolute next link)
    assert {"document_type": "invoice", "page": "2"} in queries


async def test_expand_replaces_a_url_with_the_object(
    server: MakeLeapsServer, ml: MakeLeaps
) -> None:
    docs = await ml.documents.list(expand=["client", "client_contact"], max_items=2).all()
    assert docs[0].client["display_name"] == "Org 0"
    assert docs[0].client_url == server.p("/client/13000000000000000/")
    assert docs[0].client_contact["mid"] == "12000000000000000"
    sent = server.requests("GET", f"/api/partner/{P1}/document/")[0]["query"]
    assert sent["expand"] == "client,client_contact"
    one = await ml.documents.get(_doc_mid(1), expand="client")
    assert one.client["mid"] == "13000000000000001"
    plain = await ml.documents.get(_doc_mid(1))
    assert plain.client == plain.client_url == server.p("/client/13000000000000001/")


async def test_records_money_timestamps_dates_and_raw(
    server: MakeLeapsServer, ml: MakeLeaps
) -> None:
    doc = await ml.documents.get(_doc_mid(0))
    assert doc.raw == server.data["document"][_doc_mid(0)]  # unknown fields included
    assert doc.raw["x_future_field"] == {"nested": [1, 2]}
    assert doc.total == Decimal("11000.50") and isinstance(doc.total, Decimal)
    assert doc.tax_rate == Decimal("10.00")
    assert doc.mixed_tax_rate_totals is not None
    ten = doc.mixed_tax_rate_totals["10"]
    assert ten.subtotal is not None and ten.subtotal.amount == Decimal("10000")
    assert doc.lineitems is not None and doc.lineitems[0].unit_cost == Decimal("1.17")
    assert doc.lineitems[0].raw["x_line_extra"] == "kept"
    assert doc.date == date(2017, 6, 15) and doc.date_due == date(2017, 7, 15)
    jst = timezone(timedelta(hours=9))
    assert doc.date_paid == datetime(2018, 3, 30, 12, 0, tzinfo=jst)
    assert doc.date_paid is not None and doc.date_paid.utcoffset() == timedelta(hours=9)
    assert doc.date_sent == datetime(2013, 11, 15, 6, 10, 21, 602000, tzinfo=UTC)
    employee = await ml.employees.get("11000000000000001")
    assert employee.start_date is not None and employee.start_date.tzinfo is not None
    history = await ml.history.list().all()
    assert history[0].action_time == datetime(2023, 1, 1, 9, tzinfo=UTC)


async def test_generic_request_and_paginate(server: MakeLeapsServer, ml: MakeLeaps) -> None:
    root = await ml.request("GET", "/api/")
    assert root["currencies"] == server.u("/api/currency/")
    one = await ml.request("GET", f"/api/partner/{P1}/document/{_doc_mid(2)}/")
    assert one == server.data["document"][_doc_mid(2)]
    templated = await ml.request("GET", "/api/partner/{partner_mid}/employee/me/")
    assert templated["mid"] == "11000000000000000"
    rows = await ml.paginate(f"/api/partner/{P1}/contact/", page_size=2, max_items=5).all()
    assert [r["mid"] for r in rows] == list(server.data["contact"])[:5]
    absolute = await ml.request("GET", server.p(f"/client/{'13000000000000002'}/"))
    assert absolute["client_external_id"] == "EXT-2"


# -- writes -------------------------------------------------------------------------------------


def _float_free(raw: bytes, keys: tuple[str, ...]) -> None:
    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                if k in keys:
                    assert isinstance(v, str), f"{k} sent as {v!r}"
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    walk(json.loads(raw))


async def test_create_from_dict_and_model_sends_money_as_strings(
    server: MakeLeapsServer, ml: MakeLeaps
) -> None:
    created = await ml.documents.create(
        {
            "document_type": "invoice",
            "document_number": "900",
            "currency": "JPY",
            "total": Decimal("5000"),
            "date": date(2024, 4, 1),
            "client": server.p("/client/13000000000000000/"),
        }
    )
    assert isinstance(created, models.Document)
    assert created.total == Decimal("5000") and created.date == date(2024, 4, 1)
    assert created.mid in server.data["document"]
    sent = json.loads(server.requests("POST", f"/api/partner/{P1}/document/")[0]["raw"])
    assert sent["total"] == "5000" and sent["date"] == "2024-04-01"

    model = models.Document(
        document_type="quote",
        document_number="901",
        currency="JPY",
        autocalculate=True,
        tax_rate=Decimal("8.00"),
        lineitems=[
            models.LineItem(
                kind="normal",
                position=0,
                description="Hours",
                unit_cost=Decimal("1.17"),
                quantity=Decimal("3"),
            )
        ],
        date_paid=datetime(2018, 3, 30, 12, 0, tzinfo=timezone(timedelta(hours=9))),
    )
    made = await ml.documents.create(model)
    assert made.lineitems is not None and made.lineitems[0].unit_cost == Decimal("1.17")
    raw = server.requests("POST", f"/api/partner/{P1}/document/")[1]["raw"]
    _float_free(raw, (*MONEY, "quantity", "tax_rate"))
    body = json.loads(raw)
    assert body["lineitems"] == [
        {
            "kind": "normal",
            "position": 0,
            "description": "Hours",
            "unit_cost": "1.17",
            "quantity": "3",
        }
    ]
    assert _parse_ts(body["date_paid"]) == datetime(2018, 3, 30, 3, 0, tzinfo=UTC)
    assert "mid" not in body and "url" not in body and "raw" not in body


async def test_update_is_a_patch_of_the_changed_fields(
    server: MakeLeapsServer, ml: MakeLeaps
) -> None:
    doc = await ml.documents.get(_doc_mid(0))
    updated = await ml.documents.update(doc, attrs.evolve(doc, date_paid=None, title="Renamed"))
    assert updated.date_paid is None and updated.title == "Renamed"
    sent = server.requests("PATCH", f"/api/partner/{P1}/document/{_doc_mid(0)}/")
    assert json.loads(sent[0]["raw"]) == {"date_paid": None, "title": "Renamed"}
    assert server.requests("PUT") == []
    await ml.documents.update(_doc_mid(1), {"date_paid": "2018-03-30T12:00:00+09:00"})
    sent = server.requests("PATCH", f"/api/partner/{P1}/document/{_doc_mid(1)}/")
    assert json.loads(sent[0]["raw"]) == {"date_paid": "2018-03-30T12:00:00+09:00"}
    assert server.data["document"][_doc_mid(1)]["total"] == "11001.50"  # untouched
    contact = await ml.contacts.update("12000000000000003", {"name": "New Name"})
    assert contact.name == "New Name" and contact.mid == "12000000000000003"
    item = await ml.catalog_items.update(
        server.p("/item/15000000000000001/"), {"unit_cost": Decimal("99.90")}
    )
    assert item.unit_cost == Decimal("99.90")
    assert json.loads(server.requests("PATCH")[-1]["raw"]) == {"unit_cost": "99.90"}


async def test_delete_answers_204_and_returns_none(server: MakeLeapsServer, ml: MakeLeaps) -> None:
    await ml.documents.delete(_doc_mid(6))  # returns None (typed so)
    assert _doc_mid(6) not in server.data["document"]
    client = await ml.clients.get("13000000000000003")
    await ml.clients.delete(client)
    await ml.contacts.delete(server.p("/contact/12000000000000005/"))
    assert "13000000000000003" not in server.data["client"]
    assert "12000000000000005" not in server.data["contact"]
    deletes = server.requests("DELETE")
    assert all(s["method"] == "DELETE" and s["raw"] == b"" for s in deletes) and len(deletes) == 3
    with pytest.raises(errors.NotFoundError) as info:
        await ml.documents.get(_doc_mid(6))
    assert info.value.message == "Not found."


# -- errors -------------------------------------------------------------------------------------


async def test_400_field_and_non_field_errors(server: MakeLeapsServer, ml: MakeLeaps) -> None:
    with pytest.raises(errors.BadRequestError) as info:
        await ml.documents.create(
            {"document_type": "invoice", "document_number": "100", "date": "20/06/2017"}
        )
    err = info.value
    assert err.status == 400
    assert err.field_errors == {
        "currency": ["This field is required."],
        "date": [MESSAGES["date"][0]],
    }
    assert err.non_field_errors == [
        "A document with type 'invoice' and number '100' already exists."
    ]
    assert "currency" in str(err) or "already exists" in str(err)
    # a field literally called "message" (sending orders have one) is a field error too
    with pytest.raises(errors.BadRequestError) as info:
        await ml.sending_orders.create({"message": "", "securesend_selected": True})
    assert info.value.field_errors == {"message": ["This field may not be blank."]}


async def test_accept_language_per_client_and_per_call(server: MakeLeapsServer) -> None:
    async with make_client(server, accept_language="ja") as ml:
        with pytest.raises(errors.BadRequestError) as info:
            await ml.documents.create({"document_type": "invoice"})
        assert info.value.field_errors == {"currency": ["このフィールドは必須です"]}
        doc = await ml.documents.get(_doc_mid(0))
        assert doc.display_name == "請求書番号100"
        partners = await ml.partners.list().all()
        assert partners[0].name == "株式会社例"
    assert all(
        s["headers"].get("Accept-Language") == "ja"
        for s in server.seen
        if s["path"].startswith("/api/")
    )
    async with make_client(server) as ml:
        doc = await ml.documents.get(_doc_mid(0))
        assert doc.display_name == "Invoice #100"
        doc = await ml.documents.get(_doc_mid(0), headers={"Accept-Language": "ja"})
        assert doc.display_name == "請求書番号100"
        docs = await ml.documents.list(max_items=1, headers={"Accept-Language": "ja"}).all()
        assert docs[0].display_name == "請求書番号100"
        with pytest.raises(errors.BadRequestError) as info:
            await ml.documents.create(
                {"document_type": "invoice"}, headers={"Accept-Language": "ja"}
            )
        assert info.value.field_errors["currency"] == ["このフィールドは必須です"]
        raw = await ml.request(
            "GET", f"/api/partner/{P1}/document/{_doc_mid(1)}/", headers={"Accept-Language": "ja"}
        )
        assert raw["display_name"].endswith("番号101")


async def test_5xx_detail_is_a_server_error(server: MakeLeapsServer, ml: MakeLeaps) -> None:
    await ml.get_partner_mid()
    server.failures = [(500, {"detail": "Internal server error, ref 77."})]
    with pytest.raises(errors.ServerError) as info:
        await ml.contacts.create({"contact_type": "person", "family_name": "Once"})
    assert info.value.status == 500 and info.value.message == "Internal server error, ref 77."
    assert len(server.requests("POST", f"/api/partner/{P1}/contact/")) == 1  # a write: not resent
    server.failures = [
        (503, {"meta": {"status_code": 503}, "response": {"detail": "Maintenance."}}),
    ]
    assert len(await ml.currencies.list().all()) == 2  # a read is retried
    server.failures = [(502, {"detail": "Bad gateway."})] * 2
    async with make_client(server, partner_mid=P1, max_retries=1) as brief:
        with pytest.raises(errors.ServerError) as info:
            await brief.currencies.list().all()
    assert info.value.message == "Bad gateway." and server.failures == []


async def test_429_retry_after_is_honoured(server: MakeLeapsServer, ml: MakeLeaps) -> None:
    await ml.get_partner_mid()
    server.throttle = ["1"]
    created = await ml.contacts.create({"contact_type": "person", "family_name": "Later"})
    assert created.family_name == "Later"
    posts = server.requests("POST", f"/api/partner/{P1}/contact/")
    assert len(posts) == 2  # a refused write is safe to resend
    assert posts[1]["at"] - posts[0]["at"] >= 0.95  # waited out Retry-After
    async with make_client(server, partner_mid=P1, max_retries=0) as strict:
        server.throttle = ["1"]
        with pytest.raises(errors.RateLimitError) as info:
            await strict.employees.list().all()
    assert info.value.retry_after == 1.0 and info.value.status == 429


# -- resources: documented paths and methods ----------------------------------------------------


async def test_every_resource_hits_its_documented_path(
    server: MakeLeapsServer, ml: MakeLeaps
) -> None:
    b = f"/api/partner/{P1}"
    expected: list[tuple[str, str]] = []

    async def check(call: Awaitable[Any], *hits: tuple[str, str]) -> Any:
        before = len(server.api_calls())
        result = await call
        got = server.api_calls()[before:]
        assert got == list(hits)
        expected.extend(hits)
        return result

    await ml.get_partner_mid()
    await check(ml.partners.list().all(), ("GET", "/api/partner/"))
    await check(ml.partners.get(P1), ("GET", f"{b}/"))
    currencies = await check(ml.currencies.list().all(), ("GET", "/api/currency/"))
    assert [c.code for c in currencies] == ["JPY", "USD"]
    await check(ml.employees.list().all(), ("GET", f"{b}/employee/"), ("GET", f"{b}/employee/"))
    await check(ml.employees.get("11000000000000002"), ("GET", f"{b}/employee/11000000000000002/"))
    me = await check(ml.employees.me(), ("GET", f"{b}/employee/me/"))
    assert me.is_owner is True
    await check(ml.documents.list(max_items=1).all(), ("GET", f"{b}/document/"))
    await check(ml.documents.get(_doc_mid(3)), ("GET", f"{b}/document/{_doc_mid(3)}/"))
    await check(ml.catalog_items.list(product_code__contains="ABC").all(), ("GET", f"{b}/item/"))
    item = await check(
        ml.catalog_items.create({"product_code": "NEW-1", "unit_cost": "10"}),
        ("POST", f"{b}/item/"),
    )
    await check(ml.catalog_items.get(item.mid), ("GET", f"{b}/item/{item.mid}/"))
    assert not hasattr(ml.catalog_items, "delete")
    await check(ml.clients.list().all(), ("GET", f"{b}/client/"), ("GET", f"{b}/client/"))
    cmid = "13000000000000000"
    contacts = await check(ml.clients.contacts(cmid).all(), ("GET", f"{b}/client/{cmid}/contact/"))
    assert [c.family_name for c in contacts] == ["", "Family4"]
    settings = await check(ml.clients.settings(cmid), ("GET", f"{b}/client/{cmid}/settings/"))
    assert settings.send_by_secure_send is True
    changed = await check(
        ml.clients.update_settings(cmid, attrs.evolve(settings, send_by_post=True)),
        ("PATCH", f"{b}/client/{cmid}/settings/"),
    )
    assert changed.send_by_post is True
    assert json.loads(server.requests("PATCH")[-1]["raw"]) == {"send_by_post": True}
    await check(
        ml.clients.update(cmid, {"client_external_id": "X"}), ("PATCH", f"{b}/client/{cmid}/")
    )
    await check(ml.contacts.list(search="Family5").all(), ("GET", f"{b}/contact/"))
    await check(ml.contacts.get("12000000000000001"), ("GET", f"{b}/contact/12000000000000001/"))
    await check(
        ml.history.list(date_start="2023-01-03T00:00:00.00Z").all(), ("GET", f"{b}/history/")
    )
    await check(ml.history.get("16000000000000000"), ("GET", f"{b}/history/16000000000000000/"))
    await check(
        ml.history.create({"event_name": "note", "object_repr": "x"}), ("POST", f"{b}/history/")
    )
    inbox = await check(ml.inbox.list().all(), ("GET", f"{b}/inbox/inbox/"))
    assert inbox[0].accepted_order is not None and inbox[0].accepted_order.signatory == "Jane"
    assert inbox[1].received_doc is not None and inbox[1].received_doc.vendor_name == "Supplier KK"
    templates = await check(
        ml.templates.list(document_type="invoice", is_archived=False).all(),
        ("GET", f"{b}/template/invoice/"),
    )
    assert [t.template_code for t in templates] == ["ja_JP_pro_1", "ja_JP_pro_2"]
    for name, methods in {
        "partners": {"list", "get"},
        "currencies": {"list"},
        "employees": {"list", "get"},
        "documents": {"list", "get", "create", "update", "delete"},
        "catalog_items": {"list", "get", "create", "update"},
        "clients": {"list", "get", "create", "update", "delete"},
        "contacts": {"list", "get", "create", "update", "delete"},
        "sending_orders": {"list", "get", "create", "update", "delete"},
        "history": {"list", "get", "create"},
        "inbox": {"list"},
        "tasks": {"get"},
        "templates": {"list"},
    }.items():
        res = getattr(ml, name)
        offered = {m for m in ("list", "get", "create", "update", "delete") if hasattr(res, m)}
        assert offered == methods, name
    assert all(path.endswith("/") for _, path in expected)


async def test_client_create_with_nested_contacts(server: MakeLeapsServer, ml: MakeLeaps) -> None:
    client = await ml.clients.create(
        {
            "client_external_id": "CLIENT-12345",
            "contacts": [
                {"contact_type": "organization", "name": "Test Co", "addresses": [], "email": None},
                {
                    "contact_type": "person",
                    "family_name": "Test",
                    "addresses": [],
                    "email": {"address": "test@example.com"},
                },
            ],
        }
    )
    assert client.client_external_id == "CLIENT-12345" and client.display_name == "Test Co"
    assert client.contacts is not None and len(client.contacts) == 2
    people = await ml.follow(client.contacts[1])
    assert isinstance(people, models.Contact)
    assert people.email is not None and people.email.address == "test@example.com"


async def test_sending_order_items_send_and_cancel(server: MakeLeapsServer, ml: MakeLeaps) -> None:
    b = f"/api/partner/{P1}"
    order = await ml.sending_orders.create(
        {
            "recipient_organization": server.p("/client/13000000000000000/"),
            "securesend_selected": True,
            "to_emails": ["myclient@example.com"],
            "subject": "Invoices for August",
            "message": "Invoices are attached.",
            "sendbypost_selected": False,
        }
    )
    omid = order.mid
    assert order.items_url == server.p(f"/sending/order/{omid}/items/")
    item = await ml.sending_orders.add_item(order, document=_doc_mid(0), position=0)
    assert item.document == server.p(f"/document/{_doc_mid(0)}/")
    posted = server.requests("POST", f"{b}/sending/order/{omid}/items/")
    assert json.loads(posted[0]["raw"]) == {"position": 0, "document": item.document}
    items = await ml.sending_orders.items(order).all()
    assert [i.url for i in items] == [item.url]
    ready = await ml.sending_orders.validate(order, timeout=1, poll_interval=0.05)
    assert ready.is_ready and not ready.validation_errors
    sent = await ml.sending_orders.send(ready)
    assert isinstance(sent, models.SendingOrder) and sent.status["securesend"] == "not_viewed"
    assert json.loads(server.requests("POST", f"{b}/sending/order/{omid}/send/")[0]["raw"]) == {}
    status = await ml.sending_orders.cancel(sent, securesend=True, sendbypost=False)
    assert status["securesend"] == "cancelled"
    assert json.loads(server.requests("POST", f"{b}/sending/order/{omid}/status/")[0]["raw"]) == {
        "securesend_cancelled": True,
        "sendbypost_cancelled": False,
    }
    await ml.sending_orders.delete_item(item)
    assert server.requests("DELETE", URL(item.url or "").path)
    renamed = await ml.sending_orders.update(omid, {"subject": "Re: August"})
    assert renamed.subject == "Re: August"
    await ml.sending_orders.delete(omid)
    assert omid not in server.data["sending/order"]


# -- background tasks ---------------------------------------------------------------------------


async def test_pickup_link_task_is_polled_to_completion(
    server: MakeLeapsServer, ml: MakeLeaps
) -> None:
    b = f"/api/partner/{P1}"
    task = await ml.pickup_links.create(_doc_mid(0))
    assert isinstance(task, models.Task)
    assert task.completion == 0 and task.result_url == server.p(f"/task/{task.mid}/results/")
    post = server.requests("POST", f"{b}/document/{_doc_mid(0)}/pickup-link/")
    assert post[0]["raw"] == b""  # "sending a POST request without a body"
    seen: list[Decimal | None] = []
    result = await ml.wait_for_task(
        task, timeout=5, poll_interval=0.01, on_progress=lambda t: seen.append(t.completion)
    )
    assert seen == [Decimal(50), Decimal(100)]
    assert isinstance(result, list) and result[0]["link"].startswith("https://example.com/")
    assert server.requests("GET", f"{b}/task/{task.mid}/results/")
    link_mid = result[0]["mid"]
    link = await ml.pickup_links.get(link_mid)
    assert link.expiration_date == datetime(2021, 4, 4, 14, 30, 38, tzinfo=UTC)
    assert [p.mid for p in await ml.pickup_links.list(document=_doc_mid(0)).all()] == [link_mid]
    await ml.pickup_links.cancel(link)
    assert server.links[link_mid]["is_cancelled"] is True
    await ml.pickup_links.uncancel(link_mid)
    assert server.links[link_mid]["is_cancelled"] is False
    again = await ml.tasks.get(task.mid)
    assert again.completion == 100 and again.finished is not None
    links = await ml.pickup_links.create_and_wait(
        await ml.documents.get(_doc_mid(1)), timeout=5, poll_interval=0.01
    )
    assert [type(x) for x in links] == [models.PickupLink] and links[0].link


async def test_wait_for_task_times_out(server: MakeLeapsServer, ml: MakeLeaps) -> None:
    server.stuck_tasks = True
    task = await ml.pickup_links.create(_doc_mid(2))
    with pytest.raises(errors.TaskTimeoutError):
        await ml.wait_for_task(task, timeout=0.2, poll_interval=0.05)
    assert len(server.requests("GET", f"/api/partner/{P1}/task/{task.mid}/")) >= 2
    assert not server.requests("GET", f"/api/partner/{P1}/task/{task.mid}/results/")


# -- HATEOAS ------------------------------------------------------------------------------------


async def test_follow_same_origin_only(server: MakeLeapsServer, ml: MakeLeaps) -> None:
    doc = await ml.documents.get(_doc_mid(1))
    client = await ml.follow(doc.client)
    assert isinstance(client, models.Client) and client.mid == "13000000000000001"
    contacts = await ml.follow(server.p("/contact/"))
    assert len(contacts) == 6 and all(isinstance(c, models.Contact) for c in contacts)

    foreign_hits: list[web.Request] = []

    async def catch_all(request: web.Request) -> web.Response:
        foreign_hits.append(request)
        return web.json_response({"meta": {"status": 200}, "response": {}})

    foreign_app = web.Application()
    foreign_app.router.add_route("*", "/{tail:.*}", catch_all)
    foreign = TestServer(foreign_app, host="127.0.0.1")
    await foreign.start_server()
    try:
        evil = str(foreign.make_url(f"/api/partner/{P1}/client/13000000000000001/"))
        with pytest.raises(errors.ConfigurationError):
            await ml.follow(evil)
        with pytest.raises(errors.ConfigurationError):
            await ml.request("GET", evil)
        with pytest.raises(errors.ConfigurationError):
            await ml.documents.get(evil)
        server.next_origin = foreign.make_url("/")
        with pytest.raises(errors.PaginationError):
            await ml.documents.list().all()
        with pytest.raises(errors.PaginationError):
            await ml.follow(server.p("/document/"))
    finally:
        await foreign.close()
    assert foreign_hits == []


# -- secrets ------------------------------------------------------------------------------------


async def test_no_secret_in_logs_errors_or_reprs(
    server: MakeLeapsServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    problems: list[BaseException] = []
    async with make_client(server, max_retries=1) as ml:
        await ml.documents.list().all()
        server.expire_tokens_now = True
        await ml.employees.me()
        server.failures = [(500, {"detail": "boom"})]
        try:
            await ml.documents.create({"currency": "JPY"})
        except errors.APIError as exc:
            problems.append(exc)
        try:
            await ml.documents.create({"document_type": "invoice"})
        except errors.APIError as exc:
            problems.append(exc)
        await ml.revoke_token()
        texts = [repr(ml), repr(ml.auth), repr(ml.documents)]
    async with make_client(server, client_secret="bad-" + CLIENT_SECRET) as bad:
        try:
            await bad.employees.me()
        except errors.APIError as exc:
            problems.append(exc)
    tokens = [t for t in server.tokens] + ["tok0001abcdef", "tok0002abcdef"]
    texts += [str(p) for p in problems] + [repr(p) for p in problems]
    texts += [r.getMessage() for r in caplog.records]
    assert len(problems) == 3 and caplog.records
    for text in texts:
        for secret in (CLIENT_SECRET, BASIC, *tokens):
            assert secret not in text


# -- where the docs leave room --------------------------------------------------------------------


async def test_currencies_fall_back_to_options_when_get_is_not_allowed(
    server: MakeLeapsServer, ml: MakeLeaps
) -> None:
    server.currency_get_allowed = False
    currencies = await ml.currencies.list().all()
    assert [(c.code, c.name) for c in currencies] == [("JPY", "Japanese Yen"), ("USD", "US Dollar")]
    assert [s["method"] for s in server.requests(path="/api/currency/")] == ["GET", "OPTIONS"]
    raw = await ml.currencies.list_raw().all()
    assert raw[0] == {"code": "JPY", "name": "Japanese Yen"}


async def test_templates_of_every_type_skip_types_the_company_lacks(
    server: MakeLeapsServer, ml: MakeLeaps
) -> None:
    templates = await ml.templates.list(is_archived=False).all()
    kinds = [t.document_type for t in templates]
    assert "timesheet" not in kinds and "acceptance" not in kinds
    assert len(templates) == 2 * 7 and kinds[:2] == ["order", "order"]
    with pytest.raises(errors.NotFoundError):
        await ml.templates.list(document_type="timesheet").all()


async def test_task_finished_as_a_flag_and_other_ways_to_name_the_document(
    server: MakeLeapsServer, ml: MakeLeaps
) -> None:
    server.task_finished_as_flag = True
    task = await ml.pickup_links.create(document_mid=_doc_mid(3))
    assert task.finished is None and task.raw["finished"] == "False"
    result = await ml.tasks.wait(task, timeout=5, poll_interval=0.01)
    assert len(result) == 1 and result[0]["mid"] in server.links
    polled = await ml.tasks.get(task.mid)
    assert polled.finished is None and polled.raw["finished"] == "True"
    doc = await ml.documents.get(_doc_mid(4))
    again = await ml.pickup_links.create({"document": doc.url})
    assert isinstance(again, models.Task)
    posts = [s["path"] for s in server.requests("POST") if s["path"].endswith("/pickup-link/")]
    assert posts == [
        f"/api/partner/{P1}/document/{_doc_mid(3)}/pickup-link/",
        f"/api/partner/{P1}/document/{_doc_mid(4)}/pickup-link/",
    ]
    with pytest.raises(errors.ConfigurationError):
        await ml.pickup_links.create()


async def test_paginate_takes_headers_per_call(server: MakeLeapsServer, ml: MakeLeaps) -> None:
    rows = await ml.paginate(
        f"/api/partner/{P1}/document/", headers={"Accept-Language": "ja"}, document_type="quote"
    ).all()
    assert [r["display_name"] for r in rows] == ["見積書番号101"]
    sent = server.requests("GET", f"/api/partner/{P1}/document/")[-1]
    assert sent["query"] == {"document_type": "quote"}
    assert sent["headers"]["Accept-Language"] == "ja"

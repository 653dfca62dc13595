"""The small, independent MakeLeaps server the contract tests run against, written from the
contract and makeleaps.txt only (never from the sandbox emulator); what it varies is
described in test_makeleaps_contract.py. Moved out of that file so the shared suite
(test_contract.py) can serve it too."""

from __future__ import annotations

import base64
import json
import operator
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer
from yarl import URL

from vendorkit import MakeLeaps

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

"""MakeLeaps' response layer: credentials, error bodies, the route table and the handlers."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from aiohttp import web

from ..._auth import NO_STORE, OAuth2, basic, bearer
from ..._emulator import read_body
from ..._pages import page_window
from ..._problem import Problem
from . import data as D
from .helpers import (
    Handler,
    Record,
    _append_slash,
    _bool_param,
    _day,
    _decimal,
    _eq,
    _eq_blank,
    _expand,
    _inbox_data,
    _inbox_issued,
    _inbox_total,
    _is_set,
    _jstype,
    _lang,
    _last,
    _mid_of,
    _money,
    _now,
    _page_url,
    _parse_date,
    _parse_datetime,
    _pdf_response,
    _places,
    _range_check,
    _read_upload,
    _ts,
    _unconverted,
)
from .messages import (
    _BASE_MESSAGES,
    _THROTTLED_RE,
    _Errors,
    _failure,
    _invalid,
    _not_found,
    _tr,
    render_fields,
)
from .rules import MakeLeapsRules
from .schemas import (
    _CANCEL_SPEC,
    _DOC_DATE_FIELDS,
    _DOC_EXACT,
    _DOC_FLAGS,
    _DOC_TS_FIELDS,
    _HISTORY_SPEC,
    _ORDER_ITEM_SPEC,
    _SETTINGS_SPEC,
    ORIGIN,
    SECURESEND_STATES,
    SENDBYPOST_STATES,
)


class MakeLeapsEmulator(MakeLeapsRules):
    """MakeLeaps as documented in ``makeleaps.txt``: the route table and the handlers."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.oauth = OAuth2(
            self.tokens, default_ttl=36000, whole_seconds=True, extra={"scope": "read write"}
        )

    def credentials(self, base_url: str) -> dict[str, Any]:
        return {
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "base_url": base_url,
        }

    def render_problem(self, request: web.Request, problem: Problem) -> web.Response:
        lang, status = _lang(request), problem.status
        if problem.fields is not None:
            body: Record = {"meta": {"status_code": 400}, "response": {}}
            body["response"] = render_fields(problem.fields, lang)
            return self._send(request, body, 400)
        if problem.key is not None:
            message = _tr(lang, problem.key, problem.kw)
        elif status == 405:
            message = _tr(lang, "method", {"method": request.method})
        elif (m := _THROTTLED_RE.search(problem.message)) is not None:
            message = _tr(lang, "throttled", {"wait": m.group(1)})
        elif problem.message in _BASE_MESSAGES:
            message = _tr(lang, _BASE_MESSAGES[problem.message])
        else:
            message = problem.message
        if status == 401:  # not enveloped, as the docs show
            body = {"status_code": 401, "detail": message}
        else:
            body = {"meta": {"status_code": status}, "response": {"detail": message}}
        if problem.key is not None and status != 401:  # a view's answer: URLs rewritten
            return self._send(request, body, status)
        return web.Response(
            body=json.dumps(body, ensure_ascii=False).encode(),
            status=status,
            content_type="application/json",
            headers=problem.headers,
        )

    def add_routes(self, app: web.Application) -> None:
        app.middlewares.append(_append_slash)
        r = app.router
        for path, table in ROUTES:
            for method, name in table.items():
                kind, _, collection = name.partition(":")
                handler = self._detail(collection) if kind == "detail" else getattr(self, name)
                if method == "GET":
                    r.add_get(path, handler)
                else:
                    r.add_route(method, path, handler)
        # Every endpoint of the docs lists OPTIONS: DRF's metadata, with an Allow header.
        for resource in list(r.resources()):
            path = resource.canonical
            methods = {route.method for route in resource}
            if (
                isinstance(resource, web.Resource)
                and path.startswith("/api/")
                and "OPTIONS" not in methods
            ):
                allowed = sorted(methods - {"HEAD"} | {"OPTIONS"})
                resource.add_route("OPTIONS", self._options_handler(path, allowed))

    def authenticate(self, request: web.Request) -> None:
        """Bearer auth and the partner check for every API route (token endpoints, unknown
        paths and wrong methods are answered without them, as before any view runs)."""
        if request.match_info.http_exception is not None or not request.path.startswith("/api/"):
            return
        token = bearer(request.headers.get("Authorization", ""))
        if token is None or self.tokens.lookup(token) is None:
            key = "no_credentials" if token is None else "bad_token"
            raise Problem(401, key=key, headers={"WWW-Authenticate": 'Bearer realm="api"'})
        pmid = request.match_info.get("pmid")
        if pmid is not None and pmid != self.partner_mid:
            _not_found()

    def _options_handler(self, path: str, allowed: list[str]) -> Handler:
        """``OPTIONS``: the view's name and what it renders, parses and allows (DRF's
        ``SimpleMetadata``, in the envelope), and an ``Allow`` header."""
        parts = [seg for seg in path.strip("/").split("/") if seg]
        words = [seg for seg in parts if not seg.startswith("{")]
        noun = words[-1].replace("-", " ").title()
        kind = "Instance" if parts[-1].startswith("{") else "List"
        meta = {
            "name": f"{noun} {kind}" if len(words) > 1 else "Api Root",
            "description": "",
            "renders": ["application/json"],
            "parses": ["application/json"],
            "allowed_methods": allowed,
        }

        async def handler(request: web.Request) -> web.StreamResponse:
            response = self._ok(request, meta)
            response.headers["Allow"] = ", ".join(allowed)
            return response

        return handler

    @staticmethod
    def _send(request: web.Request, payload: Any, status: int = 200) -> web.Response:
        return _rewritten(request, json.dumps(payload, ensure_ascii=False), status)

    def _ok(self, request: web.Request, obj: Any, status: int = 200) -> web.Response:
        return self._send(
            request, {"meta": {"status": status, "status_code": status}, "response": obj}, status
        )

    def _page(
        self,
        request: web.Request,
        ids: Sequence[str],
        items: Mapping[str, Record],
        render: Callable[[Record], Any] | None = None,
    ) -> web.Response:
        """One page of ``ids`` in the list envelope.

        Without ``render`` the records go out as stored, and each one's JSON text is cached
        (until the next write), so a page costs a join rather than an encoding.
        """
        raw = request.query.get("page", "1")
        total, size = len(ids), self.page_size
        pages = max(1, math.ceil(total / size))
        try:
            page = pages if raw == "last" else int(raw)
        except ValueError:
            raise _failure(404, "invalid_page") from None
        if page < 1 or page > pages:
            raise _failure(404, "invalid_page")
        window = page_window(page, size, total)
        chunk = ids[window.start : window.end]
        if render is None:
            cache = self._json_cache
            parts = []
            for mid in chunk:
                record = items[mid]
                hit = cache.get(mid)
                if hit is None or hit[0] is not record:
                    hit = cache[mid] = (record, json.dumps(record, ensure_ascii=False))
                parts.append(hit[1])
            listing = "[" + ", ".join(parts) + "]"
        else:
            listing = json.dumps([render(items[m]) for m in chunk], ensure_ascii=False)
        meta = {
            "status": 200,
            "status_code": 200,
            "next": None if window.next is None else _page_url(request, window.next),
            "prev": None if window.prev is None else _page_url(request, window.prev),
            "page": page,
            "count": total,
        }
        return _rewritten(
            request, '{"meta": ' + json.dumps(meta) + ', "response": ' + listing + "}"
        )

    def count_write(self, request: web.Request) -> None:
        """Count the write and forget cached JSON (records may have changed in place)."""
        super().count_write(request)
        self.invalidate()

    def invalidate(self) -> None:
        """Forget cached JSON and filter results: call after editing ``store`` in place."""
        self._json_cache.clear()
        self.views.clear()

    def _detail(self, collection: str) -> Handler:
        """``GET .../{mid}/``: the record as stored (``"detail:<collection>"`` in ``ROUTES``)."""

        async def handler(request: web.Request) -> web.StreamResponse:
            return self._ok(request, self._get(collection, request.match_info["mid"]))

        return handler

    def _get(self, collection: str, mid: str) -> Record:
        record = self._cols[collection].items.get(mid)
        if record is None:
            _not_found()
        return record

    async def _body(self, request: web.Request) -> Record:
        data: Record = await read_body(
            request,
            empty={},
            media_types=("application/json", "text/json"),
            media_type=lambda req: _failure(
                415, "media_type", type=req.headers.get("Content-Type", "")
            ),
            malformed=lambda detail: _failure(400, "json", detail=detail),
            not_object=lambda value: Problem(
                400, fields={"non_field_errors": [("", "not_object", {"type": _jstype(value)})]}
            ),
        )
        return data

    def _basic_ok(self, request: web.Request) -> bool:
        return basic(request.headers.get("Authorization", "")) == (
            self.client_id,
            self.client_secret,
        )

    @staticmethod
    def _oauth_error(error: str, status: int) -> web.Response:
        return web.Response(
            body=json.dumps({"error": error}).encode(),
            status=status,
            content_type="application/json",
            headers=NO_STORE,
        )

    async def _token(self, request: web.Request) -> web.StreamResponse:
        self.counters.token_requests["client_credentials"] += 1
        form = await request.post()
        if not self._basic_ok(request):
            return self._oauth_error("invalid_client", 401)
        if form.get("grant_type") != "client_credentials":
            return self._oauth_error("unsupported_grant_type", 400)
        body = self.oauth.grant("client_credentials", {"client_id": self.client_id})
        return web.Response(
            body=json.dumps(body).encode(), content_type="application/json", headers=NO_STORE
        )

    async def _revoke(self, request: web.Request) -> web.StreamResponse:
        form = await request.post()
        if not self._basic_ok(request):
            return self._oauth_error("invalid_client", 401)
        token = form.get("token")
        if not isinstance(token, str) or not token:
            return self._oauth_error("invalid_request", 400)
        self.tokens.revoke(token)
        return web.Response(status=200)  # RFC 7009: 200 whether or not the token existed

    async def _root(self, request: web.Request) -> web.StreamResponse:
        partner = self._cols["partners"].items[self.partner_mid]
        name = D.PARTNER_NAME_JA if _lang(request) == "ja" else partner["name"]
        return self._ok(
            request,
            {
                "partners": [{"url": partner["url"], "name": name}],
                "currencies": f"{ORIGIN}/api/currency/",
            },
        )

    async def _currencies(self, request: web.Request) -> web.StreamResponse:
        col = self._cols["currencies"].items
        ja = _lang(request) == "ja"

        def render(c: Record) -> Any:
            return {**c, "name": D.CURRENCIES[c["code"]][1]}

        return self._page(request, self._cols["currencies"].ordered(), col, render if ja else None)

    def _render_partner(self, request: web.Request) -> Record:
        partner = self._cols["partners"].items[self.partner_mid]
        if _lang(request) == "ja":
            return {**partner, "name": D.PARTNER_NAME_JA}
        return partner

    async def _partners(self, request: web.Request) -> web.StreamResponse:
        partner = self._render_partner(request)
        return self._page(request, [self.partner_mid], {self.partner_mid: partner})

    async def _partner(self, request: web.Request) -> web.StreamResponse:
        return self._ok(request, self._render_partner(request))

    async def _tags(self, request: web.Request) -> web.StreamResponse:
        col = self._cols["tags"]
        return self._page(request, col.ordered(), col.items)

    async def _employees(self, request: web.Request) -> web.StreamResponse:
        col = self._cols["employees"]
        ids = col.ordered()
        search = request.query.get("search")
        if search:
            needle = search.lower()
            ids = [
                m
                for m in ids
                if needle in f"{col.items[m]['name']} {col.items[m]['email']}".lower()
            ]
        return self._page(request, ids, col.items)

    async def _employee(self, request: web.Request) -> web.StreamResponse:
        mid = request.match_info["mid"]
        return self._ok(request, self._get("employees", self._me if mid == "me" else mid))

    async def _templates(self, request: web.Request) -> web.StreamResponse:
        doc_type = request.match_info["document_type"]
        if doc_type not in D.DOCUMENT_TYPES:
            _not_found()
        col = self._cols["templates"]
        q = request.query
        archived_filter: bool | None = None
        if "is_archived" in q:
            archived_filter = _bool_param(q["is_archived"])
            if archived_filter is None:
                _invalid("is_archived", "filter_choice", value=q["is_archived"])
        hide = _bool_param(q.get("hide_archived", "")) is True
        ids = []
        for key in col.ordered():
            if not key.startswith(doc_type + ":"):
                continue
            archived = key in self._archived_templates
            if (hide and archived) or (archived_filter is not None and archived != archived_filter):
                continue
            ids.append(key)
        ja = _lang(request) == "ja"
        names_ja = {t[0]: t[2] for t in D.TEMPLATES}

        def render(t: Record) -> Any:
            return {**t, "display_name": names_ja.get(t["template_code"], t["display_name"])}

        return self._page(request, ids, col.items, render if ja else None)

    def _doc_renderer(
        self, request: web.Request, expand: frozenset[str]
    ) -> Callable[[Record], Record] | None:
        """How documents go out for this request; ``None`` when exactly as stored."""
        ja = _lang(request) == "ja"
        if not ja and not expand & {"client", "client_contact"}:
            return None
        clients = self._cols["clients"].items
        contacts = self._cols["contacts"].items

        def render(doc: Record) -> Record:
            out = dict(doc)
            if ja:
                out["display_name"] = self._display_ja(doc["document_type"], doc["document_number"])
            if "client" in expand and doc.get("client"):
                out["client"] = clients.get(_last(doc["client"]), doc["client"])
            if "client_contact" in expand and doc.get("client_contact"):
                contact = doc["client_contact"]
                out["client_contact"] = contacts.get(_last(contact), contact)
            return out

        return render

    def _render_doc(self, request: web.Request, doc: Record) -> Record:
        render = self._doc_renderer(request, _expand(request))
        return render(doc) if render else doc

    async def _documents(self, request: web.Request) -> web.StreamResponse:
        col = self._cols["documents"]
        ids = col.ordered()
        key = "&".join(sorted(f"{k}={v}" for k, v in request.query.items() if k != "page"))
        if key:
            pred = self._document_filter(request)  # validates the query even when cached
            if pred is not None:
                items = col.items
                ids = self.views.get(
                    items, ("documents", key), lambda: [m for m in ids if pred(items[m])]
                )
        return self._page(request, ids, col.items, self._doc_renderer(request, _expand(request)))

    def _document_filter(self, request: web.Request) -> Callable[[Record], bool] | None:
        q = request.query
        checks: list[Callable[[Record], bool]] = []
        errs = _Errors()
        for name in _DOC_EXACT:
            if name in q:
                value = q[name]
                if name == "document_type" and value not in D.DOCUMENT_TYPES:
                    errs.add(name, "filter_choice", value=value)
                checks.append(_eq(name, value))
        for name, segment in (("client", "client"), ("client_contact", "contact")):
            if name in q:
                url = self._url(segment, _mid_of(q[name]))
                checks.append(_eq(name, url))
        if "tags" in q:
            wanted = {t.strip() for t in q["tags"].split(",") if t.strip()}
            checks.append(lambda d: bool(wanted.intersection(d.get("tags") or ())))
        for flag, field in _DOC_FLAGS.items():
            if flag in q:
                b = _bool_param(q[flag])
                if b is None:
                    errs.add(flag, "filter_choice", value=q[flag])
                checks.append(_is_set(field, b))
        if "viewed" in q:
            vb = _bool_param(q["viewed"])
            if vb is None:
                errs.add("viewed", "filter_choice", value=q["viewed"])
            checks.append(lambda d: (d["mid"] in self._viewed) == vb)
        for key, value in q.items():
            field, _, op = key.partition("__")
            if field not in _DOC_DATE_FIELDS and field not in _DOC_TS_FIELDS:
                continue
            if op not in ("", "lt", "lte", "gt", "gte"):
                continue
            if field in _DOC_DATE_FIELDS:
                parsed = _parse_date(value)
                bound = parsed.isoformat() if parsed else None
                if bound is None:
                    errs.add(key, "filter_date")
                    continue
            else:
                dt = _parse_datetime(value)
                if dt is None:
                    errs.add(key, "filter_datetime")
                    continue
                bound = _ts(dt)
            checks.append(_range_check(field, op, bound))
        search = q.get("search")
        if search:
            needle = search.lower()
            clients = self._cols["clients"].items

            def searched(d: Record) -> bool:
                client = clients.get(_last(d.get("client") or ""), {})
                text = " ".join(
                    str(d.get(k) or "")
                    for k in (
                        "document_number",
                        "title",
                        "project_name",
                        "note",
                        "display_name",
                        "recipient_name",
                        "external_id",
                    )
                )
                return needle in f"{text} {client.get('display_name', '')}".lower()

            checks.append(searched)
        errs.check()
        if not checks:
            return None
        if len(checks) == 1:
            return checks[0]
        return lambda d: all(c(d) for c in checks)

    async def _document(self, request: web.Request) -> web.StreamResponse:
        doc = self._get("documents", request.match_info["mid"])
        return self._ok(request, self._render_doc(request, doc))

    async def _document_create(self, request: web.Request) -> web.StreamResponse:
        data = await self._body(request)
        cleaned = self._validate_document(data, None, partial=False)
        mid = self._new_mid()
        client = self._cols["clients"].items[_last(cleaned["client"])]
        templates = [t[0] for t in D.TEMPLATES if not t[4]]
        lang = client.get("lang_code") or "ja"
        default_template = next((c for c in templates if c.startswith(lang)), templates[0])
        contact = self._contact_by_url(cleaned.get("client_contact", client["default_contact"]))
        doc = self._doc_record(mid, cleaned["document_type"], client, contact)
        doc["document_template"] = default_template
        doc.update(cleaned)
        self._apply_doc_derived(doc)
        self._cols["documents"].add(mid, doc)
        self._doc_numbers[(doc["document_type"], doc["document_number"])] = mid
        self._add_history("document_created", 1, doc["display_name"], self._meta_doc(doc))
        self.count_write(request)
        return self._ok(request, self._render_doc(request, doc), 201)

    async def _document_update(self, request: web.Request) -> web.StreamResponse:
        mid = request.match_info["mid"]
        doc = self._get("documents", mid)
        data = await self._body(request)
        cleaned = self._validate_document(data, doc, partial=request.method == "PATCH")
        old_key = (doc["document_type"], doc["document_number"])
        if cleaned.get("client") and "client_contact" not in cleaned:
            new_client = self._cols["clients"].items[_last(cleaned["client"])]
            if doc["client_contact"] not in new_client["contacts"]:
                cleaned["client_contact"] = new_client["default_contact"]
        doc.update(cleaned)
        self._apply_doc_derived(doc)
        new_key = (doc["document_type"], doc["document_number"])
        if new_key != old_key:
            self._doc_numbers.pop(old_key, None)
            self._doc_numbers[new_key] = mid
        self._add_history("document_updated", 2, doc["display_name"], self._meta_doc(doc))
        self.count_write(request)
        return self._ok(request, self._render_doc(request, doc))

    async def _document_delete(self, request: web.Request) -> web.StreamResponse:
        mid = request.match_info["mid"]
        doc = self._get("documents", mid)
        self._cols["documents"].remove(mid)
        self._doc_numbers.pop((doc["document_type"], doc["document_number"]), None)
        self._viewed.discard(mid)
        self._add_history("document_deleted", 3, doc["display_name"], self._meta_doc(doc))
        self.count_write(request)
        return web.Response(status=204)

    async def _document_pdf(self, request: web.Request) -> web.StreamResponse:
        doc = self._get("documents", request.match_info["mid"])
        return _pdf_response(
            doc["display_name"], f"{doc['document_type']}_{doc['document_number']}.pdf"
        )

    async def _document_upload(self, request: web.Request) -> web.StreamResponse:
        doc = self._get("documents", request.match_info["mid"])
        await _read_upload(request)
        doc["use_external_pdf"] = True
        self.count_write(request)
        return self._ok(request, self._render_doc(request, doc))

    async def _pickup_links(self, request: web.Request) -> web.StreamResponse:
        mid = request.match_info["mid"]
        self._get("documents", mid)
        links = self._cols["pickup_links"].items
        ids = [m for m in self._doc_links.get(mid, []) if m in links]
        return self._page(request, ids, links)

    async def _pickup_link_create(self, request: web.Request) -> web.StreamResponse:
        doc_mid = request.match_info["mid"]
        self._get("documents", doc_mid)
        await request.read()
        tmid = self._new_mid()
        pmid = self._new_mid()
        url = self._url("task", tmid)
        task: Record = {
            "mid": tmid,
            "uilongtask": {
                "url": f"{ORIGIN}/api/taskprogress/{pmid}/",
                "mid": pmid,
                "current_progress": 0,
                "max_progress": 100,
                "time_done": None,
                "finished": False,
                "errors": [],
            },
            "employee": self._url("employee", self._me),
            "url": url,
            "result_url": f"{url}results/",
            "completion": 0,
            "failed_chunks": [],
            "finished": None,
        }
        self._cols["tasks"].add(tmid, task)
        self._tasks[tmid] = {"polls": 0, "document": doc_mid, "results": [], "done": False}
        self._progress[pmid] = tmid
        if self.task_polls <= 0:
            self._finish_task(tmid)
        self.count_write(request)
        return self._ok(request, task, 202)

    async def _task(self, request: web.Request) -> web.StreamResponse:
        mid = request.match_info["mid"]
        task = self._get("tasks", mid)
        self._advance_task(mid)
        return self._ok(request, task)

    async def _task_progress(self, request: web.Request) -> web.StreamResponse:
        tmid = self._progress.get(request.match_info["mid"])
        if tmid is None:
            _not_found()
        self._advance_task(tmid)
        return self._ok(request, self._cols["tasks"].items[tmid]["uilongtask"])

    async def _task_results(self, request: web.Request) -> web.StreamResponse:
        mid = request.match_info["mid"]
        self._get("tasks", mid)
        state = self._tasks[mid]
        if not state["done"]:
            _invalid("non_field_errors", "task_unfinished")
        links = self._cols["pickup_links"].items
        ids = [m for m in state["results"] if m in links]
        return self._page(request, ids, links)

    async def _pickup_link_cancel(self, request: web.Request) -> web.StreamResponse:
        link = self._get("pickup_links", request.match_info["mid"])
        link["is_cancelled"] = True
        self.count_write(request)
        return self._ok(request, link)

    async def _pickup_link_uncancel(self, request: web.Request) -> web.StreamResponse:
        link = self._get("pickup_links", request.match_info["mid"])
        link["is_cancelled"] = False
        now = _now()
        expires = datetime.fromisoformat(link["expiration_date"]).replace(tzinfo=UTC)
        if expires <= now:
            link["expiration_date"] = (now + timedelta(days=60)).strftime("%Y-%m-%dT%H:%M:%S")
        self.count_write(request)
        return self._ok(request, link)

    async def _items(self, request: web.Request) -> web.StreamResponse:
        col = self._cols["catalog_items"]
        ids = col.ordered()
        q = request.query
        if "product_code" in q:
            code = q["product_code"]
            ids = [m for m in ids if col.items[m]["product_code"] == code]
        if "product_code__contains" in q:
            part = q["product_code__contains"]
            ids = [m for m in ids if part in (col.items[m]["product_code"] or "")]
        return self._page(request, ids, col.items)

    async def _item_create(self, request: web.Request) -> web.StreamResponse:
        cleaned = self._validate_item(await self._body(request), None, partial=False)
        mid = self._new_mid()
        item = self._item_record(mid)
        item.update(cleaned)
        if item["price"] is None and item["kind"] == "normal":
            cost = _decimal(item["unit_cost"]) or Decimal(0)
            qty = _decimal(item["quantity"]) or Decimal(0)
            item["price"] = _money(cost * qty, _places(item["currency"]))
        self._cols["catalog_items"].add(mid, item)
        self.count_write(request)
        return self._ok(request, item, 201)

    async def _item_update(self, request: web.Request) -> web.StreamResponse:
        item = self._get("catalog_items", request.match_info["mid"])
        cleaned = self._validate_item(
            await self._body(request), item, partial=request.method == "PATCH"
        )
        item.update(cleaned)
        self.count_write(request)
        return self._ok(request, item)

    async def _clients(self, request: web.Request) -> web.StreamResponse:
        col = self._cols["clients"]
        ids = col.ordered()
        q = request.query
        checks: list[Callable[[Record], bool]] = []
        if "archived" in q:
            b = _bool_param(q["archived"])
            if b is None:
                _invalid("archived", "filter_choice", value=q["archived"])
            checks.append(lambda c: (c["date_archived"] is not None) == b)
        if "client_external_id" in q:
            ext = q["client_external_id"]
            checks.append(lambda c: c["client_external_id"] == ext)
        if q.get("search"):
            needle = q["search"].lower()
            contacts = self._cols["contacts"].items

            def searched(c: Record) -> bool:
                parts = [c["display_name"], c["client_external_id"]]
                for url in c["contacts"]:
                    ct = contacts.get(_last(url))
                    if ct:
                        parts += [ct["display_name"], (ct.get("email") or {}).get("address", "")]
                return needle in " ".join(parts).lower()

            checks.append(searched)
        if checks:
            ids = [m for m in ids if all(chk(col.items[m]) for chk in checks)]
        return self._page(request, ids, col.items)

    async def _client_create(self, request: web.Request) -> web.StreamResponse:
        cleaned = self._validate_client(await self._body(request), None, partial=False)
        mid = self._new_mid()
        client: Record = {
            "url": self._url("client", mid),
            "mid": mid,
            "display_name": "",
            "organization_type": "",
            "is_organization": False,
            "date_archived": None,
            "client_external_id": cleaned.get("client_external_id", ""),
            "contacts": [],
            "default_contact": None,
            "managing_teams": [],
            "default_presets": [],
            "integrations": {},
            "lang_code": cleaned.get("lang_code") or "ja",
            "settings": f"{self._url('client', mid)}settings/",
            "date_cutoff": cleaned.get("date_cutoff"),
        }
        self._apply_client_contacts(client, cleaned["contacts"], cleaned.get("default_contact"))
        self._cols["clients"].add(mid, client)
        self._cols["client_settings"].add(mid, self._default_settings(mid, client["lang_code"]))
        self._add_history("client_created", 1, client["display_name"], self._meta_client(client))
        self.count_write(request)
        return self._ok(request, client, 201)

    async def _client_update(self, request: web.Request) -> web.StreamResponse:
        client = self._get("clients", request.match_info["mid"])
        cleaned = self._validate_client(
            await self._body(request), client, partial=request.method == "PATCH"
        )
        for key in ("client_external_id", "lang_code", "date_cutoff"):
            if key in cleaned:
                client[key] = cleaned[key]
        if "contacts" in cleaned:
            self._apply_client_contacts(client, cleaned["contacts"], cleaned.get("default_contact"))
        elif "default_contact" in cleaned:
            client["default_contact"] = cleaned["default_contact"]
            self._refresh_client(client)
        self._add_history("client_updated", 2, client["display_name"], self._meta_client(client))
        self.count_write(request)
        return self._ok(request, client)

    async def _client_delete(self, request: web.Request) -> web.StreamResponse:
        mid = request.match_info["mid"]
        client = self._get("clients", mid)
        url = client["url"]
        if any(d.get("client") == url for d in self._cols["documents"].items.values()):
            _invalid("non_field_errors", "client_in_use")
        for contact_url in client["contacts"]:
            self._cols["contacts"].remove(_last(contact_url))
        self._cols["clients"].remove(mid)
        self._cols["client_settings"].remove(mid)
        self._add_history("client_deleted", 3, client["display_name"], self._meta_client(client))
        self.count_write(request)
        return web.Response(status=204)

    async def _client_contacts(self, request: web.Request) -> web.StreamResponse:
        client = self._get("clients", request.match_info["mid"])
        contacts = self._cols["contacts"].items
        ids = [m for m in (_last(u) for u in client["contacts"]) if m in contacts]
        return self._page(request, ids, contacts)

    async def _settings(self, request: web.Request) -> web.StreamResponse:
        mid = request.match_info["mid"]
        self._get("clients", mid)
        return self._ok(request, self._get("client_settings", mid))

    async def _settings_update(self, request: web.Request) -> web.StreamResponse:
        mid = request.match_info["mid"]
        client = self._get("clients", mid)
        settings = self._get("client_settings", mid)
        data = await self._body(request)
        errs = _Errors()
        cleaned = self._clean(data, _SETTINGS_SPEC, errs)
        use_doc = cleaned.get("use_document_contact", settings["use_document_contact"])
        if use_doc and cleaned.get("secure_send_contacts"):
            errs.add("secure_send_contacts", "use_document_contact")
        for url in cleaned.get("secure_send_contacts") or []:
            if url not in client["contacts"]:
                errs.add("secure_send_contacts", "not_client_contact", mid=_last(url))
        errs.check()
        settings.update(cleaned)
        if use_doc:
            settings["secure_send_contacts"] = []
        self.count_write(request)
        return self._ok(request, settings)

    async def _contacts(self, request: web.Request) -> web.StreamResponse:
        col = self._cols["contacts"]
        ids = col.ordered()
        q = request.query
        checks: list[Callable[[Record], bool]] = []
        for name in ("contact_type", "owner_type", "format"):
            if name in q:
                checks.append(_eq_blank(name, q[name]))
        if q.get("search"):
            needle = q["search"].lower()
            checks.append(
                lambda c: (
                    needle
                    in " ".join(
                        str(x or "")
                        for x in (
                            c["display_name"],
                            c["name"],
                            c["department"],
                            c["phone_number"],
                            (c.get("email") or {}).get("address"),
                        )
                    ).lower()
                )
            )
        if checks:
            ids = [m for m in ids if all(chk(col.items[m]) for chk in checks)]
        return self._page(request, ids, col.items)

    async def _contact_create(self, request: web.Request) -> web.StreamResponse:
        data = await self._body(request)
        errs = _Errors()
        cleaned = self._validate_contact_data(data, None, errs)
        errs.check()
        contact = self._make_contact(cleaned, None, False)
        self.count_write(request)
        return self._ok(request, contact, 201)

    async def _contact_update(self, request: web.Request) -> web.StreamResponse:
        contact = self._get("contacts", request.match_info["mid"])
        data = await self._body(request)
        errs = _Errors()
        cleaned = self._validate_contact_data(
            data, contact, errs, partial=request.method == "PATCH"
        )
        errs.check()
        contact.update(cleaned)
        self._refresh_contact(contact)
        owner = self._cols["clients"].items.get(_last(contact["owner"] or ""))
        if owner is not None:
            self._refresh_client(owner)
        self.count_write(request)
        return self._ok(request, contact)

    async def _contact_delete(self, request: web.Request) -> web.StreamResponse:
        mid = request.match_info["mid"]
        contact = self._get("contacts", mid)
        url = contact["url"]
        in_docs = any(
            d.get("client_contact") == url for d in self._cols["documents"].items.values()
        )
        if contact["owner"] or in_docs:
            _invalid("non_field_errors", "contact_referenced")
        self._cols["contacts"].remove(mid)
        self.count_write(request)
        return web.Response(status=204)

    def _render_order(
        self, request: web.Request, expand: frozenset[str] = frozenset()
    ) -> Callable[[Record], Record]:
        lang = _lang(request)
        items = self._cols["sending_order_items"].items
        clients = self._cols["clients"].items

        def render(order: Record) -> Record:
            mid = order["mid"]
            state = self._order_state[mid]
            out = dict(order)
            out.pop("mid", None)
            out["items"] = sorted(
                (items[i] for i in self._order_items.get(mid, []) if i in items),
                key=lambda it: it["position"],
            )
            out["status"] = dict(self._order_status_now(mid, order))
            if state["sent"]:
                out["ready_to_order"] = False
                out["validation_errors"] = []
            elif state["validating"] > 0:
                out["ready_to_order"] = False
                out["validation_errors"] = []
            else:
                problems = self._order_problems(mid, order)
                out["ready_to_order"] = not problems
                out["validation_errors"] = [_tr(lang, k, kw) for k, kw in problems]
            if "recipient_organization" in expand and order["recipient_organization"]:
                ro = order["recipient_organization"]
                out["recipient_organization"] = clients.get(_last(ro), ro)
            return out

        return render

    async def _orders(self, request: web.Request) -> web.StreamResponse:
        col = self._cols["sending_orders"]
        ids = col.ordered()
        q = request.query
        checks: list[Callable[[Record], bool]] = []
        for name, states in (
            ("securesend_status", SECURESEND_STATES),
            ("sendbypost_status", SENDBYPOST_STATES),
        ):
            if name in q:
                value = q[name]
                if value not in states:
                    _invalid(name, "filter_choice", value=value)
                key = name.split("_")[0]
                checks.append(self._status_is(key, value))
        for name in ("securesend_selected", "sendbypost_selected"):
            if name in q:
                b = _bool_param(q[name])
                if b is None:
                    _invalid(name, "filter_choice", value=q[name])
                checks.append(_eq(name, b))
        for name, segment in (("recipient_organization", "client"), ("employee", "employee")):
            if name in q:
                url = self._url(segment, _mid_of(q[name]))
                checks.append(_eq(name, url))
        if checks:
            ids = [m for m in ids if all(chk(col.items[m]) for chk in checks)]
        return self._page(request, ids, col.items, self._render_order(request, _expand(request)))

    def _status_is(self, key: str, value: str) -> Callable[[Record], bool]:
        return lambda o: self._order_status_now(o["mid"], o)[key] == value

    def _get_order(self, request: web.Request) -> tuple[str, Record]:
        mid = request.match_info["mid"]
        return mid, self._get("sending_orders", mid)

    async def _order(self, request: web.Request) -> web.StreamResponse:
        mid, order = self._get_order(request)
        body = self._render_order(request, _expand(request))(order)
        state = self._order_state[mid]
        if state["validating"] > 0:
            state["validating"] -= 1  # the "background" validation makes progress per look
        return self._ok(request, body)

    async def _order_create(self, request: web.Request) -> web.StreamResponse:
        cleaned = self._validate_order(await self._body(request), partial=False)
        order = self._new_order(cleaned, employee=self._me)
        self.count_write(request)
        return self._ok(request, self._render_order(request)(order), 201)

    async def _order_update(self, request: web.Request) -> web.StreamResponse:
        mid, order = self._get_order(request)
        data = await self._body(request)
        self._ensure_draft(mid)
        order.update(self._validate_order(data, partial=request.method == "PATCH"))
        self._touch_order(mid)
        self.count_write(request)
        return self._ok(request, self._render_order(request)(order))

    async def _order_delete(self, request: web.Request) -> web.StreamResponse:
        mid, _order = self._get_order(request)
        self._ensure_draft(mid)
        for item_mid in self._order_items.pop(mid, []):
            self._cols["sending_order_items"].remove(item_mid)
            self._item_files.pop(item_mid, None)
        self._cols["sending_orders"].remove(mid)
        self._order_state.pop(mid, None)
        self.count_write(request)
        return web.Response(status=204)

    async def _order_send(self, request: web.Request) -> web.StreamResponse:
        mid, order = self._get_order(request)
        await self._body(request)
        state = self._order_state[mid]
        self._ensure_draft(mid)
        if state["validating"] > 0:
            _invalid("non_field_errors", "order_validating")
        problems = self._order_problems(mid, order)
        if problems:
            errs = _Errors()
            for key, kw in problems:
                errs.add("non_field_errors", key, **kw)
            errs.check()
        state["sent"] = True
        state["sent_at"] = time.time()
        status = order["status"]
        status["securesend"] = "not_viewed" if order["securesend_selected"] else "not_selected"
        status["sendbypost"] = "can_cancel" if order["sendbypost_selected"] else "not_selected"
        now = _ts(_now())
        docs = self._cols["documents"].items
        for item_mid in self._order_items[mid]:
            item = self._cols["sending_order_items"].items[item_mid]
            doc = docs.get(_last(item["document"] or ""))
            if doc is not None:
                if doc["date_sent"] is None:
                    doc["date_sent"] = now
                self._add_history("document_sent", 2, doc["display_name"], self._meta_doc(doc))
        self.count_write(request)
        return self._ok(request, self._render_order(request)(order))

    async def _order_status(self, request: web.Request) -> web.StreamResponse:
        mid, order = self._get_order(request)
        return self._ok(request, self._order_status_now(mid, order))

    async def _order_cancel(self, request: web.Request) -> web.StreamResponse:
        mid, order = self._get_order(request)
        data = await self._body(request)
        errs = _Errors()
        cleaned = self._clean(data, _CANCEL_SPEC, errs)
        errs.check()
        if not self._order_state[mid]["sent"]:
            _invalid("non_field_errors", "order_not_sent")
        status = self._order_status_now(mid, order)
        if cleaned.get("securesend_cancelled") and not status["securesend_cancelled"]:
            if status["securesend"] != "not_viewed":
                errs.add("securesend_cancelled", "cannot_cancel_securesend")
        if cleaned.get("sendbypost_cancelled") and not status["sendbypost_cancelled"]:
            if status["sendbypost"] != "can_cancel":
                errs.add("sendbypost_cancelled", "cannot_cancel_sendbypost")
        errs.check()
        if cleaned.get("securesend_cancelled") and not status["securesend_cancelled"]:
            status["securesend"] = "cancelled"
            status["securesend_cancelled"] = True
        if cleaned.get("sendbypost_cancelled") and not status["sendbypost_cancelled"]:
            status["sendbypost"] = "cancelled"
            status["sendbypost_cancelled"] = True
        self.count_write(request)
        return self._ok(request, status)

    async def _order_pdf(self, request: web.Request) -> web.StreamResponse:
        mid, order = self._get_order(request)
        return _pdf_response(order["subject"] or f"Sending order {mid}", f"sending_order_{mid}.pdf")

    async def _order_items_list(self, request: web.Request) -> web.StreamResponse:
        mid, _order = self._get_order(request)
        items = self._cols["sending_order_items"].items
        ids = sorted(
            (i for i in self._order_items.get(mid, []) if i in items),
            key=lambda i: items[i]["position"],
        )
        return self._page(request, ids, items)

    async def _order_item_create(self, request: web.Request) -> web.StreamResponse:
        mid, _order = self._get_order(request)
        data = await self._body(request)
        self._ensure_draft(mid)
        errs = _Errors()
        cleaned = self._clean(data, _ORDER_ITEM_SPEC, errs)
        if bool(cleaned.get("document")) == bool(cleaned.get("filename")):
            errs.add("non_field_errors", "item_document_or_file")
        errs.check()
        item = self._add_order_item(mid, cleaned)
        self._touch_order(mid)
        self.count_write(request)
        return self._ok(request, item, 201)

    def _get_item(self, request: web.Request) -> tuple[str, str, Record]:
        mid, _order = self._get_order(request)
        item_mid = request.match_info["item"]
        if item_mid not in self._order_items.get(mid, []):
            _not_found()
        return mid, item_mid, self._get("sending_order_items", item_mid)

    async def _order_item(self, request: web.Request) -> web.StreamResponse:
        _mid, _item_mid, item = self._get_item(request)
        return self._ok(request, item)

    async def _order_item_delete(self, request: web.Request) -> web.StreamResponse:
        mid, item_mid, _item = self._get_item(request)
        self._ensure_draft(mid)
        self._order_items[mid].remove(item_mid)
        self._cols["sending_order_items"].remove(item_mid)
        self._item_files.pop(item_mid, None)
        self._touch_order(mid)
        self.count_write(request)
        return web.Response(status=204)

    async def _order_item_upload(self, request: web.Request) -> web.StreamResponse:
        mid, item_mid, item = self._get_item(request)
        upload = await _read_upload(request)
        self._ensure_draft(mid)
        if not item["filename"]:
            _invalid("non_field_errors", "not_file_item")
        self._item_files[item_mid] = upload
        self._touch_order(mid)
        self.count_write(request)
        return self._ok(request, item)

    async def _history(self, request: web.Request) -> web.StreamResponse:
        col = self._cols["history"]
        ids = col.ordered()
        q = request.query
        checks: list[Callable[[Record], bool]] = []
        errs = _Errors()
        if "date" in q:
            parsed = _parse_datetime(q["date"]) or _day(q["date"])
            if parsed is None:
                errs.add("date", "filter_datetime")
            else:
                day = parsed.date().isoformat()
                checks.append(lambda h: h["action_time"][:10] == day)
        if "date_start" in q:
            start = _parse_datetime(q["date_start"]) or _day(q["date_start"])
            if start is None:
                errs.add("date_start", "filter_datetime")
            else:
                lo = _ts(start)
                checks.append(lambda h: h["action_time"] >= lo)
        if "date_end" in q:
            end = _parse_datetime(q["date_end"])
            day_end = _day(q["date_end"])
            if end is None and day_end is None:
                errs.add("date_end", "filter_datetime")
            elif end is not None:
                hi = _ts(end)
                checks.append(lambda h: h["action_time"] <= hi)
            elif day_end is not None:
                hi_excl = _ts(day_end + timedelta(days=1))
                checks.append(lambda h: h["action_time"] < hi_excl)
        if "event_name" in q:
            checks.append(_eq("event_name", q["event_name"]))
        if "action_flag" in q:
            try:
                flag = int(q["action_flag"])
            except ValueError:
                errs.add("action_flag", "filter_number")
            else:
                checks.append(lambda h: h["action_flag"] == flag)
        errs.check()
        if checks:
            ids = [m for m in ids if all(chk(col.items[m]) for chk in checks)]
        return self._page(request, ids, col.items)

    async def _history_create(self, request: web.Request) -> web.StreamResponse:
        data = await self._body(request)
        errs = _Errors()
        cleaned = self._clean(data, _HISTORY_SPEC, errs, required=("event_name",))
        errs.check()
        entry = self._add_history(
            cleaned["event_name"],
            cleaned.get("action_flag") or 1,
            cleaned.get("object_repr", ""),
            {},
        )
        self.count_write(request)
        return self._ok(request, entry, 201)

    def _inbox_renderer(self, request: web.Request) -> Callable[[Record], Record] | None:
        if _lang(request) != "ja":
            return None

        def render(entry: Record) -> Record:
            out = dict(entry)
            for key in ("accepted_order", "received_doc"):
                nested = entry.get(key)
                if nested:
                    data = nested["document_data"]
                    display = self._display_ja(data["document_type"], data["document_number"])
                    out[key] = {**nested, "display_name": display}
            return out

        return render

    async def _inbox(self, request: web.Request) -> web.StreamResponse:
        col = self._cols["inbox"]
        ids = col.ordered()
        q = request.query
        errs = _Errors()
        checks: list[Callable[[Record], bool]] = []
        if "type" in q:
            if q["type"] not in ("received_doc", "accepted_order", "confirmed_doc"):
                errs.add("type", "filter_choice", value=q["type"])
            checks.append(_eq("type", q["type"]))
        for name, op in (("total_from", "ge"), ("total_to", "le")):
            if name in q:
                bound = _decimal(q[name])
                if bound is None:
                    errs.add(name, "filter_number")
                    continue
                checks.append(_inbox_total(op, bound))
        for name, op in (("issued_date_from", "ge"), ("issued_date_to", "le")):
            if name in q:
                parsed = _parse_date(q[name])
                if parsed is None:
                    errs.add(name, "filter_date")
                    continue
                iso = parsed.isoformat()
                checks.append(_inbox_issued(op, iso))
        if q.get("sender_name"):
            needle = q["sender_name"].lower()
            checks.append(lambda e: needle in str(_inbox_data(e).get("sender_name") or "").lower())
        if "is_unconverted" in q:
            b = _bool_param(q["is_unconverted"])
            if b is None:
                errs.add("is_unconverted", "filter_choice", value=q["is_unconverted"])
            checks.append(lambda e: _unconverted(e) == b)
        errs.check()
        if checks:
            ids = [m for m in ids if all(chk(col.items[m]) for chk in checks)]
        return self._page(request, ids, col.items, self._inbox_renderer(request))

    async def _inbox_entry(self, request: web.Request) -> web.StreamResponse:
        entry = self._get("inbox", request.match_info["mid"])
        render = self._inbox_renderer(request)
        return self._ok(request, render(entry) if render else entry)

    async def _received(self, request: web.Request) -> web.StreamResponse:
        doc = self._get("received_documents", request.match_info["mid"])
        if _lang(request) == "ja":
            data = doc["document_data"]
            doc = {
                **doc,
                "display_name": self._display_ja(data["document_type"], data["document_number"]),
            }
        return self._ok(request, doc)

    async def _received_pdf(self, request: web.Request) -> web.StreamResponse:
        doc = self._get("received_documents", request.match_info["mid"])
        return _pdf_response(doc["display_name"], f"received_{doc['mid']}.pdf")

    async def _accepted(self, request: web.Request) -> web.StreamResponse:
        order = self._get("accepted_orders", request.match_info["mid"])
        if _lang(request) == "ja":
            data = order["document_data"]
            order = {
                **order,
                "display_name": self._display_ja(data["document_type"], data["document_number"]),
            }
        return self._ok(request, order)


def _rewritten(request: web.Request, text: str, status: int = 200) -> web.Response:
    """A JSON answer whose stored production URLs point at the request's own origin."""
    origin = f"{request.scheme}://{request.host}"
    if origin != ORIGIN:
        text = text.replace(ORIGIN, origin)
    return web.Response(body=text.encode(), status=status, content_type="application/json")


_P = "/api/partner/{pmid}"
_O = _P + "/sending/order/{mid}"
_UPDATE = ("PUT", "PATCH")
#: The route table: path -> method -> handler, or ``detail:<collection>`` for a record as stored
#: (every ``/api/`` path also answers OPTIONS).
ROUTES: tuple[tuple[str, dict[str, str]], ...] = (
    ("/user/oauth2/token/", {"POST": "_token"}),
    ("/user/oauth2/revoke-token/", {"POST": "_revoke"}),
    ("/api/", {"GET": "_root"}),
    # The docs list only OPTIONS for the currency endpoint: it answers the same list.
    ("/api/currency/", {"GET": "_currencies", "OPTIONS": "_currencies"}),
    ("/api/partner/", {"GET": "_partners"}),
    ("/api/taskprogress/{mid}/", {"GET": "_task_progress"}),
    (_P + "/", {"GET": "_partner"}),
    (_P + "/tag/", {"GET": "_tags"}),
    (_P + "/employee/", {"GET": "_employees"}),
    (_P + "/employee/{mid}/", {"GET": "_employee"}),
    (_P + "/template/{document_type}/", {"GET": "_templates"}),
    (_P + "/document/", {"GET": "_documents", "POST": "_document_create"}),
    (
        _P + "/document/{mid}/",
        {
            "GET": "_document",
            **dict.fromkeys(_UPDATE, "_document_update"),
            "DELETE": "_document_delete",
        },
    ),
    (_P + "/document/{mid}/pdf/", {"GET": "_document_pdf"}),
    (_P + "/document/{mid}/upload-pdf/", {"PUT": "_document_upload"}),
    (_P + "/document/{mid}/pickup-link/", {"GET": "_pickup_links", "POST": "_pickup_link_create"}),
    (_P + "/item/", {"GET": "_items", "POST": "_item_create"}),
    (
        _P + "/item/{mid}/",
        {"GET": "detail:catalog_items", **dict.fromkeys(_UPDATE, "_item_update")},
    ),
    (_P + "/client/", {"GET": "_clients", "POST": "_client_create"}),
    (
        _P + "/client/{mid}/",
        {
            "GET": "detail:clients",
            **dict.fromkeys(_UPDATE, "_client_update"),
            "DELETE": "_client_delete",
        },
    ),
    (_P + "/client/{mid}/contact/", {"GET": "_client_contacts"}),
    (
        _P + "/client/{mid}/settings/",
        {"GET": "_settings", **dict.fromkeys(_UPDATE, "_settings_update")},
    ),
    (_P + "/contact/", {"GET": "_contacts", "POST": "_contact_create"}),
    (
        _P + "/contact/{mid}/",
        {
            "GET": "detail:contacts",
            **dict.fromkeys(_UPDATE, "_contact_update"),
            "DELETE": "_contact_delete",
        },
    ),
    (_P + "/sending/order/", {"GET": "_orders", "POST": "_order_create"}),
    (
        _O + "/",
        {"GET": "_order", **dict.fromkeys(_UPDATE, "_order_update"), "DELETE": "_order_delete"},
    ),
    (_O + "/send/", {"POST": "_order_send"}),
    (_O + "/status/", {"GET": "_order_status", "POST": "_order_cancel"}),
    (_O + "/pdf/", {"GET": "_order_pdf"}),
    (_O + "/items/", {"GET": "_order_items_list", "POST": "_order_item_create"}),
    (_O + "/items/{item}/", {"GET": "_order_item", "DELETE": "_order_item_delete"}),
    (_O + "/items/{item}/upload/", {"PUT": "_order_item_upload"}),
    (_P + "/history/", {"GET": "_history", "POST": "_history_create"}),
    (_P + "/history/{mid}/", {"GET": "detail:history"}),
    (_P + "/inbox/inbox/", {"GET": "_inbox"}),
    (_P + "/inbox/inbox/{mid}/", {"GET": "_inbox_entry"}),
    (_P + "/secureinbox/received-document/{mid}/", {"GET": "_received"}),
    (_P + "/secureinbox/received-document/{mid}/pdf/", {"GET": "_received_pdf"}),
    (_P + "/secureinbox/accepted-order/{mid}/", {"GET": "_accepted"}),
    (_P + "/secureinbox/pickup-link/{mid}/", {"GET": "detail:pickup_links"}),
    (_P + "/secureinbox/pickup-link/{mid}/cancel/", {"POST": "_pickup_link_cancel"}),
    (_P + "/secureinbox/pickup-link/{mid}/uncancel/", {"POST": "_pickup_link_uncancel"}),
    (_P + "/task/{mid}/", {"GET": "_task"}),
    (_P + "/task/{mid}/results/", {"GET": "_task_results"}),
)

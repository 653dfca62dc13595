"""MakeLeaps' response layer: credentials, error bodies, the route table and the handlers."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from aiohttp import web

from ..._auth import NO_STORE, OAuth2, basic, bearer
from ..._emulator import json_response, read_body
from ..._filters import where
from ..._pages import page_window
from ..._problem import Problem
from ..._schema import Issue
from . import data as D
from .filters import list_filters
from .helpers import (
    Handler,
    Record,
    _append_slash,
    _decimal,
    _expand,
    _jstype,
    _lang,
    _last,
    _money,
    _now,
    _page_url,
    _pdf_response,
    _places,
    _read_upload,
    _ts,
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
    _HISTORY_SPEC,
    _ORDER_ITEM_SPEC,
    _SETTINGS_SPEC,
    ORIGIN,
)


class MakeLeapsEmulator(MakeLeapsRules):
    """MakeLeaps as documented in ``makeleaps.txt``: the route table and the handlers."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._filters = list_filters(self)
        #: Per collection, the fields a record shows Japanese readers instead.
        self._ja_names: dict[str, Callable[[Record], Record]] = {
            "documents": lambda d: {
                "display_name": self._display_ja(d["document_type"], d["document_number"])
            },
            "partners": lambda p: {"name": D.PARTNER_NAME_JA},
            "currencies": lambda c: {"name": D.CURRENCIES[c["code"]][1]},
            "templates": lambda t: {
                "display_name": _TEMPLATES_JA.get(t["template_code"], t["display_name"])
            },
            "received_documents": self._ja_name,
            "accepted_orders": self._ja_name,
            "inbox": lambda e: {
                key: {**e[key], **self._ja_name(e[key])}
                for key in ("accepted_order", "received_doc")
                if e.get(key)
            },
        }
        self.oauth = OAuth2(
            self.tokens, default_ttl=36000, whole_seconds=True, extra={"scope": "read write"}
        )

    def credentials(self, base_url: str) -> dict[str, Any]:
        return dict(client_id=self.client_id, client_secret=self.client_secret, base_url=base_url)

    def render_problem(self, request: web.Request, problem: Problem) -> web.Response:
        lang, status = _lang(request), problem.status
        if problem.fields is not None:
            fields = render_fields(problem.fields, lang)
            return self._send(request, {"meta": {"status_code": 400}, "response": fields}, 400)
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
            body: Record = {"status_code": 401, "detail": message}
        else:
            body = {"meta": {"status_code": status}, "response": {"detail": message}}
        if problem.key is not None and status != 401:  # a view's answer: URLs rewritten
            return self._send(request, body, status)
        return json_response(body, status, problem.headers)

    def add_routes(self, app: web.Application) -> None:
        app.middlewares.append(_append_slash)
        r = app.router
        for verbs, path, name, collection in ROUTES:
            handler = self._handler(name, collection)
            for method in verbs.split():
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

    def _handler(self, name: str, collection: str | None) -> Handler:
        """``ROUTES``' handler ``name``. With a ``collection``, the record the path names is
        looked up first (a 404 if absent) and passed on; ``list`` and ``detail`` are generic."""
        if collection is None:
            plain: Handler = getattr(self, name)
            return plain
        if name == "list":

            async def listing(request: web.Request) -> web.StreamResponse:
                return self._listing(request, collection)

            return listing

        async def detail(request: web.Request, record: Record) -> web.StreamResponse:
            return self._ok(request, self._rendered(request, collection, record))

        method = detail if name == "detail" else getattr(self, name)

        async def handler(request: web.Request) -> web.StreamResponse:
            # The partner's own path names it by ``pmid``; every other one by ``mid``.
            mid = request.match_info.get("mid") or request.match_info["pmid"]
            return await method(request, self._get(collection, mid))

        return handler

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

    def _written(self, request: web.Request, obj: Any, status: int = 200) -> web.Response:
        """A write's answer: counted (cached JSON forgotten), then ``obj`` in the envelope."""
        self.count_write(request)
        return self._ok(request, obj, status)

    def invalidate(self) -> None:
        """Forget cached JSON, filter results and pages: every write does (records may have
        changed in place); call it after editing ``store`` in place."""
        super().invalidate()
        self._json_cache.clear()

    def _listing(
        self,
        request: web.Request,
        collection: str,
        ids: Sequence[str] | None = None,
        *,
        filtered: bool = False,
    ) -> web.Response:
        """A page of ``collection``, or of those ``ids`` it has (then unfiltered unless
        ``filtered``), rendered for the request. Document filters are cached until the next
        write: the big list, filtered by fields only; other filters read the clock or state.
        Pages of collections that neither the clock nor a GET changes are cached whole."""
        col = self._cols[collection]
        if collection in _VOLATILE:
            return self._listing_page(request, collection, ids, filtered)
        return self.cached_page(
            request,
            col.items,
            lambda: self._listing_page(request, collection, ids, filtered),
            vary=self.page_size,
        )

    def _listing_page(
        self, request: web.Request, collection: str, ids: Sequence[str] | None, filtered: bool
    ) -> web.Response:
        col = self._cols[collection]
        if ids is not None:
            ids = [m for m in ids if m in col.items]
        else:
            ids, filtered = col.ordered(), True
        if filtered:
            issues: list[Issue] = []
            test = where(request.query, self._filters.get(collection, {}), issues)
            if issues:
                raise Problem(400, fields={name: [("", code, kw)] for name, code, kw in issues})
            if test is not None:
                every, items = ids, col.items
                key = "&".join(sorted(f"{k}={v}" for k, v in request.query.items() if k != "page"))

                def compute() -> list[str]:
                    return [m for m in every if test(items[m])]

                ids = (
                    self.views.get(items, (collection, key), compute)
                    if collection == "documents"
                    else compute()
                )
        return self._page(request, ids, col.items, self._renderer(request, collection))

    def _renderer(self, request: web.Request, collection: str) -> Callable[[Record], Any] | None:
        """How ``collection``'s records go out for this request (``None``: exactly as stored):
        Japanese names for Japanese readers, and ``?expand=`` references as the records named."""
        expand = _expand(request)
        if collection == "sending_orders":
            return self._render_order(request, expand)
        names = self._ja_names.get(collection) if _lang(request) == "ja" else None
        refs = [field for field in _EXPANDS.get(collection, ()) if field in expand]
        if names is None and not refs:
            return None

        def render(record: Record) -> Record:
            out = {**record, **names(record)} if names else dict(record)
            self._expand_refs(out, refs)
            return out

        return render

    def _expand_refs(self, out: Record, fields: Iterable[str]) -> None:
        """Each reference URL of ``fields`` in ``out`` replaced by the record it names, if any."""
        for field in fields:
            if url := out.get(field):
                out[field] = self._cols[_EXPANDS_TO[field]].items.get(_last(url), url)

    def _rendered(self, request: web.Request, collection: str, record: Record) -> Any:
        render = self._renderer(request, collection)
        return render(record) if render else record

    def _ja_name(self, record: Record) -> Record:
        """The Japanese name of what ``record`` carries (a document, as ``document_data``)."""
        data = record["document_data"]
        return {"display_name": self._display_ja(data["document_type"], data["document_number"])}

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

    # -- tokens and the API root ----------------------------------------------------------------

    async def _token(self, request: web.Request) -> web.StreamResponse:
        self.counters.token_requests["client_credentials"] += 1
        form = await request.post()
        if not self._basic_ok(request):
            return _oauth_error("invalid_client", 401)
        if form.get("grant_type") != "client_credentials":
            return _oauth_error("unsupported_grant_type", 400)
        body = self.oauth.grant("client_credentials", {"client_id": self.client_id})
        return json_response(body, headers=NO_STORE)

    async def _revoke(self, request: web.Request) -> web.StreamResponse:
        form = await request.post()
        if not self._basic_ok(request):
            return _oauth_error("invalid_client", 401)
        token = form.get("token")
        if not isinstance(token, str) or not token:
            return _oauth_error("invalid_request", 400)
        self.tokens.revoke(token)
        return web.Response(status=200)  # RFC 7009: 200 whether or not the token existed

    def _basic_ok(self, request: web.Request) -> bool:
        credentials = (self.client_id, self.client_secret)
        return basic(request.headers.get("Authorization", "")) == credentials

    async def _root(self, request: web.Request) -> web.StreamResponse:
        partner = self._rendered(
            request, "partners", self._cols["partners"].items[self.partner_mid]
        )
        partners = [{"url": partner["url"], "name": partner["name"]}]
        return self._ok(request, {"partners": partners, "currencies": f"{ORIGIN}/api/currency/"})

    async def _employee(self, request: web.Request) -> web.StreamResponse:
        mid = request.match_info["mid"]
        return self._ok(request, self._get("employees", self._me if mid == "me" else mid))

    async def _templates(self, request: web.Request) -> web.StreamResponse:
        doc_type = request.match_info["document_type"]
        if doc_type not in D.DOCUMENT_TYPES:
            _not_found()
        ids = [k for k in self._cols["templates"].ordered() if k.startswith(doc_type + ":")]
        return self._listing(request, "templates", ids, filtered=True)

    # -- documents, pickup links, tasks ---------------------------------------------------------

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
        return self._written(request, self._rendered(request, "documents", doc), 201)

    async def _document_update(self, request: web.Request, doc: Record) -> web.StreamResponse:
        data = await self._body(request)
        cleaned = self._validate_document(data, doc, partial=_partial(request))
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
            self._doc_numbers[new_key] = doc["mid"]
        self._add_history("document_updated", 2, doc["display_name"], self._meta_doc(doc))
        return self._written(request, self._rendered(request, "documents", doc))

    async def _document_delete(self, request: web.Request, doc: Record) -> web.StreamResponse:
        self._cols["documents"].remove(doc["mid"])
        self._doc_numbers.pop((doc["document_type"], doc["document_number"]), None)
        self._viewed.discard(doc["mid"])
        self._add_history("document_deleted", 3, doc["display_name"], self._meta_doc(doc))
        return self.wrote(request)

    async def _document_pdf(self, request: web.Request, doc: Record) -> web.StreamResponse:
        filename = f"{doc['document_type']}_{doc['document_number']}.pdf"
        return _pdf_response(doc["display_name"], filename)

    async def _document_upload(self, request: web.Request, doc: Record) -> web.StreamResponse:
        await _read_upload(request)
        doc["use_external_pdf"] = True
        return self._written(request, self._rendered(request, "documents", doc))

    async def _pickup_links(self, request: web.Request, doc: Record) -> web.StreamResponse:
        return self._listing(request, "pickup_links", self._doc_links.get(doc["mid"], []))

    async def _pickup_link_create(self, request: web.Request, doc: Record) -> web.StreamResponse:
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
        self._tasks[tmid] = {"polls": 0, "document": doc["mid"], "results": [], "done": False}
        self._progress[pmid] = tmid
        if self.task_polls <= 0:
            self._finish_task(tmid)
        return self._written(request, task, 202)

    async def _task(self, request: web.Request, task: Record) -> web.StreamResponse:
        self._advance_task(task["mid"])
        return self._ok(request, task)

    async def _task_progress(self, request: web.Request) -> web.StreamResponse:
        tmid = self._progress.get(request.match_info["mid"])
        if tmid is None:
            _not_found()
        self._advance_task(tmid)
        return self._ok(request, self._cols["tasks"].items[tmid]["uilongtask"])

    async def _task_results(self, request: web.Request, task: Record) -> web.StreamResponse:
        state = self._tasks[task["mid"]]
        if not state["done"]:
            _invalid("non_field_errors", "task_unfinished")
        return self._listing(request, "pickup_links", state["results"])

    async def _pickup_link_cancel(self, request: web.Request, link: Record) -> web.StreamResponse:
        """``cancel/`` and ``uncancel/``; uncancelling an expired link gives it 60 more days."""
        link["is_cancelled"] = not request.path.endswith("/uncancel/")
        now = _now()
        expires = datetime.fromisoformat(link["expiration_date"]).replace(tzinfo=UTC)
        if not link["is_cancelled"] and expires <= now:
            link["expiration_date"] = (now + timedelta(days=60)).strftime("%Y-%m-%dT%H:%M:%S")
        return self._written(request, link)

    # -- catalog items, clients, settings, contacts ---------------------------------------------

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
        return self._written(request, item, 201)

    async def _item_update(self, request: web.Request, item: Record) -> web.StreamResponse:
        data = await self._body(request)
        item.update(self._validate_item(data, item, partial=_partial(request)))
        return self._written(request, item)

    async def _client_create(self, request: web.Request) -> web.StreamResponse:
        cleaned = self._validate_client(await self._body(request), None, partial=False)
        mid = self._new_mid()
        client = self._client_record(mid, cleaned.get("lang_code") or "ja")
        client.update(
            client_external_id=cleaned.get("client_external_id", ""),
            date_cutoff=cleaned.get("date_cutoff"),
        )
        self._apply_client_contacts(client, cleaned["contacts"], cleaned.get("default_contact"))
        self._cols["clients"].add(mid, client)
        self._cols["client_settings"].add(mid, self._default_settings(mid, client["lang_code"]))
        self._add_history("client_created", 1, client["display_name"], self._meta_client(client))
        return self._written(request, client, 201)

    async def _client_update(self, request: web.Request, client: Record) -> web.StreamResponse:
        data = await self._body(request)
        cleaned = self._validate_client(data, client, partial=_partial(request))
        for key in ("client_external_id", "lang_code", "date_cutoff"):
            if key in cleaned:
                client[key] = cleaned[key]
        if "contacts" in cleaned:
            self._apply_client_contacts(client, cleaned["contacts"], cleaned.get("default_contact"))
        elif "default_contact" in cleaned:
            client["default_contact"] = cleaned["default_contact"]
            self._refresh_client(client)
        self._add_history("client_updated", 2, client["display_name"], self._meta_client(client))
        return self._written(request, client)

    async def _client_delete(self, request: web.Request, client: Record) -> web.StreamResponse:
        url = client["url"]
        if any(d.get("client") == url for d in self._cols["documents"].items.values()):
            _invalid("non_field_errors", "client_in_use")
        for contact_url in client["contacts"]:
            self._cols["contacts"].remove(_last(contact_url))
        self._cols["clients"].remove(client["mid"])
        self._cols["client_settings"].remove(client["mid"])
        self._add_history("client_deleted", 3, client["display_name"], self._meta_client(client))
        return self.wrote(request)

    async def _client_contacts(self, request: web.Request, client: Record) -> web.StreamResponse:
        return self._listing(request, "contacts", [_last(u) for u in client["contacts"]])

    async def _settings(self, request: web.Request, client: Record) -> web.StreamResponse:
        return self._ok(request, self._get("client_settings", client["mid"]))

    async def _settings_update(self, request: web.Request, client: Record) -> web.StreamResponse:
        settings = self._get("client_settings", client["mid"])
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
        return self._written(request, settings)

    async def _contact_create(self, request: web.Request) -> web.StreamResponse:
        data = await self._body(request)
        errs = _Errors()
        cleaned = self._validate_contact_data(data, None, errs)
        errs.check()
        return self._written(request, self._make_contact(cleaned, None, False), 201)

    async def _contact_update(self, request: web.Request, contact: Record) -> web.StreamResponse:
        data = await self._body(request)
        errs = _Errors()
        cleaned = self._validate_contact_data(data, contact, errs, partial=_partial(request))
        errs.check()
        contact.update(cleaned)
        self._refresh_contact(contact)
        owner = self._cols["clients"].items.get(_last(contact["owner"] or ""))
        if owner is not None:
            self._refresh_client(owner)
        return self._written(request, contact)

    async def _contact_delete(self, request: web.Request, contact: Record) -> web.StreamResponse:
        url = contact["url"]
        docs = self._cols["documents"].items.values()
        if contact["owner"] or any(d.get("client_contact") == url for d in docs):
            _invalid("non_field_errors", "contact_referenced")
        self._cols["contacts"].remove(contact["mid"])
        return self.wrote(request)

    # -- sending orders and their items ---------------------------------------------------------

    def _render_order(
        self, request: web.Request, expand: frozenset[str] = frozenset()
    ) -> Callable[[Record], Record]:
        lang = _lang(request)
        items = self._cols["sending_order_items"].items

        def render(order: Record) -> Record:
            mid = order["mid"]
            state = self._order_state[mid]
            out = dict(order)
            out.pop("mid", None)
            out["items"] = [items[i] for i in self._order_item_ids(mid)]
            out["status"] = dict(self._order_status_now(mid, order))
            # Sent, or still being validated: not orderable, and nothing to report.
            busy = state["sent"] or state["validating"] > 0
            problems = [] if busy else self._order_problems(mid, order)
            out["ready_to_order"] = not busy and not problems
            out["validation_errors"] = [_tr(lang, k, kw) for k, kw in problems]
            self._expand_refs(out, expand & {"recipient_organization"})
            return out

        return render

    def _order_item_ids(self, mid: str) -> list[str]:
        """The order's items that exist, by position."""
        items = self._cols["sending_order_items"].items
        ids = [i for i in self._order_items.get(mid, []) if i in items]
        return sorted(ids, key=lambda i: items[i]["position"])

    async def _order(self, request: web.Request, order: Record) -> web.StreamResponse:
        body = self._rendered(request, "sending_orders", order)
        state = self._order_state[order["mid"]]
        if state["validating"] > 0:
            state["validating"] -= 1  # the "background" validation makes progress per look
        return self._ok(request, body)

    async def _order_create(self, request: web.Request) -> web.StreamResponse:
        cleaned = self._validate_order(await self._body(request), partial=False)
        order = self._new_order(cleaned, employee=self._me)
        return self._written(request, self._render_order(request)(order), 201)

    async def _order_update(self, request: web.Request, order: Record) -> web.StreamResponse:
        data = await self._body(request)
        self._ensure_draft(order["mid"])
        order.update(self._validate_order(data, partial=_partial(request)))
        self._touch_order(order["mid"])
        return self._written(request, self._render_order(request)(order))

    async def _order_delete(self, request: web.Request, order: Record) -> web.StreamResponse:
        mid = order["mid"]
        self._ensure_draft(mid)
        for item_mid in self._order_items.pop(mid, []):
            self._drop_item(item_mid)
        self._cols["sending_orders"].remove(mid)
        self._order_state.pop(mid, None)
        return self.wrote(request)

    async def _order_send(self, request: web.Request, order: Record) -> web.StreamResponse:
        mid = order["mid"]
        await self._body(request)
        state = self._order_state[mid]
        self._ensure_draft(mid)
        if state["validating"] > 0:
            _invalid("non_field_errors", "order_validating")
        if problems := self._order_problems(mid, order):
            raise Problem(400, fields={"non_field_errors": [("", k, kw) for k, kw in problems]})
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
        return self._written(request, self._render_order(request)(order))

    async def _order_status(self, request: web.Request, order: Record) -> web.StreamResponse:
        return self._ok(request, self._order_status_now(order["mid"], order))

    async def _order_cancel(self, request: web.Request, order: Record) -> web.StreamResponse:
        mid = order["mid"]
        data = await self._body(request)
        errs = _Errors()
        cleaned = self._clean(data, _CANCEL_SPEC, errs)
        errs.check()
        if not self._order_state[mid]["sent"]:
            _invalid("non_field_errors", "order_not_sent")
        status = self._order_status_now(mid, order)
        asked = [k for k in ("securesend", "sendbypost") if cleaned.get(f"{k}_cancelled")]
        asked = [k for k in asked if not status[f"{k}_cancelled"]]
        for kind in asked:
            if status[kind] != _CANCELLABLE[kind]:
                errs.add(f"{kind}_cancelled", f"cannot_cancel_{kind}")
        errs.check()
        for kind in asked:
            status[kind] = "cancelled"
            status[f"{kind}_cancelled"] = True
        return self._written(request, status)

    async def _order_pdf(self, request: web.Request, order: Record) -> web.StreamResponse:
        mid = order["mid"]
        return _pdf_response(order["subject"] or f"Sending order {mid}", f"sending_order_{mid}.pdf")

    async def _order_items_list(self, request: web.Request, order: Record) -> web.StreamResponse:
        ids = self._order_item_ids(order["mid"])
        return self._listing(request, "sending_order_items", ids)

    async def _order_item_create(self, request: web.Request, order: Record) -> web.StreamResponse:
        mid = order["mid"]
        data = await self._body(request)
        self._ensure_draft(mid)
        errs = _Errors()
        cleaned = self._clean(data, _ORDER_ITEM_SPEC, errs)
        if bool(cleaned.get("document")) == bool(cleaned.get("filename")):
            errs.add("non_field_errors", "item_document_or_file")
        errs.check()
        item = self._add_order_item(mid, cleaned)
        self._touch_order(mid)
        return self._written(request, item, 201)

    def _item_of(self, request: web.Request, order: Record) -> tuple[str, Record]:
        """The ``{item}`` of the path, if it is one of ``order``'s (a 404 otherwise)."""
        item_mid = request.match_info["item"]
        if item_mid not in self._order_items.get(order["mid"], []):
            _not_found()
        return item_mid, self._get("sending_order_items", item_mid)

    def _drop_item(self, item_mid: str) -> None:
        self._cols["sending_order_items"].remove(item_mid)
        self._item_files.pop(item_mid, None)

    async def _order_item(self, request: web.Request, order: Record) -> web.StreamResponse:
        return self._ok(request, self._item_of(request, order)[1])

    async def _order_item_delete(self, request: web.Request, order: Record) -> web.StreamResponse:
        item_mid, _item = self._item_of(request, order)
        self._ensure_draft(order["mid"])
        self._order_items[order["mid"]].remove(item_mid)
        self._drop_item(item_mid)
        self._touch_order(order["mid"])
        return self.wrote(request)

    async def _order_item_upload(self, request: web.Request, order: Record) -> web.StreamResponse:
        item_mid, item = self._item_of(request, order)
        upload = await _read_upload(request)
        self._ensure_draft(order["mid"])
        if not item["filename"]:
            _invalid("non_field_errors", "not_file_item")
        self._item_files[item_mid] = upload
        self._touch_order(order["mid"])
        return self._written(request, item)

    # -- history and the secure inbox -----------------------------------------------------------

    async def _history_create(self, request: web.Request) -> web.StreamResponse:
        data = await self._body(request)
        errs = _Errors()
        cleaned = self._clean(data, _HISTORY_SPEC, errs, required=("event_name",))
        errs.check()
        flag = cleaned.get("action_flag") or 1
        entry = self._add_history(cleaned["event_name"], flag, cleaned.get("object_repr", ""), {})
        return self._written(request, entry, 201)

    async def _received_pdf(self, request: web.Request, doc: Record) -> web.StreamResponse:
        return _pdf_response(doc["display_name"], f"received_{doc['mid']}.pdf")


def _rewritten(request: web.Request, text: str, status: int = 200) -> web.Response:
    """A JSON answer whose stored production URLs point at the request's own origin."""
    origin = f"{request.scheme}://{request.host}"
    if origin != ORIGIN:
        text = text.replace(ORIGIN, origin)
    return web.Response(body=text.encode(), status=status, content_type="application/json")


def _oauth_error(error: str, status: int) -> web.Response:
    return json_response({"error": error}, status, NO_STORE)


def _partial(request: web.Request) -> bool:
    """``PATCH`` changes the fields sent; ``PUT`` first requires the required ones."""
    return request.method == "PATCH"


#: The state in which each way of sending an order can still be cancelled.
_CANCELLABLE = {"securesend": "not_viewed", "sendbypost": "can_cancel"}
_TEMPLATES_JA = {t[0]: t[2] for t in D.TEMPLATES}
#: Lists whose pages change with the clock or with GETs (a sending order's status and
#: validation, a task's progress and the pickup links it makes): never served from the cache.
_VOLATILE = frozenset({"sending_orders", "sending_order_items", "tasks", "pickup_links"})
#: ``?expand=``: the reference fields of each collection that can hold the record itself.
_EXPANDS = {"documents": ("client", "client_contact")}
_EXPANDS_TO = {
    "client": "clients",
    "client_contact": "contacts",
    "recipient_organization": "clients",
}
_P = "/api/partner/{pmid}"
_D = _P + "/document/{mid}/"
_I = _P + "/item/{mid}/"
_C = _P + "/client/{mid}/"
_CT = _P + "/contact/{mid}/"
_O = _P + "/sending/order/{mid}/"
_S = _P + "/secureinbox/"
#: The route table: methods, path, handler, and the collection of the record the path names
#: (looked up before the handler runs, which gets it). ``list`` and ``detail`` are the generic
#: handlers: a filtered list and a record as rendered. Every ``/api/`` path also answers OPTIONS.
ROUTES: tuple[tuple[str, str, str, str | None], ...] = (
    ("POST", "/user/oauth2/token/", "_token", None),
    ("POST", "/user/oauth2/revoke-token/", "_revoke", None),
    ("GET", "/api/", "_root", None),
    # The docs list only OPTIONS for the currency endpoint: it answers the same list.
    ("GET OPTIONS", "/api/currency/", "list", "currencies"),
    ("GET", "/api/partner/", "list", "partners"),
    ("GET", "/api/taskprogress/{mid}/", "_task_progress", None),
    ("GET", _P + "/", "detail", "partners"),
    ("GET", _P + "/tag/", "list", "tags"),
    ("GET", _P + "/employee/", "list", "employees"),
    ("GET", _P + "/employee/{mid}/", "_employee", None),
    ("GET", _P + "/template/{document_type}/", "_templates", None),
    ("GET", _P + "/document/", "list", "documents"),
    ("POST", _P + "/document/", "_document_create", None),
    ("GET", _D, "detail", "documents"),
    ("PUT PATCH", _D, "_document_update", "documents"),
    ("DELETE", _D, "_document_delete", "documents"),
    ("GET", _D + "pdf/", "_document_pdf", "documents"),
    ("PUT", _D + "upload-pdf/", "_document_upload", "documents"),
    ("GET", _D + "pickup-link/", "_pickup_links", "documents"),
    ("POST", _D + "pickup-link/", "_pickup_link_create", "documents"),
    ("GET", _P + "/item/", "list", "catalog_items"),
    ("POST", _P + "/item/", "_item_create", None),
    ("GET", _I, "detail", "catalog_items"),
    ("PUT PATCH", _I, "_item_update", "catalog_items"),
    ("GET", _P + "/client/", "list", "clients"),
    ("POST", _P + "/client/", "_client_create", None),
    ("GET", _C, "detail", "clients"),
    ("PUT PATCH", _C, "_client_update", "clients"),
    ("DELETE", _C, "_client_delete", "clients"),
    ("GET", _C + "contact/", "_client_contacts", "clients"),
    ("GET", _C + "settings/", "_settings", "clients"),
    ("PUT PATCH", _C + "settings/", "_settings_update", "clients"),
    ("GET", _P + "/contact/", "list", "contacts"),
    ("POST", _P + "/contact/", "_contact_create", None),
    ("GET", _CT, "detail", "contacts"),
    ("PUT PATCH", _CT, "_contact_update", "contacts"),
    ("DELETE", _CT, "_contact_delete", "contacts"),
    ("GET", _P + "/sending/order/", "list", "sending_orders"),
    ("POST", _P + "/sending/order/", "_order_create", None),
    ("GET", _O, "_order", "sending_orders"),
    ("PUT PATCH", _O, "_order_update", "sending_orders"),
    ("DELETE", _O, "_order_delete", "sending_orders"),
    ("POST", _O + "send/", "_order_send", "sending_orders"),
    ("GET", _O + "status/", "_order_status", "sending_orders"),
    ("POST", _O + "status/", "_order_cancel", "sending_orders"),
    ("GET", _O + "pdf/", "_order_pdf", "sending_orders"),
    ("GET", _O + "items/", "_order_items_list", "sending_orders"),
    ("POST", _O + "items/", "_order_item_create", "sending_orders"),
    ("GET", _O + "items/{item}/", "_order_item", "sending_orders"),
    ("DELETE", _O + "items/{item}/", "_order_item_delete", "sending_orders"),
    ("PUT", _O + "items/{item}/upload/", "_order_item_upload", "sending_orders"),
    ("GET", _P + "/history/", "list", "history"),
    ("POST", _P + "/history/", "_history_create", None),
    ("GET", _P + "/history/{mid}/", "detail", "history"),
    ("GET", _P + "/inbox/inbox/", "list", "inbox"),
    ("GET", _P + "/inbox/inbox/{mid}/", "detail", "inbox"),
    ("GET", _S + "received-document/{mid}/", "detail", "received_documents"),
    ("GET", _S + "received-document/{mid}/pdf/", "_received_pdf", "received_documents"),
    ("GET", _S + "accepted-order/{mid}/", "detail", "accepted_orders"),
    ("GET", _S + "pickup-link/{mid}/", "detail", "pickup_links"),
    ("POST", _S + "pickup-link/{mid}/cancel/", "_pickup_link_cancel", "pickup_links"),
    ("POST", _S + "pickup-link/{mid}/uncancel/", "_pickup_link_cancel", "pickup_links"),
    ("GET", _P + "/task/{mid}/", "_task", "tasks"),
    ("GET", _P + "/task/{mid}/results/", "_task_results", "tasks"),
)

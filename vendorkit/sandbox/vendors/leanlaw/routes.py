"""The LeanLaw emulator: LeanLaw's v2 API (``leanlaw.txt``) as an ``aiohttp.web`` application.
What it emulates, and assumes where the docs are silent, is written once, in
``docs/sandbox/leanlaw.md`` (API keys, ``limit``/``offset`` lists, ``select``, sparse ``PUT``)."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime
from functools import partial
from http import HTTPStatus
from typing import Any, ClassVar

from aiohttp import web

from ..._auth import bearer
from ..._emulator import Emulator, json_response, read_body
from ..._pages import int_params
from ..._problem import Problem
from ..._schema import validate
from . import rules
from .rules import VALIDATION, invalid
from .schemas import MESSAGES, SCHEMAS
from .seed import guid, meta, seed, ts

__all__ = ["LeanLawEmulator"]

TRACE_HEADER = "x-leanlaw-traceid"
MAX_LIMIT = 1000
DEFAULT_LIMIT = 100

#: An error's ``code`` when the problem names none: the status's reason phrase run together
#: (``NotFound``), for the statuses the emulator answers; ``Error`` for any other.
_STATUS_CODES = {
    status: HTTPStatus(status).phrase.replace(" ", "")
    for status in (400, 401, 403, 404, 405, 429, 500, 502, 503, 504)
}


class LeanLawEmulator(Emulator):
    """LeanLaw's v2 API. ``store`` holds each collection by its snake_case name
    (``"time_entries"``), keyed by GUID; each value is the full record, ``contact`` and ``meta``
    blocks included (``select`` only shapes what is sent)."""

    name = "leanlaw"
    base_path = ""
    default_quota: ClassVar[str | None] = "50/second"
    default_token_ttl: ClassVar[float | None] = None
    open_paths: ClassVar[frozenset[str] | None] = frozenset()

    api_key: str

    def __init__(self, **kwargs: Any) -> None:
        self.numbers: dict[str, int] = {}
        super().__init__(**kwargs)

    # -- declared parts -----------------------------------------------------------------------

    def seed_data(self) -> None:
        self._trace_rng = random.Random(f"{self.name}:trace:{self.seed}")
        seed(self)
        self.api_key = self.tokens.issue(value=self.seeded_key("ll_"), read_only=False)

    def credentials(self, base_url: str) -> dict[str, Any]:
        return {"api_key": self.api_key, "base_url": base_url}

    def issue_api_key(self, *, read_only: bool = False) -> str:
        """Another valid API key (``read_only``: 403 on POST, PUT and DELETE)."""
        return self.tokens.issue("ll_", read_only=read_only)

    def render_problem(self, request: web.Request, problem: Problem) -> web.Response:
        code = problem.code or _STATUS_CODES.get(problem.status, "Error")
        error: dict[str, Any] = {"code": code, "message": problem.message}
        if problem.fields is not None:
            error["details"] = [
                {"field": f, "message": m} for f, ms in problem.fields.items() for m in ms
            ]
        return json_response({"error": error}, status=problem.status, headers=problem.headers)

    def make_app(self) -> web.Application:
        app = super().make_app()
        app.on_response_prepare.append(self._add_trace_id)
        return app

    def add_routes(self, app: web.Application) -> None:
        r = app.router
        for collection, schema in SCHEMAS.items():
            base = f"{self.base_path}/v2/{schema.segment}"
            r.add_get(base, partial(self._list, collection=collection))
            r.add_post(base, partial(self._create, collection=collection))
            r.add_get(base + "/{id}", partial(self._get, collection=collection))
            r.add_put(base + "/{id}", partial(self._update, collection=collection))
            r.add_delete(base + "/{id}", partial(self._delete, collection=collection))
        r.add_get(f"{self.base_path}/v2/clients/{{id}}/matters", self._client_matters)

    # -- auth and trace ids -------------------------------------------------------------------

    async def _add_trace_id(self, request: web.Request, response: web.StreamResponse) -> None:
        if TRACE_HEADER not in response.headers:
            response.headers[TRACE_HEADER] = uuid.UUID(
                int=self._trace_rng.getrandbits(128), version=4
            ).hex

    def authenticate(self, request: web.Request) -> None:
        key = bearer(request.headers.get("Authorization", ""))
        if key is None:
            raise Problem(401, "Authentication required: no API key was provided.")
        info = self.tokens.lookup(key)
        if info is None:
            raise Problem(403, "The API key is invalid or has been revoked.")
        if info.get("read_only") and request.method not in ("GET", "HEAD", "OPTIONS"):
            raise Problem(403, "The API key is not authorized to perform this action.")

    # -- helpers ------------------------------------------------------------------------------

    def _find(self, request: web.Request, collection: str) -> dict[str, Any]:
        rid = request.match_info["id"]
        record = self.store[collection].get(rid.lower())
        if record is None:
            raise Problem(404, f"{SCHEMAS[collection].noun} '{rid}' was not found.")
        return record

    def _selection(self, request: web.Request, collection: str, single: bool) -> set[str]:
        blocks = SCHEMAS[collection].blocks
        chosen = {"meta"} if single else set()
        for raw in request.query.getall("select", []):
            for part in raw.split(","):
                name = part.strip()
                if not name:
                    continue
                drop = name.startswith("-")
                name = name.lstrip("+-").strip()
                match = next((b for b in blocks if b.lower() == name.lower()), None)
                if match is None:
                    allowed = ", ".join(blocks)
                    raise invalid(
                        "select", f"'{name}' cannot be selected here; allowed: {allowed}."
                    )
                (chosen.discard if drop else chosen.add)(match)
        return chosen

    def _one(
        self, request: web.Request, collection: str, record: dict[str, Any], status: int = 200
    ) -> web.Response:
        chosen = self._selection(request, collection, single=True)
        return json_response({"data": _shape(collection, record, chosen)}, status=status)

    def _matching(self, collection: str, filters: tuple[tuple[str, str], ...]) -> list[str]:
        """The ids of the matching records in order, cached until the collection changes
        (through the API, or in size when a test edits ``store`` directly)."""
        coll = self.store[collection]

        def compute() -> list[str]:
            if not filters:
                return list(coll)
            return [k for k, r in coll.items() if all(_matches(r.get(f), v) for f, v in filters)]

        return self.views.get(coll, (collection, filters), compute)

    def _page_args(self, request: web.Request) -> tuple[int, int]:
        values, bad = int_params(request.query, {"limit": DEFAULT_LIMIT, "offset": 0})
        if bad:
            raw = request.query[bad[0]]
            raise invalid(bad[0], f"The value '{raw}' is not a valid integer.")
        limit, offset = values["limit"], values["offset"]
        if limit < 1:
            raise invalid("limit", "limit must be between 1 and 1000.")
        if offset < 0:
            raise invalid("offset", "offset must be 0 or greater.")
        return min(limit, MAX_LIMIT), offset

    async def _list(
        self, request: web.Request, collection: str, extra: tuple[tuple[str, str], ...] = ()
    ) -> web.Response:
        coll = self.store[collection]
        return self.cached_page(request, coll, partial(self._list_page, request, collection, extra))

    def _list_page(
        self, request: web.Request, collection: str, extra: tuple[tuple[str, str], ...]
    ) -> web.Response:
        chosen = self._selection(request, collection, single=False)
        limit, offset = self._page_args(request)
        schema = SCHEMAS[collection]
        by_lower = {f.lower(): f for f in schema.filters}
        asked = [
            (by_lower[k.lower()], v) for k, v in request.query.items() if k.lower() in by_lower
        ]
        rows = self._matching(collection, tuple(sorted({*asked, *extra})))
        coll = self.store[collection]
        page = [_shape(collection, coll[key], chosen) for key in rows[offset : offset + limit]]
        pagination = {"limit": limit, "offset": offset, "total": len(rows)}
        return json_response({"data": page, "pagination": pagination})

    async def _changes(
        self, request: web.Request, collection: str, current: dict[str, Any] | None
    ) -> dict[str, Any]:
        self._selection(request, collection, single=True)
        body = await read_body(request, malformed=lambda _: _bad_body("is not valid JSON"))
        if not isinstance(body, dict):
            raise _bad_body("must be a JSON object")
        fields = SCHEMAS[collection].fields
        changes, issues = validate(body, fields, creating=current is None, exists=self.store)
        if issues:
            details = {
                f: [MESSAGES[c].format(name=f, noun=_noun(kw.get("ref")), **kw)]
                for f, c, kw in issues
            }
            raise Problem(400, VALIDATION, code="ValidationError", fields=details)
        rules.check(self, collection, changes, current)
        return changes

    # -- handlers -----------------------------------------------------------------------------

    async def _get(self, request: web.Request, collection: str) -> web.Response:
        self._selection(request, collection, single=True)
        return self._one(request, collection, self._find(request, collection))

    async def _create(self, request: web.Request, collection: str) -> web.Response:
        changes = await self._changes(request, collection, None)
        now = datetime.now(UTC)
        rid = guid(self)
        record: dict[str, Any] = {"id": rid}
        record.update(
            (name, changes[name]) for name in SCHEMAS[collection].fields if name in changes
        )
        rules.defaults(self, collection, record, now.date())
        rules.derive(collection, record)
        record["meta"] = meta(now)
        self.store[collection][rid] = record
        return self.wrote(request, self._one(request, collection, record, status=201))

    async def _update(self, request: web.Request, collection: str) -> web.Response:
        record = self._find(request, collection)
        changes = await self._changes(request, collection, record)
        if "contact" in changes and isinstance(record.get("contact"), dict) and changes["contact"]:
            changes["contact"] = {**record["contact"], **changes["contact"]}
        record.update(changes)
        rules.derive(collection, record)
        record.setdefault("meta", {})["modifiedAt"] = ts(datetime.now(UTC))
        return self.wrote(request, self._one(request, collection, record))

    async def _delete(self, request: web.Request, collection: str) -> web.Response:
        self._selection(request, collection, single=True)
        record = self._find(request, collection)
        del self.store[collection][record["id"]]
        return self.wrote(request, self._one(request, collection, record))

    async def _client_matters(self, request: web.Request) -> web.StreamResponse:
        client = self._find(request, "clients")
        return await self._list(request, "matters", extra=(("clientId", client["id"]),))


def _bad_body(why: str) -> Problem:
    return Problem(400, f"The request body {why}.", code="ValidationError", fields={})


def _shape(collection: str, record: dict[str, Any], chosen: set[str]) -> dict[str, Any]:
    """``record`` without the optional blocks (``select``) not ``chosen``."""
    blocks = SCHEMAS[collection].blocks
    return {k: v for k, v in record.items() if k not in blocks or k in chosen}


def _noun(collection: str | None) -> str:
    return SCHEMAS[collection].noun if collection else ""


def _matches(value: Any, wanted: str) -> bool:
    if isinstance(value, bool):
        return wanted.lower() == ("true" if value else "false")
    if value is None:
        return wanted.lower() in ("", "null")
    return str(value).lower() == wanted.lower()

"""The LeadDesk emulator: LeadDesk's REST API (``/stable``) as ``leaddesk.txt`` describes it:
the four OAuth2 grants with rotating refresh tokens, HAL collections paged by ``page``/``per_page``,
objects and their relations, Laravel-style 422s. What it emulates, and what it assumes where the
docs are silent, is written once, in ``docs/sandbox/leaddesk.md``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from functools import partial
from typing import Any, ClassVar

from aiohttp import web

from ..._auth import OAuth2, bearer
from ..._emulator import Emulator, Handler, json_response, read_body
from ..._pages import int_params, page_window
from ..._problem import Problem
from ..._schema import validate
from .schemas import (
    CALL_LINKS,
    CUSTOM_FIELDS,
    ERROR_CODES,
    FIELDS,
    FILTERS,
    MESSAGES,
    RELATIONS,
    SINGULAR,
    UNIQUE,
    WRITABLE,
)
from .seed import iso, seed

__all__ = ["LeadDeskEmulator"]

TOKEN_PATH = "/oauth/access-token"
DEFAULT_PER_PAGE = 25
MAX_PER_PAGE = 500
#: How much longer a refresh token lives than its access token.
REFRESH_TTL_FACTOR = 336
_BAD_CREDENTIALS = "The user credentials were incorrect."


def _label(field: str) -> str:
    return field.replace("_", " ").replace(".", " ")


def _validation(errors: Mapping[str, list[str]]) -> Problem:
    return Problem(422, "Parameter validation failed", code="validation_failed", fields=errors)


def _oauth_missing(field: str) -> Problem:
    return Problem(
        400,
        "The request is missing a required parameter, includes an invalid parameter value, "
        f'includes a parameter more than once, or is otherwise malformed. Check the "{field}" '
        "parameter.",
        code="invalid_request",
    )


def _not_found(coll: str, ident: Any) -> Problem:
    thing = SINGULAR[coll]
    label = thing.replace("_", " ").capitalize()
    return Problem(404, f"{label} {ident} was not found.", code=f"{thing}_not_found")


_NOT_OBJECT = Problem(400, "The request body must be a JSON object.", code="invalid_body")


class LeadDeskEmulator(Emulator):
    """LeadDesk's REST API: users, campaigns, contact lists, contacts, products, calls, and the
    campaign and contact-list relations, behind the four OAuth2 grants."""

    name: ClassVar[str] = "leaddesk"
    base_path: ClassVar[str] = "/stable"
    default_quota: ClassVar[str | None] = None  # the docs publish no quota
    default_token_ttl: ClassVar[float | None] = 3600.0
    auth_paths: ClassVar[frozenset[str]] = frozenset({TOKEN_PATH})
    #: ``authenticate`` also checks ``Accept`` on the token endpoint.
    open_paths: ClassVar[frozenset[str] | None] = frozenset()

    #: The LeadDesk client (account) this API client may act for.
    leaddesk_client_id: ClassVar[int] = 1

    client_id: str
    client_secret: str
    username: str
    password: str
    relations: dict[str, dict[int, dict[int, None]]]
    next_id: dict[str, int]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.oauth = OAuth2(self.tokens, default_ttl=3600, refresh_factor=REFRESH_TTL_FACTOR)

    # -- what the sandbox asks ----------------------------------------------------------------

    def seed_data(self) -> None:
        seed(self)

    def login(self) -> dict[str, str]:
        return {"username": self.username, "password": self.password}

    def credentials(self, base_url: str) -> dict[str, Any]:
        return {
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "username": self.username,
            "password": self.password,
            "base_url": base_url,
        }

    def render_problem(self, request: web.Request, problem: Problem) -> web.Response:
        # One id per kind of error: every 429 (throttle or fault) is ``too_many_requests``.
        code, status = problem.code, problem.status
        if status in ERROR_CODES and (code is None or status == 429):
            code = ERROR_CODES[status]
        body: dict[str, Any] = {"error": code or "error", "error_description": problem.message}
        if problem.fields is not None:
            body["error_validation"] = {k: list(v) for k, v in problem.fields.items()}
        return json_response(body, status, problem.headers)

    # -- routes -------------------------------------------------------------------------------

    def add_routes(self, app: web.Application) -> None:
        bp, r = self.base_path, app.router
        r.add_post(bp + TOKEN_PATH, self._token)
        on = self._on
        for coll in SINGULAR:
            r.add_get(f"{bp}/{coll}", on(self._list, coll))
            r.add_get(f"{bp}/{coll}/{{id}}", on(self._get, coll))
            if coll in CUSTOM_FIELDS:
                r.add_get(f"{bp}/{coll}/{{id}}/custom_fields", on(self._custom_fields, coll))
            if coll not in WRITABLE:
                continue
            r.add_post(f"{bp}/{coll}", on(self._create, coll))
            r.add_patch(f"{bp}/{coll}/{{id}}", on(self._update, coll))
            r.add_delete(f"{bp}/{coll}/{{id}}", on(self._delete, coll))
            if coll in RELATIONS:
                r.add_post(f"{bp}/{coll}/{{id}}", on(self._post_item, coll))
                for rel in RELATIONS[coll]:
                    path, key = f"{bp}/{coll}/{{id}}/{rel}", f"{coll}.{rel}"
                    r.add_get(path, on(self._rel_list, key))
                    r.add_post(path, on(partial(self._rel_write, how="add"), key))
                    r.add_patch(path, on(partial(self._rel_write, how="replace"), key))
                    r.add_delete(path, on(partial(self._rel_write, how="remove"), key))
                    r.add_get(path + "/{rid}", on(self._rel_get, key))
                    r.add_delete(path + "/{rid}", on(self._rel_remove, key))

    @staticmethod
    def _on(fn: Callable[[web.Request, str], Awaitable[web.Response]], arg: str) -> Handler:
        async def handler(request: web.Request) -> web.StreamResponse:
            return await fn(request, arg)

        return handler

    def authenticate(self, request: web.Request) -> None:
        if not _accepts_json(request.headers.get("Accept", "")):
            # "If some else content type is requested an error will occur."
            raise Problem(
                406,
                f"Cannot answer with {request.headers['Accept']}: the API speaks "
                "application/json only.",
                code="not_acceptable",
            )
        if self._is_auth(request):
            return
        challenge = {"WWW-Authenticate": 'Bearer realm="LeadDesk"'}
        token = bearer(request.headers.get("Authorization", ""), colon=False)
        if token is None:
            raise Problem(
                401,
                'The request has no access token: send "Authorization: Bearer <token>".',
                code="access_token_missing",
                headers=challenge,
            )
        info = self.tokens.lookup(token)
        if info is None or info.get("kind") != "access":
            raise Problem(
                401,
                "The access token is invalid or has expired.",
                code="access_denied",
                headers=challenge,
            )

    # -- tokens -------------------------------------------------------------------------------

    async def _token(self, request: web.Request) -> web.Response:
        body = await self._json_body(request)
        if not isinstance(body, dict):
            raise _oauth_missing("grant_type")
        grant = body.get("grant_type")
        if not isinstance(grant, str) or not grant:
            raise _oauth_missing("grant_type")
        self.counters.token_requests[grant] += 1
        if (body.get("client_id"), body.get("client_secret")) != (
            self.client_id,
            self.client_secret,
        ):
            raise Problem(401, "Client authentication failed.", code="invalid_client")
        if grant == "refresh_token":
            token = body.get("refresh_token")
            if not isinstance(token, str) or not token:
                raise _oauth_missing("refresh_token")
            answer = self.oauth.refresh(token)
            if answer is None:
                raise Problem(400, "The refresh token is invalid.", code="invalid_request")
            return json_response(answer)
        if grant == "password":
            for field in ("username", "password"):
                if not isinstance(body.get(field), str) or not body[field]:
                    raise _oauth_missing(field)
            if body["username"] != self.username or body["password"] != self.password:
                raise Problem(401, _BAD_CREDENTIALS, code="invalid_credentials")
            subject: dict[str, Any] = {"username": body["username"]}
        elif grant in ("leaddesk_client_id", "client_user"):
            fields = ("username", "leaddesk_client_id") if grant == "client_user" else ()
            for field in (*fields, "leaddesk_client_id"):
                if body.get(field) in (None, ""):
                    raise _oauth_missing(field)
            if str(body["leaddesk_client_id"]) != str(self.leaddesk_client_id):
                raise Problem(
                    403,
                    f"The API client has no access to LeadDesk client "
                    f"{body['leaddesk_client_id']}.",
                    code="access_denied",
                )
            subject = {"leaddesk_client_id": self.leaddesk_client_id}
            if grant == "client_user":
                known = {u["username"] for u in self.store["users"].values()} | {self.username}
                if body["username"] not in known:
                    raise Problem(401, _BAD_CREDENTIALS, code="invalid_credentials")
                subject["username"] = body["username"]
        else:
            raise Problem(
                400,
                "The authorization grant type is not supported by the authorization server.",
                code="unsupported_grant_type",
            )
        return json_response(self.oauth.grant(grant, subject))

    # -- request helpers ----------------------------------------------------------------------

    async def _json_body(self, request: web.Request, *, obj: bool = False) -> Any:
        """The JSON body; ``415`` if it is not JSON. ``None`` (``{}`` with ``obj``) when there
        is none; with ``obj``, 400 unless it is an object."""
        body = await read_body(
            request,
            empty={} if obj else None,
            media_types=("application/json",),
            media_type=lambda req: Problem(
                415,
                f"Unsupported content type {req.content_type.lower() or '(none)'}: "
                "send application/json.",
                code="unsupported_media_type",
            ),
            malformed=lambda _: Problem(
                415, "The request body is not valid JSON.", code="malformed_json"
            ),
        )
        if obj and not isinstance(body, dict):
            raise _NOT_OBJECT
        return body

    def _item_id(self, request: web.Request, coll: str, key: str = "id") -> int:
        raw = request.match_info[key]
        if raw.isdigit() and int(raw) in self.store[coll]:
            return int(raw)
        raise _not_found(coll, raw)

    def _present(self, origin: str, coll: str, record: Mapping[str, Any]) -> dict[str, Any]:
        own = f"{origin}/{coll}/{record['id']}"
        links = {"self": own}
        for rel in RELATIONS.get(coll, {}):
            links[rel] = f"{own}/{rel}"
        if coll in CUSTOM_FIELDS:
            links["custom_fields"] = f"{own}/custom_fields"
        if coll == "calls":
            for field, target in CALL_LINKS:
                if record.get(field) is not None:
                    links[SINGULAR[target]] = f"{origin}/{target}/{record[field]}"
        return {**record, "_links": links}

    def _collection(
        self,
        request: web.Request,
        items: list[Any],
        present: Callable[[Any], Any] = lambda item: item,
    ) -> web.Response:
        values, bad = int_params(request.query, {"page": 1, "per_page": DEFAULT_PER_PAGE})
        errors = {name: [f"The {_label(name)} must be an integer."] for name in bad}
        for name, value in values.items():
            if value < 1:
                errors[name] = [f"The {_label(name)} must be at least 1."]
            elif name == "per_page" and value > MAX_PER_PAGE:
                errors[name] = [f"The {_label(name)} may not be greater than {MAX_PER_PAGE}."]
        if errors:
            raise _validation(dict(sorted(errors.items(), key=lambda e: e[0] != "page")))
        page = values["page"]
        window = page_window(page, values["per_page"], len(items))
        url = request.url
        links: dict[str, str] = {"self": str(url.update_query(page=page))}
        if window.prev is not None:
            links["prev"] = str(url.update_query(page=window.prev))
        if window.next is not None:
            links["next"] = str(url.update_query(page=window.next))
        return json_response(
            {
                "collection": [present(r) for r in items[window.start : window.end]],
                "_links": links,
                "_meta": {"total": len(items)},
            }
        )

    def _records(
        self, request: web.Request, coll: str, records: list[dict[str, Any]] | None = None
    ) -> web.Response:
        if records is None:
            store = self.store[coll]
            records = self.views.get(store, coll, lambda: list(store.values()))
        filters = {
            k: v
            for k, v in request.query.items()
            if k not in ("page", "per_page") and k in FILTERS.get(coll, ())
        }
        if filters:
            records = [
                r for r in records if all(_as_query(r.get(k)) == v for k, v in filters.items())
            ]
        origin = f"{request.scheme}://{request.host}{self.base_path}"
        return self._collection(request, records, lambda r: self._present(origin, coll, r))

    # -- handlers: collections and objects ----------------------------------------------------

    async def _list(self, request: web.Request, coll: str) -> web.Response:
        return self._records(request, coll)

    async def _get(self, request: web.Request, coll: str) -> web.Response:
        record = self.store[coll][self._item_id(request, coll)]
        origin = f"{request.scheme}://{request.host}{self.base_path}"
        return json_response(self._present(origin, coll, record))

    async def _custom_fields(self, request: web.Request, coll: str) -> web.Response:
        """``GET <coll>/<id>/custom_fields``: the object's custom fields as a collection of
        ``{"name", "value"}`` (assumed shape; empty for objects without any)."""
        fields = self.store[coll][self._item_id(request, coll)].get("custom_fields") or {}
        return self._collection(request, [{"name": k, "value": v} for k, v in fields.items()])

    async def _create(self, request: web.Request, coll: str) -> web.Response:
        body = await self._json_body(request, obj=True)
        values, relations = self._validate(coll, body, current_id=None)
        ident = self.next_id[coll]
        self.next_id[coll] += 1
        now = iso(datetime.now(UTC))
        record: dict[str, Any] = {"id": ident, **dict.fromkeys(FIELDS[coll])}
        record.update(values, created_at=now, updated_at=now)
        self.store[coll][ident] = record
        for key, ids in relations.items():
            self.relations[key][ident] = dict.fromkeys(ids)
        return self.wrote(request, json_response({"id": ident}))

    async def _update(self, request: web.Request, coll: str) -> web.Response:
        ident = self._item_id(request, coll)
        body = await self._json_body(request, obj=True)
        values, relations = self._validate(coll, body, current_id=ident)
        if values:
            self.store[coll][ident].update(values, updated_at=iso(datetime.now(UTC)))
        for key, ids in relations.items():
            self.relations[key][ident] = dict.fromkeys(ids)
        return self.wrote(request)

    async def _post_item(self, request: web.Request, coll: str) -> web.Response:
        """``POST /campaigns/1 {"products": [..]}``: adds relations, keeps the others."""
        ident = self._item_id(request, coll)
        body = await self._json_body(request)
        if not isinstance(body, dict):
            raise _NOT_OBJECT
        relations = self._relations_in(coll, body)
        if not relations:
            names = ", ".join(RELATIONS[coll])
            raise _validation({"body": [f"The body must contain one of: {names}."]})
        for key, ids in relations.items():
            members = self.relations[key].setdefault(ident, {})
            for i in ids:
                members.setdefault(i, None)
        return self.wrote(request)

    async def _delete(self, request: web.Request, coll: str) -> web.Response:
        ident = self._item_id(request, coll)
        del self.store[coll][ident]
        for key, by_parent in self.relations.items():
            parent, rel = key.split(".")
            if parent == coll:
                by_parent.pop(ident, None)
            if RELATIONS[parent][rel] == coll:
                for members in by_parent.values():
                    members.pop(ident, None)
        return self.wrote(request)

    # -- handlers: relations ------------------------------------------------------------------

    def _rel_parts(self, key: str) -> tuple[str, str]:
        parent, rel = key.split(".")
        return parent, RELATIONS[parent][rel]

    async def _rel_list(self, request: web.Request, key: str) -> web.Response:
        parent, target = self._rel_parts(key)
        ident = self._item_id(request, parent)
        members = self.relations[key].get(ident, {})
        records = [self.store[target][i] for i in members if i in self.store[target]]
        return self._records(request, target, records)

    async def _rel_get(self, request: web.Request, key: str) -> web.Response:
        parent, target = self._rel_parts(key)
        ident = self._item_id(request, parent)
        raw = request.match_info["rid"]
        members = self.relations[key].get(ident, {})
        if not raw.isdigit() or int(raw) not in members or int(raw) not in self.store[target]:
            raise _not_found(target, raw)
        record = self.store[target][int(raw)]
        return json_response(
            self._present(f"{request.scheme}://{request.host}{self.base_path}", target, record)
        )

    async def _rel_body(self, request: web.Request, key: str) -> list[int]:
        body = await self._json_body(request)
        _, target = self._rel_parts(key)
        return self._related_ids(target, body, "")

    async def _rel_write(self, request: web.Request, key: str, how: str) -> web.Response:
        """``POST`` adds, ``PATCH`` replaces, ``DELETE`` (with ``[{"id": 1}, ..]``; a lenient
        extra, the documented way is ``DELETE <relation>/<id>``) removes; without a body: 422,
        nothing changed."""
        parent, _ = self._rel_parts(key)
        ident = self._item_id(request, parent)
        ids = await self._rel_body(request, key)
        if how == "replace":
            self.relations[key][ident] = dict.fromkeys(ids)
        elif how == "add":
            members = self.relations[key].setdefault(ident, {})
            for i in ids:
                members.setdefault(i, None)
        else:
            members = self.relations[key].get(ident, {})
            for i in ids:
                members.pop(i, None)
        return self.wrote(request)

    async def _rel_remove(self, request: web.Request, key: str) -> web.Response:
        parent, target = self._rel_parts(key)
        ident = self._item_id(request, parent)
        raw = request.match_info["rid"]
        members = self.relations[key].get(ident, {})
        if not raw.isdigit() or int(raw) not in members:
            raise _not_found(target, raw)
        del members[int(raw)]
        return self.wrote(request)

    # -- validation ---------------------------------------------------------------------------

    def _related_ids(self, target: str, value: Any, prefix: str) -> list[int]:
        """``[{"id": 1}, ..]`` as ids; 422 naming each bad entry (``0.id``, ``users.0.id``)."""
        where = prefix.rstrip(".") or "body"
        if value is None:
            raise _validation({where: [f"The {_label(where)} field is required."]})
        if not isinstance(value, list):
            raise _validation({where: [f"The {_label(where)} must be an array."]})
        errors: dict[str, list[str]] = {}
        ids: list[int] = []
        for n, entry in enumerate(value):
            field = f"{prefix}{n}.id"
            ident = entry.get("id") if isinstance(entry, dict) else None
            if ident is None:
                errors[field] = [f"The {field} field is required."]
            elif isinstance(ident, bool) or not isinstance(ident, int):
                errors[field] = [f"The {field} must be an integer."]
            elif ident not in self.store[target]:
                errors[field] = [f"The selected {field} is invalid."]
            else:
                ids.append(ident)
        if errors:
            raise _validation(errors)
        return list(dict.fromkeys(ids))

    def _relations_in(self, coll: str, body: Mapping[str, Any]) -> dict[str, list[int]]:
        out: dict[str, list[int]] = {}
        for rel, target in RELATIONS.get(coll, {}).items():
            if rel in body:
                out[f"{coll}.{rel}"] = self._related_ids(target, body[rel], f"{rel}.")
        return out

    def _validate(
        self, coll: str, body: Mapping[str, Any], *, current_id: int | None
    ) -> tuple[dict[str, Any], dict[str, list[int]]]:
        """The values to store and the relations to set; unknown and ``_``-prefixed keys are
        ignored (``id``, ``created_at`` and ``updated_at`` are not writable)."""
        fields = FIELDS[coll]
        values, issues = validate(body, fields, creating=current_id is None)
        found = {f: MESSAGES[c].format(label=_label(f), **kw) for f, c, kw in issues}
        for field in UNIQUE.get(coll, ()):
            clean = values.get(field)
            if clean is not None and any(
                r.get(field) == clean and r["id"] != current_id for r in self.store[coll].values()
            ):
                found[field] = f"The {_label(field)} has already been taken."
                del values[field]
        errors = {f: [found[f]] for f in fields if f in found}
        try:
            relations = self._relations_in(coll, body)
        except Problem as problem:
            errors.update(problem.fields or {})
            relations = {}
        if errors:
            raise _validation(errors)
        return values, relations


def _accepts_json(accept: str) -> bool:
    """Whether an ``Accept`` header admits JSON (no header at all does)."""
    if not accept.strip():
        return True
    for part in accept.split(","):
        media, *params = (p.strip().lower() for p in part.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 1.0
        if quality <= 0:
            continue  # explicitly refused
        if media in ("*/*", "application/*", "application/json") or media.endswith("+json"):
            return True
    return False


def _as_query(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)

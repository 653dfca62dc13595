"""The LeadDesk emulator: LeadDesk's REST API (``/stable``) as ``leaddesk.txt`` describes it. What
it emulates, and assumes where the docs are silent, is written once, in ``docs/sandbox/leaddesk.md``
(OAuth2 grants with rotation, HAL collections, relations, Laravel-style 422s)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from functools import partial
from typing import Any, ClassVar

from aiohttp import web

from ..._auth import OAuth2, bearer
from ..._emulator import Emulator, json_response, read_body
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
        client = {"client_id": self.client_id, "client_secret": self.client_secret}
        return {**client, **self.login(), "base_url": base_url}

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
        for coll in SINGULAR:
            item = f"{bp}/{coll}/{{id}}"
            r.add_get(f"{bp}/{coll}", partial(self._records, coll=coll))
            r.add_get(item, partial(self._get, coll=coll))
            if coll in CUSTOM_FIELDS:
                r.add_get(item + "/custom_fields", partial(self._custom_fields, coll=coll))
            if coll not in WRITABLE:
                continue
            r.add_post(f"{bp}/{coll}", partial(self._create, coll=coll))
            r.add_patch(item, partial(self._update, coll=coll))
            r.add_delete(item, partial(self._delete, coll=coll))
            if coll in RELATIONS:
                r.add_post(item, partial(self._post_item, coll=coll))
            for rel in RELATIONS.get(coll, ()):
                path = f"{item}/{rel}"
                r.add_get(path, partial(self._rel_list, parent=coll, rel=rel))
                for method, how in (("POST", "add"), ("PATCH", "replace"), ("DELETE", "remove")):
                    r.add_route(
                        method, path, partial(self._rel_write, parent=coll, rel=rel, how=how)
                    )
                r.add_get(path + "/{rid}", partial(self._rel_get, parent=coll, rel=rel))
                r.add_delete(path + "/{rid}", partial(self._rel_remove, parent=coll, rel=rel))

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
        grant = _text_param(body, "grant_type")
        self.counters.token_requests[grant] += 1
        client = (body.get("client_id"), body.get("client_secret"))
        if client != (self.client_id, self.client_secret):
            raise Problem(401, "Client authentication failed.", code="invalid_client")
        if grant == "refresh_token":
            answer = self.oauth.refresh(_text_param(body, "refresh_token"))
            if answer is None:
                raise Problem(400, "The refresh token is invalid.", code="invalid_request")
            return json_response(answer)
        if grant == "password":
            login = {field: _text_param(body, field) for field in ("username", "password")}
            if login != self.login():
                raise Problem(401, _BAD_CREDENTIALS, code="invalid_credentials")
            subject: dict[str, Any] = {"username": body["username"]}
        elif grant in ("leaddesk_client_id", "client_user"):
            users = grant == "client_user"
            for field in ("username", "leaddesk_client_id") if users else ("leaddesk_client_id",):
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
            if users:
                known = {u["username"] for u in self.store["users"].values()} | {self.username}
                # A username that is not text (a list, an object) is no user: refused, not a 500.
                if not isinstance(body["username"], str) or body["username"] not in known:
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

    def _item_id(self, request: web.Request, coll: str) -> int:
        raw = request.match_info["id"]
        if raw.isdigit() and int(raw) in self.store[coll]:
            return int(raw)
        raise _not_found(coll, raw)

    def _present(self, request: web.Request, coll: str, record: dict[str, Any]) -> dict[str, Any]:
        origin = f"{request.scheme}://{request.host}{self.base_path}"
        own = f"{origin}/{coll}/{record['id']}"
        links = {"self": own, **{rel: f"{own}/{rel}" for rel in RELATIONS.get(coll, {})}}
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
        links = {
            rel: str(request.url.update_query(page=at))
            for rel, at in (("self", page), ("prev", window.prev), ("next", window.next))
            if at is not None
        }
        shown = [present(r) for r in items[window.start : window.end]]
        return json_response({"collection": shown, "_links": links, "_meta": {"total": len(items)}})

    async def _records(
        self, request: web.Request, coll: str, records: list[dict[str, Any]] | None = None
    ) -> web.Response:
        """A collection's list (or the ``records`` given), filtered by ``?field=value``."""
        return self.cached_page(
            request, self.store[coll], partial(self._records_page, request, coll, records)
        )

    def _records_page(
        self, request: web.Request, coll: str, records: list[dict[str, Any]] | None
    ) -> web.Response:
        if records is None:
            store = self.store[coll]
            records = self.views.get(store, coll, lambda: list(store.values()))
        wanted = {k: v for k, v in request.query.items() if k in FILTERS.get(coll, ())}
        if wanted:
            records = [
                r for r in records if all(_as_query(r.get(k)) == v for k, v in wanted.items())
            ]
        return self._collection(request, records, lambda r: self._present(request, coll, r))

    # -- handlers: collections and objects ----------------------------------------------------

    async def _get(self, request: web.Request, coll: str) -> web.Response:
        record = self.store[coll][self._item_id(request, coll)]
        return json_response(self._present(request, coll, record))

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
            self._relate(key, ident, ids, "replace")
        return self.wrote(request, json_response({"id": ident}))

    async def _update(self, request: web.Request, coll: str) -> web.Response:
        ident = self._item_id(request, coll)
        body = await self._json_body(request, obj=True)
        values, relations = self._validate(coll, body, current_id=ident)
        if values:
            self.store[coll][ident].update(values, updated_at=iso(datetime.now(UTC)))
        for key, ids in relations.items():
            self._relate(key, ident, ids, "replace")
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
            self._relate(key, ident, ids, "add")
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

    def _relate(self, key: str, ident: int, ids: list[int], how: str) -> None:
        """``add`` (already related ones keep their place), ``replace`` or ``remove`` ``ids``."""
        by_parent = self.relations[key]
        if how == "replace":
            by_parent[ident] = dict.fromkeys(ids)
        elif how == "add":
            members = by_parent.setdefault(ident, {})
            for i in ids:
                members.setdefault(i, None)
        else:
            for i in ids:
                by_parent.get(ident, {}).pop(i, None)

    def _member(
        self, request: web.Request, parent: str, rel: str, *, stored: bool = False
    ) -> tuple[dict[int, None], int]:
        """The parent's related ids and the one the path names: 404 unless it is related (and,
        with ``stored``, still in the store)."""
        members = self.relations[f"{parent}.{rel}"].get(self._item_id(request, parent), {})
        raw, target = request.match_info["rid"], RELATIONS[parent][rel]
        if not raw.isdigit() or int(raw) not in members:
            raise _not_found(target, raw)
        if stored and int(raw) not in self.store[target]:
            raise _not_found(target, raw)
        return members, int(raw)

    async def _rel_list(self, request: web.Request, parent: str, rel: str) -> web.Response:
        members = self.relations[f"{parent}.{rel}"].get(self._item_id(request, parent), {})
        target = self.store[RELATIONS[parent][rel]]
        records = [target[i] for i in members if i in target]
        return await self._records(request, RELATIONS[parent][rel], records)

    async def _rel_get(self, request: web.Request, parent: str, rel: str) -> web.Response:
        _, rid = self._member(request, parent, rel, stored=True)
        target = RELATIONS[parent][rel]
        return json_response(self._present(request, target, self.store[target][rid]))

    async def _rel_write(
        self, request: web.Request, parent: str, rel: str, how: str
    ) -> web.Response:
        """``POST`` adds, ``PATCH`` replaces, ``DELETE`` (with ``[{"id": 1}, ..]``; a lenient
        extra, the documented way is ``DELETE <relation>/<id>``) removes; without a body: 422,
        nothing changed."""
        ident = self._item_id(request, parent)
        body = await self._json_body(request)
        ids = self._related_ids(RELATIONS[parent][rel], body, "")
        self._relate(f"{parent}.{rel}", ident, ids, how)
        return self.wrote(request)

    async def _rel_remove(self, request: web.Request, parent: str, rel: str) -> web.Response:
        members, rid = self._member(request, parent, rel)
        del members[rid]
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
        return {
            f"{coll}.{rel}": self._related_ids(target, body[rel], f"{rel}.")
            for rel, target in RELATIONS.get(coll, {}).items()
            if rel in body
        }

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


def _text_param(body: Mapping[str, Any], field: str) -> str:
    """A token request's string parameter; ``invalid_request`` when missing, empty or not text."""
    value = body.get(field)
    if not isinstance(value, str) or not value:
        raise _oauth_missing(field)
    return value


def _accepts_json(accept: str) -> bool:
    """Whether an ``Accept`` header admits JSON (no header at all does)."""
    if not accept.strip():
        return True
    for part in accept.split(","):
        media, *params = (p.strip().lower() for p in part.split(";"))
        qs = [v for n, _, v in (p.partition("=") for p in params) if n.strip() == "q"]
        try:
            quality = float(qs[-1]) if qs else 1.0  # the last ``q`` counts
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

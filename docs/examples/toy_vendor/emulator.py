"""The Tasklist emulator, written from Tasklist's docs (``adapter.py``'s docstring), not from
the client: it imports nothing from ``vendorkit.core``. The sandbox framework counts, throttles,
injects faults (``inject("429")``), runs ``authenticate`` and renders every ``Problem`` raised
below a handler with ``render_problem``; what is left is Tasklist's own tables and routes.
(Inside vendorkit: a package ``sandbox/vendors/tasklist/``, importing the framework relatively.)
"""

from __future__ import annotations

from typing import Any, ClassVar

from aiohttp import web

from vendorkit.sandbox import Emulator
from vendorkit.sandbox._auth import bearer
from vendorkit.sandbox._emulator import json_response, read_body
from vendorkit.sandbox._pages import int_params, page_window
from vendorkit.sandbox._problem import Problem
from vendorkit.sandbox._schema import Field, validate

FIELDS = {
    "id": Field("string", max_length=200),  # on create only: ids never change
    "title": Field("string", required=True, strip=True, max_length=200),
    "done": Field("bool", null_ok=False),
    "due": Field("date"),
}


class TasklistEmulator(Emulator):
    """``store["tasks"]``: id -> task, ``records`` of them seeded as ``t-0001``..."""

    name = "tasklist"
    base_path = "/v1"
    default_quota: ClassVar[str | None] = None  # Tasklist publishes no limit
    default_token_ttl: ClassVar[float | None] = None  # API keys do not expire

    def seed_data(self) -> None:
        self.api_key = self.tokens.issue(value=self.seeded_key("tl_"))
        self.store["tasks"] = {}
        self.next_id = 1
        for _ in range(self.records):
            self.add({"title": f"Task {self.next_id}", "done": self.rng.random() < 0.3})

    def add(self, values: dict[str, Any]) -> dict[str, Any]:
        tid = values.pop("id", None) or f"t-{self.next_id:04d}"
        self.next_id += 1
        if tid in self.store["tasks"]:
            raise Problem(409, f"A task {tid!r} exists already.", code="conflict")
        task = self.store["tasks"][tid] = {"id": tid, "done": False, "due": None, **values}
        return task

    def credentials(self, base_url: str) -> dict[str, Any]:
        return {"api_key": self.api_key, "base_url": base_url}

    def authenticate(self, request: web.Request) -> None:
        key = bearer(request.headers.get("Authorization", ""), scheme="token", colon=False)
        if self.tokens.lookup(key) is None:
            raise Problem(401, "No API key, or an unknown one.", code="unauthorized")

    def render_problem(self, request: web.Request, problem: Problem) -> web.Response:
        error: dict[str, Any] = {"code": problem.code or f"http_{problem.status}"}
        error["message"] = problem.message
        if problem.fields:
            error["fields"] = dict(problem.fields)
        return json_response({"error": error}, problem.status, problem.headers)

    def add_routes(self, app: web.Application) -> None:
        tasks = self.base_path + "/tasks"
        app.router.add_get(tasks, self.list_tasks)
        app.router.add_post(tasks, self.create_task)
        app.router.add_get(tasks + "/{id}", self.get_task)
        app.router.add_patch(tasks + "/{id}", self.update_task)
        app.router.add_delete(tasks + "/{id}", self.delete_task)

    def task(self, request: web.Request) -> dict[str, Any]:
        tid = request.match_info["id"]
        if tid not in self.store["tasks"]:
            raise Problem(404, f"No task {tid!r}.", code="not_found")
        return self.store["tasks"][tid]

    async def changes(self, request: web.Request, *, creating: bool) -> dict[str, Any]:
        body = await read_body(
            request,
            empty={},
            malformed=lambda why: Problem(400, f"The body is not JSON: {why}", code="bad_request"),
            not_object=lambda _: Problem(400, "The body must be an object.", code="bad_request"),
        )
        values, issues = validate(body, FIELDS, creating=creating)
        if issues:
            fields = {name: [code.replace("_", " ")] for name, code, _ in issues}
            raise Problem(422, "The task is not valid.", code="invalid", fields=fields)
        return values

    async def list_tasks(self, request: web.Request) -> web.Response:
        query, bad = int_params(request.query, {"page": 1, "per_page": 20})
        if bad or query["page"] < 1 or query["per_page"] < 1:
            raise Problem(400, "page and per_page are whole numbers from 1.", code="bad_request")
        ids, size = list(self.store["tasks"]), min(query["per_page"], 100)
        window = page_window(query["page"], size, len(ids))
        items = [self.store["tasks"][tid] for tid in ids[window.start : window.end]]
        page = {"page": query["page"], "per_page": size}
        return json_response({"items": items, "total": len(ids), **page})

    async def create_task(self, request: web.Request) -> web.Response:
        task = self.add(await self.changes(request, creating=True))
        self.count_write(request)
        return json_response(task, 201)

    async def get_task(self, request: web.Request) -> web.Response:
        return json_response(self.task(request))

    async def update_task(self, request: web.Request) -> web.Response:
        task, values = self.task(request), await self.changes(request, creating=False)
        values.pop("id", None)
        task.update(values)
        self.count_write(request)
        return json_response(task)

    async def delete_task(self, request: web.Request) -> web.Response:
        del self.store["tasks"][self.task(request)["id"]]
        self.count_write(request)
        return web.Response(status=204)

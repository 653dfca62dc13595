"""The local data server: one collection per pagination style, in each vendor's wire shape, so
the real adapters walk it unchanged.

- offset/limit like LeanLaw: ``GET /v2/clients?offset=&limit=`` (limit max 1000, Bearer);
- page/per_page like LeadDesk: ``GET /stable/users?page=&per_page=`` (max 500, Bearer from
  ``POST /stable/oauth/access-token``);
- next-link cursor like Leady: ``GET /v1/companies/?cursor=&page_size=`` (max 1000, ``Token``).

Every path is prefixed by ``/<latency ms>/<records>``, so one server process serves every
scenario of a run and the collection size is part of the base URL a client is given. The server
sleeps the latency before answering. Rendered pages are kept in a bounded LRU (by bytes), so
repeated walks cost a dictionary lookup and the server never holds a large collection.

``--quota N`` makes the server enforce N requests in any sliding one-second window (429 with
``Retry-After`` beyond it) and count both outcomes at ``GET /stats``. ``GET /<lat>/<n>/v2/ping``
is the trivial endpoint for the per-request cost.

Run: ``python -m bench._server PORT [--quota N]``. Loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import collections
import math
import time
from collections.abc import Awaitable, Callable

import orjson
from aiohttp import web

from bench._records import render

CACHE_BYTES = 128 * 2**20
LEANLAW_MAX, LEADDESK_MAX, LEADY_MAX = 1000, 500, 1000
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class PageCache:
    """A least-recently-used cache of rendered response bodies, bounded by their total size."""

    def __init__(self, limit: int) -> None:
        self._items: collections.OrderedDict[tuple[object, ...], bytes] = collections.OrderedDict()
        self._limit = limit
        self._size = 0

    def get(self, key: tuple[object, ...], make: Callable[[], bytes]) -> bytes:
        body = self._items.get(key)
        if body is not None:
            self._items.move_to_end(key)
            return body
        body = make()
        self._items[key] = body
        self._size += len(body)
        while self._size > self._limit and self._items:
            _, old = self._items.popitem(last=False)
            self._size -= len(old)
        return body


class Quota:
    """N requests in any sliding one-second window; counts what it let through and refused."""

    def __init__(self, per_second: int) -> None:
        self.per_second = per_second
        self.times: collections.deque[float] = collections.deque()
        self.ok = 0
        self.throttled = 0

    def admit(self) -> float | None:
        """None if the request may proceed, else the seconds until a slot frees."""
        now = time.monotonic()
        while self.times and now - self.times[0] >= 1.0:
            self.times.popleft()
        if len(self.times) >= self.per_second:
            self.throttled += 1
            return 1.0 - (now - self.times[0])
        self.times.append(now)
        self.ok += 1
        return None


def _json(body: bytes) -> web.Response:
    return web.Response(body=body, content_type="application/json")


def _scenario(request: web.Request) -> tuple[float, int]:
    """The latency (seconds) and the collection size the path prefix names."""
    return int(request.match_info["lat"]) / 1000, int(request.match_info["total"])


def _limit(request: web.Request, name: str, default: int, most: int) -> int:
    return max(1, min(most, int(request.query.get(name, default))))


def make_app(quota: int | None = None, cache_bytes: int = CACHE_BYTES) -> web.Application:
    cache = PageCache(cache_bytes)
    limiter = Quota(quota) if quota else None

    def authorised(request: web.Request, scheme: str) -> bool:
        return request.headers.get("Authorization", "").startswith(scheme + " ")

    async def offset(request: web.Request) -> web.Response:
        lat, total = _scenario(request)
        if not authorised(request, "Bearer"):
            raise web.HTTPUnauthorized()
        off = max(0, int(request.query.get("offset", 0)))
        lim = _limit(request, "limit", 100, LEANLAW_MAX)

        def make() -> bytes:
            meta = orjson.dumps({"limit": lim, "offset": off, "total": total})
            rows = render("offset", off, min(off + lim, total))
            return b'{"data":[' + rows + b'],"pagination":' + meta + b"}"

        body = cache.get(("offset", total, off, lim), make)
        if lat:
            await asyncio.sleep(lat)
        return _json(body)

    async def paged(request: web.Request) -> web.Response:
        lat, total = _scenario(request)
        if not authorised(request, "Bearer"):
            raise web.HTTPUnauthorized()
        number = max(1, int(request.query.get("page", 1)))
        per = _limit(request, "per_page", 25, LEADDESK_MAX)
        start = (number - 1) * per

        def make() -> bytes:
            base = str(request.url.with_query(None))
            links = {"self": f"{base}?page={number}&per_page={per}"}
            if start + per < total:
                links["next"] = f"{base}?page={number + 1}&per_page={per}"
            tail = orjson.dumps({"_links": links, "_meta": {"total": total}})
            rows = render("page", start, min(start + per, total))
            return b'{"collection":[' + rows + b"]," + tail[1:]

        body = cache.get(("page", total, number, per), make)
        if lat:
            await asyncio.sleep(lat)
        return _json(body)

    async def cursor(request: web.Request) -> web.Response:
        lat, total = _scenario(request)
        if not authorised(request, "Token"):
            raise web.HTTPUnauthorized()
        token = request.query.get("cursor")
        start = int(base64.urlsafe_b64decode(token.encode()).decode()) if token else 0
        size = _limit(request, "page_size", 100, LEADY_MAX)

        def make() -> bytes:
            nxt = None
            if start + size < total:
                code = base64.urlsafe_b64encode(str(start + size).encode()).decode()
                nxt = str(request.url.with_query({"cursor": code, "page_size": str(size)}))
            rows = render("cursor", start, min(start + size, total))
            head = orjson.dumps({"next": nxt, "previous": None})
            return head[:-1] + b',"results":[' + rows + b"]}"

        body = cache.get(("cursor", total, start, size), make)
        if lat:
            await asyncio.sleep(lat)
        return _json(body)

    async def token(request: web.Request) -> web.Response:
        await request.read()
        answer = {"access_token": "bench", "token_type": "Bearer", "expires_in": 3600}
        return _json(orjson.dumps({**answer, "refresh_token": "r"}))

    async def ping(request: web.Request) -> web.Response:
        lat, _ = _scenario(request)
        if lat:
            await asyncio.sleep(lat)
        return _json(b'{"data":{"ok":true}}')

    async def stats(request: web.Request) -> web.Response:
        counts = {"ok": limiter.ok, "throttled": limiter.throttled} if limiter else {}
        return _json(orjson.dumps(counts))

    @web.middleware
    async def enforce(request: web.Request, handler: Handler) -> web.StreamResponse:
        if limiter is None or request.path == "/stats":
            return await handler(request)
        wait = limiter.admit()
        if wait is not None:
            return web.Response(status=429, headers={"Retry-After": str(max(1, math.ceil(wait)))})
        return await handler(request)

    app = web.Application(middlewares=[enforce])
    prefix = "/{lat:\\d+}/{total:\\d+}"
    app.router.add_get(prefix + "/v2/clients", offset)
    app.router.add_get(prefix + "/v2/ping", ping)
    app.router.add_get(prefix + "/stable/users", paged)
    app.router.add_post(prefix + "/stable/oauth/access-token", token)
    app.router.add_get(prefix + "/v1/companies/", cursor)
    app.router.add_get("/stats", stats)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench._server")
    parser.add_argument("port", type=int)
    parser.add_argument("--quota", type=int, default=None, help="requests per second enforced")
    args = parser.parse_args()
    web.run_app(make_app(args.quota), host="127.0.0.1", port=args.port, print=None)


if __name__ == "__main__":
    main()

"""A synthetic server for export benchmarks: records are generated from their index on the fly,
so it holds nothing in memory however large the collection, and it speaks the three pagination
styles (offset/limit like LeanLaw, page/per_page like LeadDesk, next links like Leady).

Run: ``python -m bench._server PORT RECORDS``. Loopback only.
"""

from __future__ import annotations

import base64
import json
import sys

from aiohttp import web


def record(i: int) -> dict[str, object]:
    return {
        "id": f"00000000-0000-4000-8000-{i:012d}",
        "name": f"Client {i}",
        "status": "active" if i % 3 else "archived",
        "amount": f"{(i * 37) % 100000 / 100:.2f}",
        "createdAt": "2024-05-01T12:00:00Z",
        "tags": ["a", "b"],
        "contact": {"email": f"c{i}@example.com", "phone": "+1 555 0100"},
    }


def make_app(total: int) -> web.Application:
    def page(start: int, size: int) -> list[dict[str, object]]:
        return [record(i) for i in range(start, min(start + size, total))]

    def dump(data: object) -> web.Response:
        return web.Response(body=json.dumps(data).encode(), content_type="application/json")

    async def offset(request: web.Request) -> web.Response:
        off = int(request.query.get("offset", 0))
        lim = min(1000, int(request.query.get("limit", 100)))
        return dump(
            {"data": page(off, lim), "pagination": {"limit": lim, "offset": off, "total": total}}
        )

    async def paged(request: web.Request) -> web.Response:
        p = int(request.query.get("page", 1))
        per = min(500, int(request.query.get("per_page", 25)))
        return dump(
            {"collection": page((p - 1) * per, per), "_links": {}, "_meta": {"total": total}}
        )

    async def cursor(request: web.Request) -> web.Response:
        c = request.query.get("cursor")
        start = int(base64.urlsafe_b64decode(c).decode()) if c else 0
        size = min(1000, int(request.query.get("page_size", 100)))
        nxt = None
        if start + size < total:
            token = base64.urlsafe_b64encode(str(start + size).encode()).decode()
            nxt = str(request.url.with_query({"cursor": token, "page_size": str(size)}))
        return dump({"next": nxt, "previous": None, "results": page(start, size)})

    async def token(request: web.Request) -> web.Response:
        return dump(
            {
                "access_token": "bench",
                "token_type": "Bearer",
                "expires_in": 3600,
                "refresh_token": "r",
            }
        )

    app = web.Application()
    app.router.add_get("/v2/clients", offset)
    app.router.add_get("/stable/users", paged)
    app.router.add_post("/stable/oauth/access-token", token)
    app.router.add_get("/v1/companies/", cursor)
    return app


if __name__ == "__main__":
    port, total = int(sys.argv[1]), int(sys.argv[2])
    web.run_app(make_app(total), host="127.0.0.1", port=port, print=lambda *a: None)

"""A customer's MakeLeaps invoices and LeanLaw matters, served by aiohttp.

    GET /customers/{customer}/invoices?limit=20   MakeLeaps documents of type "invoice"
    GET /customers/{customer}/matters?limit=20    LeanLaw matters

One ``ClientRegistry`` per vendor keeps a client per customer (at most ``MAX_CLIENTS`` idle), all
on the app's one ``ClientSession``, opened and closed with the app (``cleanup_ctx``). A vendor
error becomes the answer ``error_answer`` gives. Run with handler cancellation on, so a browser
that goes away cancels the vendor calls its request started::

    EXAMPLE_TENANTS=tenants.json python -m examples.aiohttp_app.app --port 8080
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from examples._tenants import Tenants, load_tenants, registries
from vendorkit import LeanLaw, MakeLeaps
from vendorkit.errors import VendorkitError
from vendorkit.web import ClientRegistry, cleanup_ctx, error_answer

CLIENTS: web.AppKey[dict[str, Any]] = web.AppKey("clients", dict)
TENANTS: web.AppKey[Tenants] = web.AppKey("tenants", dict)
log = logging.getLogger("example")


@web.middleware
async def vendor_errors(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    try:
        return await handler(request)
    except VendorkitError as exc:
        log.warning("%s %s: %s", request.method, request.path, exc)  # the whole story, for us
        answer = error_answer(exc)  # what the caller may see
        return web.json_response(answer.body(), status=answer.status, headers=answer.headers)


def _customer(request: web.Request, vendor: str) -> str:
    customer = request.match_info["customer"]
    if vendor not in request.app[TENANTS].get(customer, {}):
        raise web.HTTPNotFound(text=f"no {vendor} account for customer {customer!r}")
    return customer


def _limit(request: web.Request) -> int:
    try:
        limit = int(request.query.get("limit", "20"))
    except ValueError:
        raise web.HTTPBadRequest(text="limit must be a whole number") from None
    if not 1 <= limit <= 500:
        raise web.HTTPBadRequest(text="limit must be between 1 and 500")
    return limit


async def invoices(request: web.Request) -> web.Response:
    customer, limit = _customer(request, "makeleaps"), _limit(request)
    registry: ClientRegistry[MakeLeaps] = request.app[CLIENTS]["makeleaps"]
    async with registry.client(customer) as ml:
        docs = await ml.documents.list(document_type="invoice", max_items=limit).all()
    return web.json_response([d.raw for d in docs])


async def matters(request: web.Request) -> web.Response:
    customer, limit = _customer(request, "leanlaw"), _limit(request)
    registry: ClientRegistry[LeanLaw] = request.app[CLIENTS]["leanlaw"]
    async with registry.client(customer) as ll:
        found = await ll.matters.list(max_items=limit).all()
    return web.json_response([m.raw for m in found])


def make_app(tenants: Tenants) -> web.Application:
    app = web.Application(middlewares=[vendor_errors])
    app[TENANTS] = tenants
    app.cleanup_ctx.append(cleanup_ctx(CLIENTS, **registries(tenants)))
    app.router.add_get("/customers/{customer}/invoices", invoices)
    app.router.add_get("/customers/{customer}/matters", matters)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args()
    web.run_app(make_app(load_tenants()), port=args.port, handler_cancellation=True)


if __name__ == "__main__":
    main()

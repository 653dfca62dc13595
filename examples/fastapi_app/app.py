"""The same service as the aiohttp example, on FastAPI (ASGI).

    GET /customers/{customer}/invoices?limit=20   MakeLeaps documents of type "invoice"
    GET /customers/{customer}/matters?limit=20    LeanLaw matters

The registries are opened by the app's lifespan (``vendorkit.web.lifespan``) and found on
``request.state``; ``CancelOnDisconnect`` cancels a request's vendor calls when its client goes
away (uvicorn alone would let them run to the end); vendor errors answer as ``error_answer``
says::

    EXAMPLE_TENANTS=tenants.json uvicorn examples.fastapi_app.app:app --port 8080
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.responses import JSONResponse

from examples._tenants import Tenants, load_tenants, registries
from vendorkit import LeanLaw, MakeLeaps
from vendorkit.errors import VendorkitError
from vendorkit.web import CancelOnDisconnect, ClientRegistry, error_answer, lifespan

log = logging.getLogger("example")


def make_app(tenants: Tenants) -> Any:
    api = FastAPI(lifespan=lifespan(**registries(tenants)))

    @api.exception_handler(VendorkitError)
    async def vendor_error(request: Request, exc: VendorkitError) -> JSONResponse:
        log.warning("%s %s: %s", request.method, request.url.path, exc)
        answer = error_answer(exc)
        return JSONResponse(answer.body(), status_code=answer.status, headers=answer.headers)

    def customer_of(customer: str, vendor: str) -> str:
        if vendor not in tenants.get(customer, {}):
            raise HTTPException(404, f"no {vendor} account for customer {customer!r}")
        return customer

    @api.get("/customers/{customer}/invoices")
    async def invoices(
        request: Request, customer: str, limit: int = Query(20, ge=1, le=500)
    ) -> list[dict[str, Any]]:
        registry: ClientRegistry[MakeLeaps] = request.state.makeleaps
        async with registry.client(customer_of(customer, "makeleaps")) as ml:
            docs = await ml.documents.list(document_type="invoice", max_items=limit).all()
        return [d.raw for d in docs]

    @api.get("/customers/{customer}/matters")
    async def matters(
        request: Request, customer: str, limit: int = Query(20, ge=1, le=500)
    ) -> list[dict[str, Any]]:
        registry: ClientRegistry[LeanLaw] = request.state.leanlaw
        async with registry.client(customer_of(customer, "leanlaw")) as ll:
            found = await ll.matters.list(max_items=limit).all()
        return [m.raw for m in found]

    # Outermost, so that a disconnect cancels everything inside, the endpoint's vendor calls too.
    return CancelOnDisconnect(api)


def __getattr__(name: str) -> Any:
    # ``uvicorn examples.fastapi_app.app:app``: built on first use, from $EXAMPLE_TENANTS.
    if name == "app":
        return make_app(load_tenants())
    raise AttributeError(name)

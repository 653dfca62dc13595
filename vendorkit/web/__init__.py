"""vendorkit in async web apps: clients for the app's life, one per tenant, no orphaned calls.

```python
from vendorkit.web import ClientRegistry, CancelOnDisconnect, cleanup_ctx, error_answer, lifespan
```

- ``open_clients`` / ``lifespan`` (ASGI: Starlette, FastAPI) / ``cleanup_ctx`` (aiohttp): the
  app's clients opened at start-up on one shared ``aiohttp.ClientSession``, closed at shut-down;
- ``ClientRegistry``: one client per customer account, at most ``max_clients`` idle, least
  recently used closed first, never one in use;
- ``CancelOnDisconnect``: an ASGI middleware that cancels a request's vendor calls when its
  client goes away (aiohttp: ``handler_cancellation=True``);
- ``error_answer``: the HTTP status, headers and body an app answers for a vendor error.

docs/web-apps.md has the whole story; ``examples/`` has an aiohttp and a FastAPI app.
"""

from __future__ import annotations

from ._aiohttp import SESSION, cleanup_ctx
from ._asgi import CancelOnDisconnect
from ._clients import ClientFactory, lifespan, open_clients
from ._errors import ErrorAnswer, error_answer
from ._registry import ClientRegistry, Closable

__all__ = [
    "SESSION",
    "CancelOnDisconnect",
    "ClientFactory",
    "ClientRegistry",
    "Closable",
    "ErrorAnswer",
    "cleanup_ctx",
    "error_answer",
    "lifespan",
    "open_clients",
]

"""An app's clients, opened together at start-up and closed together at shut-down.

Both ways async web apps are built hold long-lived resources in a context that spans the app's
life: aiohttp's ``cleanup_ctx`` and ASGI's lifespan (Starlette, FastAPI). ``open_clients`` is
that context for vendorkit clients: every client made by its factory from **one** shared
``aiohttp.ClientSession`` (one connection pool for the app, however many vendors and tenants),
closed in reverse order at the end, the session last. A factory that fails at start-up closes
the clients opened before it: an app that could not start leaves no socket behind.

The session opened here keeps no cookies (``aiohttp.DummyCookieJar``): it is shared by every
client, so a cookie one tenant's answer set (a login session, a sticky load-balancer cookie)
would go out with the next tenant's requests to the same vendor. The vendors' APIs
authenticate by header, never by cookie. A borrowed session with a cookie jar is used as it is,
with a warning saying so.
"""

from __future__ import annotations

import contextlib
import inspect
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

import aiohttp

from vendorkit.errors import ConfigurationError

__all__ = ["ClientFactory", "lifespan", "open_clients"]

log = logging.getLogger("vendorkit")

ClientFactory = Callable[[aiohttp.ClientSession], Any]
"""Makes one client (or a ``ClientRegistry``) from the app's shared session; may be async."""


def _checked(factories: Mapping[str, ClientFactory]) -> dict[str, ClientFactory]:
    if not factories:
        raise ConfigurationError("open_clients needs at least one name=factory")
    for name, factory in factories.items():
        if not name.isidentifier():
            raise ConfigurationError(f"a client's name must be an identifier, not {name!r}")
        if not callable(factory):
            raise ConfigurationError(f"{name}: the factory must be callable, not {factory!r}")
    return dict(factories)


@contextlib.asynccontextmanager
async def open_clients(
    session: aiohttp.ClientSession | None = None, /, **factories: ClientFactory
) -> AsyncIterator[dict[str, Any]]:
    """``{name: factory(session)}`` for the life of the block, every one closed at its end.

    ``session``: the app's own ``aiohttp.ClientSession``, borrowed (never closed here; best
    made with ``cookie_jar=aiohttp.DummyCookieJar()``, see the module docstring); without it,
    one that keeps no cookies is opened for these clients and closed after them. Each factory
    is called with it, in the order given, and should pass it on
    (``MakeLeaps.from_env(session=session)``)::

        async with open_clients(
            makeleaps=lambda s: MakeLeaps.from_env(session=s),
            leanlaw=lambda s: ClientRegistry(lambda firm: LeanLaw(api_key=keys[firm], session=s)),
        ) as clients:
            ...

    The dict it yields is also what an ASGI lifespan yields as its state (see ``lifespan``).
    """
    checked = _checked(factories)
    async with contextlib.AsyncExitStack() as stack:
        if session is None:
            session = await stack.enter_async_context(
                aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar())
            )
        elif not isinstance(session.cookie_jar, aiohttp.DummyCookieJar):
            log.warning(
                "vendorkit: the app's session keeps cookies, and every client on it shares "
                "them: a cookie one tenant's answer sets goes out with another tenant's "
                "requests to that vendor; give it cookie_jar=aiohttp.DummyCookieJar()"
            )
        opened: dict[str, Any] = {}
        for name, factory in checked.items():
            made = factory(session)
            client = await made if inspect.isawaitable(made) else made
            if not callable(getattr(client, "aclose", None)):
                raise ConfigurationError(
                    f"{name}: the factory made {type(client).__name__}, which has no aclose()"
                )
            stack.push_async_callback(client.aclose)
            opened[name] = client
        yield opened


def lifespan(
    **factories: ClientFactory,
) -> Callable[[Any], contextlib.AbstractAsyncContextManager[dict[str, Any]]]:
    """An ASGI lifespan (Starlette, FastAPI) that opens these clients for the app's life; each
    request finds them on ``request.state.<name>``::

        app = FastAPI(lifespan=lifespan(makeleaps=lambda s: MakeLeaps.from_env(session=s)))

        @app.get("/invoices")
        async def invoices(request: Request) -> list[str]:
            ml: MakeLeaps = request.state.makeleaps
    """
    checked = _checked(factories)

    @contextlib.asynccontextmanager
    async def run(app: Any) -> AsyncIterator[dict[str, Any]]:
        async with open_clients(None, **checked) as clients:
            yield clients

    return run

"""``CancelOnDisconnect`` driven by hand over the ASGI interface (as a server drives it),
``error_answer`` over every vendorkit error, and ``open_clients``' start-up failures."""

from __future__ import annotations

import asyncio
import math
from typing import Any

import aiohttp
import pytest
from hypothesis import given
from hypothesis import strategies as st

from vendorkit import errors
from vendorkit.web import CancelOnDisconnect, error_answer, open_clients


class Peer:
    """The server's side of one ASGI call: messages to give the app, and what it sent."""

    def __init__(self, *incoming: dict[str, Any]) -> None:
        self.incoming: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        for m in incoming:
            self.incoming.put_nowait(m)
        self.sent: list[dict[str, Any]] = []
        self.answered = asyncio.Event()  # the answer's last body message is out

    async def receive(self) -> dict[str, Any]:
        return await self.incoming.get()

    async def send(self, message: dict[str, Any]) -> None:
        self.sent.append(message)
        if message["type"] == "http.response.body" and not message.get("more_body"):
            self.answered.set()


REQUEST = {"type": "http.request", "body": b"", "more_body": False}
DISCONNECT = {"type": "http.disconnect"}


async def test_a_disconnect_before_the_answer_cancels_the_app() -> None:
    started, cancelled = asyncio.Event(), asyncio.Event()

    async def app(scope: Any, receive: Any, send: Any) -> None:
        assert await receive() == REQUEST  # the body still reaches the app
        started.set()
        try:
            await asyncio.sleep(3600)  # a vendor call that would never end
        except asyncio.CancelledError:
            cancelled.set()
            raise

    peer = Peer(REQUEST)
    call = asyncio.ensure_future(CancelOnDisconnect(app)({"type": "http"}, peer.receive, peer.send))
    await asyncio.wait_for(started.wait(), 10)
    peer.incoming.put_nowait(DISCONNECT)
    await asyncio.wait_for(call, 10)  # returns: nothing raised into the server
    assert cancelled.is_set()
    assert peer.sent == []


async def test_a_streamed_answer_and_a_late_disconnect_are_left_alone() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        for part in (b"a", b"b"):
            await send({"type": "http.response.body", "body": part, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        assert await receive() == DISCONNECT  # the app may still read it itself

    peer = Peer(REQUEST)
    call = asyncio.ensure_future(CancelOnDisconnect(app)({"type": "http"}, peer.receive, peer.send))
    await asyncio.wait_for(peer.answered.wait(), 10)
    peer.incoming.put_nowait(DISCONNECT)  # the client leaves after it: nothing to cancel
    await asyncio.wait_for(call, 10)
    assert [m.get("body") for m in peer.sent[1:]] == [b"a", b"b", b""]


async def test_the_body_is_read_ahead_only_up_to_the_budget() -> None:
    """(From the first review.) Read ahead without bound, an upload reached memory whole while
    the app was busy in a vendor call: the server's flow control was defeated. Past
    ``read_ahead`` unread bytes the rest stays with the server until the app asks."""
    parts = [{"type": "http.request", "body": b"x" * 1000, "more_body": True} for _ in range(9)]
    parts.append({"type": "http.request", "body": b"", "more_body": False})
    busy, release = asyncio.Event(), asyncio.Event()
    got: list[int] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        busy.set()
        await release.wait()  # a vendor call before the body is read
        while True:
            message = await receive()
            got.append(len(message.get("body", b"")))
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    peer = Peer(*parts)
    middleware = CancelOnDisconnect(app, read_ahead=2500)
    call = asyncio.ensure_future(middleware({"type": "http"}, peer.receive, peer.send))
    await asyncio.wait_for(busy.wait(), 10)
    for _ in range(50):  # let the watcher run as far as it will
        await asyncio.sleep(0)
    assert len(parts) - peer.incoming.qsize() == 3  # 3,000 bytes: the first past 2,500
    release.set()
    await asyncio.wait_for(peer.answered.wait(), 10)
    peer.incoming.put_nowait(DISCONNECT)
    await asyncio.wait_for(call, 10)
    assert got == [1000] * 9 + [0]  # every part, in order


@pytest.mark.parametrize(
    "headers",
    [[], [(b"expect", b"100-continue")], [(b"transfer-encoding", b"chunked")]],
    ids=["plain", "expect-100-continue", "chunked"],
)
async def test_a_body_in_parts_the_app_never_reads_still_lets_the_disconnect_through(
    headers: list[tuple[bytes, bytes]],
) -> None:
    """(From the second review.) Reading one message ahead, a body in two parts that the app
    never read (FastAPI endpoints without a body parameter) kept the disconnect unseen, and so
    did any request with ``Expect: 100-continue`` (a header any client may send): the vendor
    call ran on for nobody. Within the read-ahead budget the body is read whether the app takes
    it or not, and the disconnect after it cancels the app."""
    parts = [
        {"type": "http.request", "body": b"hel", "more_body": True},
        {"type": "http.request", "body": b"lo", "more_body": False},
    ]
    started, cancelled = asyncio.Event(), asyncio.Event()

    async def app(scope: Any, receive: Any, send: Any) -> None:
        started.set()
        try:
            await asyncio.sleep(3600)  # a vendor call; the body is never read
        except asyncio.CancelledError:
            cancelled.set()
            raise

    peer = Peer(*parts)
    scope = {"type": "http", "headers": headers}
    call = asyncio.ensure_future(CancelOnDisconnect(app)(scope, peer.receive, peer.send))
    await asyncio.wait_for(started.wait(), 10)
    peer.incoming.put_nowait(DISCONNECT)
    await asyncio.wait_for(call, 10)
    assert cancelled.is_set()


def test_a_read_ahead_that_is_not_a_byte_count_is_a_configuration_error() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        pass

    for bad in (0, -1, True, 1.5, "64k"):
        with pytest.raises(errors.ConfigurationError, match="read_ahead"):
            CancelOnDisconnect(app, read_ahead=bad)  # type: ignore[arg-type]


async def test_every_receive_waiting_at_the_disconnect_is_told() -> None:
    """(From the second review.) Two receives waiting when the client leaves after the answer
    (a stream listening for it in two tasks): both return the disconnect, as servers do."""
    said: list[Any] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        said.extend(await asyncio.gather(receive(), receive()))

    peer = Peer(REQUEST)
    call = asyncio.ensure_future(CancelOnDisconnect(app)({"type": "http"}, peer.receive, peer.send))
    await asyncio.wait_for(peer.answered.wait(), 10)
    for _ in range(20):
        await asyncio.sleep(0)  # both receives waiting
    peer.incoming.put_nowait(DISCONNECT)
    await asyncio.wait_for(call, 10)
    assert said == [DISCONNECT, DISCONNECT]


async def test_every_receive_after_the_disconnect_says_it_again() -> None:
    """A streaming answer listens for the disconnect, and may ask more than once, as servers
    allow; nothing hangs."""
    said: list[Any] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        for _ in range(3):
            said.append(await receive())

    peer = Peer(REQUEST)
    call = asyncio.ensure_future(CancelOnDisconnect(app)({"type": "http"}, peer.receive, peer.send))
    await asyncio.wait_for(peer.answered.wait(), 10)
    peer.incoming.put_nowait(DISCONNECT)
    await asyncio.wait_for(call, 10)
    assert said == [DISCONNECT] * 3


async def test_the_apps_own_error_reaches_the_server() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        raise RuntimeError("the app's bug")

    peer = Peer(REQUEST)
    with pytest.raises(RuntimeError, match="the app's bug"):
        await CancelOnDisconnect(app)({"type": "http"}, peer.receive, peer.send)


async def test_the_server_cancelling_the_call_is_not_swallowed() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await asyncio.sleep(3600)

    peer = Peer(REQUEST)
    call = asyncio.ensure_future(CancelOnDisconnect(app)({"type": "http"}, peer.receive, peer.send))
    await asyncio.sleep(0.01)
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call


async def test_lifespan_and_websocket_scopes_pass_straight_through() -> None:
    seen: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope["type"])
        await send({"type": "lifespan.startup.complete"})

    peer = Peer()
    for kind in ("lifespan", "websocket"):
        await CancelOnDisconnect(app)({"type": kind}, peer.receive, peer.send)
    assert seen == ["lifespan", "websocket"]


def _error(cls: type[errors.APIError], **kw: Any) -> errors.APIError:
    return cls("the vendor's own words, which may quote the request", vendor="makeleaps", **kw)


@pytest.mark.parametrize(
    ("error", "status", "word"),
    [
        (_error(errors.NotFoundError, status=404), 404, "not_found"),
        (_error(errors.ConflictError, status=409), 409, "conflict"),
        (_error(errors.BadRequestError, status=400), 422, "refused"),
        (_error(errors.UnprocessableEntityError, status=422), 422, "refused"),
        (_error(errors.AuthenticationError, status=401), 502, "vendor_auth"),
        (_error(errors.PermissionDeniedError, status=403), 502, "vendor_auth"),
        (_error(errors.RateLimitError, status=429), 503, "vendor_quota"),
        (_error(errors.ServerError, status=503), 502, "vendor_failed"),
        (_error(errors.APIError, status=418), 502, "vendor_failed"),
        (errors.TransportError("connection refused"), 502, "vendor_unreachable"),
        (errors.RequestTimeoutError("GET /x timed out"), 504, "vendor_timeout"),
        (errors.SharedStateError("the shared token store failed"), 503, "unavailable"),
        (errors.DecodeError("not JSON"), 502, "vendor_failed"),
        (errors.PaginationError("a loop"), 502, "vendor_failed"),
        (errors.ConfigurationError("a typo"), 500, "internal"),
        (errors.ClientStateError("closed"), 500, "internal"),
        (KeyError("x"), 500, "internal"),
    ],
)
def test_each_error_has_the_gateways_answer(error: BaseException, status: int, word: str) -> None:
    answer = error_answer(error)
    assert (answer.status, answer.error) == (status, word)
    assert "own words" not in str(answer.body())  # the vendor's message stays in the log
    if isinstance(error, errors.APIError):
        assert answer.body()["vendor"] == "makeleaps"


@given(st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True)))
def test_retry_after_is_whole_seconds_or_not_said(wait: float | None) -> None:
    answer = error_answer(_error(errors.RateLimitError, status=429, retry_after=wait))
    header = answer.headers.get("Retry-After")
    if wait is None or not math.isfinite(wait) or not 0 <= wait <= 86400:
        assert header is None
    else:
        assert header is not None and header.isdigit()
        assert int(header) >= max(1, wait)
        assert int(header) < max(1, wait) + 1


async def test_a_factory_failing_at_start_up_closes_the_clients_opened_before_it() -> None:
    closed: list[str] = []
    seen: list[aiohttp.ClientSession] = []

    class Client:
        def __init__(self, name: str, session: aiohttp.ClientSession) -> None:
            self.name = name
            seen.append(session)

        async def aclose(self) -> None:
            closed.append(self.name)

    def broken(session: aiohttp.ClientSession) -> Any:
        raise LookupError("no such secret")

    with pytest.raises(LookupError):
        async with open_clients(
            first=lambda s: Client("first", s), second=lambda s: Client("second", s), third=broken
        ):
            pass  # pragma: no cover - never entered
    assert closed == ["second", "first"]
    assert seen[0] is seen[1] and seen[0].closed  # one shared session, closed after them


async def test_open_clients_refuses_what_cannot_be_closed_and_odd_names() -> None:
    with pytest.raises(errors.ConfigurationError, match="no aclose"):
        async with open_clients(thing=lambda s: object()):
            pass  # pragma: no cover
    with pytest.raises(errors.ConfigurationError, match="identifier"):
        async with open_clients(**{"not a name": lambda s: None}):
            pass  # pragma: no cover
    with pytest.raises(errors.ConfigurationError, match="at least one"):
        async with open_clients():
            pass  # pragma: no cover


async def test_a_borrowed_session_is_left_open() -> None:
    class Client:
        async def aclose(self) -> None:
            pass

    async with aiohttp.ClientSession() as mine:
        async with open_clients(mine, c=lambda s: Client()) as clients:
            assert set(clients) == {"c"}
        assert not mine.closed


async def test_aiohttp_cleanup_ctx_shares_the_apps_own_session_and_leaves_it_open() -> None:
    from aiohttp import web

    from tests._http import serving
    from vendorkit.web import SESSION, cleanup_ctx

    got: list[aiohttp.ClientSession] = []
    closed: list[bool] = []

    class Client:
        def __init__(self, session: aiohttp.ClientSession) -> None:
            got.append(session)

        async def aclose(self) -> None:
            closed.append(True)

    clients: web.AppKey[dict[str, Any]] = web.AppKey("clients", dict)
    async with aiohttp.ClientSession() as mine:
        app = web.Application()
        app[SESSION] = mine
        app.cleanup_ctx.append(cleanup_ctx(clients, a=Client, b=Client))
        async with serving(app):
            assert set(app[clients]) == {"a", "b"}
        assert got == [mine, mine] and closed == [True, True]
        assert not mine.closed  # the app's, not ours to close


async def test_a_vendor_that_does_not_answer_in_time_is_a_504_naming_it() -> None:
    """(From the review.) The client's ``timeout=`` passing was a 502 "could not be reached",
    and named no vendor: it is a ``RequestTimeoutError`` (a ``TransportError`` and a
    ``TimeoutError``) with its vendor, and a gateway's 504. A refused connection stays a 502."""
    from aiohttp import web

    from tests._http import serving
    from vendorkit import LeanLaw

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(30)
        return web.json_response({"data": {}})

    app = web.Application()
    app.router.add_get("/v2/clients/{id}", slow)
    async with serving(app, shutdown_timeout=0.1) as url:
        async with LeanLaw(api_key="ll-key-123456789", base_url=url, timeout=0.3) as ll:
            with pytest.raises(errors.RequestTimeoutError) as caught:
                await ll.with_options(max_retries=0).clients.get("1")
    assert isinstance(caught.value, TimeoutError) and caught.value.vendor == "leanlaw"
    answer = error_answer(caught.value)
    assert (answer.status, answer.error, answer.vendor) == (504, "vendor_timeout", "leanlaw")

    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    async with LeanLaw(api_key="ll-key-123456789", base_url=dead, max_retries=0) as ll:
        with pytest.raises(errors.TransportError) as refused:
            await ll.clients.get("1")
    assert not isinstance(refused.value, errors.RequestTimeoutError)
    assert refused.value.vendor == "leanlaw"
    assert error_answer(refused.value).status == 502


async def test_the_apps_own_redis_down_is_a_503_not_the_vendors_fault() -> None:
    """A shared quota storage that cannot be reached is the app's infrastructure failing:
    ``SharedStateError``, a 503, never "the vendor could not be reached"."""
    import socket

    from aiohttp import web

    from tests._http import serving
    from vendorkit import LeanLaw

    async def one(request: web.Request) -> web.Response:
        return web.json_response({"data": {"id": "1"}})

    app = web.Application()
    app.router.add_get("/v2/clients/{id}", one)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        no_redis = f"redis://127.0.0.1:{s.getsockname()[1]}/0"
    async with serving(app) as url:
        async with LeanLaw(
            api_key="ll-key-123456789",
            base_url=url,
            redis_url=no_redis,
            rate_limit="100/second",  # LeanLaw documents no quota: one of the app's own
            max_retries=0,
        ) as ll:
            with pytest.raises(errors.SharedStateError) as caught:
                await ll.clients.get("1")
    answer = error_answer(caught.value)
    assert (answer.status, answer.error) == (503, "unavailable")
    assert "Retry-After" not in answer.headers

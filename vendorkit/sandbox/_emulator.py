"""What every emulator shares: state, counters, tokens, the vendor's quota, fault injection.

A vendor's emulator (the package ``vendors/<vendor>/``) subclasses ``Emulator`` and declares its
routes, its seed data, its error body (``render_problem``), its credentials and what a credential
allows (``authenticate``). Everything that is the same for all four (the middleware that counts,
throttles, injects faults, authenticates and renders ``Problem``s; the one body reader; token
bookkeeping; cached views; determinism) is here.

The emulators simulate the vendors' servers, so they deliberately do not import the client side
(``vendorkit.core``): a bug there must not be mirrored here.
"""

from __future__ import annotations

import abc
import asyncio
import email.utils
import json
import math
import random
import secrets
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Hashable, Mapping, Sized
from typing import Any, ClassVar

import attrs
from aiohttp import web
from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from ._faults import FaultPlan, FaultProfile
from ._problem import Problem
from ._store import Pages, Views

__all__ = ["Counters", "Emulator", "Tokens", "json_response", "read_body", "read_json"]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

HTML_ERROR_PAGE = (
    "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n"
    "<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>\n"
)


def json_response(
    data: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> web.Response:
    """A JSON answer that keeps non-ASCII text as is (Japanese names stay readable on the wire)."""
    return web.Response(
        body=json.dumps(data, ensure_ascii=False, default=str).encode(),
        status=status,
        content_type="application/json",
        headers=headers,
    )


async def read_json(request: web.Request) -> Any:
    """The request's JSON body, ``None`` when empty; raises ``ValueError`` when malformed."""
    raw = await request.read()
    if not raw.strip():
        return None
    return json.loads(raw)


async def read_body(
    request: web.Request,
    *,
    empty: Any = None,
    media_types: tuple[str, ...] | None = None,
    media_type: Callable[[web.Request], Problem] | None = None,
    malformed: Callable[[str], Problem],
    not_object: Callable[[Any], Problem] | None = None,
) -> Any:
    """The one body reader: the request's JSON, ``empty`` when there is none. The vendor says
    which ``Problem`` each refusal is: a ``Content-Type`` neither in ``media_types`` nor
    ``+json`` (``media_type``; unchecked when ``media_types`` is ``None``), malformed JSON
    (given the parser's message), a value that is not an object (``not_object``; any JSON value
    accepted when ``None``)."""
    raw = await request.read()
    if not raw.strip():
        return empty
    ctype = request.content_type.lower()
    if media_types is not None and ctype not in media_types and not ctype.endswith("+json"):
        assert media_type is not None
        raise media_type(request)
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise malformed(str(exc)) from None
    if not_object is not None and not isinstance(data, dict):
        raise not_object(data)
    return data


@attrs.define
class Counters:
    """What a test can assert on. Routes are keyed ``"METHOD /path/{pattern}"``."""

    requests: Counter[str] = attrs.Factory(Counter)
    token_requests: Counter[str] = attrs.Factory(Counter)
    writes: Counter[str] = attrs.Factory(Counter)
    faults: Counter[str] = attrs.Factory(Counter)
    #: Faults per kind and route: ``"503 GET /v2/clients"``, ``"drop_after POST /oauth/..."``.
    fault_routes: Counter[str] = attrs.Factory(Counter)
    throttled: int = 0

    @property
    def total_requests(self) -> int:
        return sum(self.requests.values())

    @property
    def total_writes(self) -> int:
        return sum(self.writes.values())

    def clear(self) -> None:
        self.requests.clear()
        self.token_requests.clear()
        self.writes.clear()
        self.faults.clear()
        self.fault_routes.clear()
        self.throttled = 0


@attrs.define
class _Issued:
    info: dict[str, Any]
    expires_at: float | None


class Tokens:
    """Bearer or API tokens an emulator has issued, with their lifetimes."""

    def __init__(self, ttl: float | None) -> None:
        self.ttl = ttl
        self._issued: dict[str, _Issued] = {}

    def issue(
        self, prefix: str = "", *, ttl: float | None = None, value: str | None = None, **info: Any
    ) -> str:
        """A new token (random unless ``value`` is given: seeded account keys stay the same
        across ``reset()``, so clients built before a reset keep working)."""
        token = value if value is not None else prefix + secrets.token_hex(16)
        lifetime = self.ttl if ttl is None else ttl
        expires = time.monotonic() + lifetime if lifetime is not None else None
        self._issued[token] = _Issued(dict(info), expires)
        return token

    def lookup(self, token: str | None) -> dict[str, Any] | None:
        """The token's info if it exists and has not expired; ``None`` otherwise."""
        issued = self._issued.get(token or "")
        if issued is None:
            return None
        if issued.expires_at is not None and time.monotonic() >= issued.expires_at:
            return None
        return issued.info

    def revoke(self, token: str) -> bool:
        return self._issued.pop(token, None) is not None

    def revoke_where(self, **match: Any) -> int:
        """Revoke every token whose info has these values; returns how many."""
        doomed = [
            t for t, i in self._issued.items() if all(i.info.get(k) == v for k, v in match.items())
        ]
        for t in doomed:
            del self._issued[t]
        return len(doomed)

    def expire_all(self) -> None:
        """Make every issued token expire now (a test of the client's renewal)."""
        for issued in self._issued.values():
            issued.expires_at = time.monotonic()

    def clear(self) -> None:
        self._issued.clear()

    def __len__(self) -> int:
        return len(self._issued)


class _Default:
    pass


DEFAULT: Any = _Default()


class Emulator(abc.ABC):
    """One vendor's API as an ``aiohttp.web`` application with in-memory state.

    ``records`` sizes the main collections; ``seed`` makes the data (and the fault dice)
    reproducible; ``quota`` is the vendor's throttle (``"120/minute;5000/day"``, ``None`` for none,
    default: the vendor's documented one); ``token_ttl`` overrides token lifetimes in seconds.
    """

    name: ClassVar[str]
    #: Path prefix of the API on the emulator's origin ("/v1" for Leady, "" for MakeLeaps).
    base_path: ClassVar[str] = ""
    default_quota: ClassVar[str | None] = None
    default_token_ttl: ClassVar[float | None] = 3600.0
    #: Paths (under ``base_path``) of token endpoints: counted, never faulted by default.
    auth_paths: ClassVar[frozenset[str]] = frozenset()
    #: Whether requests to ``auth_paths`` count against (and can meet) the API's quota. False
    #: where the token endpoint is a separate service from the throttled API.
    throttle_auth_paths: ClassVar[bool] = True
    #: Paths (under ``base_path``) that ``authenticate`` does not guard (default: ``auth_paths``).
    open_paths: ClassVar[frozenset[str] | None] = None

    def __init__(
        self,
        *,
        records: int = 100,
        seed: int = 0,
        faults: FaultProfile | None = None,
        quota: str | None = DEFAULT,
        token_ttl: float | None = None,
    ) -> None:
        self.records = records
        self.seed = seed
        self.faults = FaultPlan(faults)
        self.counters = Counters()
        self.tokens = Tokens(token_ttl if token_ttl is not None else self.default_token_ttl)
        self.quota: str | None = self.default_quota if quota is DEFAULT else quota
        self._limits: list[RateLimitItem] = parse_many(self.quota) if self.quota else []
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self.store: dict[str, dict[Any, dict[str, Any]]] = {}
        self.views = Views()
        self.pages = Pages()
        self.rng = random.Random(f"{self.name}:{seed}")
        self.seed_data()

    # -- what a vendor declares ---------------------------------------------------------------

    @abc.abstractmethod
    def seed_data(self) -> None:
        """Fill ``self.store`` deterministically from ``self.rng`` and ``self.records``."""

    @abc.abstractmethod
    def add_routes(self, app: web.Application) -> None:
        """Register the vendor's routes (paths include ``self.base_path``)."""

    @abc.abstractmethod
    def credentials(self, base_url: str) -> dict[str, Any]:
        """Keyword arguments that make a working client, ``base_url`` included."""

    def render_problem(self, request: web.Request, problem: Problem) -> web.Response:
        """A ``Problem`` in the vendor's own error body (what a vendor overrides; the default
        is ``{"error": code or status, "message": message}``)."""
        body = {"error": problem.code or str(problem.status), "message": problem.message}
        return json_response(body, problem.status, problem.headers)

    def error_response(
        self,
        request: web.Request,
        status: int,
        message: str,
        *,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> web.Response:
        """An error the shared middleware answers (throttle, faults, 404/405), rendered by
        ``render_problem``."""
        return self.render_problem(request, Problem(status, message, code=code, headers=headers))

    def authenticate(self, request: web.Request) -> None:
        """Raise a ``Problem`` unless the request's credentials allow it (default: open)."""
        return None

    def login(self) -> dict[str, str] | None:
        """A user login where the vendor has one (what its token endpoint accepts)."""
        return None

    # -- shared machinery ---------------------------------------------------------------------

    def seeded_key(self, prefix: str) -> str:
        """An account credential drawn from the seeded ``rng``: the same after every reset."""
        return prefix + f"{self.rng.getrandbits(128):032x}"

    def reset(self) -> None:
        """Back to the freshly seeded state: data, counters, tokens, throttle, scripted faults."""
        self.store.clear()
        self.invalidate()
        self.counters.clear()
        self.tokens.clear()
        self.faults.clear()
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self.rng = random.Random(f"{self.name}:{self.seed}")
        self.seed_data()

    def inject(self, *kinds: str, path: str | None = None) -> None:
        """Script faults for the next matching requests, e.g. ``inject("503", "503")``."""
        self.faults.inject(*kinds, path=path)

    def make_app(self) -> web.Application:
        app = web.Application(
            middlewares=[self._count, self._throttle, self._fault, self._vendor_errors, self._auth]
        )
        self.add_routes(app)
        return app

    def _route_key(self, request: web.Request) -> str:
        resource = request.match_info.route.resource
        canonical = resource.canonical if resource is not None else request.path
        return f"{request.method} {canonical}"

    def _is_auth(self, request: web.Request) -> bool:
        return request.path[len(self.base_path) :] in self.auth_paths

    def count_write(self, request: web.Request) -> None:
        """Emulators call this when a write has been applied to the store (it ``invalidate``s)."""
        self.counters.writes[self._route_key(request)] += 1
        self.invalidate()

    def invalidate(self) -> None:
        """Forget cached views and rendered pages: every write does; a test that edits a record
        of ``store`` in place calls it (adding or removing records by hand needs nothing)."""
        self.views.clear()
        self.pages.clear()

    def cached_page(
        self,
        request: web.Request,
        collection: Sized,
        render: Callable[[], web.Response],
        vary: Hashable = None,
    ) -> web.Response:
        """A list page's answer, ``render()``ed once until the next write (``invalidate``) or a
        change in ``collection``'s size. Only for pages that are a function of the store, the
        request and ``vary`` (a knob a test may turn, such as a page size), not of the clock nor
        of state a GET changes: the key is the request as sent (method, path and query byte for
        byte, scheme, every header) and ``vary``, so two requests that differ in anything never
        share an answer. A 200 with a bytes body is kept (its headers and body); anything else
        is answered as rendered, each time."""
        key = (
            request.method,
            request.raw_path,
            request.scheme,
            tuple(request.headers.items()),
            vary,
        )
        hit = self.pages.get(collection, key)
        if hit is not None:
            body, headers = hit
            return web.Response(body=body, headers=headers)
        response = render()
        body = response.body
        if (
            type(response) is web.Response
            and response.status == 200
            and isinstance(body, bytes)
            and not response.cookies
        ):
            self.pages.put(collection, key, (body, response.headers.copy()))
        return response

    def wrote(self, request: web.Request, answer: web.Response | None = None) -> web.Response:
        """A handler's last step after a write: ``count_write``, then ``answer`` (``204``)."""
        self.count_write(request)
        return web.Response(status=204) if answer is None else answer

    @web.middleware
    async def _auth(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        path = request.path[len(self.base_path) :]
        if path not in (self.auth_paths if self.open_paths is None else self.open_paths):
            self.authenticate(request)
        return await handler(request)

    @web.middleware
    async def _count(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        self.counters.requests[self._route_key(request)] += 1
        return await handler(request)

    @web.middleware
    async def _throttle(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if not self.throttle_auth_paths and self._is_auth(request):
            return await handler(request)
        for item in self._limits:
            if not self._limiter.test(item, "account"):
                reset_at, _ = self._limiter.get_window_stats(item, "account")
                wait = max(1, math.ceil(reset_at - time.time()))
                self.counters.throttled += 1
                return self.error_response(
                    request,
                    429,
                    f"Request was throttled. Expected available in {wait} seconds.",
                    code="throttled",
                    headers={"Retry-After": str(wait)},
                )
        for item in self._limits:
            self._limiter.hit(item, "account")
        return await handler(request)

    @web.middleware
    async def _fault(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        kind = self.faults.next_fault(request.path, is_auth=self._is_auth(request))
        if kind is None:
            return await handler(request)
        self.counters.faults[kind] += 1
        self.counters.fault_routes[f"{kind} {self._route_key(request)}"] += 1
        profile = self.faults.profile
        if kind == "slow":
            await asyncio.sleep(profile.slow_seconds)
            return await handler(request)
        if kind == "drop_before":
            await request.read()
            _drop(request)
            return web.Response(status=500)
        if kind == "drop_after":
            await handler(request)
            _drop(request)
            return web.Response(status=500)
        if kind in ("truncated", "truncated_utf8", "short_body"):
            body = getattr(await handler(request), "body", None)
            if not isinstance(body, bytes) or len(body) < 2:
                # A 204, a streamed answer: what a garbling proxy could still send.
                body = b'{"truncated": "\xe6\x97\xa5\xe6\x9c\xac"}'  # 日本
            if kind == "short_body":
                _send_short(request, body)
                return web.Response(status=500)
            cut = body[: len(body) // 2] if kind == "truncated" else _cut_utf8(body)
            return web.Response(body=cut, status=200, content_type="application/json")
        if kind == "bad_status_line":
            await handler(request)
            _send_raw(request, b"HTTP/1.1 2x0 OK\r\nContent-Length: 2\r\n\r\n{}")
            return web.Response(status=500)
        if kind == "html":
            return web.Response(text=HTML_ERROR_PAGE, status=502, content_type="text/html")
        if kind == "429_date":
            # HTTP-dates have whole seconds: round up, so the wait is never below retry_after.
            when = math.ceil(time.time() + profile.retry_after)
            date = email.utils.formatdate(when, usegmt=True)
            return self.error_response(request, 429, _REASONS[429], headers={"Retry-After": date})
        status = int(kind)
        headers = {"Retry-After": f"{profile.retry_after:g}"} if status == 429 else None
        return self.error_response(
            request, status, _REASONS.get(status, "Server error"), headers=headers
        )

    @web.middleware
    async def _vendor_errors(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except Problem as problem:
            return self.render_problem(request, problem)
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            return self.error_response(request, exc.status, exc.reason)


_REASONS = {
    429: "Too many requests.",
    500: "A server error occurred.",
    502: "Bad gateway.",
    503: "Service temporarily unavailable.",
    504: "Gateway timeout.",
}


def _drop(request: web.Request) -> None:
    transport = request.transport
    if transport is not None:
        transport.close()


def _cut_utf8(body: bytes) -> bytes:
    """``body`` cut after the first byte of its first multi-byte UTF-8 sequence; an all-ASCII
    body is cut in half and given the first two bytes of a three-byte sequence (U+65E5)."""
    for i, byte in enumerate(body):
        if byte >= 0xC0:  # a lead byte: the sequence it starts is cut after it
            return body[: i + 1]
    return body[: len(body) // 2] + b"\xe6\x97"


def _send_short(request: web.Request, body: bytes) -> None:
    """Answer 200 with a ``Content-Length`` of the whole ``body``, send half, and hang up.

    Written on the transport directly: aiohttp's own writer refuses to send less than the
    length it announced, and that refusal is precisely the fault."""
    head = (
        "HTTP/1.1 200 OK\r\n"
        "Content-Type: application/json; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    ).encode("ascii")
    _send_raw(request, head + body[: len(body) // 2])


def _send_raw(request: web.Request, data: bytes) -> None:
    """Write ``data`` on the connection, bypassing aiohttp's response writer, and hang up."""
    transport = request.transport
    if transport is None:
        return
    transport.write(data)
    transport.close()  # close() flushes what was written first; abort() would not

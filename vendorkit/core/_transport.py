"""The transport seam: the one place that awaits aiohttp. ``Transport.send(WireRequest) ->
WireResponse`` sends one request and reads its whole answer, nothing more.

Everything above it decides; this layer only does. It owns the aiohttp session (or borrows the
caller's, never closing it), bounds the size of an answer, and ends every foreign exception here:
aiohttp's become a ``Failure`` (connect or transport, for the retry loop to judge) or a
``TransportError``/``ConfigurationError``, described in redacted words and never chained, since
their reprs hold the request's URL and headers, credentials included. ``asyncio.CancelledError``
passes through untouched.
"""

from __future__ import annotations

import functools
import ssl as ssl_module
import time
from collections.abc import Callable
from typing import Any

import aiohttp
import attrs
from yarl import URL

from vendorkit.errors import (
    ClientStateError,
    ConfigurationError,
    RequestTimeoutError,
    ResponseTooLargeError,
    TransportError,
)

from ._config import DEFAULT_CONNECT_TIMEOUT
from ._convert import dumps
from ._lifecycle import Lifecycle
from ._redact import describe_exception, redact_url
from ._retry import FailureKind
from ._wire import WireRequest, WireResponse

__all__ = ["Failure", "Transport"]


class Failure(Exception):
    """An attempt that got no usable HTTP answer (raised inside the retry loop only): ``kind``
    says whether anything may have been sent, ``error`` is what the caller sees."""

    def __init__(self, kind: FailureKind, error: Exception, error_type: str = "") -> None:
        super().__init__(str(error))
        self.kind = kind
        self.error = error
        # What failed, for telemetry's ``error.type``: the foreign exception's class name (a
        # name only, never a message), else the kind of the error we raise.
        self.error_type = error_type or type(error).__qualname__


@functools.lru_cache(maxsize=64)
def _client_timeout(total: float) -> aiohttp.ClientTimeout:
    """aiohttp's timeout for ``total`` seconds (a frozen value: built once per figure)."""
    return aiohttp.ClientTimeout(total=total, connect=min(DEFAULT_CONNECT_TIMEOUT, total))


def _single_send() -> Any:
    """A per-request aiohttp middleware that lets a request reach the wire once. aiohttp resends
    an idempotent request by itself when its connection turns out closed (RFC 9112 9.3.1); that
    would make ``max_retries=0`` two sends and ``max_retries=3`` eight. Our retry loop decides
    about every resend, so the second call here raises the first failure again."""
    failed: list[BaseException] = []

    async def middleware(req: Any, handler: Any) -> Any:
        if failed:
            raise failed[0]
        try:
            return await handler(req)
        except (aiohttp.ClientOSError, aiohttp.ServerDisconnectedError) as exc:
            failed.append(exc)
            raise

    return middleware


def _session_middlewares(session: aiohttp.ClientSession) -> tuple[Any, ...]:
    """A borrowed session's own middlewares: a per-request list replaces them, so we pass them
    on (aiohttp has no public accessor for them)."""
    return tuple(getattr(session, "_middlewares", ()) or ())


def _request_body(request: WireRequest, headers: dict[str, str]) -> Any:
    """What aiohttp's ``data=`` gets for ``request`` (setting the JSON Content-Type)."""
    if request.json is not None:
        headers.setdefault("Content-Type", "application/json")
        return dumps(request.json)
    if request.form is not None:
        return dict(request.form)
    return request.content


# Not slotted: a recorder in the tests wraps ``send`` on one instance to see every request.
@attrs.define(kw_only=True, slots=False)
class Transport:
    """One client's connection to its vendor: the aiohttp session and how to use it.

    ``vendor`` and ``origin`` name the far end in errors; ``secrets()`` gives the credential
    values to scrub from anything shown; ``lifecycle`` says whether the client has closed.
    ``session``: the caller's (borrowed, never closed by us) or None (ours, made on first use).
    """

    vendor: str
    origin: URL
    lifecycle: Lifecycle
    secrets: Callable[[], tuple[str, ...]]
    session: aiohttp.ClientSession | None
    ssl: ssl_module.SSLContext | bool
    timeout: float
    user_agent: str
    max_response_size: int
    max_connections: int
    borrowed: bool = attrs.field(init=False)
    # Whether each request needs the ``_single_send`` middleware (see ``get_session``).
    guard_resend: bool = attrs.field(init=False, default=True)

    def __attrs_post_init__(self) -> None:
        self.borrowed = self.session is not None

    def shown(self, request: WireRequest) -> str:
        """``request``'s URL as errors, logs and hooks show it: sensitive query keys and user
        info redacted, and the client's own credentials under any name too."""
        return redact_url(request.full_url, self.secrets())

    def _describe(self, exc: BaseException) -> str:
        return describe_exception(exc, self.secrets())

    def _for_vendor(self, error: TransportError) -> TransportError:
        error.vendor = self.vendor
        return error

    def client_timeout(self, timeout: float | None = None) -> aiohttp.ClientTimeout:
        """aiohttp's timeout for one request: ``timeout`` seconds (a per-call option,
        ``with_options(timeout=)``), else the client's."""
        return _client_timeout(self.timeout if timeout is None else timeout)

    def get_session(self) -> aiohttp.ClientSession:
        # A request that was under way when the client closed must not open a new session.
        if self.lifecycle.closed:
            raise ClientStateError(f"{self.lifecycle.owner} is closed")
        if self.session is None:
            connector = aiohttp.TCPConnector(
                limit=self.max_connections, limit_per_host=self.max_connections, ssl=self.ssl
            )
            self.session = aiohttp.ClientSession(
                connector=connector,
                timeout=self.client_timeout(),
                headers={"User-Agent": self.user_agent},
            )
            if isinstance(getattr(self.session, "_retry_connection", None), bool):
                # Our own session: aiohttp's switch for its resend, off, instead of a
                # middleware on every request (which measured 10-15 us each). A private
                # attribute, so only where it is there; a borrowed session is never changed.
                self.session._retry_connection = False
                self.guard_resend = False
        elif self.session.closed:
            raise ClientStateError("the aiohttp session is closed")
        return self.session

    @property
    def open_own_session(self) -> bool:
        """Whether we hold a session of our own that is still open (ours to close)."""
        return self.session is not None and not self.borrowed and not self.session.closed

    async def aclose(self) -> None:
        """Close the session we own; a borrowed one is left open."""
        if self.session is not None and self.open_own_session:
            await self.session.close()

    async def send(self, request: WireRequest) -> WireResponse:
        """Send one request and read the whole answer. The only place that touches aiohttp.

        One call, one request on the wire: aiohttp's own resend of an idempotent request on a
        closed connection is turned off (on our own session, or by ``_single_send`` on a
        borrowed one), so ``max_retries`` bounds every send.
        """
        session = self.get_session()
        headers = {"User-Agent": self.user_agent, **request.headers}
        payload = _request_body(request, headers)
        started = time.monotonic()
        error: Exception
        try:
            async with session.request(
                request.method,
                request.full_url,
                headers=headers,
                data=payload,
                allow_redirects=False,
                # A borrowed session may raise for statuses itself: the answer is ours to read.
                raise_for_status=False,
                timeout=self.client_timeout(request.timeout),
                ssl=self.ssl,
                **self._middlewares(session),
            ) as resp:
                body = await self._read_body(request, resp)
                return WireResponse(
                    status=resp.status,
                    headers=resp.headers,
                    body=body,
                    url=resp.url,
                    elapsed=time.monotonic() - started,
                )
        except aiohttp.ClientConnectorCertificateError as exc:
            # Not transient: the same certificate fails the same way on every retry.
            error = self._for_vendor(
                TransportError(
                    f"TLS verification failed for {redact_url(self.origin)}: {self._describe(exc)}"
                )
            )
        except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as exc:
            kind = RequestTimeoutError if isinstance(exc, TimeoutError) else TransportError
            error = Failure(
                FailureKind.CONNECT,
                self._for_vendor(
                    kind(f"could not connect to {redact_url(self.origin)}: {self._describe(exc)}")
                ),
                type(exc).__qualname__,
            )
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            if self.lifecycle.closed:
                error = self.lifecycle.closed_during(request.method, self.shown(request))
            else:
                shown = f"{request.method} {self.shown(request)}"
                failed = (
                    RequestTimeoutError(f"{shown} timed out")
                    if isinstance(exc, TimeoutError)
                    else TransportError(f"{shown} failed: {self._describe(exc)}")
                )
                error = Failure(
                    FailureKind.TRANSPORT, self._for_vendor(failed), type(exc).__qualname__
                )
        except (ValueError, TypeError, LookupError) as exc:
            # aiohttp would not build the request (a header value with a line break, a URL it
            # cannot encode): what the caller passed cannot be sent.
            error = ConfigurationError(
                f"{request.method} {self.shown(request)} cannot be sent: {self._describe(exc)}"
            )
        # Raised here, outside the handlers, so that no __context__ points at the foreign one.
        raise error

    def _middlewares(self, session: aiohttp.ClientSession) -> dict[str, Any]:
        """``middlewares=`` for one request: the session's own plus ``_single_send``, where
        aiohttp's resend is not already off."""
        if not self.guard_resend:
            return {}
        return {"middlewares": (*_session_middlewares(session), _single_send())}

    async def _read_body(self, request: WireRequest, resp: aiohttp.ClientResponse) -> bytes:
        """The whole body, refused once it passes ``max_response_size`` (counted after
        decompression, so a small compressed body that inflates enormously is refused early)."""
        limit = self.max_response_size
        declared = resp.content_length
        if declared is not None and declared > limit:
            raise self._too_large(request, declared)
        chunks: list[bytes] = []
        size = 0
        async for chunk in resp.content.iter_any():
            size += len(chunk)
            if size > limit:
                raise self._too_large(request, size)
            chunks.append(chunk)
        return b"".join(chunks)

    def _too_large(self, request: WireRequest, size: int) -> ResponseTooLargeError:
        return ResponseTooLargeError(
            f"{self.vendor} {request.method} {self.shown(request)}: the answer has more than "
            f"{self.max_response_size} bytes ({size} so far; max_response_size="
            f"{self.max_response_size})"
        )

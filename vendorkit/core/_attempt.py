"""One attempt: the pipeline between the retry loop and the transport seam.

``Attempts.send_once`` runs the rules of ``_attempt_rules`` and ``_redirects`` as thin steps, in
the way httpx stacks auth over redirects over a single send:

1. wait out a client-wide 429 pause (every request does, not only the one that got the 429);
2. credentials (``Auth.authorize``), then a slot of the client-side quota (and, if a 429's
   pause began while it waited for one, the pause and a fresh slot), then credentials again if
   that slot meant waiting;
3. on the wire (``_on_wire``: the shared in-flight bound, hooks, the debug log, and whether the
   outcome is uncertain), down to ``Transport.send``;
4. one renew-and-replay on a 401;
5. redirects on the vendor's origin (each hop takes a quota slot), and the renew-and-replay at
   their end if the first URL's answer did not use it;
6. a 429's ``Retry-After`` starts the client-wide pause;
7. the body decoded as JSON (a success whose body is not JSON is a transport-class failure).

The answer is an ``Answer`` whatever its status: the retry loop above decides what to do next.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

import attrs
from yarl import URL

from vendorkit.errors import DecodeError, RateLimitError

from ._attempt_rules import (
    Answer,
    answer_body,
    makes_uncertain,
    pause_after,
    pause_wait,
    reauthorize_after_quota_wait,
    refused_before_sending,
    replay_on_401,
)
from ._auth import Auth, Send
from ._errors import trace_id_of
from ._hooks import Hooks, RequestInfo
from ._lifecycle import Lifecycle
from ._ratelimit import QuotaExhausted, QuotaSlot, RateLimiter
from ._redact import describe_exception, redact_headers
from ._redirects import redirect_target
from ._retry import FailureKind, RetryPolicy
from ._spec import VendorSpec
from ._tracing import NOT_TRACED, AnyRecord, Telemetry, telemetry
from ._transport import Failure, Transport
from ._wire import WireRequest, WireResponse

__all__ = ["Attempts", "Exchange", "Limits", "Pause", "Settings"]

log = logging.getLogger("vendorkit")


Limits = tuple[asyncio.Semaphore | None, float | None]
"""``(request_slots, max_quota_wait)`` for a request made now (``BaseClient._limits``: a
``scoped_limits`` block's, else the client's own settings)."""


class Settings(Protocol):
    """The client's public settings an attempt reads when it runs (a caller may change them
    between calls: ``request_slots``, ``max_quota_wait``, ``retry_policy``; a bulk job scopes
    the first two to its own tasks instead, read through ``Attempts.limits``)."""

    @property
    def spec(self) -> VendorSpec: ...

    auth: Auth
    hooks: Hooks
    rate_limiter: RateLimiter | None
    max_quota_wait: float | None
    retry_policy: RetryPolicy
    request_slots: asyncio.Semaphore | None


@attrs.define
class Exchange:
    """One logical request across its attempts (inside the retry loop only)."""

    attempts: int = 0
    # Whether an attempt may have been applied without our knowing (``makes_uncertain``).
    uncertain: bool = False
    # Where a redirect followed by an earlier attempt led: later attempts go there directly.
    location: URL | None = None
    # A read ahead's turn (``_readahead``): a success's body is decoded once it is set.
    turn: asyncio.Event | None = None
    # Requests put on the wire so far (retries, 401 replays, redirect hops): the next one's
    # ``http.request.resend_count`` in its span.
    sends: int = 0
    # An auth strategy's own request (a token grant), sent without credentials.
    token: bool = False


class Pause:
    """The 429 pause every request of a client (and of its views) waits out."""

    __slots__ = ("until",)

    def __init__(self) -> None:
        self.until = 0.0  # monotonic time


class Attempts:
    """The attempt pipeline of one client, and the state its attempts share (the 429 pause)."""

    def __init__(
        self,
        settings: Settings,
        transport: Transport,
        lifecycle: Lifecycle,
        origin: URL,
        *,
        limits: Callable[[], Limits] | None = None,
        pause: Pause | None = None,
    ) -> None:
        self.settings = settings
        # Where the in-flight bound and the quota wait are read, per request: the client passes
        # its own reader (which honours ``scoped_limits``); by default the settings themselves.
        self.limits: Callable[[], Limits] = limits or (
            lambda: (settings.request_slots, settings.max_quota_wait)
        )
        self.transport = transport
        self.lifecycle = lifecycle
        self.origin = origin
        # The client-wide 429 pause; a view of the client (``with_options``) shares its client's.
        self.pause = pause if pause is not None else Pause()
        # OpenTelemetry spans and metrics (``_tracing``): looked up on the first attempt.
        self._telemetry: Telemetry | None = None
        self._telemetry_looked = False

    @property
    def telemetry(self) -> Telemetry | None:
        """This client's spans and instruments; None without ``opentelemetry-api``."""
        if not self._telemetry_looked:
            self._telemetry = telemetry(self.vendor)
            self._telemetry_looked = True
        return self._telemetry

    @property
    def pause_until(self) -> float:
        """Monotonic time until which every request waits (a 429's Retry-After)."""
        return self.pause.until

    @pause_until.setter
    def pause_until(self, value: float) -> None:
        self.pause.until = value

    @property
    def vendor(self) -> str:
        return self.settings.spec.name

    def shown(self, request: WireRequest) -> str:
        return self.transport.shown(request)

    def secrets(self) -> tuple[str, ...]:
        return self.transport.secrets()

    def _ensure_open(self, request: WireRequest) -> None:
        self.lifecycle.ensure_open(request.method, lambda: self.shown(request))

    def _refused(self, request: WireRequest, message: str, wait: float) -> RateLimitError:
        return refused_before_sending(
            vendor=self.vendor,
            method=request.method,
            shown_url=self.shown(request),
            message=message,
            wait=wait,
        )

    # -- steps ----------------------------------------------------------------------------------

    async def _respect_pause(self, request: WireRequest) -> None:
        max_wait = self.settings.retry_policy.max_retry_wait
        while True:
            decision = pause_wait(
                pause_until=self.pause_until, now=time.monotonic(), max_wait=max_wait
            )
            if decision.wait <= 0:
                return
            if decision.refuse:
                raise self._refused(
                    request,
                    f"{self.vendor} asked us to pause for {decision.wait:.0f}s, longer than "
                    f"max_retry_wait={max_wait:g}s",
                    decision.wait,
                )
            await self.settings.hooks.fire("on_rate_limit", decision.wait, "429 pause")
            tel = self.telemetry
            started = time.time_ns()
            await asyncio.sleep(decision.wait)
            if tel is not None:
                tel.waited("pause", started, decision.wait)

    async def _on_quota_wait(self, wait: float, reason: str) -> None:
        log.debug("vendorkit: %s waits %.2fs for %s", self.vendor, wait, reason)
        await self.settings.hooks.fire("on_rate_limit", wait, reason)

    async def _take_slot(self, request: WireRequest) -> QuotaSlot | None:
        """One slot of the client-side quota for ``request`` (None: the client has no quota),
        for ``_on_wire`` to settle once the answer is in."""
        limiter = self.settings.rate_limiter
        if limiter is None:
            return None
        max_wait = self.limits()[1]
        started = time.time_ns()
        try:
            slot = await limiter.take(self._on_quota_wait, max_wait)
        except QuotaExhausted as exc:
            wait = exc.wait
        else:
            if slot.waited > 0:
                tel = self.telemetry
                if tel is not None:
                    tel.waited("quota", started, slot.waited)
            return slot
        raise self._refused(
            request,
            f"{self.vendor}: client-side quota exhausted; next free slot in "
            f"{wait:.0f}s (max_quota_wait={max_wait:g}s)",
            wait,
        )

    async def _on_wire(
        self, request: WireRequest, exchange: Exchange, slot: QuotaSlot | None
    ) -> WireResponse:
        """``Transport.send`` within the shared in-flight bound (``request_slots``), between the
        ``on_request``/``on_response`` hooks and the debug log; ``slot`` (the quota's, taken for
        this send) counts from the moment the answer is in or the send failed, when the vendor
        has certainly counted the request (``RateLimiter.settle_soon``)."""
        slots = self.limits()[0]
        bound: contextlib.AbstractAsyncContextManager[Any] = (
            slots if slots is not None else contextlib.nullcontext()
        )
        hooks = self.settings.hooks
        attempt = exchange.attempts
        # What hooks and the debug log see, redacted; worked out only when someone looks.
        observed = bool(hooks.on_request or hooks.on_response) or log.isEnabledFor(logging.DEBUG)
        info = (
            RequestInfo(
                request.method, self.shown(request), redact_headers(request.headers), attempt
            )
            if observed
            else None
        )
        tel = self.telemetry
        async with bound:
            if info is not None:
                await hooks.fire("on_request", info)
            # The attempt's span, current while on the wire (``_tracing``); nothing without
            # OpenTelemetry. The URL it shows is redacted, and worked out only if it records.
            record: AnyRecord = (
                NOT_TRACED
                if tel is None
                else tel.attempt(
                    request.method,
                    request.full_url,
                    lambda: self.shown(request),
                    resend=exchange.sends,
                    token=exchange.token,
                )
            )
            exchange.sends += 1
            try:
                with record:
                    limiter = self.settings.rate_limiter
                    if slot is not None and limiter is not None:
                        # Queued since its slot was taken (the in-flight bound, a token, a
                        # hook): the slot counts from now, when the request really leaves.
                        slot = await limiter.sending(slot)
                        if slot.lost:  # it expired unsent: the vendor would not count it
                            slot = await self._take_slot(request)
                    try:
                        response = await self.transport.send(request)
                    finally:
                        if slot is not None and limiter is not None:
                            # Not awaited: a hung shared storage must not hold up the answer
                            # nor a cancelled request's unwinding (``settle_soon``).
                            limiter.settle_soon(slot)
                    record.answered(response.status)
            except Failure as failure:
                exchange.uncertain |= makes_uncertain(failure=failure.kind)
                if info is not None:
                    log.debug(
                        "vendorkit: %s %s failed (%s) attempt %d",
                        info.method,
                        info.url,
                        failure.kind.value,
                        attempt,
                    )
                raise
            exchange.uncertain |= makes_uncertain(status=response.status)
            if info is not None:
                trace = trace_id_of(response, self.settings.spec.trace_id_header, self.secrets())
                log.debug(
                    "vendorkit: %s %s -> %d in %.3fs attempt %d%s",
                    info.method,
                    info.url,
                    response.status,
                    response.elapsed,
                    attempt,
                    "" if trace is None else f" trace={trace}",
                )
                await hooks.fire("on_response", info, response.status, response.elapsed)
        return response

    async def _follow_redirects(
        self, request: WireRequest, current: WireRequest, response: WireResponse, exchange: Exchange
    ) -> tuple[WireResponse, WireRequest]:
        """The answer at the end of the redirects, and the request that got it."""
        hops = 0
        visited = {str(current.full_url)}
        while True:
            target = redirect_target(
                method=request.method,
                status=response.status,
                location=response.headers.get("Location"),
                url=response.url,
                origin=self.origin,
                visited=visited,
                hops=hops,
            )
            if target is None:
                return response, current
            visited.add(str(target))
            hops += 1
            current = attrs.evolve(current, url=target, params=())
            slot = await self._take_slot(current)
            response = await self._on_wire(current, exchange, slot)
            # A retry of this call goes straight to where the redirect led: each hop is sent
            # once per call, not once per attempt.
            exchange.location = target

    def _decode(self, request: WireRequest, response: WireResponse, exchange: Exchange) -> Any:
        try:
            return answer_body(request.method, response)
        except ValueError as exc:
            problem = describe_exception(exc)
        # A cut-off body on a read is a transport problem: a retry will likely succeed. The write
        # it answered was applied, so (being uncertain) it is never resent.
        exchange.uncertain = True
        raise Failure(
            FailureKind.TRANSPORT,
            DecodeError(
                f"{self.vendor} {request.method} {self.shown(request)}: the {response.status} "
                f"answer is not valid JSON ({problem})"
            ),
        )

    # -- the pipeline ---------------------------------------------------------------------------

    async def send_once(
        self, request: WireRequest, exchange: Exchange, token_send: Send | None
    ) -> Answer:
        """One attempt of ``request``. ``token_send`` sends the auth strategy's own requests (a
        token grant); None sends ``request`` without credentials (it is one of those)."""
        exchange.attempts += 1
        auth = self.settings.auth
        authenticate = token_send is not None
        exchange.token = not authenticate
        # Every step may have waited (a retry's backoff, a pause, a quota slot): a client closed
        # meanwhile must not reach its token store, its quota storage or the network again.
        self._ensure_open(request)
        await self._respect_pause(request)
        self._ensure_open(request)
        marker: str | None = None
        auth_headers: Mapping[str, str] = {}
        if token_send is not None:
            auth_headers, marker = await auth.authorize(token_send)
            self._ensure_open(request)
        slot = await self._take_slot(request)
        waited = slot is not None and slot.waited > 0
        while self.pause_until > time.monotonic():
            # A 429 landed while this request waited for its slot: sent now, it would meet the
            # vendor inside the pause it asked for. It waits the pause out and takes a fresh
            # slot, so its send time is what the quota counts (and requests that queued behind
            # the pause do not all go out at its end at once).
            await self._respect_pause(request)
            self._ensure_open(request)
            slot = await self._take_slot(request)
            waited = waited or (slot is not None and slot.waited > 0)
        if token_send is not None and reauthorize_after_quota_wait(
            authenticate=authenticate, waited=waited
        ):
            self._ensure_open(request)
            auth_headers, marker = await auth.authorize(token_send)
        if exchange.location is not None:  # an earlier attempt was redirected there
            request = attrs.evolve(request, url=exchange.location, params=())
        current = request.with_headers(auth_headers) if authenticate else request
        response = await self._on_wire(current, exchange, slot)
        replayable = True  # a 401 is renewed and replayed once per attempt
        if token_send is not None and replay_on_401(
            status=response.status, authenticate=authenticate
        ):
            replayable = False
            if await auth.on_unauthorized(token_send, marker):
                slot = await self._take_slot(request)  # the vendor counts the replay too
                auth_headers, marker = await auth.authorize(token_send)
                current = request.with_headers(auth_headers)
                response = await self._on_wire(current, exchange, slot)
        response, current = await self._follow_redirects(request, current, response, exchange)
        if (
            token_send is not None
            and replayable
            and replay_on_401(status=response.status, authenticate=authenticate)
        ):
            # A redirect hop refused the token (a vendor redirecting to the canonical URL before
            # it authenticates): renewed and replayed there, as a 401 at the first URL is.
            if await auth.on_unauthorized(token_send, marker):
                slot = await self._take_slot(current)
                auth_headers, marker = await auth.authorize(token_send)
                current = current.with_headers(auth_headers)
                response = await self._on_wire(current, exchange, slot)
        answer = Answer.of(response)
        self.pause_until = pause_after(
            status=answer.status,
            retry_after=answer.retry_after,
            now=time.monotonic(),
            pause_until=self.pause_until,
        )
        if answer.status == 429 and answer.retry_after is not None:
            # One longer than max_retry_wait makes every request raise at once (never sleep).
            await self.settings.hooks.fire("on_rate_limit", answer.retry_after, "429 Retry-After")
        if exchange.turn is not None and 200 <= answer.status < 300:
            # A read ahead: held as bytes until the walk needs it (or the client closes).
            await self.lifecycle.wait_turn(exchange.turn)
        # Built directly, not by ``attrs.evolve`` (which introspects the class on every call).
        return Answer(
            answer.response, self._decode(request, response, exchange), answer.retry_after
        )

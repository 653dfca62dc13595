"""The retry loop: attempts of one request, for as long as ``retry_decision`` says.

tenacity drives the retries (the first attempt goes out before it: see ``send_retrying``);
every judgement in it is the pure ``_retry`` module's: whether another attempt follows
(``retry_decision``, from the status or the failure, the method and the ``Retry-After`` the
attempt parsed once) and how long to wait (``backoff_delay``). A
server-requested wait longer than ``max_retry_wait`` (``RetryDecision.too_long``) is not slept:
the answer is returned at once and the call raises its error.

``send_retrying`` is also how an auth strategy's own requests (a token grant) are sent: the same
loop, without credentials.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from ._attempt import Attempts, Exchange
from ._attempt_rules import Answer
from ._readahead import take_turn
from ._retry import RetryDecision, backoff_delay, retry_decision
from ._transport import Failure
from ._wire import WireRequest, WireResponse

if TYPE_CHECKING:
    from tenacity import RetryCallState

__all__ = ["send_retrying", "send_unauthenticated"]

log = logging.getLogger("vendorkit")


async def send_unauthenticated(attempts: Attempts, request: WireRequest) -> WireResponse:
    """``request`` with retries but no credentials (an auth strategy's token request)."""
    answer = await send_retrying(attempts, request, authenticate=False)
    return answer.response


async def send_retrying(
    attempts: Attempts,
    request: WireRequest,
    *,
    authenticate: bool,
    exchange: Exchange | None = None,
) -> Answer:
    """Send ``request`` with retries; returns the final answer whatever its status."""
    attempts.lifecycle.bind()
    settings = attempts.settings
    policy = settings.retry_policy
    method = request.method.upper()
    decisions: dict[int, RetryDecision] = {}
    state_of = exchange if exchange is not None else Exchange()
    if state_of.turn is None:
        state_of.turn = take_turn()

    async def token_send(token_request: WireRequest) -> WireResponse:
        return await send_unauthenticated(attempts, token_request)

    def judge(attempt: int, answer: Answer | None, exc: BaseException | None) -> RetryDecision:
        """Whether attempt number ``attempt`` (its answer, or what it raised) is tried again."""
        if exc is not None and not isinstance(exc, Failure):
            d = RetryDecision(False)
        else:
            d = retry_decision(
                method=method,
                attempt=attempt,
                policy=policy,
                status=None if answer is None else answer.status,
                failure=exc.kind if isinstance(exc, Failure) else None,
                retry_after=None if answer is None else answer.retry_after,
                repeatable=request.repeatable,
            )
        if d.too_long:
            # Info, as retries are: what ``--verbose`` shows of a run.
            log.info(
                "vendorkit: not retrying %s %s: %s asked for %.0fs, longer than max_retry_wait=%gs",
                method,
                attempts.shown(request),
                settings.spec.name,
                d.retry_after,
                policy.max_retry_wait,
            )
        decisions[attempt] = d
        return d

    async def announce(attempt: int, delay: float, cause: Any) -> None:
        tel = attempts.telemetry
        if tel is not None:  # the ``vendorkit.retries`` counter
            tel.retried(method)
        log.info(
            "vendorkit: retrying %s %s in %.2fs (attempt %d: %r)",
            method,
            attempts.shown(request),
            delay,
            attempt,
            cause,
        )
        await settings.hooks.fire("on_retry", attempt, delay, cause)

    send = token_send if authenticate else None
    # The first attempt is sent before tenacity is involved: a request that succeeds (nearly
    # every one) does not pay for tenacity's per-call setup, which measured more than the rest
    # of the engine together. tenacity drives the retries, numbered from 2 on.
    try:
        first: Answer | None = await attempts.send_once(request, state_of, send)
        raised: BaseException | None = None
    except Failure as failure:
        first, raised = None, failure
    if not judge(1, first, raised).retry:
        if first is not None:
            return first
        assert isinstance(raised, Failure)
        error = raised.error
        raise error  # outside the handler: no __context__ chain to carry anything along
    delay = backoff_delay(1, policy, decisions[1].retry_after)
    await announce(1, delay, _cause(first, raised))
    await asyncio.sleep(delay)
    # tenacity is imported only now: a process whose requests all succeed never loads it.
    from tenacity import AsyncRetrying, stop_never

    def should_retry(state: RetryCallState) -> bool:
        outcome = state.outcome
        assert outcome is not None
        exc = outcome.exception() if outcome.failed else None
        answer: Answer | None = None if outcome.failed else outcome.result()
        return judge(state.attempt_number + 1, answer, exc).retry

    def wait(state: RetryCallState) -> float:
        attempt = state.attempt_number + 1
        return backoff_delay(attempt, policy, decisions[attempt].retry_after)

    async def before_sleep(state: RetryCallState) -> None:
        outcome = state.outcome
        assert outcome is not None
        delay = state.next_action.sleep if state.next_action else 0.0
        if outcome.failed:
            await announce(state.attempt_number + 1, delay, _cause(None, outcome.exception()))
        else:
            await announce(state.attempt_number + 1, delay, _cause(outcome.result(), None))

    retrying = AsyncRetrying(
        stop=stop_never,
        retry=should_retry,
        wait=wait,
        before_sleep=before_sleep,
        reraise=True,
    )
    try:
        return await retrying(attempts.send_once, request, state_of, send)
    except Failure as failure:
        error = failure.error
    raise error  # outside the handler: no __context__ chain to carry anything along


def _cause(answer: Answer | None, exc: BaseException | None) -> Any:
    """What an ``on_retry`` hook is told caused a retry: the status, or the error raised."""
    if isinstance(exc, Failure):
        return exc.error
    if exc is not None or answer is None:
        return exc
    return answer.status

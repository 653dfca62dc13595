"""The attempt pipeline's thin steps (``_attempt.Attempts.send_once``), without a network.

A scripted transport answers each send with the next ``WireResponse`` of a list and records what
was sent, in the way httpx tests its client over a ``MockTransport``: credentials on the request,
one 401 replay, redirects on the origin only (and remembered for the next attempt), the pause a
429 starts, a body that is not JSON, and what makes an outcome uncertain.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import attrs
import pytest
from yarl import URL

from vendorkit.core import Auth, Envelope, HeaderAuth, Hooks, NextLink, RetryPolicy, VendorSpec
from vendorkit.core._attempt import Attempts, Exchange
from vendorkit.core._lifecycle import Lifecycle
from vendorkit.core._retry import FailureKind
from vendorkit.core._transport import Failure, Transport
from vendorkit.core._wire import WireRequest, WireResponse
from vendorkit.errors import ClientStateError, DecodeError, RateLimitError

BASE = URL("https://api.example.test/v1/")
ORIGIN = URL("https://api.example.test/")
SPEC = VendorSpec(
    name="toy", base_url=str(BASE), envelope=Envelope(records="data"), paginator=NextLink()
)


@attrs.define
class Settings:
    auth: Auth
    spec: VendorSpec = SPEC
    hooks: Hooks = attrs.Factory(Hooks)
    rate_limiter: Any = None
    max_quota_wait: float | None = None
    retry_policy: RetryPolicy = attrs.Factory(RetryPolicy)
    request_slots: asyncio.Semaphore | None = None


class Scripted(Transport):
    """Answers each send with the next response of ``script`` (its URL set to the request's)."""

    def __init__(self, lifecycle: Lifecycle, script: list[WireResponse]) -> None:
        super().__init__(
            vendor="toy",
            origin=ORIGIN,
            lifecycle=lifecycle,
            secrets=lambda: (),
            session=None,
            ssl=True,
            timeout=1.0,
            user_agent="test",
            max_response_size=1000,
            max_connections=1,
        )
        self.script = list(script)
        self.sent: list[WireRequest] = []

    async def send(self, request: WireRequest) -> WireResponse:
        self.sent.append(request)
        return attrs.evolve(self.script.pop(0), url=request.full_url)


def answer(status: int, body: bytes = b"", **headers: str) -> WireResponse:
    return WireResponse(status=status, headers=headers, body=body)


def pipeline(script: list[WireResponse], auth: Auth | None = None, **settings: Any) -> Any:
    lifecycle = Lifecycle("ToyClient")
    transport = Scripted(lifecycle, script)
    attempts = Attempts(
        Settings(auth or HeaderAuth("tok-1234"), **settings), transport, lifecycle, ORIGIN
    )
    return attempts, transport


def get(path: str = "things/") -> WireRequest:
    return WireRequest("GET", BASE.join(URL(path)))


async def no_token_requests(request: WireRequest) -> WireResponse:
    raise AssertionError("no token request expected")


class Renewing(Auth):
    """A new token each time it is asked; always willing to replay on a 401."""

    def __init__(self) -> None:
        self.issued = 0
        self.unauthorized = 0

    async def authorize(self, send: Any) -> tuple[dict[str, str], str | None]:
        self.issued += 1
        return {"Authorization": f"Bearer t{self.issued}"}, f"t{self.issued}"

    async def on_unauthorized(self, send: Any, used: str | None) -> bool:
        self.unauthorized += 1
        return True


async def test_credentials_go_on_an_authenticated_request_only() -> None:
    attempts, transport = pipeline([answer(200, b'{"a": 1}'), answer(200, b"[]")])
    result = await attempts.send_once(get(), Exchange(), no_token_requests)
    assert result.body == {"a": 1}
    assert transport.sent[0].headers["Authorization"] == "Bearer tok-1234"
    await attempts.send_once(get(), Exchange(), None)
    assert "Authorization" not in transport.sent[1].headers


async def test_a_401_is_replayed_once_with_renewed_credentials() -> None:
    auth = Renewing()
    attempts, transport = pipeline([answer(401), answer(401), answer(200)], auth)
    result = await attempts.send_once(get(), Exchange(), no_token_requests)
    assert result.status == 401  # the replay's answer stands; no second replay
    assert [r.headers["Authorization"] for r in transport.sent] == ["Bearer t1", "Bearer t2"]
    assert auth.unauthorized == 1


async def test_an_unauthenticated_401_is_not_replayed() -> None:
    auth = Renewing()
    attempts, transport = pipeline([answer(401), answer(200)], auth)
    result = await attempts.send_once(get(), Exchange(), None)
    assert result.status == 401 and len(transport.sent) == 1 and auth.unauthorized == 0


async def test_a_redirect_on_the_origin_is_followed_and_remembered() -> None:
    attempts, transport = pipeline(
        [answer(302, Location="/v1/moved/"), answer(200, b"{}"), answer(200, b"{}")]
    )
    exchange = Exchange()
    result = await attempts.send_once(get(), exchange, no_token_requests)
    assert result.status == 200
    assert [str(r.full_url) for r in transport.sent] == [
        "https://api.example.test/v1/things/",
        "https://api.example.test/v1/moved/",
    ]
    assert transport.sent[1].headers["Authorization"] == "Bearer tok-1234"
    assert exchange.location == URL("https://api.example.test/v1/moved/")
    # The next attempt of the same call goes straight there.
    await attempts.send_once(get(), exchange, no_token_requests)
    assert str(transport.sent[2].full_url) == "https://api.example.test/v1/moved/"


async def test_a_redirect_elsewhere_is_not_followed() -> None:
    attempts, transport = pipeline([answer(302, Location="https://evil.example.test/")])
    result = await attempts.send_once(get(), Exchange(), no_token_requests)
    assert result.status == 302 and len(transport.sent) == 1


async def test_a_429_pauses_every_request_and_a_long_pause_refuses_without_sending() -> None:
    attempts, transport = pipeline(
        [answer(429, **{"Retry-After": "30"})], retry_policy=RetryPolicy(max_retry_wait=10)
    )
    before = time.monotonic()
    result = await attempts.send_once(get(), Exchange(), no_token_requests)
    assert result.retry_after == 30.0
    assert attempts.pause_until >= before + 30
    with pytest.raises(RateLimitError) as info:
        await attempts.send_once(get("other/"), Exchange(), no_token_requests)
    assert info.value.status == 429 and info.value.retry_after is not None
    assert len(transport.sent) == 1


async def test_a_success_that_is_not_json_is_an_uncertain_transport_failure() -> None:
    attempts, _ = pipeline([answer(200, b"{")])
    exchange = Exchange()
    with pytest.raises(Failure) as info:
        await attempts.send_once(get(), exchange, no_token_requests)
    assert info.value.kind is FailureKind.TRANSPORT
    assert isinstance(info.value.error, DecodeError)
    assert exchange.uncertain


async def test_a_5xx_makes_the_call_uncertain_a_4xx_does_not() -> None:
    attempts, _ = pipeline([answer(404), answer(502)])
    exchange = Exchange()
    await attempts.send_once(get(), exchange, no_token_requests)
    assert not exchange.uncertain and exchange.attempts == 1
    await attempts.send_once(get(), exchange, no_token_requests)
    assert exchange.uncertain and exchange.attempts == 2


async def test_a_closed_client_sends_nothing() -> None:
    attempts, transport = pipeline([answer(200)])
    attempts.lifecycle.close()
    with pytest.raises(ClientStateError):
        await attempts.send_once(get(), Exchange(), no_token_requests)
    assert transport.sent == []


async def test_hooks_see_each_send_with_redacted_headers() -> None:
    seen: list[Any] = []
    hooks = Hooks(on_request=[seen.append], on_response=[lambda *a: seen.append(a[1])])
    attempts, _ = pipeline([answer(200, b"{}")], hooks=hooks)
    await attempts.send_once(get(), Exchange(), no_token_requests)
    info, status = seen
    assert info.headers["Authorization"] == "***" and info.attempt == 1 and status == 200

"""OpenTelemetry: one client span per HTTP attempt, token and wait spans, the duration histogram
and the counters, no secret in any of them, one span per attempt beside the aiohttp
instrumentation, and nothing at all without OpenTelemetry (docs/observability.md).

Each test gets its own tracer and meter providers (in memory), handed to ``_tracing`` in place of
the global ones: the global providers can be set once per process, and the rest of the suite
runs with the default no-op ones. That vendorkit takes the global providers is checked in a
fresh interpreter (``test_the_global_providers_are_used``).
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import attrs
import pytest
from aiohttp import web
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

import vendorkit
from vendorkit.core import _tracing
from vendorkit.errors import APIError, DecodeError, TransportError, VendorkitError

from ._raw import http, raw_server
from .conftest import API_KEY, CLIENT_SECRET, OAuthBackend, OAuthClient, TokenClient, ok

__all__ = ["raw_server"]

ROOT = Path(__file__).resolve().parents[2]


@attrs.define
class Otel:
    exporter: InMemorySpanExporter
    reader: InMemoryMetricReader
    tracer_provider: TracerProvider
    meter_provider: MeterProvider

    def spans(self, kind: SpanKind | None = None) -> list[ReadableSpan]:
        found = list(self.exporter.get_finished_spans())
        return [s for s in found if kind is None or s.kind == kind]

    def points(self, name: str, scope: str | None = "vendorkit") -> list[Any]:
        data = self.reader.get_metrics_data()
        out: list[Any] = []
        if data is None:
            return out
        for rm in data.resource_metrics:
            for sm in rm.scope_metrics:
                if scope is not None and sm.scope.name != scope:
                    continue
                for metric in sm.metrics:
                    if metric.name == name:
                        out.extend(metric.data.data_points)
        return out

    def total(self, name: str) -> float:
        points = self.points(name)
        return sum(getattr(p, "value", getattr(p, "count", 0)) for p in points)


@pytest.fixture
def otel(monkeypatch: pytest.MonkeyPatch) -> Iterator[Otel]:
    exporter = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    reader = InMemoryMetricReader()
    meter_provider = MeterProvider(metric_readers=[reader])
    monkeypatch.setattr(_tracing, "_OTEL", _tracing._Otel(tracer_provider, meter_provider))
    monkeypatch.setattr(_tracing, "_LOOKED", True)
    yield Otel(exporter, reader, tracer_provider, meter_provider)
    meter_provider.shutdown()
    tracer_provider.shutdown()


def attempt_attrs(span: ReadableSpan) -> dict[str, Any]:
    return dict(span.attributes or {})


async def test_a_503_then_a_success_gives_two_attempt_spans(
    serve: Any, make: Any, otel: Otel
) -> None:
    calls = [0]

    async def items(request: web.Request) -> web.Response:
        calls[0] += 1
        if calls[0] == 1:
            return web.json_response({"error": "busy"}, status=503)
        return ok([1, 2])

    server = await serve({"GET /items": items})
    client = make(TokenClient, server)
    tracer = otel.tracer_provider.get_tracer("test")
    with tracer.start_as_current_span("caller") as caller:
        assert await client.request("GET", "/items", params={"q": "x"}) == [1, 2]
    first, second = otel.spans(SpanKind.CLIENT)
    port = server.ts.port
    for span in (first, second):
        assert span.name == "GET"
        assert span.instrumentation_scope is not None
        assert span.instrumentation_scope.name == "vendorkit"
        assert span.instrumentation_scope.version == vendorkit.__version__
        assert span.parent is not None
        assert span.parent.span_id == caller.get_span_context().span_id
        assert span.context.trace_id == caller.get_span_context().trace_id
        a = attempt_attrs(span)
        assert a["http.request.method"] == "GET"
        assert a["url.full"] == f"{server.url}/items?q=x"
        assert a["server.address"] == "127.0.0.1"
        assert a["server.port"] == port
        assert a["vendorkit.vendor"] == "testkit"
        assert "vendorkit.request" not in a
    a1, a2 = attempt_attrs(first), attempt_attrs(second)
    assert a1["http.response.status_code"] == 503
    assert a1["error.type"] == "503"
    assert "http.request.resend_count" not in a1
    assert first.status.status_code is StatusCode.ERROR
    assert a2["http.response.status_code"] == 200
    assert a2["http.request.resend_count"] == 1
    assert "error.type" not in a2
    assert second.status.status_code is StatusCode.UNSET
    # The duration histogram: two points (one per attempt), with the conventions' attributes.
    points = otel.points("http.client.request.duration")
    assert sum(p.count for p in points) == 2
    by_status = {p.attributes["http.response.status_code"]: p for p in points}
    assert set(by_status) == {200, 503}
    assert by_status[503].attributes["error.type"] == "503"
    assert by_status[200].attributes["server.port"] == port
    assert by_status[200].attributes["http.request.method"] == "GET"
    assert otel.total("vendorkit.retries") == 1
    assert otel.total("vendorkit.rate_limited") == 0


async def test_a_2xx_that_is_not_json_is_an_ok_exchange_then_a_decode_error(
    serve: Any, make: Any, otel: Otel
) -> None:
    """The span describes the HTTP exchange (a 200 came); the call's failure to read it is
    the caller's ``DecodeError``, raised after the span ended."""

    async def html(request: web.Request) -> web.Response:
        return web.Response(text="<html>captive portal</html>", content_type="text/html")

    server = await serve({"GET /items": html})
    client = make(TokenClient, server, max_retries=0)
    with pytest.raises(DecodeError):
        await client.request("GET", "/items")
    (span,) = otel.spans(SpanKind.CLIENT)
    a = attempt_attrs(span)
    assert a["http.response.status_code"] == 200 and "error.type" not in a
    assert span.status.status_code is StatusCode.UNSET


async def test_each_redirect_hop_is_an_attempt_span(serve: Any, make: Any, otel: Otel) -> None:
    async def moved(request: web.Request) -> web.Response:
        raise web.HTTPFound("/items/x/")

    async def here(request: web.Request) -> web.Response:
        return ok({"id": "x"})

    server = await serve({"GET /items/x": moved, "GET /items/x/": here})
    client = make(TokenClient, server)
    await client.request("GET", "/items/x")
    hop, final = otel.spans(SpanKind.CLIENT)
    assert attempt_attrs(hop)["http.response.status_code"] == 302
    assert "http.request.resend_count" not in attempt_attrs(hop)
    assert hop.status.status_code is StatusCode.UNSET
    assert attempt_attrs(final)["url.full"] == f"{server.url}/items/x/"
    assert attempt_attrs(final)["http.request.resend_count"] == 1


async def test_a_429_is_counted_and_its_pause_is_a_span(serve: Any, make: Any, otel: Otel) -> None:
    calls = [0]

    async def items(request: web.Request) -> web.Response:
        calls[0] += 1
        if calls[0] == 1:
            return web.json_response({}, status=429, headers={"Retry-After": "1"})
        return ok([])

    server = await serve({"GET /items": items})
    client = make(TokenClient, server, max_retries=0)
    with pytest.raises(APIError):
        await client.request("GET", "/items")
    started = time.monotonic()
    assert await client.request("GET", "/items") == []  # waits out the pause first
    assert time.monotonic() - started >= 0.8
    assert otel.total("vendorkit.rate_limited") == 1
    (pause,) = otel.spans(SpanKind.INTERNAL)
    assert pause.name == "vendorkit 429 pause"
    seconds = attempt_attrs(pause)["vendorkit.wait.seconds"]
    assert 0.5 < seconds <= 1.0
    assert pause.end_time is not None and pause.start_time is not None
    assert (pause.end_time - pause.start_time) / 1e9 >= 0.5
    limited = otel.spans(SpanKind.CLIENT)[0]
    assert attempt_attrs(limited)["error.type"] == "429"


async def test_a_token_request_is_a_span_of_its_own(serve: Any, make: Any, otel: Otel) -> None:
    backend = OAuthBackend()
    server = await serve(backend.routes())
    client = make(OAuthClient, server)
    tracer = otel.tracer_provider.get_tracer("test")
    with tracer.start_as_current_span("caller") as caller:
        await client.request("GET", "/me")
        backend.revoke_all()  # the next call meets a 401, renews and replays
        await client.request("GET", "/me")
    spans = otel.spans(SpanKind.CLIENT)
    shape = [
        (
            s.name,
            attempt_attrs(s).get("vendorkit.request"),
            attempt_attrs(s)["http.response.status_code"],
            attempt_attrs(s).get("http.request.resend_count"),
        )
        for s in spans
    ]
    assert shape == [
        ("POST", "token", 200, None),
        ("GET", None, 200, None),
        ("GET", None, 401, None),
        ("POST", "token", 200, None),
        ("GET", None, 200, 1),  # the replay after the 401
    ]
    assert all(s.parent and s.parent.span_id == caller.get_span_context().span_id for s in spans)
    assert attempt_attrs(spans[0])["url.full"] == f"{server.url}/oauth/token"


async def test_a_quota_wait_is_a_span_and_counted(serve: Any, make: Any, otel: Otel) -> None:
    async def items(request: web.Request) -> web.Response:
        return ok([])

    server = await serve({"GET /items": items})
    client = make(TokenClient, server, rate_limit="2/second")
    for _ in range(3):
        await client.request("GET", "/items")
    waits = [s for s in otel.spans(SpanKind.INTERNAL) if s.name == "vendorkit quota wait"]
    assert len(waits) == 1
    seconds = attempt_attrs(waits[0])["vendorkit.wait.seconds"]
    assert seconds > 0.1
    assert otel.total("vendorkit.quota.wait") == pytest.approx(seconds)
    assert len(otel.spans(SpanKind.CLIENT)) == 3


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_no_span_or_metric_ever_carries_a_secret(
    serve: Any, make: Any, raw_server: Any, otel: Otel
) -> None:
    """Every failure kind, with the credentials in the header, the query and the answers."""
    echo = f"your key {API_KEY} is wrong; client_secret={CLIENT_SECRET}"

    async def refused(request: web.Request) -> web.Response:
        return web.json_response({"error": echo, "token": API_KEY}, status=401)

    async def busy(request: web.Request) -> web.Response:
        return web.json_response({"error": echo}, status=503, headers={"Retry-After": "0"})

    async def bad(request: web.Request) -> web.Response:
        return web.json_response({"error": echo}, status=400)

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(2)
        return ok([])

    server = await serve({"GET /refused": refused, "GET /busy": busy, "GET /bad": bad})
    slow_server = await serve({"GET /slow": slow})
    cut = await raw_server(
        lambda head, n: (
            http("200 OK", b'{"data": "' + API_KEY.encode(), {"Content-Length": "500"}),
            "close",
        )
    )
    backend = OAuthBackend()
    oauth_server = await serve(backend.routes())

    token_client = make(TokenClient, server, max_retries=1)
    secret_query = {"api_key": API_KEY, "token": API_KEY, "q": API_KEY, "access_token": "abcd1234"}
    for path in ("/refused", "/busy", "/bad"):
        with pytest.raises(APIError):
            await token_client.request("GET", path, params=secret_query)
    closed = TokenClient(base_url=f"http://127.0.0.1:{_closed_port()}", max_retries=0)
    timeout = make(TokenClient, slow_server, timeout=0.2, max_retries=0)
    cutting = TokenClient(base_url=cut.url, max_retries=0)
    try:
        with pytest.raises(TransportError):
            await closed.request("GET", "/x", params=secret_query)
        with pytest.raises(TransportError, match="timed out"):
            await timeout.request("GET", "/slow", params=secret_query)
        with pytest.raises(VendorkitError):
            await cutting.request("GET", "/cut", params=secret_query)
    finally:
        await closed.aclose()
        await cutting.aclose()
    wrong = make(OAuthClient, oauth_server, client_secret="wrong-S3CRET-0003", max_retries=0)
    with pytest.raises(VendorkitError):
        await wrong.request("GET", "/me")
    oauth = make(OAuthClient, oauth_server)
    await oauth.request("GET", "/me")

    spans = otel.spans()
    errors = {attempt_attrs(s).get("error.type") for s in spans}
    assert {"401", "503", "400", "ClientConnectorError", "TimeoutError"} <= errors
    assert any(e and "Payload" in e for e in errors), errors
    secrets = ("S3CRET", API_KEY, CLIENT_SECRET, "abcd1234")
    shown: list[str] = []
    for span in spans:
        shown.append(span.name)
        shown.append(span.status.description or "")
        shown.extend(str(v) for v in (span.attributes or {}).values())
        assert not span.events, span.events
        assert not span.links
    for name in ("http.client.request.duration", "vendorkit.retries", "vendorkit.rate_limited"):
        for point in otel.points(name):
            shown.extend(str(v) for v in point.attributes.values())
    leaks = [text for text in shown for secret in secrets if secret in text]
    assert leaks == []
    urls = [str(attempt_attrs(s).get("url.full")) for s in spans]
    assert any("api_key=***" in u and "q=***" in u for u in urls), urls


async def test_beside_the_aiohttp_instrumentation_one_span_per_attempt(
    serve: Any, make: Any, otel: Otel
) -> None:
    from opentelemetry.instrumentation.aiohttp_client import AioHttpClientInstrumentor

    calls = [0]
    traceparents: list[str | None] = []

    async def items(request: web.Request) -> web.Response:
        calls[0] += 1
        traceparents.append(request.headers.get("traceparent"))
        if calls[0] % 2 == 1:
            return web.json_response({}, status=503)
        return ok([])

    server = await serve({"GET /items": items, "GET /other": items})
    instrumentor = AioHttpClientInstrumentor()
    instrumentor.instrument(
        tracer_provider=otel.tracer_provider, meter_provider=otel.meter_provider
    )
    try:
        session = aiohttp.ClientSession()  # created while instrumented: it has the trace config
        try:
            borrowed = make(TokenClient, server, session=session)
            own = make(TokenClient, server)
            tracer = otel.tracer_provider.get_tracer("test")
            with tracer.start_as_current_span("caller"):
                assert await borrowed.request("GET", "/items") == []
                assert await own.request("GET", "/items") == []
                # The instrumentation is active: a request of the caller's own gets its span.
                async with session.get(f"{server.url}/other") as resp:
                    await resp.read()
        finally:
            await session.close()
    finally:
        instrumentor.uninstrument()
    spans = otel.spans(SpanKind.CLIENT)
    scopes = [s.instrumentation_scope.name for s in spans if s.instrumentation_scope]
    assert scopes.count("vendorkit") == 4  # two calls, two attempts each
    assert len(spans) == 5  # and the caller's own request, by the instrumentation
    assert [attempt_attrs(s).get("http.request.resend_count") for s in spans[:4]] == [
        None,
        1,
        None,
        1,
    ]
    # No trace context went to the vendor; the caller's own request carried it.
    assert traceparents[:4] == [None] * 4
    assert traceparents[4] is not None
    # Its duration histogram (old or new conventions, by OTEL_SEMCONV_STABILITY_OPT_IN) has
    # that one request only: vendorkit's requests are measured once, by vendorkit.
    scope = "opentelemetry.instrumentation.aiohttp_client"
    aiohttp_points = [
        *otel.points("http.client.request.duration", scope=scope),
        *otel.points("http.client.duration", scope=scope),
    ]
    assert sum(p.count for p in aiohttp_points) == 1
    assert sum(p.count for p in otel.points("http.client.request.duration")) == 4


def run(code: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("OTEL_TRACES_EXPORTER", None)
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd="/", timeout=60
    )


REQUEST = """
import asyncio, sys
from aiohttp import web
from vendorkit.core import BaseClient, Envelope, HeaderAuth, NextLink, VendorSpec

class Client(BaseClient):
    spec = VendorSpec(name="testkit", base_url="https://vendor.invalid",
                      envelope=Envelope(records="data", item="data"), paginator=NextLink())
    def __init__(self, **options):
        super().__init__(auth=HeaderAuth("api-key-S3CRET-0001"), **options)

async def main():
    async def items(request):
        return web.json_response({"data": [1, 2]})
    app = web.Application()
    app.router.add_get("/items", items)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    async with Client(base_url=f"http://127.0.0.1:{port}") as client:
        assert await client.request("GET", "/items") == [1, 2]
        telemetry = client._attempts.telemetry
    await runner.cleanup()
    return telemetry

telemetry = asyncio.run(main())
"""


def test_without_opentelemetry_nothing_changes() -> None:
    code = (
        "import sys\nsys.modules['opentelemetry'] = None\n"
        + REQUEST
        + "assert telemetry is None\n"
        + "assert not [m for m in sys.modules if m.startswith('opentelemetry.')]\n"
        + "print('ok')\n"
    )
    done = run(code)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_the_global_providers_are_used() -> None:
    setup = """
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
exporter = InMemorySpanExporter()
provider = TracerProvider()
provider.add_span_processor(SimpleSpanProcessor(exporter))
"""
    # Set after vendorkit first looked (its tracer is a proxy of the global provider).
    code = (
        setup
        + "import vendorkit.core._tracing as t\nassert t._otel() is not None\n"
        + "trace.set_tracer_provider(provider)\n"
        + REQUEST
        + "(span,) = exporter.get_finished_spans()\n"
        + "assert span.instrumentation_scope.name == 'vendorkit', span.instrumentation_scope\n"
        + "import vendorkit\n"
        + "assert span.instrumentation_scope.version == vendorkit.__version__\n"
        + "assert span.attributes['http.response.status_code'] == 200\n"
        + "print('ok')\n"
    )
    done = run(code)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"

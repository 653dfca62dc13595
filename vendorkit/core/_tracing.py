"""OpenTelemetry spans and metrics of the attempts, when ``opentelemetry-api`` is installed.

Optional and lazy: nothing here imports OpenTelemetry until a client's first attempt asks
(``telemetry``); without it that question is answered once per process and every attempt
pays one ``is None``. With it, vendorkit uses the global tracer and meter providers under the
instrumentation scope ``vendorkit`` (with vendorkit's version), following OpenTelemetry's HTTP
client semantic conventions:

- one CLIENT span per HTTP attempt (a retry, the 401 replay and each redirect hop are attempts
  of their own), named by its method; ``http.request.method``, ``url.full`` (redacted as errors
  show it), ``server.address``, ``server.port``, ``http.response.status_code``,
  ``http.request.resend_count`` (from the second attempt of a call on), ``error.type`` (the
  status for 400 and above, or what failed: the exception's class name), ``vendorkit.vendor``,
  and ``vendorkit.request = "token"`` on an auth strategy's own requests. Status ERROR for those;
- an INTERNAL span for a wait on the client-side quota or on a 429's pause, with the seconds;
- the ``http.client.request.duration`` histogram (seconds) and the counters
  ``vendorkit.retries``, ``vendorkit.rate_limited`` (429 answers) and ``vendorkit.quota.wait``
  (seconds waited for the client-side quota).

While the request is on the wire, the attempt's span is the current span and OpenTelemetry's
"suppress HTTP instrumentation" flag is set in the context: an instrumented aiohttp session
(``opentelemetry-instrumentation-aiohttp-client``) then adds no second span, no second duration
point and no ``traceparent`` header for that request. No trace context goes to a vendor.

Nothing secret is ever set: URLs pass through ``_redact`` (the caller hands over the client's
``shown``), failures are named by class, never by message, and no exception event is recorded.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any

from vendorkit._version import __version__

if TYPE_CHECKING:
    from opentelemetry.context import Context
    from opentelemetry.metrics import Counter, Histogram
    from opentelemetry.trace import Span, Tracer
    from yarl import URL

__all__ = ["NOT_TRACED", "AnyRecord", "AttemptRecord", "Telemetry", "error_type_of", "telemetry"]

SCOPE = "vendorkit"
SCHEMA_URL = "https://opentelemetry.io/schemas/1.26.0"

#: The methods the HTTP conventions know; any other is reported as ``_OTHER``.
KNOWN_METHODS = frozenset(
    {"CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "QUERY", "TRACE"}
)

#: The conventions' advised buckets for ``http.client.request.duration`` (seconds).
DURATION_BUCKETS = (
    0.005,
    0.01,
    0.025,
    0.05,
    0.075,
    0.1,
    0.25,
    0.5,
    0.75,
    1.0,
    2.5,
    5.0,
    7.5,
    10.0,
)


def error_type_of(exc: BaseException) -> str:
    """``error.type`` for what an attempt raised: the ``error_type`` it names (a transport
    ``Failure`` names the foreign exception's class), else its own class name. Never a message."""
    named = getattr(exc, "error_type", None)
    return named if isinstance(named, str) and named else type(exc).__qualname__


class _Otel:
    """What one process takes from OpenTelemetry, once: the tracer, the instruments and the
    context keys. From the global providers (proxies: a provider set later is still used);
    tests pass providers of their own."""

    def __init__(self, tracer_provider: Any = None, meter_provider: Any = None) -> None:
        from opentelemetry import context, metrics, trace

        # The functions themselves, looked up once (each attempt calls a few of them).
        self.set_value = context.set_value
        self.get_current = context.get_current
        self.attach = context.attach
        self.detach = context.detach
        self.set_span_in_context = trace.set_span_in_context
        self.client = trace.SpanKind.CLIENT
        self.internal = trace.SpanKind.INTERNAL
        self.error = trace.Status(trace.StatusCode.ERROR)
        self.status = trace.Status
        self.status_error = trace.StatusCode.ERROR
        # The key every HTTP instrumentation reads (``suppress_http_instrumentation``).
        self.suppress_http: str | None = getattr(
            context, "_SUPPRESS_HTTP_INSTRUMENTATION_KEY", None
        )
        self.suppressed: tuple[str, ...] = tuple(
            k
            for k in (
                getattr(context, "_SUPPRESS_INSTRUMENTATION_KEY", None),
                self.suppress_http,
            )
            if isinstance(k, str)
        )
        self.tracer: Tracer = trace.get_tracer(
            SCOPE, __version__, tracer_provider, schema_url=SCHEMA_URL
        )
        meter = metrics.get_meter(SCOPE, __version__, meter_provider, schema_url=SCHEMA_URL)
        try:
            self.duration: Histogram = meter.create_histogram(
                "http.client.request.duration",
                unit="s",
                description="Duration of HTTP client requests.",
                explicit_bucket_boundaries_advisory=list(DURATION_BUCKETS),
            )
        except TypeError:  # opentelemetry-api before 1.23: no advisory buckets
            self.duration = meter.create_histogram(
                "http.client.request.duration",
                unit="s",
                description="Duration of HTTP client requests.",
            )
        self.retries: Counter = meter.create_counter(
            "vendorkit.retries", unit="{retry}", description="Attempts retried by vendorkit."
        )
        self.rate_limited: Counter = meter.create_counter(
            "vendorkit.rate_limited",
            unit="{response}",
            description="429 Too Many Requests answers received.",
        )
        self.quota_wait: Counter = meter.create_counter(
            "vendorkit.quota.wait",
            unit="s",
            description="Seconds waited for a slot of the client-side quota.",
        )

    def is_suppressed(self, ctx: Context | None = None) -> bool:
        """Whether the caller's context (``ctx``, else the current one) asks instrumentations
        to stay quiet."""
        ctx = self.get_current() if ctx is None else ctx
        for key in self.suppressed:
            if ctx.get(key):
                return True
        return False


_OTEL: _Otel | None = None
_LOOKED = False


def _otel() -> _Otel | None:
    """OpenTelemetry's pieces, or None when ``opentelemetry-api`` cannot be imported (asked
    once per process)."""
    global _OTEL, _LOOKED
    if not _LOOKED:
        _LOOKED = True
        try:
            _OTEL = _Otel()
        except Exception:  # not installed (ImportError), or broken: telemetry never breaks a call
            _OTEL = None
    return _OTEL


def telemetry(vendor: str) -> Telemetry | None:
    """The telemetry of one client of ``vendor``, or None without OpenTelemetry."""
    otel = _otel()
    return None if otel is None else Telemetry(otel, vendor)


class Telemetry:
    """One client's spans and instruments (built once per client, on its first attempt)."""

    __slots__ = ("_base", "_otel", "vendor")

    def __init__(self, otel: _Otel, vendor: str) -> None:
        self._otel = otel
        self.vendor = vendor
        self._base: dict[str, Any] = {"vendorkit.vendor": vendor}

    def attempt(
        self,
        method: str,
        url: URL,
        shown: Callable[[], str],
        *,
        resend: int,
        token: bool,
    ) -> AttemptRecord:
        """The record of one attempt on the wire (a context manager around the send).
        ``shown`` gives the redacted URL (asked only when the span records); ``resend``: how
        many sends of this call came before; ``token``: an auth strategy's own request."""
        return AttemptRecord(self, method, url, shown, resend, token)

    def retried(self, method: str) -> None:
        if not self._otel.is_suppressed():
            self._otel.retries.add(1, {**self._base, "http.request.method": _method(method)[0]})

    def waited(self, what: str, started_ns: int, seconds: float) -> None:
        """A finished wait of ``seconds`` that began at ``started_ns`` (``time.time_ns()``):
        ``what`` is ``"quota"`` (the client-side quota) or ``"pause"`` (a 429's pause)."""
        otel = self._otel
        if otel.is_suppressed():
            return
        name = "vendorkit quota wait" if what == "quota" else "vendorkit 429 pause"
        span = otel.tracer.start_span(
            name,
            kind=otel.internal,
            start_time=started_ns,
            attributes={**self._base, "vendorkit.wait.seconds": float(seconds)},
        )
        span.end()
        if what == "quota":
            otel.quota_wait.add(float(seconds), self._base)


def _method(method: str) -> tuple[str, str | None]:
    """``http.request.method`` and, for a method the conventions do not know, the original."""
    upper = method.upper()
    if upper in KNOWN_METHODS and method == upper:
        return upper, None
    if upper in KNOWN_METHODS:
        return upper, method
    return "_OTHER", method


class AttemptRecord:
    """One attempt's span and duration point: ``with record:`` around the send, ``answered``
    with the status once one came. Leaving the block by an exception marks the failure."""

    __slots__ = (
        "_metric",
        "_original",
        "_otel",
        "_resend",
        "_shown",
        "_span",
        "_started",
        "_status",
        "_telemetry",
        "_token",
        "_token_request",
    )

    def __init__(
        self,
        telemetry: Telemetry,
        method: str,
        url: URL,
        shown: Callable[[], str],
        resend: int,
        token: bool,
    ) -> None:
        self._telemetry = telemetry
        self._otel = telemetry._otel
        self._shown = shown
        self._resend = resend
        self._token_request = token
        name, original = _method(method)
        port = url.port
        metric: dict[str, Any] = {
            **telemetry._base,
            "http.request.method": name,
            "server.address": url.host or "",
            "url.scheme": url.scheme,
        }
        if port is not None:
            metric["server.port"] = port
        self._metric = metric
        self._status: int | None = None
        self._span: Span | None = None
        self._token: Any = None
        self._started = 0.0
        self._original = original

    def __enter__(self) -> AttemptRecord:
        otel = self._otel
        ctx: Context = otel.get_current()
        if otel.is_suppressed(ctx):
            return self
        attributes = dict(self._metric)
        name = attributes["http.request.method"]
        span = otel.tracer.start_span(
            "HTTP" if name == "_OTHER" else name,
            context=ctx,
            kind=otel.client,
            attributes=attributes,
        )
        if span.is_recording():
            extra: dict[str, Any] = {"url.full": self._shown()}
            if self._original is not None:
                extra["http.request.method_original"] = self._original
            if self._resend:
                extra["http.request.resend_count"] = self._resend
            if self._token_request:
                extra["vendorkit.request"] = "token"
            span.set_attributes(extra)
            ctx = otel.set_span_in_context(span, ctx)
        if otel.suppress_http is not None:
            ctx = otel.set_value(otel.suppress_http, True, ctx)
        self._span = span
        self._token = otel.attach(ctx)
        self._started = time.perf_counter()
        return self

    def answered(self, status: int) -> None:
        self._status = status

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        span = self._span
        if span is None:  # suppressed by the caller's context: nothing recorded
            return
        elapsed = max(time.perf_counter() - self._started, 0.0)
        otel = self._otel
        try:
            otel.detach(self._token)
        finally:
            metric = self._metric
            status = self._status
            error: str | None = None
            if status is not None:
                metric["http.response.status_code"] = status
                if status >= 400:
                    error = str(status)
            elif exc is not None:
                error = error_type_of(exc)
            if error is not None:
                metric["error.type"] = error
            if span.is_recording():
                if status is not None:
                    span.set_attribute("http.response.status_code", status)
                if error is not None:
                    span.set_attribute("error.type", error)
                    # The description of an HTTP status stays empty (the conventions); of a
                    # failure it is the failure's class name, never its message.
                    span.set_status(
                        otel.error if status is not None else otel.status(otel.status_error, error)
                    )
            span.end()
            otel.duration.record(elapsed, metric)
            if status == 429:
                otel.rate_limited.add(1, self._telemetry._base)


class _NotTraced:
    """The record of an attempt when OpenTelemetry is not installed: does nothing."""

    __slots__ = ()

    def __enter__(self) -> _NotTraced:
        return self

    def answered(self, status: int) -> None:
        pass

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None


NOT_TRACED = _NotTraced()

AnyRecord = AttemptRecord | _NotTraced
"""What ``Attempts._on_wire`` holds around a send: a real record, or ``NOT_TRACED``."""

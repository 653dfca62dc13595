"""pytest plugin (entry point ``pytest11``): the sandbox fixtures and the ``vendorkit_sandbox``
marker. Starting and stopping emulators is its only I/O.

```python
@pytest.mark.vendorkit_sandbox(vendors=["leanlaw"], records=20, faults=FaultProfile(rate=0.1))
async def test_my_sync(vendorkit_sandbox: Sandbox) -> None:
    async with vendorkit_sandbox.client("leanlaw") as ll:
        ...
```

- ``vendorkit_sandbox``: a ``Sandbox`` for one test, configured by the marker (``Sandbox``'s
  keyword arguments; without it, all four vendors with the defaults). Async: it runs on the
  test's own event loop, under pytest-asyncio (strict or auto mode) or anyio.
- ``vendorkit_sandbox_factory``: ``await factory(vendors=[...], ...)`` starts any number of
  sandboxes in one test (a ``SandboxFactory``); all are stopped at teardown. Async, likewise.
- ``vendorkit_sandbox_session``: one ``Sandbox`` for the whole session, started at first use
  with the options of the ``vendorkit_sandbox_session_options`` fixture (override it in a
  conftest). It serves from a thread of its own with its own event loop, so it is a plain
  fixture that any test can use, whatever loop or plugin runs the test. Its state is *not* reset
  between tests: call ``vendorkit_sandbox_session.reset()`` where a test needs the seeded state.

The async fixtures are declared with ``pytest_asyncio.fixture`` where pytest-asyncio is installed
(strict mode needs it; auto mode and anyio tests take it as well, on the test's own loop), as
plain async fixtures otherwise (for anyio alone). See docs/sandbox/pytest.md.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future
from typing import Any, Protocol, TypedDict, TypeVar, Unpack

import pytest

from ._faults import FaultProfile
from ._sandbox import Sandbox

__all__ = ["SandboxFactory", "SandboxOptions", "ThreadedSandbox"]

T = TypeVar("T")

try:  # strict-mode pytest-asyncio needs its own decorator; auto mode and anyio accept it too
    import pytest_asyncio

    _async_fixture: Callable[..., Any] = pytest_asyncio.fixture
except ImportError:  # pragma: no cover - anyio (or another plugin) runs plain async fixtures
    _async_fixture = pytest.fixture


class SandboxOptions(TypedDict, total=False):
    """``Sandbox``'s keyword arguments, as the factory fixture takes them: typed, so a misspelt
    one (``vendor=``) is a type error, as it is calling ``Sandbox`` itself."""

    vendors: Iterable[str]
    records: int
    seed: int
    faults: FaultProfile | Mapping[str, FaultProfile] | None
    quotas: Mapping[str, str | None] | None
    token_ttl: float | Mapping[str, float] | None
    host: str
    ports: Mapping[str, int] | None


class SandboxFactory(Protocol):
    """The ``vendorkit_sandbox_factory`` fixture: ``await factory(vendors=[...], ...)`` starts a
    ``Sandbox`` (``Sandbox``'s keyword arguments) that is stopped at the test's teardown."""

    async def __call__(self, **options: Unpack[SandboxOptions]) -> Sandbox: ...


class ThreadedSandbox(Sandbox):
    """A ``Sandbox`` serving from a thread of its own, with its own event loop: what
    ``vendorkit_sandbox_session`` yields. Clients built with ``client()`` run on the caller's
    loop as usual; ``reset()`` runs on the server's loop, between its requests.

    ```python
    sb = ThreadedSandbox(vendors=["leanlaw"])
    sb.start_in_thread()
    ...
    sb.stop_thread()
    ```
    """

    _loop: asyncio.AbstractEventLoop | None = None
    _thread: threading.Thread | None = None

    def start_in_thread(self) -> None:
        """Start the emulators on a new thread's event loop; returns once they listen."""
        loop = asyncio.new_event_loop()
        ready: Future[None] = Future()

        def serve() -> None:
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self.start())
            except BaseException as exc:
                ready.set_exception(exc)
                loop.close()
                return
            ready.set_result(None)
            loop.run_forever()
            loop.run_until_complete(self.stop())
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

        thread = threading.Thread(target=serve, name="vendorkit-sandbox", daemon=True)
        thread.start()
        ready.result()
        self._loop, self._thread = loop, thread

    def stop_thread(self) -> None:
        """Stop the emulators and the thread (waits for both)."""
        loop, thread = self._loop, self._thread
        self._loop = self._thread = None
        if loop is None or thread is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        thread.join()

    def _on_loop(self, fn: Callable[[], T]) -> T:
        loop = self._loop
        if loop is None or threading.current_thread() is self._thread:
            return fn()
        done: Future[T] = Future()

        def call() -> None:
            try:
                done.set_result(fn())
            except BaseException as exc:  # handed to the caller's thread
                done.set_exception(exc)

        loop.call_soon_threadsafe(call)
        return done.result()

    def reset(self, vendor: str | None = None) -> None:
        """Back to the seeded state (one vendor or all), on the server's own loop."""
        self._on_loop(lambda: Sandbox.reset(self, vendor))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "vendorkit_sandbox(**options): options for the vendorkit_sandbox fixture "
        "(vendors=, records=, seed=, faults=, quotas=, token_ttl=)",
    )


def _asyncio_mode(config: pytest.Config) -> str | None:
    try:
        mode = config.getoption("asyncio_mode", None) or config.getini("asyncio_mode")
    except ValueError:  # pytest-asyncio is not installed
        return None
    return str(mode) if mode else None


def _check_runner(request: pytest.FixtureRequest) -> None:
    """An anyio test under pytest-asyncio's auto mode gets its async fixtures run on
    pytest-asyncio's loop, not its own: the sandbox would never answer. Said at once instead."""
    if "anyio_backend" in request.fixturenames and _asyncio_mode(request.config) == "auto":
        raise pytest.UsageError(
            f"{request.node.nodeid}: an anyio test cannot use {request.fixturename} while "
            "pytest-asyncio is in auto mode (it runs every async fixture on its own event loop, "
            "so the sandbox would not be served during the test); use pytest-asyncio's strict "
            "mode (asyncio_mode = strict, its default) with anyio, or vendorkit_sandbox_session"
        )


@_async_fixture
async def vendorkit_sandbox(request: pytest.FixtureRequest) -> AsyncIterator[Sandbox]:
    """A running ``Sandbox`` for one test, configured by the ``vendorkit_sandbox`` marker."""
    _check_runner(request)
    marker = request.node.get_closest_marker("vendorkit_sandbox")
    options = dict(marker.kwargs) if marker else {}
    async with Sandbox(**options) as sb:
        yield sb


@_async_fixture
async def vendorkit_sandbox_factory(
    request: pytest.FixtureRequest,
) -> AsyncIterator[SandboxFactory]:
    """``sb = await vendorkit_sandbox_factory(vendors=[...], ...)``; all stopped at teardown."""
    _check_runner(request)
    started: list[Sandbox] = []

    async def start(**options: Any) -> Sandbox:
        sb = Sandbox(**options)
        await sb.start()
        started.append(sb)
        return sb

    yield start
    for sb in started:
        await sb.stop()


@pytest.fixture(scope="session")
def vendorkit_sandbox_session_options() -> dict[str, Any]:
    """``Sandbox``'s keyword arguments for ``vendorkit_sandbox_session`` (default: none, so all
    four vendors with their defaults). Override it in a conftest:

    ```python
    @pytest.fixture(scope="session")
    def vendorkit_sandbox_session_options() -> dict[str, Any]:
        return {"vendors": ["leanlaw"], "records": 50}
    ```
    """
    return {}


@pytest.fixture(scope="session")
def vendorkit_sandbox_session(
    vendorkit_sandbox_session_options: dict[str, Any],
) -> Iterator[Sandbox]:
    """One running ``Sandbox`` for the whole session (a ``ThreadedSandbox``); not reset
    between tests."""
    sb = ThreadedSandbox(**vendorkit_sandbox_session_options)
    sb.start_in_thread()
    try:
        yield sb
    finally:
        sb.stop_thread()

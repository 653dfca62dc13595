"""pytest plugin (entry point ``pytest11``): the ``vendorkit_sandbox`` fixture.

```python
@pytest.mark.vendorkit_sandbox(vendors=["leanlaw"], records=20, faults=FaultProfile(rate=0.1))
async def test_my_sync(vendorkit_sandbox):
    async with vendorkit_sandbox.client("leanlaw") as ll:
        ...
```

The marker's keyword arguments are ``Sandbox``'s. Without it, all four vendors start with the
defaults. ``vendorkit_sandbox_factory`` starts sandboxes with any options inside one test. Both
are async fixtures: they need pytest-asyncio (or another plugin that runs async fixtures).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any, Protocol

import pytest

from ._sandbox import Sandbox

try:  # strict-mode pytest-asyncio needs its own decorator; auto mode accepts either
    import pytest_asyncio

    _async_fixture: Callable[..., Any] = pytest_asyncio.fixture
except ImportError:  # pragma: no cover - another async plugin may handle it
    _async_fixture = pytest.fixture


class SandboxFactory(Protocol):
    """The ``vendorkit_sandbox_factory`` fixture: ``await factory(vendors=[...], ...)`` starts a
    ``Sandbox`` (``Sandbox``'s keyword arguments) that is stopped at the test's teardown."""

    async def __call__(self, **options: Any) -> Sandbox: ...


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "vendorkit_sandbox(**options): options for the vendorkit_sandbox fixture "
        "(vendors=, records=, seed=, faults=, quotas=, token_ttl=)",
    )


@_async_fixture
async def vendorkit_sandbox(request: pytest.FixtureRequest) -> AsyncIterator[Sandbox]:
    """A running ``Sandbox`` for one test, configured by the ``vendorkit_sandbox`` marker."""
    marker = request.node.get_closest_marker("vendorkit_sandbox")
    options = dict(marker.kwargs) if marker else {}
    async with Sandbox(**options) as sb:
        yield sb


@_async_fixture
async def vendorkit_sandbox_factory() -> AsyncIterator[SandboxFactory]:
    """``sb = await vendorkit_sandbox_factory(vendors=[...], ...)``; all stopped at teardown."""
    started: list[Sandbox] = []

    async def start(**options: Any) -> Sandbox:
        sb = Sandbox(**options)
        await sb.start()
        started.append(sb)
        return sb

    yield start
    for sb in started:
        await sb.stop()

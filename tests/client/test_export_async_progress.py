"""Found in review, fixed; kept as the test that would catch it again. What was found:

Found in review 2: ``export(on_progress=...)`` with a coroutine function is never run.

``emit`` (vendorkit/export/_engine.py, inside ``export``) calls ``on_progress(event)`` and drops
what it returns; for an ``async def`` callback that is a coroutine nobody awaits: the callback
never runs (no progress is ever reported, a progress bar or a heartbeat to a job scheduler
stays at zero) and every event leaves a ``RuntimeWarning: coroutine ... was never awaited``.
Everywhere else vendorkit takes "a function or a coroutine function" for a callback (the client
hooks, ``wait_for_task(on_progress=...)``), and ``_check_options`` accepts any callable, so a
caller has no reason to expect the difference.

Broken promise: docs/export.md, "on_progress receives Progress events: ... Every job sends start
first and exactly one of done, incomplete, stopped, failed last"; no leaks through warnings.
"""

from __future__ import annotations

import gc
import warnings
from pathlib import Path
from typing import Any

from aiohttp import web

from vendorkit import LeanLaw
from vendorkit.export import Job, Progress, export


async def test_an_async_on_progress_receives_the_events(serve: Any, tmp_path: Path) -> None:
    async def clients(request: web.Request) -> web.Response:
        return web.json_response(
            {"data": [{"id": "C1"}], "pagination": {"limit": 100, "offset": 0, "total": 1}}
        )

    server = await serve({"GET /v2/clients": clients})
    seen: list[str] = []

    async def on_progress(event: Progress) -> None:
        seen.append(event.event)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        async with LeanLaw(api_key="ll-key-123456789", base_url=server.url) as ll:
            result = await export(
                [Job(client=ll, resource="clients")], out=tmp_path, on_progress=on_progress
            )
        gc.collect()
    assert result.ok
    never_awaited = [w for w in caught if "never awaited" in str(w.message)]
    assert seen and seen[0] == "start" and seen[-1] == "done", (
        f"the async callback saw {seen}; {len(never_awaited)} 'never awaited' warnings"
    )

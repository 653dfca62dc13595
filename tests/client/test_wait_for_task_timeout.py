"""Found in review, fixed; kept as the test that would catch it again. What was found:

Found in review 2: ``MakeLeaps.wait_for_task(timeout=...)`` checks only ``timeout < 0`` and
``poll_interval <= 0`` (vendorkit/vendors/makeleaps/__init__.py, ``wait_for_task``).

- ``timeout=float("nan")`` passes the check (every comparison with NaN is false), so
  ``remaining = deadline - now`` is NaN, ``remaining <= 0`` is never true and
  ``min(poll_interval, nan)`` is ``poll_interval``: a task that never finishes is polled for
  ever, ``TaskTimeoutError`` never comes. (``pickup_links.create_and_wait`` passes its timeout
  through.) A NaN is what a config value of ``"nan"`` or a failed computation gives.
- ``timeout="30"`` (a value read from an environment variable or a form) is a bare ``TypeError``
  from ``"30" < 0``; ``poll_interval=None`` the same.

Broken promises: issue 8, "no call hangs"; contract section 8, "bad arguments are
ConfigurationError"; the method's own docstring, "After timeout seconds TaskTimeoutError is
raised".
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp import web

from vendorkit import MakeLeaps
from vendorkit.errors import VendorkitError


async def _ml(serve: Any) -> tuple[MakeLeaps, list[int]]:
    polls: list[int] = []

    async def token(request: web.Request) -> web.Response:
        return web.json_response({"access_token": "tok-123456", "expires_in": 3600})

    async def task(request: web.Request) -> web.Response:
        polls.append(1)
        url = str(request.url)
        return web.json_response(
            {
                "meta": {"status": 200},
                "response": {"url": url, "result_url": url + "results/", "completion": 50},
            }
        )

    server = await serve(
        {"POST /user/oauth2/token/": token, "GET /api/partner/P/task/{mid}/": task}
    )
    ml = MakeLeaps(
        client_id="ml-client",
        client_secret="ml-secret-1234",
        partner_mid="P",
        base_url=server.url,
        rate_limit=None,
    )
    return ml, polls


async def test_a_nan_timeout_does_not_poll_for_ever(serve: Any) -> None:
    ml, polls = await _ml(serve)
    async with ml:
        try:
            await asyncio.wait_for(
                ml.wait_for_task("T1", timeout=float("nan"), poll_interval=0.01), 5
            )
        except VendorkitError:
            pass  # ConfigurationError (a NaN is no timeout) or TaskTimeoutError: either is fine
        except TimeoutError:
            pytest.fail(f"timeout=nan: still polling after 5 s ({len(polls)} polls)")


@pytest.mark.parametrize("options", [{"timeout": "30"}, {"poll_interval": None}])
async def test_a_timeout_of_the_wrong_type_is_a_configuration_error(
    serve: Any, options: dict[str, Any]
) -> None:
    ml, _polls = await _ml(serve)
    async with ml:
        with pytest.raises(VendorkitError):
            await asyncio.wait_for(ml.wait_for_task("T1", **options), 5)

"""Arguments: bad arguments from the caller are ``ConfigurationError`` (or the documented
error) before anything is sent, never a bare Python exception.

Found in review, fixed; kept as the test that would catch it again. What was found:

Found in review 2: bad arguments the first review's ``test_bad_arguments.py`` did not try
still escape as bare ``AttributeError``, ``UnicodeEncodeError``, ``OverflowError``, ``TypeError``
or ``ValueError``, not as ``ConfigurationError``:

- a credential that is not text: ``LeanLaw(api_key=12345)`` / ``Leady(token=12345)`` (a TOML or
  YAML config file reads an all-digit key as an integer) is an ``AttributeError`` from
  ``HeaderAuth``'s ``_fingerprint`` (``secret.encode()``, vendorkit/core/_auth.py);
- a credential with a lone surrogate (``api_key="k\\udc80"``, what ``os.fsdecode`` makes of a
  non-UTF-8 byte in an environment variable) is a ``UnicodeEncodeError``; LeadDesk's user name
  too (``OAuth2.bind`` hashes it);
- ``redis_url=`` that is not text is an ``AttributeError`` from redis-py;
- ``timeout=10**400`` (any int past float range; also ``max_retry_wait``, ``max_quota_wait``, the
  export's ``max_quota_wait``) is an ``OverflowError`` from ``_options.seconds``' ``float(value)``;
- ``rate_limit=Quota(1, float("inf"))`` is an ``OverflowError`` (``Quota.item``'s
  ``math.ceil``), and the public ``vendorkit.core.Quota`` itself raises attrs' bare
  ``ValueError``/``TypeError`` for ``Quota(0, 60)`` or ``Quota("120", 60)``;
- ``scoped_headers(...)`` checks nothing: a non-mapping is a ``TypeError`` at once, a header
  name that is not text an ``AttributeError`` (``merge_headers``' ``name.lower()``) at the next
  request;
- ``export(out=...)`` with a NUL or a lone surrogate in the path is a bare ``ValueError`` /
  ``UnicodeEncodeError`` from ``os.mkdir``.

Broken promise: contract section 8 and issue 8, "Bad arguments (... wrong types) raise
ConfigurationError: every exception vendorkit raises is a VendorkitError"; docs/clients.md,
"Every option is checked when the client is built".
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp import web

from vendorkit import LeadDesk, Leady, LeanLaw, MakeLeaps
from vendorkit.core import Quota
from vendorkit.errors import ConfigurationError, VendorkitError
from vendorkit.export import Job, export

URL = "http://127.0.0.1:9"

BUILDS = {
    "LeanLaw(api_key=12345)": lambda: LeanLaw(api_key=12345, base_url=URL),
    "Leady(token=12345)": lambda: Leady(token=12345, base_url=URL),
    "LeanLaw(api_key=b'...')": lambda: LeanLaw(api_key=b"ll-key-123456789", base_url=URL),
    "LeanLaw(api_key=lone surrogate)": lambda: LeanLaw(api_key="ll-key-\udc80", base_url=URL),
    "Leady(token=lone surrogate)": lambda: Leady(token="tok-\udc80", base_url=URL),
    "LeadDesk(username=lone surrogate)": lambda: LeadDesk(
        client_id="c", client_secret="s", username="u\udc80", password="p", base_url=URL
    ),
    "LeanLaw(redis_url=5)": lambda: LeanLaw(api_key="k", base_url=URL, redis_url=5),
    "LeanLaw(timeout=10**400)": lambda: LeanLaw(api_key="k", base_url=URL, timeout=10**400),
    "LeanLaw(max_retry_wait=10**400)": lambda: LeanLaw(
        api_key="k", base_url=URL, max_retry_wait=10**400
    ),
    "LeanLaw(max_quota_wait=10**400)": lambda: LeanLaw(
        api_key="k", base_url=URL, max_quota_wait=10**400
    ),
    "LeanLaw(rate_limit=Quota(1, inf))": lambda: LeanLaw(
        api_key="k", base_url=URL, rate_limit=Quota(1, float("inf"))
    ),
    "Quota(0, 60)": lambda: Quota(0, 60),
    "Quota('120', 60)": lambda: Quota("120", 60),
}


@pytest.mark.parametrize("build", BUILDS.values(), ids=BUILDS.keys())
def test_a_client_built_with_a_wrong_type_is_a_configuration_error(build: Any) -> None:
    with pytest.raises(ConfigurationError):
        build()


async def _scoped_not_a_mapping(ll: LeanLaw) -> None:
    with ll.scoped_headers(5):  # type: ignore[arg-type]
        await ll.clients.get("C1")


async def _scoped_name_not_text(ll: LeanLaw) -> None:
    with ll.scoped_headers({5: "x"}):  # type: ignore[dict-item]
        await ll.clients.get("C1")


async def _export_out_nul(ll: LeanLaw) -> None:
    await export([Job(client=ll, resource="clients")], out="/tmp/vendorkit-r2-\x00")


async def _export_quota_wait_huge(ll: LeanLaw) -> None:
    await export(
        [Job(client=ll, resource="clients")], out="/tmp/vendorkit-r2", max_quota_wait=10**400
    )


CALLS = {
    "scoped_headers(5)": _scoped_not_a_mapping,
    "scoped_headers({5: 'x'})": _scoped_name_not_text,
    "export(out with NUL)": _export_out_nul,
    "export(max_quota_wait=10**400)": _export_quota_wait_huge,
}


@pytest.mark.parametrize("call", CALLS.values(), ids=CALLS.keys())
async def test_a_call_with_a_wrong_type_is_a_configuration_error(call: Any) -> None:
    async with LeanLaw(api_key="ll-key-123456789", base_url=URL, max_retries=0) as ll:
        with pytest.raises(ConfigurationError):
            await call(ll)


async def test_an_out_path_of_undecodable_bytes_is_a_path(tmp_path: Any) -> None:
    """``"\\udc80"`` is how Python spells a file name byte that is not UTF-8 (``os.fsdecode``):
    a valid path on Linux, so the export runs (and fails only where the server is missing)."""
    out = tmp_path / "out-\udc80"
    async with LeanLaw(api_key="ll-key-123456789", base_url=URL, max_retries=0) as ll:
        result = await export([Job(client=ll, resource="clients")], out=out)
    assert [j.status for j in result.jobs] == ["failed"]
    assert "TransportError" in (result.jobs[0].error or "")


# -------------------------------------------------------------------------------------------------
# Moved here from tests/client/test_bad_arguments.py; its module docstring:
#
# Found in review, fixed; kept as the test that would catch it again. What was found:
#
# Bad arguments that escape as bare ``AttributeError``/``TypeError``/``ValueError`` (not a
# ``VendorkitError``), or are sent as something the caller did not mean.
#
# - ``request()``'s ``method`` is ``.upper()``-ed unchecked (then ``_client._checked``, now
#   ``send_checked`` / ``WireRequest``): ``None`` or ``5`` is an ``AttributeError``;
# - ``headers=`` and ``params=`` are ``.items()``-ed unchecked (``merge_headers``, ``url_for``): a
#   string, a list of pairs (what ``aiohttp`` and ``requests`` accept!) or an int key is an
#   ``AttributeError``; ``list(headers=5)`` too;
# - ``paginate(None)`` is a ``TypeError`` (``"{" not in template``);
# - an int id beyond 4300 digits is a bare ``ValueError`` (``path_segment``'s ``str(value)``);
# - LeadDesk turns any ``str.isdigit()`` text into ``int``: ``"²"`` is a bare ``ValueError``
#   (``_grant``, ``_id_of``) and ``"١٢"`` silently becomes the id 12;
# - ``json={"a": float("nan")}`` is sent as ``NaN``, which is not JSON; ``params={"a": b"x"}``
#   sends the Python repr ``b'x'`` as the filter.
#
# Broken promise: issue 8 and contract section 8, "Bad arguments (... wrong types) raise
# ConfigurationError: every exception vendorkit raises is a VendorkitError"; docs/errors.md "a
# body that cannot be JSON is a ConfigurationError".


CASES = {
    "method None": lambda ll: ll.request(None, "/v2/clients"),
    "method int": lambda ll: ll.request(5, "/v2/clients"),
    "headers a string": lambda ll: ll.request("GET", "/v2/clients", headers="X-A: 1"),
    "headers an int key": lambda ll: ll.request("GET", "/v2/clients", headers={5: "a"}),
    "params a list of pairs": lambda ll: ll.request("GET", "/v2/clients", params=[("a", "b")]),
    "params a string": lambda ll: ll.request("GET", "/v2/clients", params="a=b"),
    "list(headers=5)": lambda ll: ll.clients.list(headers=5).all(),
    "paginate(None)": lambda ll: ll.paginate(None).all(),
    "an id of 5000 digits": lambda ll: ll.clients.get(10**5000),
    "json with NaN": lambda ll: ll.request("POST", "/v2/clients", json={"a": float("nan")}),
    "params with bytes": lambda ll: ll.request("GET", "/v2/clients", params={"name": b"acme"}),
}


@pytest.mark.parametrize("call", CASES.values(), ids=CASES.keys())
async def test_a_bad_argument_is_a_configuration_error_before_anything_is_sent(
    serve: Any, make: Any, call: Any
) -> None:
    async def anything(request: web.Request) -> web.Response:
        return web.json_response({"data": [], "pagination": {"limit": 10, "offset": 0, "total": 0}})

    server = await serve({"* /{tail:.*}": anything})
    ll = make(LeanLaw, server, api_key="ll-key-123456789", max_retries=0)
    with pytest.raises(ConfigurationError):
        await call(ll)
    assert server.seen == [], [(s.method, s.path, s.body) for s in server.seen]


@pytest.mark.parametrize("value", ["²", "١٢"])
def test_a_leaddesk_client_id_that_is_not_ascii_digits_is_refused(value: str) -> None:
    with pytest.raises(ConfigurationError):
        LeadDesk(client_id="c", client_secret="s-123456", leaddesk_client_id=value)


@pytest.mark.parametrize("value", ["²", "١٢"])
async def test_a_relation_id_that_is_not_ascii_digits_is_not_turned_into_another_id(
    serve: Any, make: Any, value: str
) -> None:
    async def token(request: web.Request) -> web.Response:
        return web.json_response(
            {"access_token": "ld-TOKEN-1", "token_type": "Bearer", "expires_in": 3600}
        )

    async def anything(request: web.Request) -> web.Response:
        return web.Response(status=204)

    server = await serve({"POST /oauth/access-token": token, "* /campaigns/{tail:.*}": anything})
    ld = make(
        LeadDesk, server, client_id="c", client_secret="s-123456", username="u", password="p-1234"
    )
    try:
        await ld.campaigns.users(7).add([value])
    except ConfigurationError:
        return  # refusing it is fine
    bodies = [s.body for s in server.requests() if s.path.startswith("/campaigns")]
    # Sent as given (a string id), never as a different integer id.
    assert all(b'"id": 12' not in b and b'"id":12' not in b for b in bodies), bodies


# -------------------------------------------------------------------------------------------------
# Moved here from tests/client/test_wait_for_task_timeout.py; its module docstring:
#
# Found in review, fixed; kept as the test that would catch it again. What was found:
#
# Found in review 2: ``MakeLeaps.wait_for_task(timeout=...)`` checks only ``timeout < 0`` and
# ``poll_interval <= 0`` (vendorkit/vendors/makeleaps/__init__.py, ``wait_for_task``).
#
# - ``timeout=float("nan")`` passes the check (every comparison with NaN is false), so
#   ``remaining = deadline - now`` is NaN, ``remaining <= 0`` is never true and
#   ``min(poll_interval, nan)`` is ``poll_interval``: a task that never finishes is polled for
#   ever, ``TaskTimeoutError`` never comes. (``pickup_links.create_and_wait`` passes its timeout
#   through.) A NaN is what a config value of ``"nan"`` or a failed computation gives.
# - ``timeout="30"`` (a value read from an environment variable or a form) is a bare ``TypeError``
#   from ``"30" < 0``; ``poll_interval=None`` the same.
#
# Broken promises: issue 8, "no call hangs"; contract section 8, "bad arguments are
# ConfigurationError"; the method's own docstring, "After timeout seconds TaskTimeoutError is
# raised".


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

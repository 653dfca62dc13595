"""Found in review, fixed; kept as the test that would catch it again. What was found:

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

from typing import Any

import pytest

from vendorkit import LeadDesk, Leady, LeanLaw
from vendorkit.core import Quota
from vendorkit.errors import ConfigurationError
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

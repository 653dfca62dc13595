"""The per-vendor table of the shared contract suite (``test_contract.py``): for each adapter,
what differs between otherwise identical promises (its credentials, its default base URL, how
its independent server is started and throttled, which call shows that a client works, which
headers its options put on the wire).

Each vendor's server is its own, written from that vendor's docs (``_<vendor>_server.py``);
nothing here is shared with the sandbox emulators. Tests that only one vendor has stay in
``test_<vendor>_contract.py``.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any

import attrs
from aiohttp.test_utils import TestServer

from tests.contract import _leaddesk_server as ld
from tests.contract import _leady_server as ly
from tests.contract import _leanlaw_server as ll
from tests.contract import _makeleaps_server as ml
from vendorkit import LeadDesk, Leady, LeanLaw, MakeLeaps, errors

Call = Callable[[Any], Awaitable[Any]]


@attrs.frozen
class Check:
    """One call on a client and what it must give: ``await call(client) == expected(server)``."""

    call: Call
    expected: Callable[[Any], Any]


@attrs.frozen
class Vendor:
    """What differs between the four adapters in a promise they all make."""

    name: str
    cls: type[Any]
    credentials: Mapping[str, Any]  # keyword arguments of a working client
    positional: tuple[Any, ...]  # the same credentials given positionally: a TypeError
    default_kwargs: Mapping[str, Any]  # a client built without base_url=
    default_base_url: str
    secrets: tuple[str, ...]  # never in a repr or an error message
    serve: Callable[[], Any]  # an async context manager giving the started server
    base_url: Callable[[Any], str]
    # every documented option
    vendor_options: Mapping[str, Any]
    with_every_option: Check
    first_api_headers: Callable[[Any], Mapping[str, str]]
    option_headers: Mapping[str, str]  # what the options put on each API request
    not_sent: Callable[[Any], list[Any]]  # requests those options make unnecessary
    # redis_url= and rate_limit=None
    with_redis: Check
    without_rate_limit: Check
    # from_env
    env: tuple[tuple[str, str], ...]  # the variables from_env needs, in the order it asks
    env_options: Mapping[str, Any]
    from_env: Check
    from_env_state: Mapping[str, Any]  # attributes of the client from_env builds
    # 429 when retries run out, or the wait is longer than max_retry_wait
    throttle: Callable[[Any, str], None]  # answer the next request 429 with this Retry-After
    limited: tuple[Call, Call]  # the call refused at once, the call told to wait too long
    retry_after: tuple[str, str]  # their Retry-After values
    limited_options: Mapping[str, Any]
    rate_limit_error: Callable[[Any], Mapping[str, Any]]  # vendor fields of the first error
    # wrong credentials
    wrong_credentials: Mapping[str, Any]
    refused_call: Call
    refused_as: type[Exception]
    refusal: Callable[[Any], Mapping[str, Any]]  # attributes of the error
    refusal_secrets: tuple[str, ...]  # in no view of that error, nor in the DEBUG log
    refusal_views: Callable[[Any], tuple[str, ...]]  # views of the error beyond str and repr
    refusal_mentions: tuple[str, ...]  # what str(error) says
    reached_with_wrong_credentials: Callable[[Any], list[Any]]  # API requests made anyway
    # generic request()
    other_origin: str  # an absolute URL elsewhere: refused before sending
    missing_path: str  # a path the vendor does not have: NotFoundError

    def client(self, server: Any, **options: Any) -> Any:
        return self.cls(
            **{**self.credentials, **options.pop("credentials", {})},
            base_url=self.base_url(server),
            **options,
        )


# -- servers ---------------------------------------------------------------------------------------


@asynccontextmanager
async def _test_server(srv: Any) -> AsyncIterator[Any]:
    """Leady and LeanLaw: the server object learns its own ``TestServer`` (for ``url``)."""
    ts = TestServer(srv.app(), host="127.0.0.1")
    await ts.start_server()
    srv.ts = ts
    try:
        yield srv
    finally:
        await ts.close()


@asynccontextmanager
async def _makeleaps() -> AsyncIterator[ml.MakeLeapsServer]:
    srv = ml.MakeLeapsServer()
    ts = await ml._start(srv)
    try:
        yield srv
    finally:
        await ts.close()


@asynccontextmanager
async def _leaddesk() -> AsyncIterator[ld.FakeLeadDesk]:
    harness = ld.Harness()
    try:
        yield await harness.serve()
    finally:
        await harness.close()


def _throttle_list(server: Any, retry_after: str) -> None:
    server.throttle = [retry_after]


def _throttle_leaddesk(fake: ld.FakeLeadDesk, retry_after: str) -> None:
    fake.retry_after = retry_after
    fake.throttle = 1


# -- calls that show a client works ---------------------------------------------------------------


async def _leady_domains(c: Leady) -> list[str]:
    return [r.domain for r in await c.resources.list().all()]


async def _leady_companies(c: Leady) -> int:
    return len(await c.companies.list().all())


async def _leady_magnitudes(c: Leady) -> int:
    return len(await c.magnitudes.list().all())


async def _leady_companies_raw(c: Leady) -> Any:
    return await c.companies.list().all()


async def _leady_company_10(c: Leady) -> Any:
    return (await c.companies.get(10)).raw


async def _leanlaw_users(c: LeanLaw) -> int:
    return len(await c.users.list().all())


async def _leanlaw_practice_areas(c: LeanLaw) -> int:
    return len(await c.practice_areas.list().all())


async def _leanlaw_clients(c: LeanLaw) -> int:
    return len(await c.clients.list().all())


async def _leanlaw_clients_raw(c: LeanLaw) -> list[Any]:
    return [x.raw for x in await c.clients.list().all()]


async def _leanlaw_clients_all(c: LeanLaw) -> Any:
    return await c.clients.list().all()


async def _leanlaw_user_100(c: LeanLaw) -> Any:
    return await c.users.get(ll._guid(100))


async def _makeleaps_employees(c: MakeLeaps) -> int:
    return len(await c.employees.list().all())


async def _makeleaps_currencies(c: MakeLeaps) -> int:
    return len(await c.currencies.list().all())


async def _makeleaps_documents(c: MakeLeaps) -> Any:
    return await c.documents.list().all()


async def _makeleaps_me(c: MakeLeaps) -> str:
    return str((await c.employees.me()).name)


async def _leaddesk_user_1(c: LeadDesk) -> int:
    return int((await c.users.get(1)).id)


async def _leaddesk_users(c: LeadDesk) -> int:
    return len(await c.users.list().all())


# -- the table -------------------------------------------------------------------------------------

VENDORS = (
    Vendor(
        name="leady",
        cls=Leady,
        credentials={"token": ly.FIRST_TOKEN},
        positional=(ly.FIRST_TOKEN,),
        default_kwargs={"token": ly.FIRST_TOKEN},
        default_base_url="https://api.leady.com/v1",
        secrets=(ly.FIRST_TOKEN,),
        serve=lambda: _test_server(ly.LeadyServer()),
        base_url=lambda s: s.url,
        vendor_options={},
        with_every_option=Check(_leady_domains, lambda s: ["example.com", "shop.example.org"]),
        first_api_headers=lambda s: s.requests("GET", "/resources/")[0]["headers"],
        option_headers={"Authorization": f"Token {ly.FIRST_TOKEN}"},
        not_sent=lambda s: [],
        with_redis=Check(_leady_companies, lambda s: len(ly.COMPANIES)),
        without_rate_limit=Check(_leady_magnitudes, lambda s: len(ly.MAGNITUDES)),
        env=(("VENDORKIT_LEADY_TOKEN", ly.FIRST_TOKEN),),
        env_options={},
        from_env=Check(_leady_company_10, lambda s: ly.COMPANIES[0]),
        from_env_state={},
        throttle=_throttle_list,
        limited=(_leady_company_10, _leady_company_10),
        retry_after=("0.05", "30"),
        limited_options={},
        rate_limit_error=lambda s: {},
        wrong_credentials={"token": "tok-wrong-S3CRET"},
        refused_call=_leady_companies_raw,
        refused_as=errors.AuthenticationError,
        refusal=lambda s: {"status": 401, "message": "Invalid token."},
        refusal_secrets=("tok-wrong-S3CRET",),
        refusal_views=lambda e: (),
        refusal_mentions=(),
        reached_with_wrong_credentials=lambda s: [],
        other_origin="https://elsewhere.invalid/v1/companies/",
        missing_path="/nowhere/",
    ),
    Vendor(
        name="leanlaw",
        cls=LeanLaw,
        credentials={"api_key": ll.API_KEY},
        positional=(ll.API_KEY,),
        default_kwargs={"api_key": ll.API_KEY},
        default_base_url="https://api.leanlaw.io",
        secrets=(ll.API_KEY,),
        serve=lambda: _test_server(ll.LeanLawServer()),
        base_url=lambda s: s.url,
        vendor_options={},
        with_every_option=Check(_leanlaw_users, lambda s: 4),
        first_api_headers=lambda s: s.requests("GET", "/v2/users")[0]["headers"],
        option_headers={"Authorization": f"Bearer {ll.API_KEY}"},
        not_sent=lambda s: [],
        with_redis=Check(_leanlaw_practice_areas, lambda s: 5),
        without_rate_limit=Check(_leanlaw_clients, lambda s: 6),
        env=(("VENDORKIT_LEANLAW_API_KEY", ll.API_KEY),),
        env_options={},
        from_env=Check(_leanlaw_clients_raw, lambda s: ll.listed(s, "clients")),
        from_env_state={},
        throttle=_throttle_list,
        limited=(_leanlaw_users, _leanlaw_user_100),
        retry_after=("0.05", "120"),
        limited_options={},
        rate_limit_error=lambda s: {"trace_id": s.trace_ids[-1]},
        wrong_credentials={"api_key": "wrong-key-S3CRET"},
        refused_call=_leanlaw_clients_all,
        refused_as=errors.PermissionDeniedError,
        refusal=lambda s: {"status": 403, "trace_id": s.trace_ids[-1], "code": "Forbidden"},
        refusal_secrets=("wrong-key-S3CRET",),
        refusal_views=lambda e: (),
        refusal_mentions=(),
        reached_with_wrong_credentials=lambda s: [],
        other_origin="https://elsewhere.invalid/v2/users",
        missing_path="/v2/nothing-here/1",
    ),
    Vendor(
        name="makeleaps",
        cls=MakeLeaps,
        credentials={"client_id": ml.CLIENT_ID, "client_secret": ml.CLIENT_SECRET},
        positional=(ml.CLIENT_ID, ml.CLIENT_SECRET),
        default_kwargs={"client_id": ml.CLIENT_ID, "client_secret": ml.CLIENT_SECRET},
        default_base_url="https://api.makeleaps.com",
        secrets=(ml.CLIENT_SECRET, ml.BASIC),
        serve=_makeleaps,
        base_url=lambda s: s.url,
        vendor_options={"partner_mid": ml.P1, "accept_language": "ja"},
        with_every_option=Check(_makeleaps_employees, lambda s: 4),
        first_api_headers=lambda s: s.requests("GET", f"/api/partner/{ml.P1}/employee/")[0][
            "headers"
        ],
        option_headers={"Accept-Language": "ja"},
        not_sent=lambda s: s.requests("GET", "/api/partner/"),  # partner_mid given: no discovery
        with_redis=Check(_makeleaps_employees, lambda s: 4),
        without_rate_limit=Check(_makeleaps_currencies, lambda s: 2),
        env=(
            ("VENDORKIT_MAKELEAPS_CLIENT_ID", ml.CLIENT_ID),
            ("VENDORKIT_MAKELEAPS_CLIENT_SECRET", ml.CLIENT_SECRET),
        ),
        env_options={"rate_limit": None},
        from_env=Check(_makeleaps_me, lambda s: "Employee 0"),
        from_env_state={"partner_mid": ml.P1},
        throttle=_throttle_list,
        limited=(_makeleaps_employees, _makeleaps_employees),
        retry_after=("1", "30"),
        limited_options={"partner_mid": ml.P1, "rate_limit": None},
        rate_limit_error=lambda s: {},
        wrong_credentials={"client_secret": "wrong-" + ml.CLIENT_SECRET},
        refused_call=_makeleaps_documents,
        refused_as=errors.AuthenticationError,
        refusal=lambda s: {"status": 401, "code": "invalid_client", "vendor": "makeleaps"},
        refusal_secrets=(ml.CLIENT_SECRET, "Basic"),
        refusal_views=lambda e: (json.dumps(e.body), str(e.url)),
        refusal_mentions=(),
        # nothing reached the API without a token
        reached_with_wrong_credentials=lambda s: s.api_calls(),
        other_origin="https://elsewhere.invalid/api/currency/",
        missing_path=f"/api/partner/{ml.P1}/document/404/",
    ),
    Vendor(
        name="leaddesk",
        cls=LeadDesk,
        credentials={
            "client_id": ld.CLIENT_ID,
            "client_secret": ld.CLIENT_SECRET,
            "username": ld.USERNAME,
            "password": ld.PASSWORD,
        },
        positional=(ld.CLIENT_ID, ld.CLIENT_SECRET, ld.USERNAME, ld.PASSWORD),
        default_kwargs={
            "client_id": ld.CLIENT_ID,
            "client_secret": ld.CLIENT_SECRET,
            "leaddesk_client_id": 1,
        },
        default_base_url="https://restapi-nor.leaddesk.com/stable",
        secrets=(ld.CLIENT_SECRET, ld.PASSWORD),
        serve=_leaddesk,
        base_url=lambda f: f.origin + ld.BASE,
        vendor_options={},
        with_every_option=Check(_leaddesk_user_1, lambda f: 1),
        first_api_headers=lambda f: f.api_requests()[0].headers,
        option_headers={},
        not_sent=lambda f: [],
        with_redis=Check(_leaddesk_user_1, lambda f: 1),
        without_rate_limit=Check(_leaddesk_users, lambda f: 12),
        env=(
            ("VENDORKIT_LEADDESK_CLIENT_ID", ld.CLIENT_ID),
            ("VENDORKIT_LEADDESK_CLIENT_SECRET", ld.CLIENT_SECRET),
            ("VENDORKIT_LEADDESK_USERNAME", ld.USERNAME),
            ("VENDORKIT_LEADDESK_PASSWORD", ld.PASSWORD),
        ),
        env_options={},
        from_env=Check(_leaddesk_user_1, lambda f: 1),
        from_env_state={"grant_type": "password"},
        throttle=_throttle_leaddesk,
        limited=(_leaddesk_user_1, _leaddesk_user_1),
        retry_after=("0.05", "30"),
        limited_options={},
        rate_limit_error=lambda f: {"code": "too_many_requests"},
        wrong_credentials={"password": "wrong-S3CRET"},
        refused_call=_leaddesk_user_1,
        refused_as=errors.AuthenticationError,
        refusal=lambda f: {
            "status": 401,
            "code": "invalid_credentials",
            "message": "The user credentials were incorrect",
            "vendor": "leaddesk",
            "method": "POST",
        },
        refusal_secrets=(ld.CLIENT_SECRET, "wrong-S3CRET", "S3CRET"),
        refusal_views=lambda e: (),
        refusal_mentions=("401", "access-token"),
        reached_with_wrong_credentials=lambda f: f.api_requests(),
        other_origin="https://elsewhere.invalid/stable/users",
        missing_path="/users/404",
    ),
)

"""``ClientRegistry``: one client per tenant, at most ``max_clients`` idle, never one in use
closed, opening single-flight, failures not remembered, and everything closed at the end. Most
tests hold small objects with an ``aclose()`` (what the registry needs of a client); the last
ones hold real MakeLeaps clients against the sandbox, with and without Redis."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests._redis_url import REDIS_URL
from vendorkit import MakeLeaps
from vendorkit.errors import ClientStateError, ConfigurationError
from vendorkit.sandbox import Sandbox
from vendorkit.web import ClientRegistry


class Thing:
    def __init__(self, tenant: str) -> None:
        self.tenant = tenant
        self.closed = False

    async def aclose(self) -> None:
        self.closed = True


class Factory:
    def __init__(self, delay: float = 0.0, fail: set[str] | None = None) -> None:
        self.made: list[Thing] = []
        self.delay = delay
        self.fail = fail or set()

    async def __call__(self, tenant: str) -> Thing:
        if self.delay:
            await asyncio.sleep(self.delay)
        if tenant in self.fail:
            raise LookupError(f"no credentials for {tenant}")
        thing = Thing(tenant)
        self.made.append(thing)
        return thing


async def until(condition: Any, seconds: float = 10) -> None:
    """Wait (event loop turns, no fixed sleep) until ``condition()`` holds; fail after
    ``seconds``."""
    for _ in range(int(seconds * 1000)):  # what is awaited is not ours to signal
        if condition():
            return
        await asyncio.sleep(0.001)
    raise AssertionError(f"not so after {seconds} s")


async def settle() -> None:
    for _ in range(5):  # closes run in tasks of their own
        await asyncio.sleep(0)


async def test_the_least_recently_used_idle_client_is_closed_first() -> None:
    factory = Factory()
    async with ClientRegistry(factory, max_clients=2) as registry:
        for tenant in ("a", "b", "a", "c"):  # "b" is now the least recently used
            async with registry.client(tenant):
                pass
        await settle()
        assert registry.tenants == ["a", "c"]
        assert [(t.tenant, t.closed) for t in factory.made] == [
            ("a", False),
            ("b", True),
            ("c", False),
        ]
    assert all(t.closed for t in factory.made)


async def test_a_client_in_use_is_never_closed_under_its_caller() -> None:
    factory = Factory()
    async with ClientRegistry(factory, max_clients=1) as registry:
        async with registry.client("a") as a:
            async with registry.client("b") as b:
                async with registry.client("c") as c:
                    await settle()
                    assert not a.closed and not b.closed  # over the bound while all are held
                    assert len(registry) == 3
            await settle()
            # Back to the bound as leases end: the idle ones go, the one still held stays.
            assert b.closed and c.closed and not a.closed
        await settle()
        assert registry.tenants == ["a"]
        assert not a.closed


async def test_fifty_callers_for_a_new_tenant_make_one_client() -> None:
    factory = Factory(delay=0.05)
    async with ClientRegistry(factory) as registry:

        async def use() -> Thing:
            async with registry.client("acme") as thing:
                return thing

        got = await asyncio.gather(*(use() for _ in range(50)))
        assert len(factory.made) == 1
        assert all(g is factory.made[0] for g in got)


async def test_a_failing_factory_reaches_every_waiter_and_is_not_remembered() -> None:
    factory = Factory(delay=0.02, fail={"acme"})
    async with ClientRegistry(factory) as registry:

        async def use() -> None:
            async with registry.client("acme"):
                pass

        outcomes = await asyncio.gather(*(use() for _ in range(5)), return_exceptions=True)
        assert all(isinstance(o, LookupError) for o in outcomes)
        factory.fail.clear()
        async with registry.client("acme") as thing:  # tried again, not the old failure
            assert thing.tenant == "acme"


async def test_a_caller_that_goes_away_does_not_cancel_the_opening_others_wait_for() -> None:
    factory = Factory(delay=0.1)
    async with ClientRegistry(factory) as registry:

        async def use() -> Thing:
            async with registry.client("acme") as thing:
                return thing

        first = asyncio.ensure_future(use())
        second = asyncio.ensure_future(use())
        await asyncio.sleep(0.02)
        first.cancel()
        got = await second
        assert first.cancelled()
        assert got is factory.made[0] and not got.closed
        assert registry.in_use("acme") == 0


async def test_evicting_a_tenant_in_use_closes_its_client_when_the_lease_ends() -> None:
    factory = Factory()
    async with ClientRegistry(factory) as registry:
        async with registry.client("acme") as thing:
            assert registry.evict("acme")
            await settle()
            assert not thing.closed
        await settle()
        assert thing.closed
        assert not registry.evict("acme")
        async with registry.client("acme") as again:  # a new client from the factory
            assert again is not thing


async def test_a_closed_registry_refuses_and_cancels_what_was_still_opening() -> None:
    """Its waiter is told the registry closed (not a cancellation it never asked for)."""
    factory = Factory(delay=3600)
    registry = ClientRegistry(factory)

    async def use() -> None:
        async with registry.client("acme"):
            pass

    opening = asyncio.ensure_future(use())
    await asyncio.sleep(0.02)
    await asyncio.wait_for(registry.aclose(), 10)  # not held up by the factory's hour
    with pytest.raises(ClientStateError):
        await opening
    assert factory.made == []
    with pytest.raises(ClientStateError):
        await use()
    await registry.aclose()  # twice: harmless


async def test_a_client_made_as_the_registry_closes_is_closed_too() -> None:
    """The factory answers (synchronously, so no cancellation can reach it) after the close
    began: what it made is closed, not left open."""
    made: list[Thing] = []
    registry: ClientRegistry[Thing]

    def factory(tenant: str) -> Thing:
        registry._closed = True  # the close began while the factory ran (as from a signal)
        made.append(Thing(tenant))
        return made[-1]

    registry = ClientRegistry(factory)
    with pytest.raises(ClientStateError):
        async with registry.client("acme"):
            pass
    await registry.aclose()
    assert [t.closed for t in made] == [True]


class StallsOnce:
    """A factory whose first call never returns (a credentials database that stalled once, a
    token request stuck on a dead connection); later calls answer at once."""

    def __init__(self) -> None:
        self.calls = 0
        self.cancelled = 0

    async def __call__(self, tenant: str) -> Thing:
        self.calls += 1
        if self.calls == 1:
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                self.cancelled += 1
                raise
        return Thing(tenant)


async def test_an_opening_nobody_waits_for_any_more_is_cancelled() -> None:
    """(From the review.) Its only caller gave up: the hung factory call is cancelled, and the
    next request for the tenant opens anew instead of joining it for ever; the shut-down is not
    held up either."""
    factory = StallsOnce()
    registry = ClientRegistry(factory, max_clients=10)
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.2), registry.client("acme"):
            pass
    await settle()
    assert factory.cancelled == 1
    async with asyncio.timeout(10), registry.client("acme") as client:
        assert client.tenant == "acme"
    assert factory.calls == 2
    await asyncio.wait_for(registry.aclose(), 10)


async def test_one_caller_giving_up_does_not_cancel_the_opening_for_the_others() -> None:
    factory = Factory(delay=0.2)
    async with ClientRegistry(factory) as registry:

        async def use() -> str:
            async with registry.client("acme") as client:
                return client.tenant

        impatient = asyncio.ensure_future(use())
        patient = asyncio.ensure_future(use())
        await asyncio.sleep(0.05)
        impatient.cancel()
        assert await asyncio.wait_for(patient, 10) == "acme"
        assert impatient.cancelled() and len(factory.made) == 1


async def test_an_evict_while_the_tenant_opens_gives_its_waiters_a_new_opening() -> None:
    """(From the review.) The app rotated a tenant's key and evicted it while its client was
    still opening with the old key: that client is closed when it ends, the waiters (and every
    later request) get one made with the new key."""
    keys = {"acme": "old-key"}
    made: list[Thing] = []

    async def factory(tenant: str) -> Thing:
        key = keys[tenant]  # read from the database
        await asyncio.sleep(0.1)  # then the token request
        made.append(Thing(key))
        return made[-1]

    async with ClientRegistry(factory) as registry:

        async def key_used() -> str:
            async with registry.client("acme") as client:
                return client.tenant

        waiting = asyncio.ensure_future(key_used())
        await asyncio.sleep(0.02)  # opening under way with old-key
        keys["acme"] = "new-key"
        assert registry.evict("acme") is True
        assert await asyncio.wait_for(waiting, 10) == "new-key"
        assert await key_used() == "new-key"
        await settle()
        assert [(t.tenant, t.closed) for t in made] == [("old-key", True), ("new-key", False)]


@pytest.mark.parametrize("tenant", ["", None, 3, b"acme"])
async def test_a_tenant_that_is_not_a_name_is_a_configuration_error(tenant: object) -> None:
    async with ClientRegistry(Factory()) as registry:
        with pytest.raises(ConfigurationError, match="tenant"):
            async with registry.client(tenant):  # type: ignore[arg-type]
                pass


@pytest.mark.parametrize("bad", [0, -1, True, 2.5, "10"])
def test_max_clients_must_be_a_whole_number(bad: object) -> None:
    with pytest.raises(ConfigurationError, match="max_clients"):
        ClientRegistry(Factory(), max_clients=bad)  # type: ignore[arg-type]


def test_the_factory_must_be_callable() -> None:
    with pytest.raises(ConfigurationError, match="callable"):
        ClientRegistry("MakeLeaps")  # type: ignore[arg-type]


@pytest.mark.parametrize("redis", [False, True])
async def test_an_evicted_tenants_token_survives_its_client_on_redis(redis: bool) -> None:
    """With ``redis_url=``, a tenant evicted and served again reuses its token (one token
    request for the tenant); without it, its new client asks for a new one."""
    async with (
        Sandbox(vendors=["makeleaps"], records=5, seed=1) as one,
        Sandbox(vendors=["makeleaps"], records=5, seed=2) as two,
    ):
        boxes = {"one": one, "two": two}
        # Each sandbox makes credentials of its own, so the token store's keys are this run's.
        options = {"redis_url": REDIS_URL} if redis else {}

        def make(tenant: str) -> MakeLeaps:
            return MakeLeaps(**boxes[tenant].credentials("makeleaps"), **options)

        async with ClientRegistry(make, max_clients=1) as registry:
            for tenant in ("one", "two", "one", "two", "one"):
                async with registry.client(tenant) as ml:
                    assert await ml.clients.list(max_items=1).all()
        tokens = one.emulator("makeleaps").counters.token_requests["client_credentials"]
        assert tokens == (1 if redis else 3)


def _cookie_setting_vendor(seen: list[tuple[str, str]]) -> Any:
    """A LeanLaw-shaped vendor that sets a login cookie on every answer, naming the key."""
    from aiohttp import web

    async def matters(request: web.Request) -> web.Response:
        key = request.headers["Authorization"].removeprefix("Bearer ")
        seen.append((key, request.headers.get("Cookie", "")))
        answer = web.json_response({"data": [], "pagination": {"limit": 10, "offset": 0}})
        answer.set_cookie("session", f"logged-in-as-{key}")
        return answer

    app = web.Application()
    app.router.add_get("/v2/matters", matters)
    return app


async def test_a_cookie_one_tenants_answer_set_never_goes_out_for_another() -> None:
    """(From the review.) Every tenant's client shares the app's one session: with aiohttp's
    default cookie jar, the cookie the vendor set for smith-law went out with jones-llp's
    requests. The session ``open_clients`` opens keeps no cookies."""
    from tests._http import serving
    from vendorkit import LeanLaw
    from vendorkit.web import open_clients

    keys = {"smith-law": "key-smith-000000", "jones-llp": "key-jones-000000"}
    seen: list[tuple[str, str]] = []
    async with serving(_cookie_setting_vendor(seen)) as url:
        url = url.replace("127.0.0.1", "localhost")  # a host name: aiohttp keeps no IP cookies
        async with open_clients(
            leanlaw=lambda s: ClientRegistry(
                lambda firm: LeanLaw(api_key=keys[firm], base_url=url, session=s)
            )
        ) as clients:
            for firm in ("smith-law", "jones-llp", "smith-law"):
                async with clients["leanlaw"].client(firm) as ll:
                    await ll.matters.list().all()
    assert [key for key, _ in seen] == [keys["smith-law"], keys["jones-llp"], keys["smith-law"]]
    assert [cookie for _, cookie in seen] == ["", "", ""]


async def test_a_borrowed_session_that_keeps_cookies_is_warned_about(
    caplog: pytest.LogCaptureFixture,
) -> None:
    import aiohttp

    from vendorkit.web import open_clients

    for jar, warned in ((None, True), (aiohttp.DummyCookieJar(), False)):
        caplog.clear()
        options = {} if jar is None else {"cookie_jar": jar}
        async with (
            aiohttp.ClientSession(**options) as mine,
            open_clients(mine, thing=lambda s: Thing("t")),
        ):
            pass
        said = [r.getMessage() for r in caplog.records if "keeps cookies" in r.getMessage()]
        assert bool(said) is warned, said


class Counted:
    def __init__(self, tenant: str) -> None:
        self.tenant = tenant
        self.closes = 0

    async def aclose(self) -> None:
        self.closes += 1


async def test_after_an_evict_each_opening_is_cancelled_when_its_own_waiters_have_gone() -> None:
    """(From the second review.) Waiters were counted per tenant: after an evict during an
    opening, the stale opening's waiter kept the count up when the new opening's only caller
    gave up, and the new (hung) factory call was never cancelled. They are counted per opening."""
    calls: list[int] = []
    cancelled: list[int] = []

    async def factory(tenant: str) -> Counted:
        calls.append(len(calls) + 1)
        me = calls[-1]
        try:
            await asyncio.Event().wait()  # a credentials look-up that hangs
        except asyncio.CancelledError:
            cancelled.append(me)
            raise
        raise AssertionError("unreachable")

    registry: ClientRegistry[Counted] = ClientRegistry(factory)

    async def use() -> None:
        async with registry.client("t"):
            pass

    first = asyncio.ensure_future(use())  # opening 1
    await asyncio.sleep(0.05)
    assert registry.evict("t")  # credentials rotated: opening 1 is stale
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.1):
            await use()  # opening 2; its only caller gives up
    await until(lambda: cancelled == [2])  # though opening 1 still has its waiter
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    await until(lambda: sorted(cancelled) == [1, 2])
    await until(lambda: not registry._opening and not registry._waiting)
    await registry.aclose()


async def test_a_factory_that_raises_cancelled_error_itself_is_a_failure_not_a_loop() -> None:
    """(From the second review.) Taken for "the registry closed it", a factory that raised
    CancelledError without being cancelled (it awaited something its owner cancelled) was
    called again at once, tens of thousands of times a second. It is now that caller's error,
    a ``ClientStateError``; the next request tries again, as after any failed factory."""
    calls = 0

    async def factory(tenant: str) -> Counted:
        nonlocal calls
        calls += 1
        shared: asyncio.Future[Counted] = asyncio.get_running_loop().create_future()
        shared.cancel()  # cancelled by its owner, not by us
        return await shared

    async with ClientRegistry(factory) as registry:
        for expected in (1, 2):
            with pytest.raises(ClientStateError, match="cancelled inside its factory"):
                async with asyncio.timeout(10), registry.client("t"):
                    pass
            assert calls == expected


async def test_a_client_closed_by_aclose_under_a_lease_is_not_closed_again() -> None:
    """(From the second review.) ``aclose`` closes a leased client at once (documented); the
    lease's end closed it a second time, which an ``aclose`` that is not idempotent minds."""
    made: list[Counted] = []

    async def factory(tenant: str) -> Counted:
        made.append(Counted(tenant))
        return made[-1]

    registry: ClientRegistry[Counted] = ClientRegistry(factory)
    async with registry.client("a"):
        await registry.aclose()
    await settle()
    assert made[0].closes == 1

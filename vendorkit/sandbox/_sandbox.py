"""``Sandbox``: the four emulators running on 127.0.0.1, one port each."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeVar, Unpack, overload

from aiohttp import web

from vendorkit._registry import VENDORS, vendor_entry
from vendorkit.errors import ConfigurationError

from ._emulator import DEFAULT, Emulator
from ._faults import FaultProfile

if TYPE_CHECKING:  # for the types only: the emulators import nothing of the clients
    from vendorkit import LeadDesk, Leady, LeanLaw, MakeLeaps
    from vendorkit.core import BaseClient, ClientOptions
    from vendorkit.vendors.leaddesk import LeadDeskOptions
    from vendorkit.vendors.leady import LeadyOptions
    from vendorkit.vendors.leanlaw import LeanLawOptions
    from vendorkit.vendors.makeleaps import MakeLeapsOptions

__all__ = ["VENDORS", "Sandbox", "emulator_class"]

T = TypeVar("T")


def emulator_class(vendor: str) -> type[Emulator]:
    """The emulator of ``vendor``, from the one vendor registry (``vendorkit._registry``)."""
    cls: type[Emulator] = vendor_entry(vendor).emulator_class()
    return cls


def _loopback(host: str) -> bool:
    import ipaddress

    name = host.strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def origin(host: str, port: int) -> str:
    """``http://host:port``, an IPv6 literal in brackets (``http://[::1]:8080``): unbracketed,
    its colons would read as a port, and no URL parser (``from_env()`` included) takes it."""
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}"


def _per_vendor(value: T | Mapping[str, T], vendor: str, default: T) -> T:
    if isinstance(value, Mapping):
        return value.get(vendor, default)
    return value


def _vendor_name(vendor: str) -> str:
    """A vendor's name in any case, as ``Sandbox(vendors=[...])`` takes it."""
    return vendor.lower() if isinstance(vendor, str) else vendor


class Sandbox:
    """Local emulators of the vendors, for demos, tests and manual exploration.

    ``vendors``: which to start (default all four). ``records``: size of each main collection.
    ``seed``: same seed, same data. ``faults``: a ``FaultProfile`` for all vendors or a mapping
    per vendor. ``quotas``: per-vendor throttle override (``{"makeleaps": "10/second"}``, or
    ``None`` for no throttle). ``token_ttl``: token lifetime in seconds, for all or per vendor.
    ``ports``: fixed ports per vendor (default: free ports chosen by the OS).

    ```python
    async with Sandbox(vendors=["leanlaw"], records=50) as sb:
        async with sb.client("leanlaw") as ll:
            clients = await ll.clients.list().all()
    ```
    """

    def __init__(
        self,
        vendors: Iterable[str] = VENDORS,
        *,
        records: int = 100,
        seed: int = 0,
        faults: FaultProfile | Mapping[str, FaultProfile] | None = None,
        quotas: Mapping[str, str | None] | None = None,
        token_ttl: float | Mapping[str, float] | None = None,
        host: str = "127.0.0.1",
        ports: Mapping[str, int] | None = None,
    ) -> None:
        if isinstance(vendors, str):  # Sandbox(vendors="leanlaw") means that one vendor
            vendors = [vendors]
        self.vendors = tuple(dict.fromkeys(v.lower() for v in vendors))
        self.emulators: dict[str, Emulator] = {}
        for vendor in self.vendors:
            cls = emulator_class(vendor)
            quota = (quotas or {}).get(vendor, DEFAULT)
            self.emulators[vendor] = cls(
                records=records,
                seed=seed,
                faults=_per_vendor(faults, vendor, None),
                quota=quota,
                token_ttl=_per_vendor(token_ttl, vendor, None),
            )
        self._quota_overrides = dict(quotas or {})
        self._host = host
        self._ports = dict(ports or {})
        for vendor, port in self._ports.items():
            # Checked here, not by bind(): past 65535 it raises OverflowError, not an OSError.
            if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
                raise ConfigurationError(
                    f"{vendor}: a port is 0-65535 (0: a free one), not {port!r}"
                )
        self._runners: dict[str, web.AppRunner] = {}
        self._origins: dict[str, str] = {}

    async def __aenter__(self) -> Sandbox:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        try:
            for vendor, emu in self.emulators.items():
                runner = web.AppRunner(emu.make_app(), access_log=None, handle_signals=False)
                await runner.setup()
                self._runners[vendor] = runner
                site = web.TCPSite(runner, self._host, self._ports.get(vendor, 0))
                await site.start()
                port = runner.addresses[0][1]
                self._origins[vendor] = origin(self._host, port)
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        runners, self._runners = self._runners, {}
        for runner in runners.values():
            await runner.cleanup()
        self._origins.clear()

    def _emu(self, vendor: str) -> Emulator:
        try:
            return self.emulators[vendor]
        except KeyError:
            raise ValueError(f"{vendor!r} is not running in this sandbox: {self.vendors}") from None

    def emulator(self, vendor: str) -> Emulator:
        """The running emulator: its ``store``, ``counters``, ``tokens``, ``inject()``."""
        return self._emu(_vendor_name(vendor))

    def url(self, vendor: str) -> str:
        """Base URL of the vendor's emulated API (what ``base_url=`` takes)."""
        vendor = _vendor_name(vendor)
        emu = self._emu(vendor)
        if vendor not in self._origins:
            raise RuntimeError("the sandbox is not started (use `async with Sandbox(...)`)")
        return self._origins[vendor] + emu.base_path

    def credentials(self, vendor: str) -> dict[str, Any]:
        """Keyword arguments for a working client: ``LeanLaw(**sb.credentials("leanlaw"))``.
        The emulators speak plain http: on a host other than this machine's loopback (``host=
        "0.0.0.0"`` for a container, say) they include ``allow_http=True``, which clients need
        to send credentials over plain http to another address."""
        vendor = _vendor_name(vendor)
        creds = self._emu(vendor).credentials(self.url(vendor))
        if not _loopback(self._host):
            creds["allow_http"] = True
        return creds

    def login(self, vendor: str) -> dict[str, str]:
        """A user login: ``{"email", "password"}`` for Leady, ``{"username", "password"}`` for
        LeadDesk."""
        vendor = _vendor_name(vendor)
        login = self._emu(vendor).login()
        if login is None:
            raise ValueError(f"{vendor} has no user login")
        return login

    # The options are the client's constructor's, typed as they are (a misspelt one is a type
    # error); a vendor named by a plain ``str`` takes the options every client takes.
    @overload
    def client(
        self, vendor: Literal["makeleaps"], **options: Unpack[MakeLeapsOptions]
    ) -> MakeLeaps: ...
    @overload
    def client(self, vendor: Literal["leady"], **options: Unpack[LeadyOptions]) -> Leady: ...
    @overload
    def client(
        self, vendor: Literal["leaddesk"], **options: Unpack[LeadDeskOptions]
    ) -> LeadDesk: ...
    @overload
    def client(self, vendor: Literal["leanlaw"], **options: Unpack[LeanLawOptions]) -> LeanLaw: ...
    @overload
    def client(self, vendor: str, **options: Unpack[ClientOptions]) -> BaseClient: ...
    def client(self, vendor: str, **options: Any) -> Any:
        """A client of the emulated vendor, not yet entered: ``async with sb.client(v) as c``.

        Where the sandbox's throttle was overridden, the client's own quota follows it, so the
        client waits instead of meeting 429s; pass ``rate_limit=`` to choose otherwise.
        """
        vendor = _vendor_name(vendor)
        kwargs = self.credentials(vendor)
        cls = vendor_entry(vendor).client_class()
        if vendor in self._quota_overrides:
            kwargs["rate_limit"] = self._quota_overrides[vendor]
        kwargs.update(options)
        return cls(**kwargs)

    def reset(self, vendor: str | None = None) -> None:
        """Back to the seeded state (one vendor or all)."""
        for v in [vendor] if vendor else self.vendors:
            self._emu(v).reset()

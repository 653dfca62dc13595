"""``vendorkit sandbox serve``: the emulators as long-running local servers for any HTTP client."""

from __future__ import annotations

import asyncio
import json
import signal
from collections.abc import Callable, Sequence

from ._faults import FaultProfile
from ._sandbox import VENDORS, Sandbox

__all__ = ["serve"]


async def serve(
    vendors: Sequence[str] = VENDORS,
    *,
    host: str = "127.0.0.1",
    port: int | None = None,
    records: int = 100,
    seed: int = 0,
    fault_rate: float = 0.0,
    throttle: bool = True,
    echo: Callable[[str], None] = print,
    stop: asyncio.Event | None = None,
) -> None:
    """Run until ``stop`` is set, SIGINT or SIGTERM. ``port`` is the first vendor's port; the
    others take the following ones (``port=None``: free ports chosen by the OS)."""
    ports = {v: port + i for i, v in enumerate(vendors)} if port else None
    faults = (
        FaultProfile(rate=fault_rate, kinds=("503", "429", "html"), retry_after=1, seed=seed)
        if fault_rate
        else None
    )
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    installed = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
            installed.append(sig)
        except (NotImplementedError, RuntimeError):  # pragma: no cover - not on the main thread
            pass
    quotas = None if throttle else dict.fromkeys(vendors)
    try:
        async with Sandbox(
            vendors,
            records=records,
            seed=seed,
            faults=faults,
            quotas=quotas,
            host=host,
            ports=ports,
        ) as sb:
            for vendor in sb.vendors:
                creds = sb.credentials(vendor)
                login = sb.emulator(vendor).login()
                line = f"{vendor:<10} {sb.url(vendor)}  credentials: {json.dumps(creds)}"
                if login:
                    line += f"  login: {json.dumps(login)}"
                echo(line)
            echo("sandbox running; press Ctrl+C to stop")
            await stop.wait()
    finally:
        for sig in installed:  # leave the caller's loop as we found it
            loop.remove_signal_handler(sig)

"""``vendorkit sandbox serve``: the emulators as long-running local servers for any HTTP client."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shlex
import signal
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from ._faults import FaultProfile
from ._sandbox import VENDORS, Sandbox

__all__ = ["DEFAULT_FAULT_KINDS", "serve"]

# What ``--fault-rate`` injects unless ``--fault-kind`` says otherwise: faults a client may
# retry on any request, a write included (nothing reached the emulator's state).
DEFAULT_FAULT_KINDS = ("503", "429", "html")


async def serve(
    vendors: Sequence[str] = VENDORS,
    *,
    host: str = "127.0.0.1",
    port: int | None = None,
    records: int = 100,
    seed: int = 0,
    fault_rate: float = 0.0,
    fault_kinds: Sequence[str] = DEFAULT_FAULT_KINDS,
    throttle: bool = True,
    echo: Callable[[str], None] = print,
    stop: asyncio.Event | None = None,
    env: bool = False,
    note: Callable[[str], None] | None = None,
    env_file: Path | None = None,
) -> None:
    """Run until ``stop`` is set, SIGINT or SIGTERM. ``port`` is the first vendor's port; the
    others take the following ones (``port=None``: free ports chosen by the OS). ``env``: echo
    only shell ``export`` lines of the ``VENDORKIT_*`` variables that point ``from_env()`` (and
    ``vendorkit export``) at each emulator; ``note`` gets the other lines (default: ``echo``).
    ``env_file``: the same lines written to that file once every emulator listens (a stale one
    removed first), so that a script may wait for the file to exist and then source it."""
    note = note or echo
    if env_file is not None:
        # Before anything binds: a file left by an earlier run must not pass for this one's.
        await asyncio.to_thread(env_file.unlink, missing_ok=True)
    ports = {v: port + i for i, v in enumerate(vendors)} if port else None
    faults = (
        FaultProfile(rate=fault_rate, kinds=tuple(fault_kinds), retry_after=1, seed=seed)
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
            if env_file is not None:
                lines = [x for v in sb.vendors for x in export_lines(v, sb.credentials(v))]
                await asyncio.to_thread(write_env_file, env_file, lines)
            for vendor in sb.vendors:
                if env:
                    for line in export_lines(vendor, sb.credentials(vendor)):
                        echo(line)
                    continue
                creds = sb.credentials(vendor)
                login = sb.emulator(vendor).login()
                line = f"{vendor:<10} {sb.url(vendor)}  credentials: {json.dumps(creds)}"
                if login:
                    line += f"  login: {json.dumps(login)}"
                echo(line)
            note("sandbox running; press Ctrl+C to stop")
            await stop.wait()
    finally:
        for sig in installed:  # leave the caller's loop as we found it
            loop.remove_signal_handler(sig)


def export_lines(vendor: str, credentials: Mapping[str, object]) -> list[str]:
    """``export VENDORKIT_<VENDOR>_<FIELD>=<value>`` for each of a sandbox client's keyword
    arguments (the names ``from_env()`` reads), each value quoted for a POSIX shell."""
    return [
        f"export VENDORKIT_{vendor.upper()}_{field.upper()}={shlex.quote(str(value))}"
        for field, value in credentials.items()
        if isinstance(value, str | int) and not isinstance(value, bool)
    ]


def write_env_file(path: Path, lines: Sequence[str]) -> None:
    """``lines`` into ``path`` at once: written to a temporary file in the same folder, then
    renamed over ``path`` (atomic there), so that a reader waiting for ``path`` to exist never
    reads it half written. Private (0600, as ``mkstemp`` makes it): made-up credentials, but
    credentials to whatever reads the file. A link at ``path`` is replaced, not followed."""
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write("".join(f"{line}\n" for line in lines))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise

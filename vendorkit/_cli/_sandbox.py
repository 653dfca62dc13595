"""``vendorkit sandbox``: the embedded emulators served on local ports (``sandbox serve``), thin
over ``vendorkit.sandbox._serve``; a port already taken, or a first port whose followers pass
65535, becomes a usage error naming it."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from vendorkit._registry import VENDORS
from vendorkit.sandbox._faults import FAULT_KINDS
from vendorkit.sandbox._serve import DEFAULT_FAULT_KINDS

from ._output import _CommandError, _fail, _run

MAX_PORT = 65535


@click.group()
def sandbox() -> None:
    """The embedded emulators of all four vendors.

    \b
    Examples:
      vendorkit sandbox serve
      vendorkit sandbox serve --vendor makeleaps --vendor leanlaw --port 8080
    """


@sandbox.command("serve")
@click.option(
    "--vendor",
    "vendors",
    multiple=True,
    type=click.Choice(VENDORS),
    help="Vendor to emulate (repeatable; default: all four).",
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=None,
    help="Port of the first vendor; the others take the next ones (default: free ports).",
)
@click.option("--records", type=click.IntRange(0), default=100, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option(
    "--fault-rate",
    type=click.FloatRange(0, 1),
    default=0.0,
    show_default=True,
    help="Share of API requests that meet an injected fault (see --fault-kind).",
)
@click.option(
    "--fault-kind",
    "fault_kinds",
    multiple=True,
    type=click.Choice(sorted(FAULT_KINDS)),
    help="A fault --fault-rate draws from (repeatable; default: 503, 429 and an HTML error "
    "page, which a client may retry on any request).",
)
@click.option("--no-throttle", is_flag=True, help="Turn the vendors' emulated quotas off.")
@click.option(
    "--env",
    "as_env",
    is_flag=True,
    help="Print only shell export lines of the VENDORKIT_* variables that point from_env() and "
    "vendorkit export at the sandbox (the rest goes to stderr).",
)
@click.option(
    "--env-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write those export lines to this file (mode 0600) once every emulator listens, all "
    "at once: a script waits for it to exist, then sources it. An old one is removed at start.",
)
def sandbox_serve(
    vendors: tuple[str, ...],
    host: str,
    port: int | None,
    records: int,
    seed: int,
    fault_rate: float,
    fault_kinds: tuple[str, ...],
    no_throttle: bool,
    as_env: bool,
    env_file: Path | None,
) -> None:
    """Serve the emulators on 127.0.0.1 until interrupted; prints base URLs and credentials.

    The credentials are the sandbox's own, made up at start: safe to print.

    \b
    Examples:
      vendorkit sandbox serve
      vendorkit sandbox serve --vendor leanlaw --port 8080 --records 1000
      curl -H "Authorization: Bearer <api_key>" http://127.0.0.1:8080/v2/clients
      vendorkit sandbox serve --vendor leanlaw --env-file sandbox.env &  # once it exists:
      . ./sandbox.env                                                      # (see docs/cli.md)
      vendorkit sandbox serve --fault-rate 0.2 --fault-kind drop_after --fault-kind truncated
    """
    import errno

    from vendorkit.sandbox._serve import serve

    def echo(line: str) -> None:
        click.echo(line)
        sys.stdout.flush()  # a reader of a pipe or a file sees each line as it is printed

    def note(line: str) -> None:
        click.echo(line, err=True)

    count = len(vendors or VENDORS)
    problem = _port_problem(port, count)
    if problem is not None:
        _fail(problem, 2)  # before anything binds
    if env_file is not None and not env_file.parent.is_dir():
        _fail(f"--env-file {env_file}: there is no folder {env_file.parent}", 2)

    async def run() -> None:
        try:
            await serve(
                vendors or VENDORS,
                host=host,
                port=port or None,
                records=records,
                seed=seed,
                fault_rate=fault_rate,
                fault_kinds=fault_kinds or DEFAULT_FAULT_KINDS,
                throttle=not no_throttle,
                echo=echo,
                env=as_env,
                note=note if as_env else None,
                env_file=env_file,
            )
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                n = len(vendors or VENDORS)
                taken = f"port {port}" if n == 1 else f"one of ports {port}-{(port or 0) + n - 1}"
                raise _CommandError(
                    f"{taken} is already in use on {host}: pick another --port, or leave it "
                    "out for free ports",
                    2,
                ) from None
            raise

    _run(run)


def _port_problem(port: int | None, count: int) -> str | None:
    """Why ``--port`` cannot serve ``count`` vendors on it and the ports after it (their last
    past 65535), or None: said before anything binds, where the socket would only raise an
    ``OverflowError``."""
    if not port or port + count - 1 <= MAX_PORT:
        return None
    last = port + count - 1
    return (
        f"--port {port} with {count} vendors needs ports {port}-{last}, past {MAX_PORT}: "
        f"pick --port {MAX_PORT - count + 1} or lower, or leave it out for free ports"
    )

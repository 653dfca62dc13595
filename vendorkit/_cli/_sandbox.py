"""``vendorkit sandbox``: the embedded emulators served on local ports (``sandbox serve``), thin
over ``vendorkit.sandbox._serve``; a port already taken becomes a usage error naming it."""

from __future__ import annotations

import sys

import click

from vendorkit._registry import VENDORS
from vendorkit.sandbox._faults import FAULT_KINDS
from vendorkit.sandbox._serve import DEFAULT_FAULT_KINDS

from ._output import _CommandError, _run


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
) -> None:
    """Serve the emulators on 127.0.0.1 until interrupted; prints base URLs and credentials.

    The credentials are the sandbox's own, made up at start: safe to print.

    \b
    Examples:
      vendorkit sandbox serve
      vendorkit sandbox serve --vendor leanlaw --port 8080 --records 1000
      curl -H "Authorization: Bearer <api_key>" http://127.0.0.1:8080/v2/clients
      vendorkit sandbox serve --vendor leanlaw --env > sandbox.env &  # then: . ./sandbox.env
      vendorkit sandbox serve --fault-rate 0.2 --fault-kind drop_after --fault-kind truncated
    """
    import errno

    from vendorkit.sandbox._serve import serve

    def echo(line: str) -> None:
        click.echo(line)
        sys.stdout.flush()  # a reader of a pipe or a file sees each line as it is printed

    def note(line: str) -> None:
        click.echo(line, err=True)

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

"""``vendorkit demo``: the embedded sandbox of all four vendors, exported at once with a few
injected faults; needs no credentials and no network. Runs the same export as ``export``
(``_export._export``), with its own quotas and fault profile."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import click

from vendorkit._registry import VENDORS

from ._export import _export, _finish, _partial_summary
from ._output import _output, _output_options, _run
from ._partial import _Tally
from ._progress import _renderer
from ._text import visible

DEMO_MAKELEAPS_QUOTA = "100/second;100000/day"


@click.command()
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where to write (default: a new temporary folder).",
)
@click.option(
    "--records",
    type=click.IntRange(1),
    default=500,
    show_default=True,
    help="Records per main collection in the sandbox.",
)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option(
    "--fault-rate",
    type=click.FloatRange(0, 0.5),
    default=0.02,
    show_default=True,
    help="Share of requests that meet an injected fault (retried by the clients).",
)
@click.option("--concurrency", type=click.IntRange(1, 64), default=8, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl")
@click.option(
    "--real-quotas",
    is_flag=True,
    help="Keep MakeLeaps' real 120 requests/minute (the demo then takes minutes).",
)
@_output_options
def demo(
    out: Path | None,
    records: int,
    seed: int,
    fault_rate: float,
    concurrency: int,
    fmt: str,
    real_quotas: bool,
) -> None:
    """Start the embedded sandbox and export every resource of all four vendors, concurrently.

    Needs no credentials and no network: the sandbox emulates all four APIs on 127.0.0.1, with a
    few injected faults (5xx, 429, dropped connections) that the clients retry.

    \b
    Examples:
      vendorkit demo
      vendorkit demo --out ./demo-export --records 2000 --format csv
      vendorkit demo --fault-rate 0 --real-quotas
    """
    from vendorkit.export import exportable_resources
    from vendorkit.sandbox import FaultProfile, Sandbox

    target = out or Path(tempfile.mkdtemp(prefix="vendorkit-demo-"))
    tally = _Tally(target, fmt)
    # Faults that a client may safely retry on a read; an export only reads.
    faults = FaultProfile(
        rate=fault_rate,
        kinds=("503", "429", "html", "drop_before", "truncated"),
        retry_after=0.2,
        seed=seed,
    )

    async def run() -> Any:
        # MakeLeaps allows 120 requests a minute: exporting its 13 resources (pickup links cost
        # one request per document) would take minutes. The demo raises the emulated quota, and
        # the client's own quota follows it, unless --real-quotas.
        quotas = {} if real_quotas else {"makeleaps": DEMO_MAKELEAPS_QUOTA}
        async with Sandbox(
            vendors=list(VENDORS), records=records, seed=seed, faults=faults, quotas=quotas
        ) as sb:
            clients: dict[str, Any] = {}
            try:
                for vendor in VENDORS:
                    clients[vendor] = await sb.client(vendor).__aenter__()
                resources = {v: exportable_resources(c) for v, c in clients.items()}
                tally.expect(f"{v}/{r}" for v, names in resources.items() for r in names)
                if not (_output.quiet or _output.json):
                    click.echo(
                        visible(
                            f"sandbox up: exporting {sum(map(len, resources.values()))} "
                            f"resources of {len(VENDORS)} vendors to {target}"
                        ),
                        err=True,
                    )
                with _renderer() as render:
                    return await _export(
                        clients, resources, target, fmt, concurrency, False, None, tally.tee(render)
                    )
            finally:
                for c in clients.values():
                    await c.aclose()

    interrupted = f"interrupted: the files so far are in {target}"
    _finish(_run(run, usage_code=1, interrupted=interrupted, on_interrupt=_partial_summary(tally)))

"""``vendorkit export``: one vendor's resources from its ``VENDORKIT_*`` variables, or every
account of an accounts file (local or Celery engine), thin over ``vendorkit.export``.
``_export`` runs a set of clients' jobs with a progress renderer, and is what ``demo`` runs too."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import click

from vendorkit._registry import VENDORS

from ._output import _CommandError, _exit_for, _fail, _output_options, _run
from ._partial import _Tally
from ._progress import _renderer
from ._resources import _client_class, _complete_resources
from ._summary import _summary
from ._text import _secrets


async def _export(
    clients: dict[str, Any],
    resources: Mapping[str, Sequence[str]],
    out: Path,
    fmt: str,
    concurrency: int,
    resume: bool,
    page_size: int | None,
    on_progress: Callable[[Any], None],
    neutralise: bool = True,
) -> Any:
    from vendorkit.export import CsvSink, Job, export

    _secrets.clients = list(clients.values())
    jobs = [
        Job(client=clients[vendor], resource=name)
        for vendor, names in resources.items()
        for name in names
    ]
    return await export(
        jobs,
        out=out,
        format=fmt,
        concurrency=concurrency,
        resume=resume,
        page_size=page_size,
        on_progress=on_progress,
        sink_factory=None if neutralise else (lambda path: CsvSink(path, neutralise=False)),
    )


@click.command("export")
@click.argument("vendor", type=click.Choice(VENDORS), required=False)
@click.argument("resources", nargs=-1, shell_complete=_complete_resources)
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--accounts",
    "accounts_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Export every account listed in this TOML file (instead of VENDOR) to OUT/<account>/.",
)
@click.option(
    "--engine",
    type=click.Choice(["local", "celery"]),
    default="local",
    show_default=True,
    help="With --accounts: run here, or as Celery tasks on workers (VENDORKIT_BROKER_URL).",
)
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl")
@click.option("--concurrency", type=click.IntRange(1, 64), default=8, show_default=True)
@click.option("--resume", is_flag=True, help="Continue an interrupted export from its checkpoints.")
@click.option("--page-size", type=click.IntRange(1), default=None)
@click.option(
    "--no-neutralise",
    "keep_formulas",
    is_flag=True,
    help="CSV: write cells starting with = + - @ as they are (by default they get a leading ').",
)
@_output_options
def export_cmd(
    vendor: str | None,
    resources: tuple[str, ...],
    out: Path,
    accounts_file: Path | None,
    engine: str,
    fmt: str,
    concurrency: int,
    resume: bool,
    page_size: int | None,
    keep_formulas: bool,
) -> None:
    """Export RESOURCES of VENDOR (every resource when none is named) to OUT/<vendor>/, or
    every account of an accounts file (--accounts) to OUT/<account>/.

    Credentials come from VENDORKIT_<VENDOR>_<FIELD> variables (e.g. VENDORKIT_LEANLAW_API_KEY);
    an account's from <env_prefix><FIELD> (e.g. ACME_ML_CLIENT_ID).

    \b
    Examples:
      vendorkit export leanlaw --out ./export
      vendorkit export makeleaps documents --out ./export --format csv
      vendorkit export leaddesk calls --out ./export --resume
      vendorkit export --accounts accounts.toml --out ./export
      vendorkit export --accounts accounts.toml --out /shared/export --engine celery
    """
    from vendorkit.export import exportable_resources

    if accounts_file is not None:
        if vendor is not None or resources:
            raise click.UsageError("give either VENDOR [RESOURCES] or --accounts, not both")
        _export_accounts(
            accounts_file,
            out=out,
            fmt=fmt,
            engine=engine,
            concurrency=concurrency,
            resume=resume,
            page_size=page_size,
            neutralise=not keep_formulas,
        )
        return
    if vendor is None:
        raise click.UsageError("name a VENDOR, or list accounts with --accounts accounts.toml")
    if engine != "local":
        raise click.UsageError("--engine celery exports accounts: use it with --accounts")
    tally = _Tally(out, fmt)

    async def run() -> Any:
        async with _client_class(vendor).from_env() as client:
            _secrets.clients = [client]
            known = exportable_resources(client)
            chosen = list(resources) or known
            unknown = [r for r in chosen if r not in known]
            if unknown:
                # A usage error in one line, as a missing variable is (and in JSON with --json).
                raise _CommandError(
                    f"unknown resource(s) {', '.join(unknown)}; {vendor} has: {', '.join(known)}",
                    2,
                )
            tally.expect(f"{vendor}/{r}" for r in chosen)
            with _renderer() as render:
                return await _export(
                    {vendor: client},
                    {vendor: chosen},
                    out,
                    fmt,
                    concurrency,
                    resume,
                    page_size,
                    tally.tee(render),
                    neutralise=not keep_formulas,
                )

    _finish(_run(run, interrupted=_interrupted(out), on_interrupt=_partial_summary(tally)))


def _finish(result: Any) -> None:
    _summary(result)
    _exit_for(result)


def _partial_summary(tally: _Tally) -> Callable[[], None]:
    """What an interrupted export shows: the summary of what ran (``interrupted`` in JSON)."""
    return lambda: _summary(tally.result(), interrupted=True)


def _interrupted(out: Path) -> str:
    return (
        f"interrupted: what was exported so far is in {out}; run the same command with "
        "--resume to continue from the checkpoints"
    )


def _export_accounts(
    accounts_file: Path,
    *,
    out: Path,
    fmt: str,
    engine: str,
    concurrency: int,
    resume: bool,
    page_size: int | None,
    neutralise: bool,
) -> None:
    """``export --accounts``: every account of the file, on the local engine or on Celery.
    The file and (locally) every account's variables are checked before anything starts."""
    from vendorkit.errors import ConfigurationError
    from vendorkit.export import load_accounts

    try:
        accounts = load_accounts(accounts_file)
    except ConfigurationError as exc:
        _fail(str(exc), 2)
    _secrets.prefixes = [a.env_prefix for a in accounts]
    if not neutralise:
        raise click.UsageError("--no-neutralise is not available with --accounts yet")
    tally = _Tally(out, fmt, accounts={a.name: a.vendor for a in accounts})

    async def run() -> Any:
        with _renderer() as shown:
            render = tally.tee(shown)
            if engine == "celery":
                try:
                    from vendorkit.export.celery import export_accounts_celery
                except ImportError as exc:
                    raise ConfigurationError(
                        f"--engine celery needs Celery: pip install 'vendorkit[celery]' ({exc})"
                    ) from None
                return await export_accounts_celery(
                    accounts,
                    out=out,
                    format=fmt,
                    resume=resume,
                    page_size=page_size,
                    on_progress=render,
                )
            from vendorkit.export import export_accounts

            return await export_accounts(
                accounts,
                out=out,
                format=fmt,
                concurrency=concurrency,
                resume=resume,
                page_size=page_size,
                on_progress=render,
                on_clients=lambda clients: setattr(_secrets, "clients", clients),
            )

    _finish(_run(run, interrupted=_interrupted(out), on_interrupt=_partial_summary(tally)))

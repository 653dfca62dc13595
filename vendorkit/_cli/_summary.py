"""An export's summary once it ended, on stdout (the data a script reads): a table on a terminal,
plain lines elsewhere, one JSON object with ``--json``. Shared by ``export`` and ``demo``; every
vendor or file-system word in it is scrubbed and escaped (``_text``)."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from ._output import _output
from ._text import _secrets, visible


def _summary(result: Any, interrupted: bool = False) -> None:
    """The run's summary on stdout: a table on a terminal, plain lines elsewhere (whole failure
    reasons, no box drawing), one JSON object with ``--json``, nothing with ``--quiet``.
    ``interrupted``: what ran before Ctrl-C or SIGTERM (``_partial``), said as such."""
    if _output.json:
        click.echo(json.dumps(_summary_json(result, interrupted), ensure_ascii=False))
        return
    if _output.quiet:
        return
    title = _title(result, interrupted)
    if not sys.stdout.isatty():
        _plain_summary(result, title)
        return
    _table_summary(result, title)


def _title(result: Any, interrupted: bool) -> str:
    what = "vendorkit export, interrupted" if interrupted else "vendorkit export"
    return f"{what}: {result.records} records in {result.seconds:.1f}s"


def _summary_json(result: Any, interrupted: bool = False) -> dict[str, Any]:
    jobs = [
        {
            "job": _secrets.clean(j.job),
            "account": j.account,
            "vendor": j.vendor,
            "resource": j.resource,
            "status": j.status,
            "records": j.records,
            "pages": j.pages,
            "retries": j.retries,
            "waited": round(j.waited, 3),
            "seconds": round(j.seconds, 3),
            "path": None if j.path is None else str(j.path),
            "error": None if j.error is None else _secrets.clean(j.error),
        }
        for j in result.jobs
    ]
    return {
        "ok": bool(result.ok),
        "records": result.records,
        "seconds": round(result.seconds, 3),
        "out": str(result.out),
        "interrupted": interrupted,
        "jobs": jobs,
    }


def _plain_summary(result: Any, title: str) -> None:
    click.echo(title)
    jobs = sorted(result.jobs, key=lambda j: j.account or "")
    for j in jobs:
        who = " ".join(x for x in (j.account, j.vendor, j.resource) if x)
        line = (
            f"{who}: {j.status}, {j.records} records, {j.pages} pages, {j.retries} retries, "
            f"{j.seconds:.1f}s"
        )
        if j.error:
            line += f": {j.error}"  # whole: a script's log must say why
        click.echo(visible(_secrets.clean(line)))
    click.echo(visible(f"files in {result.out}"))


def _table_summary(result: Any, title: str) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(title=title)
    # A multi-account run groups its rows by account (each account's resources together).
    by_account = any(j.account is not None for j in result.jobs)
    columns: tuple[str, ...] = ("account",) if by_account else ()
    columns += ("vendor", "resource", "records", "pages", "retries", "seconds", "status")
    for col in columns:
        table.add_column(
            col, justify="right" if col in ("records", "pages", "retries", "seconds") else "left"
        )
    jobs = sorted(result.jobs, key=lambda j: j.account or "") if by_account else result.jobs
    shown_account = None
    for j in jobs:
        status = j.status if not j.error else f"{j.status}: {_secrets.clean(j.error)}"
        # Text, not markup: an error message is the vendor's or the file system's words.
        cells: list[Text | str] = [
            Text(visible(j.vendor)),
            Text(visible(j.resource)),
            str(j.records),
            str(j.pages),
            str(j.retries),
            f"{j.seconds:.1f}",
            Text(status),
        ]
        if by_account:
            account = j.account or ""
            cells.insert(0, Text(visible(account) if account != shown_account else ""))
            if shown_account is not None and account != shown_account:
                table.add_section()
            shown_account = account
        table.add_row(*cells)
    console = Console()
    console.print(table)
    console.print(Text(visible(f"files in {result.out}")))

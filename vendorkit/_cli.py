"""The ``vendorkit`` command: a thin layer over the public API (click parses, rich renders)."""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import logging
import math
import os
import re
import sys
import tempfile
import time
import unicodedata
from collections.abc import Callable, Coroutine, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, NoReturn

import attrs
import click

from vendorkit._registry import VENDORS, vendor_entry
from vendorkit._version import __version__

DEMO_MAKELEAPS_QUOTA = "100/second;100000/day"


# -- what the command shows: one line each, never a secret, never a terminal control ------------

# Characters a terminal acts on or a reader cannot see: controls (C0, DEL, C1: ESC starts the
# sequences that set a window title, open a hyperlink or clear the screen, and U+009B is CSI on
# its own), format characters (bidi overrides and isolates that reorder what is shown, zero-width
# characters, tag characters), line and paragraph separators, lone surrogates.
_HIDDEN = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
_NOT_PLAIN_ASCII = re.compile(r"[^\x20-\x7e]")


def _escape_char(char: str) -> str:
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def _visible_char(match: re.Match[str]) -> str:
    char = match.group()
    return _escape_char(char) if unicodedata.category(char) in _HIDDEN else char


def visible(text: str) -> str:
    """``text`` with every character a terminal would act on, or a reader could not see, written
    as its Python escape (``\\x1b``, ``\\u202e``): what the command prints of vendor or server
    text cannot drive the operator's terminal. Other text (Japanese included) is kept as is."""
    return _NOT_PLAIN_ASCII.sub(_visible_char, text)


def _json_escape(match: re.Match[str]) -> str:
    char = match.group()
    if char == "\n" or unicodedata.category(char) not in _HIDDEN:
        return char  # outside strings, JSON holds line breaks; inside, json.dumps escaped them
    code = ord(char)
    if code > 0xFFFF:  # JSON escapes a character beyond the BMP as its UTF-16 pair
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
    return f"\\u{code:04x}"


def visible_json(text: str) -> str:
    """JSON text (``json.dumps(..., ensure_ascii=False)``) with every hidden character (see
    ``visible``) inside its strings written as a ``\\u`` escape: still JSON, ``json.loads``
    gives back the same value, and nothing in it can drive a terminal."""
    return _NOT_PLAIN_ASCII.sub(_json_escape, text)


# Settings, not credentials: scrubbing "password" (a grant type) would garble every message.


class _Secrets:
    """The credentials this command holds: read from the environment (every
    ``VENDORKIT_<VENDOR>_<FIELD>`` value but the base URL, and the Basic forms of their pairs)
    and, once built, the clients' own (tokens issued during the run). Everything the command
    prints or logs is scrubbed of them, and of anything shaped like a credential, whatever an
    exception carried."""

    def __init__(self) -> None:
        self.clients: list[Any] = []
        # The env_prefix of every account an ``--accounts`` run reads.
        self.prefixes: list[str] = []

    def from_env(self) -> set[str]:
        from vendorkit.core import SETTING_FIELDS

        # The settings among the variables (a base URL, a grant type, a language): not scrubbed.
        settings = tuple(f"_{field.upper()}" for field in SETTING_FIELDS)
        prefixes = [f"VENDORKIT_{v.upper()}_" for v in VENDORS] + self.prefixes
        values: set[str] = set()
        for prefix in prefixes:
            group = sorted(
                value
                for name, value in os.environ.items()
                if name.startswith(prefix) and not name.endswith(settings) and value
            )
            values.update(group)
            # The Basic forms of one account's pairs (not of every pair across accounts).
            for a, b in itertools.permutations(group, 2):
                values.add(base64.b64encode(f"{a}:{b}".encode()).decode())
        return values

    def all(self) -> set[str]:
        found = self.from_env()
        for client in self.clients:
            try:
                found.update(s for s in client.auth.secrets() if isinstance(s, str))
            except Exception:  # an auth strategy without secrets(): the environment still counts
                continue
        return found

    def clean(self, text: object) -> str:
        """``text`` on one line, scrubbed, and safe to show: every terminal control, invisible
        format character and lone surrogate as its escape (``visible``)."""
        from vendorkit.core import redact_text

        line = " ".join(str(text).split())
        return visible(redact_text(line, self.all()))


_secrets = _Secrets()


@attrs.define
class _Output:
    """How much the command says, and where (``--json``, ``--quiet``, ``--verbose``). Data (the
    summary, a record) goes to stdout; progress, warnings, logs and errors to stderr, so a
    script reading stdout gets only the data."""

    json: bool = False
    quiet: bool = False
    verbose: bool = False


_output = _Output()


def _output_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--json``, ``--quiet`` and ``--verbose`` on a command that prints a summary."""
    command = click.option(
        "--verbose",
        "-v",
        is_flag=True,
        help="Also log what vendorkit does (info level on stderr; VENDORKIT_LOG=debug for more).",
    )(command)
    command = click.option(
        "--quiet", "-q", is_flag=True, help="No progress and no summary: errors and the exit code."
    )(command)
    return click.option(
        "--json",
        "as_json",
        is_flag=True,
        help="Print the summary as one JSON object on stdout (progress off).",
    )(command)


def _set_output(as_json: bool, quiet: bool, verbose: bool) -> None:
    if quiet and verbose:
        raise click.UsageError("--quiet and --verbose contradict each other")
    _output.json, _output.quiet, _output.verbose = as_json, quiet, verbose


def _setup_logging() -> None:
    """The library's stderr handler (``vendorkit._logging``: the one ``VENDORKIT_LOG`` turns
    on at import, so never a second one), at warning level unless the variable or
    ``--verbose`` (info) says otherwise (``--quiet``: errors only), each line scrubbed of the
    environment's secrets too; the command owns the process, so no other handler prints a
    traceback of ours."""
    from vendorkit._logging import install, level_from_env

    default = logging.WARNING
    if _output.verbose:
        default = logging.INFO
    elif _output.quiet:
        default = logging.ERROR
    level = level_from_env(default=default)
    install(default if level is None else level, scrub=_secrets.clean, propagate=False)


def _run(
    work: Callable[[], Coroutine[Any, Any, Any]],
    *,
    usage_code: int = 2,
    interrupted: str = "interrupted",
) -> Any:
    """Run the command's coroutine; any error becomes one scrubbed line and an exit status.
    ``click`` usage errors keep click's own handling. Ctrl-C exits 130 with ``interrupted``
    (an export says where its files are and how to resume)."""
    from vendorkit.errors import ConfigurationError, VendorkitError

    _setup_logging()
    try:
        return asyncio.run(work())
    except click.ClickException:
        raise
    except KeyboardInterrupt:
        _fail(interrupted, 130)
    except _CommandError as exc:
        _fail(exc.message, exc.code)
    except ConfigurationError as exc:  # a missing variable, a bad option: usage, always
        _fail(str(exc), 2)
    except VendorkitError as exc:
        _fail(str(exc), usage_code)
    except OSError as exc:
        _fail(f"{exc.strerror}: {exc.filename}" if exc.filename else str(exc), usage_code)
    except Exception as exc:
        from vendorkit.core import describe_exception

        _fail(f"unexpected {describe_exception(exc)}", 1)


class _CommandError(Exception):
    """A failure the command words itself: its line and its exit status."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.message, self.code = message, code


def _client_class(vendor: str) -> Any:
    return vendor_entry(vendor).client_class()


def _fail(message: str, code: int = 1) -> NoReturn:
    click.echo(f"error: {_secrets.clean(message)}", err=True)
    sys.exit(code)


def _exit_for(result: Any) -> None:
    """An export's exit: status 1, with a line per job, if any job did not complete."""
    if not result.ok:
        _fail_jobs(j for j in result.jobs if j.status not in ("done", "skipped"))


def _fail_jobs(jobs: Iterable[Any]) -> NoReturn:
    """One line per job that did not complete, on stderr; exit status 1."""
    for j in jobs:
        click.echo(f"error: {_secrets.clean(f'{j.job} {j.status}: {j.error}')}", err=True)
    sys.exit(1)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="vendorkit")
def cli() -> None:
    """vendorkit: async clients, local emulators and bulk exports for MakeLeaps, Leady,
    LeadDesk and LeanLaw.

    \b
    Examples:
      vendorkit demo
      vendorkit export leanlaw --out ./export
      vendorkit export makeleaps documents clients --out ./export --format csv --resume
      vendorkit get leanlaw clients 6f1c...
      vendorkit sandbox serve --vendor leanlaw --port 8080
    """
    # One command per process, but a test runner may call several in one: each starts afresh.
    _set_output(False, False, False)


@cli.group()
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
    help="Share of API requests answered with an injected 503, 429 or HTML error page.",
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


# -- progress rendering --------------------------------------------------------------------------


class _PlainProgress:
    """Log lines when stdout is not a terminal: starts, ends, problems, and a heartbeat."""

    def __init__(self, every: float = 2.0) -> None:
        self.every = every
        self.last = 0.0
        self.latest: dict[str, Any] = {}

    def __enter__(self) -> _PlainProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def __call__(self, event: Any) -> None:
        self.latest[event.job] = event
        if event.event in ("start", "plan", "done", "incomplete", "stopped", "failed"):
            extra = f" ({event.message})" if event.message else ""
            line = f"{event.job}: {event.event} {event.records} records{extra}"
            click.echo(_secrets.clean(line), err=True)
        elif event.event == "wait" and (event.resume_in or 0) >= 1:
            # A wait of a second or more is said: a quiet minute must not look like a hang.
            click.echo(_secrets.clean(f"{event.job}: {event.message}"), err=True)
        now = time.monotonic()
        if now - self.last >= self.every:
            self.last = now
            ended = ("done", "incomplete", "stopped", "failed")
            running = [e for e in self.latest.values() if e.event not in ended]
            if running:
                total = sum(e.records for e in self.latest.values())
                click.echo(f"... {total} records so far, {len(running)} jobs running", err=True)


class _RichProgress:
    """Bars on a terminal (stderr: stdout is for the summary), made to fit 80x24: a first row
    counting jobs and records, then one row per running job; a job that ended leaves the panel
    (the summary lists every job). While a job waits (a quota, a 429 pause) its note counts
    down to the moment it resumes, wrapping onto a second line on a narrow terminal; a running
    job shows its ETA, the first row the time elapsed."""

    def __init__(self, console: Any = None) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
        from rich.table import Column

        self.progress = Progress(
            # No markup: a job's name is the caller's text, not rich's.
            TextColumn(
                "{task.description}",
                markup=False,
                table_column=Column(width=20, no_wrap=True, overflow="ellipsis"),
            ),
            BarColumn(bar_width=12),
            MofNCompleteColumn(),
            *_columns(),
            console=console or Console(stderr=True),
            expand=True,
        )
        self.tasks: dict[str, Any] = {}
        self.waits: dict[str, tuple[float, str]] = {}  # job -> (resumes at, what it waits for)
        self.ended: set[str] = set()
        self.records: dict[str, int] = {}
        self.overall = self.progress.add_task(
            "jobs", total=None, note="", until=None, ended=False, overall=True
        )

    def __enter__(self) -> _RichProgress:
        self.progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.__exit__(None, None, None)

    def __call__(self, event: Any) -> None:
        task = self.tasks.get(event.job)
        if task is None:
            task = self.progress.add_task(
                visible(event.job), total=event.total, note="", until=None, ended=False
            )
            self.tasks[event.job] = task
        note = ""
        if event.retries:
            note = f"{event.retries} retries"
        if event.event in ("incomplete", "stopped", "failed"):
            note = event.event
        ended = event.event in ("done", "incomplete", "stopped", "failed")
        if event.event == "wait" and event.resume_in:
            # "waiting for quota, resumes in 41 s": the words stay, the count goes on live.
            what = event.message.split(", resumes in", 1)[0]
            self.waits[event.job] = (time.monotonic() + event.resume_in, what)
        elif event.event == "page" or ended:
            self.waits.pop(event.job, None)  # it moved on
        until, what = self.waits.get(event.job, (None, ""))
        self.progress.update(
            task,
            completed=event.records,
            total=event.total,
            note=note,
            until=until,
            wait_for=what,
            ended=ended,
        )
        if event.event == "done":
            self.progress.update(task, total=event.records, completed=event.records)
        self.records[event.job] = event.records
        if ended:
            self.ended.add(event.job)
            self.progress.update(task, visible=False)  # the summary shows it
        seen = len(self.tasks)
        self.progress.update(
            self.overall,
            description=f"{len(self.ended)} of {seen} jobs done",
            completed=sum(self.records.values()),
            note=f"{sum(self.records.values()):,} records",
        )


def _columns() -> tuple[Any, Any]:
    """The note column (the job's note, or, while it waits, "waiting for quota, resumes in 41 s",
    counting down) and the time column (ETA while a job runs, "took 0:00:12" once it ended).
    Built here: rich is imported only by a command that draws on a terminal."""
    from rich.progress import ProgressColumn
    from rich.table import Column
    from rich.text import Text

    class NoteColumn(ProgressColumn):
        def render(self, task: Any) -> Text:
            until = task.fields.get("until")
            if until is not None and until > time.monotonic():
                left = math.ceil(until - time.monotonic())
                return Text(f"{task.fields.get('wait_for')}, resumes in {left} s")
            return Text(str(task.fields.get("note", "")))

    class TimeColumn(ProgressColumn):
        def render(self, task: Any) -> Text:
            if task.fields.get("overall"):
                return Text(f"elapsed {_clock(task.elapsed or 0.0)}")
            if task.fields.get("ended"):
                return Text(f"took {_clock(task.elapsed or 0.0)}")
            left = task.time_remaining
            return Text("eta -:--:--" if left is None else f"eta {_clock(left)}")

    # The note takes what the other columns leave, and wraps rather than push the row past the
    # terminal's width.
    return NoteColumn(table_column=Column(ratio=1)), TimeColumn()


def _clock(seconds: float) -> str:
    whole = int(max(0.0, seconds))
    return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"


class _Silent:
    """No progress at all (``--quiet``, ``--json``)."""

    def __enter__(self) -> _Silent:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def __call__(self, event: Any) -> None:
        return None


def _renderer() -> Any:
    if _output.quiet or _output.json:
        return _Silent()
    return _RichProgress() if sys.stderr.isatty() else _PlainProgress()


def _summary(result: Any) -> None:
    """The run's summary on stdout: a table on a terminal, plain lines elsewhere (whole failure
    reasons, no box drawing), one JSON object with ``--json``, nothing with ``--quiet``."""
    if _output.json:
        click.echo(json.dumps(_summary_json(result), ensure_ascii=False))
        return
    if _output.quiet:
        return
    if not sys.stdout.isatty():
        _plain_summary(result)
        return
    _table_summary(result)


def _summary_json(result: Any) -> dict[str, Any]:
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
        "jobs": jobs,
    }


def _plain_summary(result: Any) -> None:
    click.echo(f"vendorkit export: {result.records} records in {result.seconds:.1f}s")
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


def _table_summary(result: Any) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(title=f"vendorkit export: {result.records} records in {result.seconds:.1f}s")
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


# -- export ----------------------------------------------------------------------------------


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


def _complete_resources(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[click.shell_completion.CompletionItem]:
    """Shell completion of a RESOURCE argument: the named vendor's resource names (those it can
    export, for ``export``; those it can read one by one, for ``get``); nothing before a known
    vendor is typed."""
    from click.shell_completion import CompletionItem

    vendor = ctx.params.get("vendor")
    if vendor not in VENDORS:
        return []
    cls = _client_class(vendor)
    if ctx.command.name == "export":
        from vendorkit.export import exportable_resources

        names = exportable_resources(cls)
        names = [n for n in names if n not in (ctx.params.get("resources") or ())]
    else:
        names = [n for n in cls.resource_names() if "get" in getattr(cls, n).endpoint.actions]
    return [CompletionItem(n) for n in names if n.startswith(incomplete)]


@cli.command("export")
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
    as_json: bool,
    quiet: bool,
    verbose: bool,
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

    _set_output(as_json, quiet, verbose)
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

    async def run() -> Any:
        async with _client_class(vendor).from_env() as client:
            _secrets.clients = [client]
            known = exportable_resources(client)
            chosen = list(resources) or known
            unknown = [r for r in chosen if r not in known]
            if unknown:
                raise click.BadParameter(
                    f"unknown resource(s) {', '.join(unknown)}; {vendor} has: {', '.join(known)}"
                )
            with _renderer() as render:
                return await _export(
                    {vendor: client},
                    {vendor: chosen},
                    out,
                    fmt,
                    concurrency,
                    resume,
                    page_size,
                    render,
                    neutralise=not keep_formulas,
                )

    result = _run(run, interrupted=_interrupted(out))
    _summary(result)
    _exit_for(result)


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

    async def run() -> Any:
        with _renderer() as render:
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

    result = _run(run, interrupted=_interrupted(out))
    _summary(result)
    _exit_for(result)


@cli.command("get")
@click.argument("vendor", type=click.Choice(VENDORS))
@click.argument("resource", shell_complete=_complete_resources)
@click.argument("id")
def get_cmd(vendor: str, resource: str, id: str) -> None:
    """Print one record of VENDOR's RESOURCE as JSON (credentials from VENDORKIT_* variables).

    \b
    Examples:
      vendorkit get leanlaw clients 0d6c4c3e-...
      vendorkit get makeleaps documents 3711421905762803312
    """
    from vendorkit.core import Record
    from vendorkit.errors import (
        AuthenticationError,
        NotFoundError,
        PermissionDeniedError,
        TransportError,
    )

    async def run() -> Any:
        async with _client_class(vendor).from_env() as client:
            _secrets.clients = [client]
            if resource not in type(client).resource_names():
                names = ", ".join(type(client).resource_names())
                raise click.BadParameter(f"unknown resource {resource}; {vendor} has: {names}")
            res = getattr(client, resource)
            if not hasattr(res, "get"):
                raise click.BadParameter(f"{vendor} {resource} cannot be read one by one")
            try:
                return await res.get(id)
            except (NotFoundError, AuthenticationError, PermissionDeniedError, TransportError) as e:
                raise _CommandError(_get_failure(vendor, resource, id, e)) from None

    record = _run(run, usage_code=1)
    raw = record.raw if isinstance(record, Record) else record
    # JSON escapes C0 controls itself; DEL, C1, bidi overrides and lone surrogates it leaves.
    text = visible_json(json.dumps(raw, ensure_ascii=False, indent=2))
    try:
        click.echo(text)
    except UnicodeEncodeError:  # a terminal that cannot show it: \u escapes instead
        click.echo(json.dumps(raw, indent=2))


def _get_failure(vendor: str, resource: str, id: str, error: Exception) -> str:
    """``get``'s three failures told apart: nothing there, credentials refused, no answer."""
    from vendorkit.errors import NotFoundError, TransportError

    variables = f"VENDORKIT_{vendor.upper()}_*"
    if isinstance(error, NotFoundError):
        return f"not found: {vendor} has no {resource} with id {id!r} ({error})"
    if isinstance(error, TransportError):
        return f"could not reach {vendor}: {error} (check VENDORKIT_{vendor.upper()}_BASE_URL)"
    return f"authentication failed: {vendor} refused the credentials in {variables} ({error})"


@cli.command()
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
    as_json: bool,
    quiet: bool,
    verbose: bool,
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

    _set_output(as_json, quiet, verbose)
    target = out or Path(tempfile.mkdtemp(prefix="vendorkit-demo-"))
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
                        clients, resources, target, fmt, concurrency, False, None, render
                    )
            finally:
                for c in clients.values():
                    await c.aclose()

    result = _run(run, usage_code=1, interrupted=f"interrupted: the files so far are in {target}")
    _summary(result)
    _exit_for(result)


def main() -> None:
    cli(prog_name="vendorkit")

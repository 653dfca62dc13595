"""How the command speaks and how it ends: the output settings (``--json``, ``--quiet``,
``--verbose``) and the logging they imply, ``_run`` (the one place a command's coroutine runs,
where every error becomes one scrubbed line on stderr and an exit status: 2 for usage and
configuration, ``usage_code`` for a vendorkit or file-system error (2; 1 for ``get`` and
``demo``), 1 for anything else or a job that did not complete, 130 for Ctrl-C) and the failing
and exit helpers. Every command ends through here, so an exit status means the same whichever
command gives it."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Callable, Coroutine, Iterable
from typing import Any, NoReturn

import attrs
import click

from ._text import _secrets


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

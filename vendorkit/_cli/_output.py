"""How the command speaks and how it ends: the output settings (``--json``, ``--quiet``,
``--verbose``) and the logging they imply, ``_run`` (the one place a command's coroutine runs,
where every error becomes one scrubbed line on stderr and an exit status: 2 for usage and
configuration, ``usage_code`` for a vendorkit or file-system error (2; 1 for ``get`` and
``demo``), 1 for anything else or a job that did not complete, 128 + the signal's number when
stopped: 130 for Ctrl-C, 143 for SIGTERM) and the failing and exit helpers. Every command ends
through here, so an exit status means the same whichever command gives it; with ``--json``
every end after the options were parsed puts one JSON object on stdout (the summary, or
``{"ok": false, "error": ..., "exit_code": N}``)."""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import signal
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
    """``--json``, ``--quiet`` and ``--verbose`` on a command that prints a summary; the command
    gets the settings in ``_output``, not as arguments. A usage error the command raises once
    they are known (``click``'s own text on stderr) also puts its JSON object on stdout with
    ``--json``: a script piping to ``jq`` gets an object on every end but a parse error."""

    @functools.wraps(command)
    def settled(*args: Any, as_json: bool, quiet: bool, verbose: bool, **kwargs: Any) -> Any:
        try:
            _set_output(as_json, quiet, verbose)
            return command(*args, **kwargs)
        except click.ClickException as exc:
            if _output.json:
                _json_error(exc.format_message(), exc.exit_code)
            raise

    with_options = click.option(
        "--verbose",
        "-v",
        is_flag=True,
        help="Also log what vendorkit does (info level on stderr; VENDORKIT_LOG=debug for more).",
    )(settled)
    with_options = click.option(
        "--quiet", "-q", is_flag=True, help="No progress and no summary: errors and the exit code."
    )(with_options)
    return click.option(
        "--json",
        "as_json",
        is_flag=True,
        help="Print the summary as one JSON object on stdout (progress off).",
    )(with_options)


def _set_output(as_json: bool, quiet: bool, verbose: bool) -> None:
    _output.json = as_json  # first: a contradiction below is still said in JSON
    if quiet and verbose:
        raise click.UsageError("--quiet and --verbose contradict each other")
    _output.quiet, _output.verbose = quiet, verbose


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
    on_interrupt: Callable[[], None] | None = None,
) -> Any:
    """Run the command's coroutine; any error becomes one scrubbed line and an exit status.
    ``click`` usage errors keep click's own handling. Ctrl-C (SIGINT) and SIGTERM (timeout(1),
    systemd, Kubernetes) both cancel the coroutine, so that it ends as it does on any
    cancellation (an export saves its checkpoints), then ``on_interrupt`` (an export's partial
    summary) and the line ``interrupted`` (where its files are and how to resume); the status
    is 128 + the signal's number."""
    from vendorkit.errors import ConfigurationError, VendorkitError

    _setup_logging()
    terminated: list[int] = []
    try:
        return asyncio.run(_terminable(work, terminated))
    except click.ClickException:
        raise
    except KeyboardInterrupt:
        # SIGINT cancels through asyncio.run itself; a SIGTERM that came first still says so.
        first = terminated[0] if terminated else signal.SIGINT
        _interrupted(interrupted, _signal_status(first), on_interrupt)
    except asyncio.CancelledError:
        if not terminated:
            raise
        _interrupted(interrupted, _signal_status(terminated[0]), on_interrupt)
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


async def _terminable(work: Callable[[], Coroutine[Any, Any, Any]], terminated: list[int]) -> Any:
    """``work()``, cancelled on SIGTERM as ``asyncio.run`` cancels it on SIGINT: the default
    action would end the process at once, with no checkpoint saved and nothing said. The
    signal is recorded in ``terminated`` for the exit status."""
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    assert task is not None

    def terminate() -> None:
        terminated.append(signal.SIGTERM)
        task.cancel()

    try:
        loop.add_signal_handler(signal.SIGTERM, terminate)
    except (NotImplementedError, RuntimeError, ValueError):  # Windows; not the main thread
        return await work()
    try:
        return await work()
    finally:
        loop.remove_signal_handler(signal.SIGTERM)  # a later SIGTERM ends the process as usual


def _signal_status(signum: int) -> int:
    """The exit status of a process stopped by signal ``signum``: 128 + its number, as a shell
    reports a process the signal killed (130 for SIGINT, 143 for SIGTERM)."""
    return 128 + int(signum)


def _interrupted(message: str, code: int, on_interrupt: Callable[[], None] | None) -> NoReturn:
    """The end of an interrupted run: ``on_interrupt`` (the partial summary on stdout, in JSON
    with ``--json``: then the one object there), the line on stderr, the exit status."""
    if on_interrupt is None:
        _fail(message, code)
    on_interrupt()
    _say(message)
    sys.exit(code)


class _CommandError(Exception):
    """A failure the command words itself: its line and its exit status."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.message, self.code = message, code


def _fail(message: str, code: int = 1) -> NoReturn:
    """One line on stderr and exit status ``code``; with ``--json`` the same words in a JSON
    object on stdout too."""
    if _output.json:
        _json_error(message, code)
    _say(message)
    sys.exit(code)


def _say(message: str) -> None:
    click.echo(f"error: {_secrets.clean(message)}", err=True)


def _json_error(message: str, code: int) -> None:
    """``{"ok": false, "error": ..., "exit_code": N}`` on stdout: the error line's own words
    (scrubbed and escaped as on stderr), for a script that reads only stdout."""
    error = {"ok": False, "error": _secrets.clean(message), "exit_code": code}
    click.echo(json.dumps(error, ensure_ascii=False))


def _exit_for(result: Any) -> None:
    """An export's exit: status 1, with a line per job, if any job did not complete."""
    if not result.ok:
        _fail_jobs(j for j in result.jobs if j.status not in ("done", "skipped"))


def _fail_jobs(jobs: Iterable[Any]) -> NoReturn:
    """One line per job that did not complete, on stderr; exit status 1."""
    for j in jobs:
        click.echo(f"error: {_secrets.clean(f'{j.job} {j.status}: {j.error}')}", err=True)
    sys.exit(1)

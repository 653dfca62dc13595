"""``VENDORKIT_LOG=debug|info|warning`` turns on vendorkit's log on stderr for library users (at
``import vendorkit``), with one prefix per line, trace ids where the vendor sends them, and no
secret; the CLI uses the very same handler. Each case runs in a fresh process."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

PROGRAM = textwrap.dedent(
    """
    import asyncio, logging, vendorkit
    from vendorkit.errors import PermissionDeniedError
    from vendorkit.sandbox import Sandbox

    async def main():
        async with Sandbox(vendors=["leanlaw"], records=5, seed=0) as sb:
            key = sb.credentials("leanlaw")["api_key"]
            open(SECRET_FILE, "w").write(key)
            def hook(info, status, elapsed):
                raise RuntimeError("hook broke, key " + key)
            async with sb.client("leanlaw", on_response=hook) as ll:
                await ll.request("GET", "/v2/clients", params={"limit": 2})
                await ll.with_options(max_retries=0).clients.list(max_items=1).all()
            async with vendorkit.LeanLaw(api_key=key + "-wrong", base_url=sb.url("leanlaw")) as bad:
                try:
                    await bad.request("GET", "/v2/clients")
                except PermissionDeniedError:
                    pass

    asyncio.run(main())
    """
)


def run(program: str, tmp_path: object, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("VENDORKIT_")}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-c", program],
        capture_output=True,
        text=True,
        env=clean,
        timeout=120,
        cwd=str(tmp_path),
    )


def test_debug_lines_go_to_stderr_prefixed_with_trace_ids_and_no_secret(tmp_path: object) -> None:
    program = f"SECRET_FILE = {str(tmp_path) + '/key'!r}\n" + PROGRAM
    done = run(program, tmp_path, VENDORKIT_LOG="debug")
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    key = open(f"{tmp_path}/key").read()
    lines = done.stderr.splitlines()
    assert lines and all(line.startswith("vendorkit ") for line in lines), lines
    attempts = [line for line in lines if " -> " in line]
    assert len(attempts) == 3, lines
    first = attempts[0]
    assert first.startswith("vendorkit DEBUG: GET http://127.0.0.1:")
    assert "/v2/clients?limit=2 -> 200 in " in first and " attempt 1 trace=" in first
    assert " -> 403 in " in attempts[2]
    # The broken hook is a warning without a traceback.
    assert any(line.startswith("vendorkit WARNING: on_response hook") for line in lines)
    assert "Traceback" not in done.stderr
    assert key not in done.stderr and key not in done.stdout
    assert "Authorization" not in done.stderr and "Bearer" not in done.stderr


@pytest.mark.parametrize("value", ["info", " WARNING "])
def test_higher_levels_leave_out_the_debug_lines(tmp_path: object, value: str) -> None:
    program = f"SECRET_FILE = {str(tmp_path) + '/key'!r}\n" + PROGRAM
    done = run(program, tmp_path, VENDORKIT_LOG=value)
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    assert "DEBUG" not in done.stderr
    assert "vendorkit WARNING: on_response hook" in done.stderr


def test_without_the_variable_vendorkit_adds_no_handler(tmp_path: object) -> None:
    done = run(
        "import logging, vendorkit; print(logging.getLogger('vendorkit').handlers)", tmp_path
    )
    assert (done.returncode, done.stdout.strip(), done.stderr) == (0, "[]", "")


def test_an_unknown_value_is_one_line_never_an_exception(tmp_path: object) -> None:
    program = (
        "import logging, vendorkit\n"
        "from vendorkit import _logging\n"
        "_logging.configure_from_env(); _logging.configure_from_env()\n"
        "print(logging.getLogger('vendorkit').handlers)\n"
    )
    done = run(program, tmp_path, VENDORKIT_LOG="loud")
    assert done.returncode == 0 and done.stdout.strip() == "[]"
    assert done.stderr.splitlines() == [
        "vendorkit WARNING: VENDORKIT_LOG='loud' is not one of debug, info, warning; ignored"
    ]


def test_the_handler_is_added_once_and_the_cli_uses_it(tmp_path: object) -> None:
    program = (
        "import logging, vendorkit, vendorkit._logging as L\n"
        "L.configure_from_env(); L.install(logging.DEBUG)\n"
        "from vendorkit._cli._output import _setup_logging\n"
        "_setup_logging(); _setup_logging()\n"
        "handlers = logging.getLogger('vendorkit').handlers\n"
        "print(len(handlers), type(handlers[0]).__name__, handlers[0].scrub is not None)\n"
        "logging.getLogger('vendorkit').debug('vendorkit: one line, key=abc123secret')\n"
    )
    done = run(program, tmp_path, VENDORKIT_LOG="debug")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "1 StderrHandler True"
    assert done.stderr.splitlines() == ["vendorkit DEBUG: one line, key=***"]

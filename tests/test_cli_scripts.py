"""The command line for scripts (issue 13): ``--json``, ``--quiet``/``--verbose``, data on stdout
and everything else on stderr, plain summaries with whole failure reasons off a terminal, exit
codes 0/1/2/130, ``get``'s three failures told apart, ``sandbox serve --env``, a port in use,
visible quota waits, the demo panel on 80x24, and shell completion. Real subprocesses against
the sandbox or small hand-made servers."""

from __future__ import annotations

import asyncio
import json
import re
import shlex
import signal
import socket
import sys
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from vendorkit.sandbox import Sandbox

from ._http import serving
from .test_cli import VENDORKIT, clean_env, leanlaw_env, run_split

BOX = set("─│┃━┏┓┗┛┡┩╇╈┼")


async def test_json_puts_only_the_summary_on_stdout(tmp_path: Path) -> None:
    async with Sandbox(vendors=["leanlaw"], records=30) as sb:
        code, out, err = await run_split(
            "export",
            "leanlaw",
            "clients",
            "matters",
            "--out",
            str(tmp_path),
            "--json",
            env=leanlaw_env(sb),
        )
        want = len(sb.emulator("leanlaw").store["clients"]) + len(
            sb.emulator("leanlaw").store["matters"]
        )
    assert code == 0, err
    summary = json.loads(out)  # the whole of stdout is one JSON object
    assert summary["ok"] is True and summary["records"] == want
    assert {j["resource"]: j["status"] for j in summary["jobs"]} == {
        "clients": "done",
        "matters": "done",
    }
    assert all(Path(j["path"]).exists() for j in summary["jobs"])
    assert summary["out"] == str(tmp_path)


async def test_quiet_prints_nothing_and_quiet_with_verbose_is_a_usage_error(
    tmp_path: Path,
) -> None:
    async with Sandbox(vendors=["leanlaw"], records=10) as sb:
        code, out, err = await run_split(
            "export", "leanlaw", "clients", "--out", str(tmp_path), "--quiet", env=leanlaw_env(sb)
        )
        assert (code, out, err) == (0, "", "")
        code, out, err = await run_split(
            "export", "leanlaw", "--out", str(tmp_path), "-q", "-v", env=leanlaw_env(sb)
        )
    assert code == 2 and "contradict" in err


async def test_verbose_logs_retries_and_each_job_on_stderr_only(tmp_path: Path) -> None:
    """``--verbose``: what vendorkit does, at info level, on stderr (a retry, each job's end);
    without it the same run logs none of that; stdout is the summary either way."""
    from vendorkit.sandbox._faults import FaultProfile

    faults = FaultProfile(script=("503",))  # the first request is refused once, then retried
    runs = {}
    for verbose in (True, False):
        async with Sandbox(vendors=["leanlaw"], records=10, faults=faults) as sb:
            runs[verbose] = await run_split(
                "export",
                "leanlaw",
                "clients",
                "--out",
                str(tmp_path / str(verbose)),
                *(["--verbose"] if verbose else []),
                env=leanlaw_env(sb),
            )
    code, out, err = runs[True]
    assert code == 0, err
    logged = [x for x in err.splitlines() if x.startswith("vendorkit INFO: ")]
    assert any("retrying GET " in x and "503" in x for x in logged), err
    assert any("leanlaw/clients: done, 10 records" in x for x in logged), err
    assert "INFO" not in out and "retrying" not in out
    code, out, err = runs[False]
    assert code == 0, err
    assert "INFO" not in err + out and "retrying" not in err + out


async def test_off_a_terminal_the_summary_is_plain_and_reasons_are_whole(
    tmp_path: Path,
) -> None:
    """A vendor whose long refusal must reach a script's log whole: no box drawing, no cut."""
    reason = "this key was revoked by the firm's administrator " + "because " * 30 + "THE-END"

    async def refuse(request: web.Request) -> web.Response:
        return web.json_response({"error": {"message": reason}}, status=403)

    app = web.Application()
    app.router.add_get("/v2/clients", refuse)
    async with serving(app) as url:
        env = clean_env(
            VENDORKIT_LEANLAW_API_KEY="ll_k_0000000000000000", VENDORKIT_LEANLAW_BASE_URL=url
        )
        code, out, err = await run_split(
            "export", "leanlaw", "clients", "--out", str(tmp_path), env=env
        )
    assert code == 1
    assert "THE-END" in out and "THE-END" in err  # the summary line and the error line
    assert not BOX & set(out)
    line = next(x for x in out.splitlines() if "clients" in x and "failed" in x)
    assert line.startswith("leanlaw clients: failed, 0 records")


async def test_get_tells_not_found_refused_and_unreachable_apart() -> None:
    async with Sandbox(vendors=["leanlaw"], records=5) as sb:
        code, out, err = await run_split(
            "get", "leanlaw", "clients", "no-such-id", env=leanlaw_env(sb)
        )
        assert (code, out) == (1, "")
        assert err.startswith("error: not found: leanlaw has no clients with id 'no-such-id'")
        bad = dict(leanlaw_env(sb), VENDORKIT_LEANLAW_API_KEY="ll_wrong_00000000000")
        code, _, err = await run_split("get", "leanlaw", "clients", "x", env=bad)
        assert code == 1 and err.startswith("error: authentication failed: leanlaw refused")
        assert "ll_wrong_00000000000" not in err
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = clean_env(
        VENDORKIT_LEANLAW_API_KEY="ll_k_0000000000000000",
        VENDORKIT_LEANLAW_BASE_URL=f"http://127.0.0.1:{port}",
    )
    code, _, err = await run_split("get", "leanlaw", "clients", "x", env=env, timeout=120)
    assert code == 1 and err.startswith("error: could not reach leanlaw")
    code, _, err = await run_split("get", "leanlaw", "clients", "x", env=clean_env())
    assert code == 2 and "VENDORKIT_LEANLAW_API_KEY" in err  # usage: a variable is missing


def test_get_says_a_vendor_that_did_not_answer_in_time_apart_from_one_unreachable() -> None:
    """The words for each failure (the client's timeout is minutes with retries: not waited
    for here; the subprocess test above covers the refused connection end to end)."""
    from vendorkit._cli._get import _get_failure
    from vendorkit.errors import RequestTimeoutError, TransportError

    timed_out = RequestTimeoutError("GET /v2/clients/x timed out")
    slow = _get_failure("leanlaw", "clients", "x", timed_out)
    assert slow.startswith("leanlaw did not answer in time: GET /v2/clients/x timed out")
    gone = _get_failure("leanlaw", "clients", "x", TransportError("could not connect"))
    assert gone.startswith("could not reach leanlaw: could not connect")


async def _serve_env(*options: str) -> tuple[asyncio.subprocess.Process, dict[str, str]]:
    """``sandbox serve --env`` started with ``options``, and the variables it printed."""
    proc = await asyncio.create_subprocess_exec(
        *VENDORKIT,
        "sandbox",
        "serve",
        "--env",
        *options,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=clean_env(),
    )
    assert proc.stdout is not None
    exports: dict[str, str] = {}
    while "VENDORKIT_LEANLAW_BASE_URL" not in exports or "VENDORKIT_LEANLAW_API_KEY" not in exports:
        line = (await asyncio.wait_for(proc.stdout.readline(), 60)).decode()
        assert line, "serve --env ended before printing its variables"
        name, _, value = shlex.split(line)[1].partition("=")
        exports[name] = value
    return proc, exports


async def test_sandbox_serve_env_points_export_at_the_sandbox(tmp_path: Path) -> None:
    proc, exports = await _serve_env("--vendor", "leanlaw", "--records", "12")
    try:
        assert proc.stderr is not None
        running = (await asyncio.wait_for(proc.stderr.readline(), 60)).decode()
        assert "sandbox running" in running
        code, out, err = await run_split(
            "export",
            "leanlaw",
            "clients",
            "--out",
            str(tmp_path),
            "--json",
            env=clean_env(**exports),
        )
        assert code == 0, err
        assert json.loads(out)["records"] == 12
    finally:
        proc.send_signal(signal.SIGINT)
        assert await asyncio.wait_for(proc.wait(), 30) == 0


async def test_sandbox_serve_injects_the_fault_kinds_asked_for() -> None:
    """``--fault-kind`` picks what ``--fault-rate`` injects: every request here meets a 500 (a
    kind the default never injects); an unknown kind is a usage error listing the known."""
    import aiohttp

    proc, env = await _serve_env("--vendor", "leanlaw", "--fault-rate", "1", "--fault-kind", "500")
    try:
        headers = {"Authorization": f"Bearer {env['VENDORKIT_LEANLAW_API_KEY']}"}
        async with aiohttp.ClientSession() as session:
            for _ in range(3):
                url = env["VENDORKIT_LEANLAW_BASE_URL"] + "/v2/clients"
                async with session.get(url, headers=headers) as answer:
                    assert answer.status == 500
    finally:
        proc.send_signal(signal.SIGINT)
        assert await asyncio.wait_for(proc.wait(), 30) == 0
    code, _, err = await run_split("sandbox", "serve", "--fault-kind", "oops", timeout=60)
    assert code == 2 and "oops" in err and "drop_after" in err and "Traceback" not in err


def _ipv6_loopback() -> bool:
    """Whether this machine can listen on ::1 (a container without IPv6 cannot)."""
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _ipv6_loopback(), reason="no IPv6 loopback on this machine")
async def test_sandbox_serve_on_ipv6_prints_urls_from_env_reads(tmp_path: Path) -> None:
    """``--host ::1``: the base URL has the address in brackets, and export runs against it."""
    proc, exports = await _serve_env("--vendor", "leanlaw", "--host", "::1", "--records", "4")
    try:
        assert re.fullmatch(r"http://\[::1\]:\d+/?", exports["VENDORKIT_LEANLAW_BASE_URL"])
        code, out, err = await run_split(
            "export",
            "leanlaw",
            "clients",
            "--out",
            str(tmp_path),
            "--json",
            env=clean_env(**exports),
        )
        assert code == 0, (out, err)
        assert json.loads(out)["records"] == 4
    finally:
        proc.send_signal(signal.SIGINT)
        assert await asyncio.wait_for(proc.wait(), 30) == 0


def test_an_ipv6_host_is_bracketed_in_every_url() -> None:
    from vendorkit.sandbox._sandbox import origin

    assert origin("::1", 8080) == "http://[::1]:8080"
    assert origin("[::1]", 8080) == "http://[::1]:8080"
    assert origin("fe80::1%eth0", 80) == "http://[fe80::1%eth0]:80"
    assert origin("127.0.0.1", 8080) == "http://127.0.0.1:8080"
    assert origin("localhost", 80) == "http://localhost:80"


async def test_ports_past_65535_are_a_usage_error_before_anything_listens() -> None:
    code, out, err = await run_split("sandbox", "serve", "--port", "65534", timeout=60)
    assert code == 2, (out, err)
    assert "Traceback" not in out + err and out == ""
    assert err.strip() == (
        "error: --port 65534 with 4 vendors needs ports 65534-65537, past 65535: pick --port "
        "65532 or lower, or leave it out for free ports"
    )


async def test_the_documented_env_file_recipe_runs_under_sh(tmp_path: Path) -> None:
    """docs/cli.md's ``--env-file`` recipe, exactly as written, run by ``/bin/sh`` in a fresh
    folder: the export it ends with finds the variables (``--env > file &`` raced: the file
    was sourced before the sandbox wrote it)."""
    import os
    import shutil

    page = (Path(__file__).resolve().parent.parent / "docs" / "cli.md").read_text()
    marker = "<!-- run by tests/test_cli_scripts.py::test_the_documented_env_file_recipe_"
    recipe = page.split(marker, 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    bin_dir = str(Path(sys.executable).parent)
    assert shutil.which("vendorkit", path=bin_dir), "the vendorkit script is not installed"
    # Stop the sandbox the recipe left running (the last background job), keep its status.
    script = recipe + 'status=$?\nkill -TERM $!\nwait $!\necho "sandbox: $?"\nexit $status\n'
    (tmp_path / "recipe.sh").write_text(script)
    env = clean_env(PATH=bin_dir + os.pathsep + os.environ.get("PATH", ""))
    proc = await asyncio.create_subprocess_exec(
        "/bin/sh",
        "recipe.sh",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out = (await asyncio.wait_for(proc.communicate(), 120))[0].decode()
    assert proc.returncode == 0, out
    assert "sandbox: 0" in out
    exported = (tmp_path / "export" / "leanlaw" / "clients.jsonl").read_text().splitlines()
    assert len(exported) == 100  # the sandbox's default records
    env_file = tmp_path / "sandbox.env"
    assert env_file.stat().st_mode & 0o777 == 0o600
    assert "export VENDORKIT_LEANLAW_BASE_URL=" in env_file.read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export", "recipe.sh", "sandbox.env"]


async def test_env_file_removes_a_stale_file_before_it_listens(tmp_path: Path) -> None:
    """A file left by an earlier run is gone at start, even when this run cannot listen."""
    stale = tmp_path / "sandbox.env"
    stale.write_text("export VENDORKIT_LEANLAW_BASE_URL=http://127.0.0.1:9\n")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, out, err = await run_split(
            "sandbox",
            "serve",
            "--vendor",
            "leanlaw",
            "--port",
            str(port),
            "--env-file",
            str(stale),
            timeout=60,
        )
    assert code == 2 and "already in use" in err, (out, err)
    assert not stale.exists()


async def test_a_port_in_use_is_one_line_and_exit_2() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, out, err = await run_split(
            "sandbox", "serve", "--vendor", "leanlaw", "--port", str(port), timeout=60
        )
    assert code == 2
    assert "Traceback" not in out + err
    assert (
        err.strip()
        == f"error: port {port} is already in use on 127.0.0.1: pick another --port, or leave "
        "it out for free ports"
    )


async def _interrupted_export(
    tmp_path: Path, sig: signal.Signals, *flags: str
) -> tuple[int | None, str, str]:
    """``export leanlaw clients matters`` one job at a time, stopped by ``sig`` while it waits
    for the first page of ``matters``: by then ``clients`` (three records) is done."""
    arrived = asyncio.Event()
    clients = [{"id": f"00000000-0000-0000-0000-00000000000{i}"} for i in range(3)]

    async def listed(request: web.Request) -> web.Response:
        return web.json_response(
            {"data": clients, "pagination": {"limit": 1000, "offset": 0, "total": 3}}
        )

    async def slow(request: web.Request) -> web.Response:
        arrived.set()
        await asyncio.sleep(60)
        return web.json_response({"data": []})  # pragma: no cover

    app = web.Application()
    app.router.add_get("/v2/clients", listed)
    app.router.add_get("/v2/matters", slow)
    async with serving(app, handler_cancellation=True, shutdown_timeout=1.0) as url:
        env = clean_env(
            VENDORKIT_LEANLAW_API_KEY="ll_k_0000000000000000", VENDORKIT_LEANLAW_BASE_URL=url
        )
        proc = await asyncio.create_subprocess_exec(
            *VENDORKIT,
            "export",
            "leanlaw",
            "clients",
            "matters",
            "--out",
            str(tmp_path),
            # One job at a time: matters asks for its first page only once clients is done.
            "--concurrency",
            "1",
            *flags,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
        )
        await asyncio.wait_for(arrived.wait(), 60)
        proc.send_signal(sig)
        out, err = await asyncio.wait_for(proc.communicate(), 60)
    return proc.returncode, out.decode(), err.decode()


async def test_ctrl_c_exits_130_saying_where_the_files_are_and_how_to_resume(
    tmp_path: Path,
) -> None:
    code, _, err = await _interrupted_export(tmp_path, signal.SIGINT)
    assert code == 130
    assert "Traceback" not in err
    assert str(tmp_path) in err and "--resume" in err


@pytest.mark.parametrize(
    ("sig", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["SIGINT", "SIGTERM"]
)
async def test_an_interrupted_json_export_prints_its_partial_summary(
    tmp_path: Path, sig: signal.Signals, status: int
) -> None:
    """Ctrl-C, and SIGTERM (timeout(1), systemd, Kubernetes) alike: one JSON object on stdout,
    what ran with ``"interrupted": true``; the resume line on stderr; 128 + the signal."""
    code, out, err = await _interrupted_export(tmp_path, sig, "--json")
    assert code == status, (out, err)
    summary = json.loads(out)  # the whole of stdout is one JSON object
    assert summary["interrupted"] is True and summary["ok"] is False
    assert summary["records"] == 3
    jobs = {j["resource"]: j for j in summary["jobs"]}
    assert (jobs["clients"]["status"], jobs["clients"]["records"]) == ("done", 3)
    assert (jobs["matters"]["status"], jobs["matters"]["records"]) == ("interrupted", 0)
    assert jobs["clients"]["path"] == str(tmp_path / "leanlaw" / "clients.jsonl")
    assert "Traceback" not in err
    assert err.strip().splitlines() == [err.strip()]
    assert str(tmp_path) in err and "--resume" in err
    # Ended as a cancellation ends: the job in progress saved its checkpoint.
    assert (tmp_path / ".checkpoints" / "leanlaw" / "matters.jsonl.json").exists()


async def test_sigterm_ends_an_export_as_ctrl_c_does(tmp_path: Path) -> None:
    code, out, err = await _interrupted_export(tmp_path, signal.SIGTERM)
    assert code == 143, (out, err)
    assert out.startswith("vendorkit export, interrupted: 3 records in ")
    assert "leanlaw clients: done, 3 records" in out
    assert "leanlaw matters: interrupted, 0 records" in out
    assert "Traceback" not in err and str(tmp_path) in err and "--resume" in err


def _json_error(out: str) -> dict[str, Any]:
    error = json.loads(out)  # the whole of stdout is one JSON object
    assert set(error) == {"ok", "error", "exit_code"} and error["ok"] is False, error
    return error  # type: ignore[no-any-return]


async def test_json_errors_put_one_object_on_stdout(tmp_path: Path) -> None:
    """Every end after the options were parsed, an error included: ``{"ok": false, "error":
    <the line on stderr>, "exit_code": N}``."""
    (tmp_path / "a-file").write_text("x")
    async with Sandbox(vendors=["leanlaw"], records=5) as sb:
        env = leanlaw_env(sb)
        cases = {
            "unknown resource": (["leanlaw", "clientz"], env),
            "missing variable": (["leanlaw"], clean_env()),
            "bad --out": (["leanlaw", "--out", str(tmp_path / "a-file" / "sub")], env),
        }
        errors = {}
        for name, (args, case_env) in cases.items():
            if "--out" not in args:
                args = [*args, "--out", str(tmp_path / "out")]
            code, out, err = await run_split("export", *args, "--json", env=case_env)
            assert code == 2, (name, out, err)
            errors[name] = _json_error(out)
            assert errors[name]["exit_code"] == 2, name
            assert err == f"error: {errors[name]['error']}\n", (name, err)
    assert "clientz" in errors["unknown resource"]["error"]
    assert "VENDORKIT_LEANLAW_API_KEY" in errors["missing variable"]["error"]


async def test_json_usage_errors_after_parsing_are_objects_and_parse_errors_are_not(
    tmp_path: Path,
) -> None:
    """A usage error the command finds once ``--json`` is known keeps click's text on stderr
    and puts its object on stdout; one click finds while parsing (before ``--json`` is known)
    is click's text alone."""
    for args in (
        ["export", "--out", str(tmp_path), "--json"],  # no VENDOR
        ["export", "leanlaw", "--out", str(tmp_path), "--json", "-q", "-v"],
    ):
        code, out, err = await run_split(*args)
        assert code == 2, (args, out, err)
        error = _json_error(out)
        assert error["exit_code"] == 2
        assert err.rstrip().endswith(f"Error: {error['error']}"), (args, err)
    code, out, err = await run_split(
        "export", "leanlaw", "--out", str(tmp_path), "--json", "--concurrency", "0"
    )
    assert (code, out) == (2, "") and "Usage:" in err


def test_a_failure_with_status_1_is_an_object_too() -> None:
    """The one way every error ends (``_fail``), with a status other than usage's."""
    import subprocess

    script = (
        "from vendorkit._cli._output import _fail, _set_output\n"
        "_set_output(True, False, False)\n"
        "_fail('unexpected ValueError: boom', 1)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, env=clean_env()
    )
    assert done.returncode == 1
    assert json.loads(done.stdout) == {
        "ok": False,
        "error": "unexpected ValueError: boom",
        "exit_code": 1,
    }
    assert done.stderr == "error: unexpected ValueError: boom\n"


# -- the renderers, fed the engine's own events -------------------------------------------------


async def waits_of_an_export(tmp_path: Path) -> list[Any]:
    """A real export whose client-side quota (2/second) makes it wait: its progress events."""
    from vendorkit import LeanLaw
    from vendorkit.export import Job, export

    events: list[Any] = []
    async with Sandbox(vendors=["leanlaw"], records=12, quotas={"leanlaw": None}) as sb:
        async with LeanLaw(**sb.credentials("leanlaw"), rate_limit="2/second") as ll:
            await export(
                [Job(client=ll, resource="clients")],
                out=tmp_path,
                page_size=2,
                on_progress=events.append,
            )
    return events


async def test_a_quota_wait_is_said_in_words_with_when_it_resumes(tmp_path: Path) -> None:
    events = await waits_of_an_export(tmp_path)
    waits = [e for e in events if e.event == "wait"]
    assert waits, [e.event for e in events]
    for e in waits:
        assert e.resume_in is not None and e.resume_in > 0
        assert e.message.startswith("waiting for quota, resumes in ")
        assert e.message.endswith(" s")


def test_the_plain_renderer_says_a_wait_of_a_second_or_more(capsys: Any) -> None:
    from vendorkit._cli._progress import _PlainProgress
    from vendorkit.export import Progress

    with _PlainProgress() as render:
        render(Progress(job="leanlaw/clients", event="start"))
        render(
            Progress(
                job="leanlaw/clients",
                event="wait",
                message="waiting for quota, resumes in 41 s",
                resume_in=40.2,
            )
        )
    captured = capsys.readouterr()
    assert captured.out == ""  # progress is not data
    assert "leanlaw/clients: waiting for quota, resumes in 41 s" in captured.err


def test_the_live_panel_fits_80_by_24_and_counts_a_wait_down() -> None:
    from rich.console import Console

    from vendorkit._cli._progress import _RichProgress
    from vendorkit.export import Progress

    console = Console(width=80, height=24, record=True, force_terminal=True, color_system=None)
    panel = _RichProgress(console=console)
    names = [f"vendor{i % 4}/a-resource-with-a-long-name-{i}" for i in range(40)]
    for i, name in enumerate(names):
        panel(Progress(job=name, event="start", total=1000))
        panel(Progress(job=name, event="page", records=500, total=1000, retries=i % 3))
        if i < 32:  # 32 of 40 finished: 8 still running, as at --concurrency 8
            panel(Progress(job=name, event="done", records=1000, total=1000))
    panel(
        Progress(
            job=names[-1],
            event="wait",
            records=500,
            total=1000,
            message="waiting for quota, resumes in 41 s",
            resume_in=41,
        )
    )
    console.print(panel.progress.get_renderable())
    lines = console.export_text().rstrip("\n").splitlines()
    assert len(lines) <= 24, "\n".join(lines)
    assert all(len(line) <= 80 for line in lines), "\n".join(lines)
    text = "\n".join(lines)
    assert "32 of 40 jobs done" in text
    assert "waiting for quota" in text and "resumes in 41 s" in " ".join(text.split())
    assert "eta" in text  # running jobs say how long is left, not how long they took


def test_a_waiting_row_shows_its_wait_and_no_eta() -> None:
    """rich's estimate, from the pages before a wait, claimed ``eta 0:00:01`` beside "resumes
    in 60 s": while a job waits its time column shows the wait; a job running beside it keeps
    its ETA."""
    from rich.console import Console

    from vendorkit._cli._progress import _RichProgress
    from vendorkit.export import Progress

    console = Console(width=80, height=24, record=True, force_terminal=True, color_system=None)
    panel = _RichProgress(console=console)
    for job in ("leanlaw/clients", "leady/leads"):
        panel(Progress(job=job, event="start", total=1000))
        for records in (100, 200, 300):  # pages: enough for rich to estimate a speed
            panel(Progress(job=job, event="page", records=records, total=1000))
    panel(
        Progress(
            job="leanlaw/clients",
            event="wait",
            records=300,
            total=1000,
            message="waiting for quota, resumes in 60 s",
            resume_in=60,
        )
    )
    console.print(panel.progress.get_renderable())
    lines = console.export_text().rstrip("\n").splitlines()
    assert all(len(line) <= 80 for line in lines), "\n".join(lines)
    waiting = next(line for line in lines if line.startswith("leanlaw/clients"))
    running = next(line for line in lines if line.startswith("leady/leads"))
    assert "eta" not in waiting, "\n".join(lines)
    assert re.search(r"wait 0:0[01]:\d\d", waiting), "\n".join(lines)  # 0:01:00, counting down
    assert "eta" in running and "wait" not in running, "\n".join(lines)


def test_shell_completion_offers_the_named_vendors_resources() -> None:
    import subprocess

    def complete(words: str) -> list[str]:
        cword = str(len(words.split()) - (0 if words.endswith(" ") else 1))
        env = clean_env(_VENDORKIT_COMPLETE="bash_complete", COMP_WORDS=words, COMP_CWORD=cword)
        done = subprocess.run(
            [sys.executable, "-m", "vendorkit"], env=env, capture_output=True, text=True, timeout=60
        )
        return [line.split(",", 1)[1] for line in done.stdout.splitlines() if "," in line]

    assert complete("vendorkit get leanlaw ma") == ["matters"]
    exportable = complete("vendorkit export leanlaw ")
    assert "clients" in exportable and "matters" in exportable
    assert complete("vendorkit export leanlaw clients cl") == []  # already named
    assert complete("vendorkit get nosuchvendor ") == []

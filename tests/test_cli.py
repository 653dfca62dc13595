"""The ``vendorkit`` command, run as a real subprocess against the sandbox."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import signal
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from vendorkit.sandbox import FaultProfile, Sandbox

from .client._raw import http, raw_server
from .export.conftest import output_ids, store_ids

__all__ = ["raw_server"]

VENDORKIT = [sys.executable, "-m", "vendorkit"]


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VENDORKIT_")}
    env.update(extra)
    return env


async def run(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        *VENDORKIT,
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env=env or clean_env(),
    )
    out, _ = await asyncio.wait_for(proc.communicate(), timeout)
    assert proc.returncode is not None
    return proc.returncode, out.decode()


def leanlaw_env(sb: Sandbox) -> dict[str, str]:
    creds = sb.credentials("leanlaw")
    return clean_env(
        VENDORKIT_LEANLAW_API_KEY=creds["api_key"], VENDORKIT_LEANLAW_BASE_URL=creds["base_url"]
    )


@pytest.mark.parametrize(
    "command", [[], ["demo"], ["export"], ["get"], ["sandbox"], ["sandbox", "serve"]]
)
async def test_help_everywhere_with_examples(command: list[str]) -> None:
    code, out = await run(*command, "--help")
    assert code == 0, out
    assert "Usage:" in out
    assert "Examples" in out


async def test_demo_exports_all_four_vendors(tmp_path: Path) -> None:
    code, out = await run("demo", "--records", "30", "--out", str(tmp_path), timeout=120)
    assert code == 0, out
    assert "vendorkit export:" in out and str(tmp_path) in out.replace("\n", "")
    for vendor in ("makeleaps", "leady", "leaddesk", "leanlaw"):
        files = list((tmp_path / vendor).glob("*.jsonl"))
        assert files, f"no output for {vendor}: {out}"
    assert not list(tmp_path.rglob("*.part"))


async def test_export_names_a_missing_variable(tmp_path: Path) -> None:
    code, out = await run("export", "leanlaw", "--out", str(tmp_path))
    assert code != 0
    assert "VENDORKIT_LEANLAW_API_KEY" in out
    assert len(out.strip().splitlines()) == 1


async def test_export_and_get_against_the_sandbox(tmp_path: Path) -> None:
    async with Sandbox(vendors=["leanlaw"], records=40, seed=4) as sb:
        env = leanlaw_env(sb)
        code, out = await run(
            "export", "leanlaw", "clients", "matters", "--out", str(tmp_path), env=env
        )
        assert code == 0, out
        emu = sb.emulator("leanlaw")
        for name in ("clients", "matters"):
            assert output_ids(tmp_path / "leanlaw" / f"{name}.jsonl") == store_ids(emu, name)

        some_id = next(iter(emu.store["clients"]))
        code, out = await run("get", "leanlaw", "clients", str(some_id), env=env)
        assert code == 0, out
        assert json.loads(out)["id"] == some_id
        assert sb.credentials("leanlaw")["api_key"] not in out

        code, out = await run("get", "leanlaw", "clients", "no-such-id", env=env)
        assert code != 0 and "404" in out


async def test_export_unknown_resource_fails_with_one_line(tmp_path: Path) -> None:
    async with Sandbox(vendors=["leanlaw"], records=5) as sb:
        code, out = await run(
            "export", "leanlaw", "nonsense", "--out", str(tmp_path), env=leanlaw_env(sb)
        )
    assert code != 0
    assert "nonsense" in out


async def test_sigkilled_export_resumes_to_a_complete_duplicate_free_output(
    tmp_path: Path,
) -> None:
    slow = FaultProfile(rate=1.0, kinds=("slow",), slow_seconds=0.03)
    async with Sandbox(vendors=["leanlaw"], records=400, seed=9, faults=slow) as sb:
        env = leanlaw_env(sb)
        args = ["export", "leanlaw", "clients", "--out", str(tmp_path), "--page-size", "10"]
        proc = await asyncio.create_subprocess_exec(
            *VENDORKIT,
            *args,
            "--concurrency",
            "1",
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        checkpoint = tmp_path / ".checkpoints" / "leanlaw" / "clients.jsonl.json"
        for _ in range(400):
            await asyncio.sleep(0.05)
            if checkpoint.exists() and json.loads(checkpoint.read_text())["pages"] >= 5:
                break
        proc.send_signal(signal.SIGKILL)
        await proc.wait()
        assert json.loads(checkpoint.read_text())["done"] is False
        final = tmp_path / "leanlaw" / "clients.jsonl"
        assert not final.exists()

        code, out = await run(*args, "--resume", env=env)
        assert code == 0, out
        ids = output_ids(final)
        assert ids == store_ids(sb.emulator("leanlaw"), "clients")
        assert max(ids.values()) == 1


async def test_sandbox_serve_talks_to_any_http_client() -> None:
    proc = await asyncio.create_subprocess_exec(
        *VENDORKIT,
        "sandbox",
        "serve",
        "--vendor",
        "leanlaw",
        "--records",
        "7",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env=clean_env(),
    )
    try:
        assert proc.stdout is not None
        line = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode()
        match = re.search(r"(http://127\.0\.0\.1:\d+)\s+credentials: (\{.*\})", line)
        assert match, line
        url, creds = match.group(1), json.loads(match.group(2))
        headers = {"Authorization": f"Bearer {creds['api_key']}"}
        async with aiohttp.ClientSession() as s, s.get(url + "/v2/clients", headers=headers) as r:
            assert r.status == 200
            assert len((await r.json())["data"]) == 7
    finally:
        proc.send_signal(signal.SIGINT)
        code = await asyncio.wait_for(proc.wait(), 30)
    assert code == 0


async def run_split(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> tuple[int, str, str]:
    """Like ``run``, with stdout and stderr apart."""
    proc = await asyncio.create_subprocess_exec(
        *VENDORKIT,
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env or clean_env(),
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_an_out_folder_that_cannot_be_made_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("x")
    async with Sandbox(vendors=["leanlaw"], records=5) as sb:
        code, out, err = await run_split(
            "export", "leanlaw", "--out", str(tmp_path / "a-file" / "sub"), env=leanlaw_env(sb)
        )
    assert code == 2, (out, err)
    assert "Traceback" not in out + err
    assert err.strip().splitlines() == [err.strip()] and err.startswith("error: ")
    assert "not a folder" in err or "cannot be created" in err


async def test_get_prints_a_lone_surrogate_escaped(raw_server: Any) -> None:
    body = b'{"data": {"id": "c-1", "name": "\\ud800 and \\u2028"}}'
    server = await raw_server(lambda req, n: http("200 OK", body))
    env = clean_env(VENDORKIT_LEANLAW_API_KEY="k" * 12, VENDORKIT_LEANLAW_BASE_URL=server.url)
    code, out, err = await run_split("get", "leanlaw", "clients", "c-1", env=env)
    assert code == 0, err
    assert json.loads(out) == {"id": "c-1", "name": "\ud800 and \u2028"}


async def test_csv_cells_are_neutralised_unless_asked_not_to(tmp_path: Path) -> None:
    import csv

    async with Sandbox(vendors=["leanlaw"], records=3, seed=0) as sb:
        record = next(iter(sb.emulator("leanlaw").store["clients"].values()))
        record["note"] = '=HYPERLINK("http://x.invalid")'
        env = leanlaw_env(sb)
        for flag, expected in (([], "'" + record["note"]), (["--no-neutralise"], record["note"])):
            folder = tmp_path / (flag[0] if flag else "default")
            args = ["export", "leanlaw", "clients", "--out", str(folder), "--format", "csv"]
            code, out = await run(*args, *flag, env=env)
            assert code == 0, out
            with open(folder / "leanlaw" / "clients.csv", newline="", encoding="utf-8") as fh:
                rows = {r["id"]: r for r in csv.DictReader(fh)}
            assert rows[record["id"]]["note"] == expected


# -- secrets -----------------------------------------------------------------------------------

API_KEY = "cli-api-key-S3CRET-5d2e"
ML_ID = "cli-client-id-77"
ML_SECRET = "cli-client-S3CRET-a41b"
ML_BASIC = base64.b64encode(f"{ML_ID}:{ML_SECRET}".encode()).decode()


def _auth(request: bytes) -> str:
    for line in request.split(b"\r\n"):
        if line.lower().startswith(b"authorization:"):
            return line.split(b":", 1)[1].strip().decode("latin-1")
    return ""


# What a hand-made server answers to every request: each makes aiohttp raise an exception whose
# repr (or message) carries the request's headers, or puts the credential in the answer itself.
HOSTILE: dict[str, Any] = {
    "status line echoing the credential": lambda req, n: (
        f"HTTP/1.1 2{_auth(req)} nope\r\nContent-Length: 0\r\n\r\n".encode("latin-1")
    ),
    "malformed status line": lambda req, n: b"HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n",
    "header without a colon": lambda req, n: (
        b"HTTP/1.1 200 OK\r\nThis is not a header\r\nContent-Length: 2\r\n\r\n{}"
    ),
    "over-long header": lambda req, n: http("200 OK", b"{}", {"X-Long": "a" * 20000}),
    "error body echoing the credential": lambda req, n: http(
        "500 Internal Server Error",
        json.dumps({"message": f"rejected header Authorization: {_auth(req)}"}).encode(),
    ),
}


def shown(tmp_path: Path, *texts: str) -> str:
    """Everything a user sees of a run: its output and every checkpoint it left."""
    checkpoints = [p.read_text(errors="replace") for p in tmp_path.rglob("*.json")]
    return "\n".join([*texts, *checkpoints])


@pytest.mark.parametrize("log", ["", "debug"])
@pytest.mark.parametrize("answer", HOSTILE.values(), ids=HOSTILE.keys())
async def test_a_failing_export_never_shows_the_credential(
    tmp_path: Path, raw_server: Any, answer: Any, log: str
) -> None:
    server = await raw_server(answer)
    env = clean_env(VENDORKIT_LEANLAW_API_KEY=API_KEY, VENDORKIT_LEANLAW_BASE_URL=server.url)
    if log:
        env["VENDORKIT_LOG"] = log
    code, out, err = await run_split(
        "export", "leanlaw", "clients", "--out", str(tmp_path / "out"), env=env
    )
    assert code == 1, (out, err)
    assert API_KEY in server.requests[0].decode("latin-1")  # it was sent, and could leak
    everything = shown(tmp_path, out, err)
    assert API_KEY not in everything and "S3CRET" not in everything
    assert "Traceback" not in everything
    assert "error: leanlaw/clients failed: " in err


@pytest.mark.parametrize("answer", [HOSTILE["status line echoing the credential"]])
async def test_a_failing_token_request_never_shows_the_basic_credentials(
    tmp_path: Path, raw_server: Any, answer: Any
) -> None:
    server = await raw_server(answer)
    env = clean_env(
        VENDORKIT_MAKELEAPS_CLIENT_ID=ML_ID,
        VENDORKIT_MAKELEAPS_CLIENT_SECRET=ML_SECRET,
        VENDORKIT_MAKELEAPS_BASE_URL=server.url,
        VENDORKIT_LOG="debug",
    )
    code, out, err = await run_split(
        "export", "makeleaps", "clients", "--out", str(tmp_path / "out"), env=env
    )
    assert code != 0, (out, err)
    assert ML_BASIC in server.requests[0].decode("latin-1")
    everything = shown(tmp_path, out, err)
    assert ML_BASIC not in everything and ML_SECRET not in everything
    assert "S3CRET" not in everything and "Traceback" not in everything


async def test_sandbox_serve_on_a_port_in_use_is_one_line() -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, out, err = await run_split(
            "sandbox", "serve", "--vendor", "leanlaw", "--port", str(port), timeout=30
        )
    assert code == 2, (out, err)
    assert "Traceback" not in out + err
    assert err.startswith("error: ") and len(err.strip().splitlines()) == 1


# -- nothing a vendor sends can drive the operator's terminal ----------------------------------

TERMINAL_HOSTILE = (
    "\x1b]0;vendorkit: all good\x07\x1b]8;;https://evil.example/\x07details\x1b]8;;\x07\x1b[2J"
)
# More of the same kind: C1 CSI (a terminal control on its own), DEL, a bidi override that
# reverses what follows, an isolate, a zero-width space, a tag character, a lone surrogate.
MORE_HOSTILE = "\x9b2J\x7f \u202egnp.exe\u202c \u2066x\u2069 \u200b \U000e0041 \ud800"


def hidden(text: str, layout: str = "\n\t") -> list[str]:
    """The characters of ``text`` a terminal acts on or a reader cannot see (by default, the
    line breaks and tabs of the command's own layout aside)."""
    import unicodedata

    return [
        c
        for c in text
        if c not in layout and unicodedata.category(c) in ("Cc", "Cf", "Cs", "Zl", "Zp")
    ]


async def test_a_vendor_message_cannot_write_escape_sequences_to_the_terminal(
    raw_server: Any,
) -> None:
    """(From the review of issue 8.) A vendor's error message reached stderr with its escape
    sequences: set the window title, a hyperlink showing one URL and opening another, clear the
    screen."""
    body = json.dumps({"message": TERMINAL_HOSTILE + MORE_HOSTILE}).encode()
    server = await raw_server(lambda req, n: http("403 Forbidden", body))
    env = clean_env(VENDORKIT_LEANLAW_API_KEY="k" * 16, VENDORKIT_LEANLAW_BASE_URL=server.url)
    code, out, err = await run_split("get", "leanlaw", "clients", "c-1", env=env)
    assert code != 0, (out, err)
    assert "\x1b" not in err and "\x07" not in err, repr(err)
    assert not hidden(out + err), repr(err)
    assert "\\x1b]0;vendorkit: all good\\x07" in err  # shown, as text
    assert "\\u202egnp.exe" in err


@pytest.mark.parametrize("log", ["", "debug"])
async def test_a_failing_export_shows_no_terminal_control_anywhere(
    tmp_path: Path, raw_server: Any, log: str
) -> None:
    """Every line the command prints of a failed job (the one-line log, the progress, the
    summary table, the job's error) escapes what the vendor sent."""
    body = json.dumps({"message": TERMINAL_HOSTILE + MORE_HOSTILE}).encode()
    server = await raw_server(lambda req, n: http("500 Internal Server Error", body))
    env = clean_env(VENDORKIT_LEANLAW_API_KEY="k" * 16, VENDORKIT_LEANLAW_BASE_URL=server.url)
    if log:
        env["VENDORKIT_LOG"] = log
    code, out, err = await run_split(
        "export", "leanlaw", "clients", "--out", str(tmp_path / "out"), env=env
    )
    assert code == 1, (out, err)
    assert "error: leanlaw/clients failed: " in err
    assert "\\x1b" in out + err  # the message is there, escaped
    assert not hidden(out) and not hidden(err), (out, err)


async def test_get_prints_terminal_controls_escaped_and_the_record_exactly(
    raw_server: Any,
) -> None:
    record = {"id": "c-1", "name": TERMINAL_HOSTILE, "note": MORE_HOSTILE, "日本": "東京"}
    body = json.dumps({"data": record}).encode()
    server = await raw_server(lambda req, n: http("200 OK", body))
    env = clean_env(VENDORKIT_LEANLAW_API_KEY="k" * 12, VENDORKIT_LEANLAW_BASE_URL=server.url)
    code, out, err = await run_split("get", "leanlaw", "clients", "c-1", env=env)
    assert code == 0, err
    assert not hidden(out), repr(out)
    assert json.loads(out) == record  # still JSON, the very record
    assert "東京" in out  # readable text stays readable


def test_visible_and_visible_json_leave_nothing_hidden() -> None:
    from hypothesis import given
    from hypothesis import strategies as st

    from vendorkit._cli._text import visible, visible_json

    chars = st.characters(codec=None) | st.sampled_from(list(TERMINAL_HOSTILE + MORE_HOSTILE))
    text = st.text(chars, max_size=30)
    values = st.recursive(
        st.none() | st.booleans() | st.integers() | text,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
        max_leaves=10,
    )

    @given(text)
    def lines(value: str) -> None:
        shown = visible(value)
        assert not hidden(shown, layout="")
        if not hidden(value, layout=""):
            assert shown == value  # nothing to escape: untouched

    @given(values)
    def documents(value: Any) -> None:
        dumped = json.dumps(value, ensure_ascii=False, indent=2)
        shown = visible_json(dumped)
        assert not hidden(shown)
        assert json.loads(shown) == json.loads(dumped)

    lines()
    documents()

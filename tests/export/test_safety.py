"""Files with customer data: private (0600 files, 0700 folders), never written through a link
planted at any path the export writes, never placed outside ``out=`` by a job's name; and bad
arguments that are ``ConfigurationError``s before anything is fetched."""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

from vendorkit import LeanLaw
from vendorkit.errors import ConfigurationError, VendorkitError
from vendorkit.export import Job, export
from vendorkit.sandbox import Sandbox

from ..client._raw import http, raw_server
from .conftest import output_ids, store_ids

__all__ = ["raw_server"]


def mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """umask 0: whatever is private is so because the export made it so, not the umask."""
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


# -- permissions -------------------------------------------------------------------------------


@pytest.mark.usefixtures("open_umask")
async def test_every_file_and_folder_the_export_creates_is_private(tmp_path: Path) -> None:
    out = tmp_path / "new" / "out"  # both folders created by the export
    async with Sandbox(vendors=["leanlaw"], records=40, seed=1) as sb:
        async with sb.client("leanlaw", rate_limit="3/day") as ll:
            stopped = await export(
                [Job(client=ll, resource="clients"), Job(client=ll, resource="matters")],
                out=out,
                format="csv",
                page_size=10,
                max_quota_wait=1,
            )
        assert "stopped" in [j.status for j in stopped.jobs]
        # Mid-export: part files and checkpoints exist, and are private.
        part = out / "leanlaw" / "clients.csv.jsonl.part"
        assert part.exists()
        made = [out, out.parent, *out.rglob("*")]
        assert {p.name for p in made} >= {"clients.csv.jsonl.part", "clients.csv.json"}
        for path in made:
            assert mode(path) == (0o700 if path.is_dir() else 0o600), path

        os.chmod(part, 0o644)  # someone loosened it: resuming makes it private again
        async with sb.client("leanlaw", rate_limit=None) as ll:
            for fmt in ("csv", "jsonl"):
                result = await export(
                    [Job(client=ll, resource="clients"), Job(client=ll, resource="matters")],
                    out=out,
                    format=fmt,
                    page_size=10,
                    resume=True,
                )
                assert result.ok, result.jobs
    finals = sorted(p.name for p in (out / "leanlaw").iterdir())
    assert finals == ["clients.csv", "clients.jsonl", "matters.csv", "matters.jsonl"]
    for path in [out, out.parent, *out.rglob("*")]:
        assert mode(path) == (0o700 if path.is_dir() else 0o600), path


# -- links -------------------------------------------------------------------------------------

# Where a link may be planted, relative to out=, for each format.
FILE_TARGETS = {
    "jsonl": [
        "leanlaw/clients.jsonl.part",
        "leanlaw/clients.jsonl",
        ".checkpoints/leanlaw/clients.jsonl.json",
        ".checkpoints/leanlaw/clients.jsonl.json.tmp",
    ],
    "csv": [
        "leanlaw/clients.csv.jsonl.part",
        "leanlaw/clients.csv",
        "leanlaw/clients.csv.tmp",
        ".checkpoints/leanlaw/clients.csv.json",
        ".checkpoints/leanlaw/clients.csv.json.tmp",
    ],
}
CASES = [(fmt, target) for fmt, targets in FILE_TARGETS.items() for target in targets]


def plant(out: Path, target: str, victim: Path) -> Path:
    link = out / target
    link.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    link.symlink_to(victim)
    return link


@pytest.mark.parametrize("resume", [False, True])
@pytest.mark.parametrize(("fmt", "target"), CASES)
async def test_a_link_planted_at_any_file_is_refused_not_followed(
    tmp_path: Path, fmt: str, target: str, resume: bool
) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    out = tmp_path / "out"
    link = plant(out, target, victim)
    async with Sandbox(vendors=["leanlaw"], records=20, seed=0) as sb:
        async with sb.client("leanlaw") as ll:
            result = await export(
                [Job(client=ll, resource="clients"), Job(client=ll, resource="matters")],
                out=out,
                format=fmt,
                page_size=5,
                resume=resume,
            )
        emu = sb.emulator("leanlaw")
        clients, matters = result.jobs
        assert clients.status == "failed"
        assert (clients.error or "").startswith("UnsafePathError:")
        assert "symbolic link" in (clients.error or "") and str(link) in (clients.error or "")
        assert emu.counters.requests.get("GET /v2/clients", 0) == 0  # refused before fetching
        assert matters.status == "done"  # the other job is not concerned
        assert matters.path is not None and matters.path.is_file()
        if fmt == "jsonl":
            assert output_ids(matters.path) == store_ids(emu, "matters")
    assert victim.read_text() == "precious"
    assert link.is_symlink()  # neither followed nor replaced


FOLDER_TARGETS = ["leanlaw", ".checkpoints", ".checkpoints/leanlaw"]


@pytest.mark.parametrize("target", FOLDER_TARGETS)
async def test_a_link_planted_at_a_folder_the_export_creates_is_refused(
    tmp_path: Path, target: str
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = tmp_path / "out"
    link = plant(out, target, elsewhere)
    async with Sandbox(vendors=["leanlaw"], records=10, seed=0) as sb:
        async with sb.client("leanlaw") as ll:
            result = await export(
                [
                    Job(client=ll, resource="clients"),
                    Job(client=ll, resource="matters", name="acct-b/matters"),
                ],
                out=out,
            )
    clients, other = result.jobs
    assert clients.status == "failed" and "symbolic link" in (clients.error or "")
    assert str(link) in (clients.error or "")
    if target != ".checkpoints":  # every job keeps its checkpoint there
        assert other.status == "done"
    assert list(elsewhere.iterdir()) == []  # nothing written through the link


async def test_a_resumed_part_file_swapped_for_a_link_or_a_hard_link_is_refused(
    tmp_path: Path,
) -> None:
    async with Sandbox(vendors=["leanlaw"], records=40, seed=3) as sb:
        async with sb.client("leanlaw", rate_limit="2/day") as ll:
            stopped = await export(
                [Job(client=ll, resource="clients")], out=tmp_path, page_size=10, max_quota_wait=1
            )
        assert stopped.jobs[0].status == "stopped"
        part = tmp_path / "leanlaw" / "clients.jsonl.part"
        victim = tmp_path.parent / f"{tmp_path.name}-victim.jsonl"
        victim.write_bytes(part.read_bytes())  # the same bytes: the digest would match
        precious = victim.read_bytes()
        for how in ("symlink", "hard link"):
            part.unlink()
            if how == "symlink":
                part.symlink_to(victim)
            else:
                os.link(victim, part)
            async with sb.client("leanlaw") as ll:
                result = await export(
                    [Job(client=ll, resource="clients")], out=tmp_path, page_size=10, resume=True
                )
            error = result.jobs[0].error or ""
            assert result.jobs[0].status == "failed", how
            assert error.startswith("UnsafePathError:"), error
            assert ("symbolic link" if how == "symlink" else "hard links") in error
            assert victim.read_bytes() == precious  # not truncated, not appended to
    victim.unlink()


# -- names -------------------------------------------------------------------------------------

BAD_NAMES: list[Any] = [
    "/etc/passwd",
    "../outside",
    "a/../../outside",
    "a/./b",
    "a\\..\\outside",
    "a\x00b",
    "",
    "a//b",
    "a/",
    ".checkpoints/x",
    ".",
    "..",
    ".hidden",
    "C:outside",
    "a:b",
    " a",
    "a ",
    "a\nb",
    "\ud800",
    "x" * 201,
    5,
    b"bytes",
]


@pytest.mark.parametrize("name", BAD_NAMES, ids=repr)
async def test_a_job_name_that_could_leave_out_is_refused_before_anything_runs(
    tmp_path: Path, name: Any
) -> None:
    async with Sandbox(vendors=["leanlaw"], records=5) as sb:
        async with sb.client("leanlaw") as ll:
            with pytest.raises(ConfigurationError) as info:
                Job(client=ll, resource="clients", name=name)
        assert isinstance(info.value, ValueError)  # existing callers catching ValueError
        assert sb.emulator("leanlaw").counters.total_requests == 0
    assert list(tmp_path.iterdir()) == []


class Renamed(LeanLaw):
    """A client whose vendor name (the default job name's first part) is not a plain name."""

    spec = attrs.evolve(LeanLaw.spec, name="../evil")


async def test_the_vendor_part_of_the_default_name_is_checked_too(tmp_path: Path) -> None:
    async with Sandbox(vendors=["leanlaw"], records=5) as sb:
        creds = sb.credentials("leanlaw")
        async with Renamed(**creds) as client:
            with pytest.raises(ConfigurationError, match="vendor name"):
                await export([Job(client=client, resource="clients")], out=tmp_path / "out")
        assert sb.emulator("leanlaw").counters.total_requests == 0
    assert not (tmp_path / "evil").exists()


async def test_plain_names_with_folders_and_unicode_work(tmp_path: Path) -> None:
    async with Sandbox(vendors=["leanlaw"], records=8, seed=0) as sb:
        async with sb.client("leanlaw") as ll:
            result = await export(
                [Job(client=ll, resource="clients", name="顧客/acct-1/clients 2026")],
                out=tmp_path,
            )
        assert result.ok
        path = tmp_path / "顧客" / "acct-1" / "clients 2026.jsonl"
        assert result.jobs[0].path == path
        assert output_ids(path) == store_ids(sb.emulator("leanlaw"), "clients")


# -- arguments ---------------------------------------------------------------------------------

BAD_OPTIONS: dict[str, dict[str, Any]] = {
    "unknown format": {"format": "xml"},
    "format not text": {"format": None},
    "concurrency 0": {"concurrency": 0},
    "concurrency negative": {"concurrency": -3},
    "concurrency text": {"concurrency": "8"},
    "concurrency bool": {"concurrency": True},
    "concurrency float": {"concurrency": 1.5},
    "page_size 0": {"page_size": 0},
    "page_size text": {"page_size": "10"},
    "resume text": {"resume": "yes"},
    "max_quota_wait negative": {"max_quota_wait": -1},
    "max_quota_wait nan": {"max_quota_wait": float("nan")},
    "max_quota_wait text": {"max_quota_wait": "5"},
    "on_progress not callable": {"on_progress": 5},
    "sink_factory not callable": {"sink_factory": "x"},
    "out not a path": {"out": 5},
    "out empty": {"out": ""},
}


@pytest.mark.parametrize("options", BAD_OPTIONS.values(), ids=BAD_OPTIONS.keys())
async def test_bad_export_arguments_are_configuration_errors(
    tmp_path: Path, options: dict[str, Any]
) -> None:
    async with Sandbox(vendors=["leanlaw"], records=5) as sb:
        async with sb.client("leanlaw") as ll:
            with pytest.raises(ConfigurationError) as info:
                await export([Job(client=ll, resource="clients")], **{"out": tmp_path, **options})
        assert isinstance(info.value, ValueError) and isinstance(info.value, VendorkitError)
        assert sb.emulator("leanlaw").counters.total_requests == 0


async def test_bad_jobs_are_configuration_errors(tmp_path: Path) -> None:
    async with Sandbox(vendors=["leanlaw"], records=5) as sb:
        async with sb.client("leanlaw") as ll:
            bad_jobs: list[Any] = [
                "clients",
                [object()],
                [Job(client=ll, resource="clients"), Job(client=ll, resource="clients")],
                # One file on a case-insensitive file system (macOS, Windows).
                [
                    Job(client=ll, resource="clients", name="A/x"),
                    Job(client=ll, resource="matters", name="a/X"),
                ],
                [Job(client=ll, resource="nonsense")],
            ]
            for jobs in bad_jobs:
                with pytest.raises(ConfigurationError):
                    await export(jobs, out=tmp_path)
            for kwargs in (
                {"client": "not a client", "resource": "clients"},
                {"client": ll, "resource": 5},
                {"client": ll, "resource": "../clients"},
                {"client": ll, "resource": "clients", "filters": ["x"]},
                {"client": ll, "resource": "clients", "filters": {1: "x"}},
            ):
                with pytest.raises(ConfigurationError):
                    Job(**kwargs)
            (tmp_path / "a-file").write_text("x")
            with pytest.raises(ConfigurationError, match="not a folder"):
                await export([Job(client=ll, resource="clients")], out=tmp_path / "a-file")
        assert sb.emulator("leanlaw").counters.total_requests == 0


# -- secrets -----------------------------------------------------------------------------------

SECRET = "job-api-key-S3CRET-c0ffee"


class LeakySink:
    """A caller's sink whose error repeats what it was given, credentials included."""

    async def open(self, resume_at: Any | None) -> None:
        pass

    async def write(self, records: Any) -> int:
        raise RuntimeError(f"database refused {{'Authorization': 'Bearer {SECRET}'}} {SECRET}")

    def position(self) -> Any:
        return 0

    async def commit(self) -> None:
        pass

    async def close(self) -> None:
        pass


async def test_no_secret_in_job_errors_progress_messages_logs_or_checkpoints(
    tmp_path: Path, raw_server: Any, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    caplog.set_level(logging.DEBUG, logger="vendorkit")

    def echo(request: bytes, n: int) -> bytes:
        auth = next(
            (line for line in request.split(b"\r\n") if line.lower().startswith(b"authorization")),
            b"",
        )
        if b"/v2/matters" in request.split(b"\r\n", 1)[0]:  # the credential in the status line
            return (
                b"HTTP/1.1 2" + auth.split(b":", 1)[-1].strip() + b" x\r\nContent-Length: 0\r\n\r\n"
            )
        body = b'{"data":[{"id":"1"}],"pagination":{"limit":1,"offset":0,"total":1}}'
        return http("200 OK", body)

    server = await raw_server(echo)
    events: list[Any] = []
    async with LeanLaw(api_key=SECRET, base_url=server.url, max_retries=2) as ll:
        result = await export(
            [
                Job(client=ll, resource="clients"),
                Job(client=ll, resource="matters"),
                Job(client=ll, resource="users", name="leaky/users"),
            ],
            out=tmp_path,
            on_progress=events.append,
            sink_factory=lambda path: LeakySink() if "leaky" in str(path) else CountingSink(),
        )
    assert any(SECRET.encode() in r for r in server.requests)  # sent, so it could leak
    assert [j.status for j in result.jobs] == ["done", "failed", "failed"]
    assert any(e.event == "retry" for e in events)
    shown = [j.error or "" for j in result.jobs] + [e.message for e in events]
    shown += [p.read_text() for p in tmp_path.rglob("*.json")]
    shown.append(caplog.text)
    assert not [text for text in shown if SECRET in text or "S3CRET" in text]
    assert "RuntimeError: database refused" in (result.jobs[2].error or "")


class CountingSink(LeakySink):
    async def write(self, records: Any) -> int:
        return len(records)


def test_an_out_folder_made_by_another_process_meanwhile_is_not_called_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Many workers start on one ``out=`` at once: one of them creates a folder on the way
    between another's "is it a folder?" and "is something there?". The second must take the
    folder, not refuse it as a file (a worker once failed its unit so, in CI). The other process
    is played by creating each folder right before the "is something there?" look."""
    from vendorkit.export import _files

    root = tmp_path / "a" / "b" / "out"
    real_lexists = os.path.lexists

    def another_process_made_it_first(path: Any) -> bool:
        with contextlib.suppress(FileExistsError, FileNotFoundError):
            os.mkdir(path)
        return real_lexists(path)

    monkeypatch.setattr(_files.os.path, "lexists", another_process_made_it_first)
    _files.ensure_root(root)
    monkeypatch.undo()
    assert root.is_dir()
    (tmp_path / "file").write_text("x")
    with pytest.raises(VendorkitError, match="is a file"):
        _files.ensure_root(tmp_path / "file" / "out")


def test_many_threads_making_the_same_out_folder_at_once_all_succeed(tmp_path: Path) -> None:
    """The same race for real: 16 threads per round create one deep ``out=`` together."""
    import threading

    from vendorkit.export import _files

    for round_ in range(20):
        root = tmp_path / str(round_) / "x" / "y" / "z"
        barrier = threading.Barrier(16)
        errors: list[BaseException] = []

        def make(
            root: Path = root,
            barrier: threading.Barrier = barrier,
            errors: list[BaseException] = errors,
        ) -> None:
            barrier.wait()
            try:
                _files.ensure_root(root)
            except BaseException as exc:  # collected, asserted below
                errors.append(exc)

        threads = [threading.Thread(target=make) for _ in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors
        assert root.is_dir()

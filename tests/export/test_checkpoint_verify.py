"""A checkpoint is verified against its output before a resume trusts it: a damaged, edited or
foreign one is refused with a message that says how to start over, never resumed into a gap or a
duplicate, and the other jobs of the export go on."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from vendorkit.errors import VendorkitError
from vendorkit.export import Checkpoint, CheckpointError, Job, UnsafePathError, export
from vendorkit.sandbox import Sandbox

from .conftest import output_ids, resealed, store_ids

Tamper = Callable[[dict[str, Any], Path], Any]


def honest(data: bytes, offset: int) -> dict[str, Any]:
    """The sink position a checkpoint would hold for the first ``offset`` bytes of ``data``."""
    prefix = data[:offset]
    return {
        "offset": offset,
        "lines": prefix.count(b"\n"),
        "sha256": hashlib.sha256(prefix).hexdigest(),
    }


def with_position(ck: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**ck, "sink_position": {**ck["sink_position"], **changes}}


def flip_a_byte(ck: dict[str, Any], part: Path) -> Any:
    data = bytearray(part.read_bytes())
    i = len(data) // 2
    data[i] = ord("X") if data[i] != ord("X") else ord("Y")
    part.write_bytes(bytes(data))
    return ck


def truncate(ck: dict[str, Any], part: Path) -> Any:
    part.write_bytes(part.read_bytes()[:-7])
    return ck


def same_length_other_content(ck: dict[str, Any], part: Path) -> Any:
    data = part.read_bytes()
    lines = data.count(b"\n")
    filler = b"".join(b'{"id":"x"}\n' for _ in range(lines))
    part.write_bytes((filler + b" " * len(data))[: len(data) - 1] + b"\n")
    return ck


def remove(ck: dict[str, Any], part: Path) -> Any:
    part.unlink()
    return ck


def mid_record(ck: dict[str, Any], part: Path) -> Any:
    """An offset inside a record, with a digest and counts that are honest for that prefix."""
    data = part.read_bytes()
    lines = data.split(b"\n")
    offset = sum(len(line) + 1 for line in lines[:14]) + 5
    position = honest(data, offset)
    return {**ck, "sink_position": position, "records": position["lines"], "bytes": offset}


def moved_back_one_record(ck: dict[str, Any], part: Path) -> Any:
    data = part.read_bytes()
    offset = data.rstrip(b"\n").rfind(b"\n") + 1  # the start of the last record
    return {**with_position(ck, offset=offset), "bytes": offset}


CASES: dict[str, Tamper] = {
    "offset moved by 5 bytes": lambda ck, p: {
        **with_position(ck, offset=ck["bytes"] - 5),
        "bytes": ck["bytes"] - 5,
    },
    "offset moved back one record": moved_back_one_record,
    "offset inside a record, honest digest": mid_record,
    "sink position 0 with records": lambda ck, p: {**ck, "sink_position": honest(b"", 0)},
    "sink position 0, an older format": lambda ck, p: {**ck, "sink_position": 0},
    "sink position a bare offset": lambda ck, p: {**ck, "sink_position": ck["bytes"]},
    "sink position null with records": lambda ck, p: {**ck, "sink_position": None},
    "records disagree": lambda ck, p: {**ck, "records": ck["records"] + 1},
    "bytes disagree": lambda ck, p: {**ck, "bytes": ck["bytes"] + 1},
    "one more line claimed everywhere": lambda ck, p: {
        **with_position(ck, lines=ck["records"] + 1),
        "records": ck["records"] + 1,
    },
    "part file changed since": flip_a_byte,
    "part file shortened": truncate,
    "part file replaced, same length": same_length_other_content,
    "part file gone": remove,
    "records as text": lambda ck, p: {**ck, "records": str(ck["records"])},
    "records negative": lambda ck, p: {**ck, "records": -1},
    "records as a float": lambda ck, p: {**ck, "records": float(ck["records"])},
    "pages null": lambda ck, p: {**ck, "pages": None},
    "pages 0 with records": lambda ck, p: {**ck, "pages": 0},
    "partition text": lambda ck, p: {**ck, "partition": "x"},
    "partition with a negative skip": lambda ck, p: {**ck, "partition": [{"skip": -1}]},
    "partition deeper than the resource": lambda ck, p: {**ck, "partition": [{"skip": 0}]},
    "resume offset moved back one page": lambda ck, p: {**ck, "resume": {"offset": 10}},
    "resume point dropped mid-partition": lambda ck, p: {**ck, "resume": None},
    "partition start dropped": lambda ck, p: {**ck, "partition_start": None},
    "partition complete with a resume point": lambda ck, p: {**ck, "partition_done": True},
    "partition counts above the job's": lambda ck, p: {**ck, "partition_pages": 3},
    "skipped parents not a list": lambda ck, p: {**ck, "skipped_parents": "x"},
    "resume a list": lambda ck, p: {**ck, "resume": [1, 2]},
    "resume offset text": lambda ck, p: {**ck, "resume": {"offset": "twenty"}},
    "resume offset a bool": lambda ck, p: {**ck, "resume": {"offset": True}},
    "page_size 0": lambda ck, p: {**ck, "page_size": 0},
    "done as text": lambda ck, p: {**ck, "done": "false"},
    "fingerprint a number": lambda ck, p: {**ck, "fingerprint": 5},
    "total negative": lambda ck, p: {**ck, "total": -1},
    "sink offset text": lambda ck, p: with_position(ck, offset=str(ck["bytes"])),
    "digest not a digest": lambda ck, p: with_position(ck, sha256="zz"),
    "no version (an older vendorkit)": lambda ck, p: {
        k: v for k, v in ck.items() if k != "version"
    },
    "a future version": lambda ck, p: {**ck, "version": 99},
    "an array": lambda ck, p: [ck],
    "null": lambda ck, p: None,
    "a number": lambda ck, p: 42,
    "job missing": lambda ck, p: {k: v for k, v in ck.items() if k != "job"},
}


async def stop_after_two_pages(sb: Sandbox, out: Path, fmt: str = "jsonl") -> None:
    async with sb.client("leanlaw", rate_limit="2/day") as ll:
        stopped = await export(
            [Job(client=ll, resource="clients")],
            out=out,
            format=fmt,
            page_size=10,
            max_quota_wait=1,
        )
    assert [j.status for j in stopped.jobs] == ["stopped"] and stopped.records == 20


def snapshot(*paths: Path) -> list[bytes | None]:
    return [p.read_bytes() if p.exists() else None for p in paths]


@pytest.mark.parametrize("sealed", [False, True], ids=["edited", "edited and sealed again"])
@pytest.mark.parametrize("tamper", CASES.values(), ids=CASES.keys())
async def test_a_checkpoint_that_does_not_verify_is_refused_and_the_others_go_on(
    tmp_path: Path, tamper: Tamper, sealed: bool
) -> None:
    """Every kind is refused as edited (the seal) and also when sealed again (the checks behind
    the seal: types, counts, the part file's length, lines and digest)."""
    async with Sandbox(vendors=["leanlaw"], records=40, seed=3) as sb:
        emu = sb.emulator("leanlaw")
        await stop_after_two_pages(sb, tmp_path)
        ck_path = tmp_path / ".checkpoints" / "leanlaw" / "clients.jsonl.json"
        part = tmp_path / "leanlaw" / "clients.jsonl.part"
        edited = tamper(json.loads(ck_path.read_text()), part)
        ck_path.write_text(json.dumps(resealed(edited) if sealed else edited))
        evidence = snapshot(ck_path, part)
        emu.counters.clear()
        async with sb.client("leanlaw") as ll:
            jobs = [Job(client=ll, resource="clients"), Job(client=ll, resource="matters")]
            result = await export(jobs, out=tmp_path, page_size=10, resume=True)
            clients, matters = result.jobs
            error = clients.error or ""
            assert clients.status == "failed", clients
            assert error.startswith("CheckpointError:"), error
            # The message says how to start over.
            assert str(ck_path) in error
            assert "delete that checkpoint" in error and "without resume" in error
            assert matters.status == "done"  # one damaged job never stops the others
            assert snapshot(ck_path, part) == evidence  # left as it was, for a human to see
            assert emu.counters.requests.get("GET /v2/clients", 0) == 0
            # The way out the message names: delete the checkpoint, resume the rest.
            ck_path.unlink()
            again = await export(jobs, out=tmp_path, page_size=10, resume=True)
        assert [j.status for j in again.jobs] == ["done", "skipped"], again.jobs
        ids = output_ids(tmp_path / "leanlaw" / "clients.jsonl")
        assert ids == store_ids(emu, "clients") and max(ids.values()) == 1


@pytest.mark.parametrize("moved_to", [10, 30], ids=["one page back", "one page ahead"])
async def test_a_moved_resume_offset_is_refused_not_resumed_into_a_duplicate_or_gap(
    tmp_path: Path, moved_to: int
) -> None:
    """(From the review of issue 8.) The resume point was taken on trust: moved back one page it
    gave 50 records of 40, moved ahead 30, and the job ended ``done``."""
    async with Sandbox(vendors=["leanlaw"], records=40, seed=3) as sb:
        emu = sb.emulator("leanlaw")
        await stop_after_two_pages(sb, tmp_path)  # 20 records written, resume at offset 20
        ck_path = tmp_path / ".checkpoints" / "leanlaw" / "clients.jsonl.json"
        ck = json.loads(ck_path.read_text())
        assert ck["records"] == 20 and ck["resume"] == {"offset": 20}, ck
        ck_path.write_text(json.dumps({**ck, "resume": {"offset": moved_to}}))
        async with sb.client("leanlaw") as ll:
            result = await export(
                [Job(client=ll, resource="clients")], out=tmp_path, page_size=10, resume=True
            )
        job = result.jobs[0]
        if job.status == "failed":
            assert (job.error or "").startswith("CheckpointError:"), job.error
            return
        ids = output_ids(tmp_path / "leanlaw" / "clients.jsonl")
        assert ids == store_ids(emu, "clients"), (
            f"job {job.status} with {sum(ids.values())} records for "
            f"{len(store_ids(emu, 'clients'))} held; duplicated: "
            f"{sum(1 for n in ids.values() if n > 1)}"
        )


def _move_page(by: int) -> Tamper:
    return lambda ck, p: {**ck, "resume": {**ck["resume"], "page": ck["resume"]["page"] + by}}


def _drop_cursor(ck: dict[str, Any], part: Path) -> Any:
    """The resume link without its cursor: the list's first page again (a duplicate)."""
    url = ck["resume"]["url"]
    assert "cursor=" in url, url
    return {**ck, "resume": {"url": url.split("&cursor=")[0]}}


def _parent_back(ck: dict[str, Any], part: Path) -> Any:
    """The parent cursor moved back one website: its sessions would be exported twice."""
    (level,) = ck["partition"]
    assert level["skip"] >= 1, ck["partition"]
    return {**ck, "partition": [{**level, "skip": level["skip"] - 1}]}


def _parent_resume(ck: dict[str, Any], part: Path) -> Any:
    (level,) = ck["partition"]
    return {**ck, "partition": [{**level, "resume": {"url": level["resume"]["url"] + "?x=1"}}]}


# vendor, resource, quota that stops it mid-walk, edit, whether the checks behind the seal
# catch it too (page numbers: yes; links, cursors and parent positions: only the seal can).
STYLES = {
    "page number one back": ("leaddesk", "contacts", "3/day", _move_page(-1), True),
    "page number one ahead": ("leaddesk", "contacts", "3/day", _move_page(+1), True),
    "next link without its cursor": ("leady", "companies", "2/day", _drop_cursor, False),
    "parent position one back": ("leady", "sessions", "4/day", _parent_back, False),
    "parent page's link changed": ("leady", "sessions", "4/day", _parent_resume, False),
}


STYLE_CASES = [
    pytest.param(style, sealed, id=f"{name}, {'edited and sealed again' if sealed else 'edited'}")
    for name, style in STYLES.items()
    for sealed in ([False, True] if style[4] else [False])
]


@pytest.mark.parametrize(("style", "sealed"), STYLE_CASES)
async def test_a_moved_resume_point_is_refused_in_every_pagination_style(
    tmp_path: Path, style: tuple[str, str, str, Tamper, bool], sealed: bool
) -> None:
    vendor, resource, quota, tamper, _ = style
    async with Sandbox(vendors=[vendor], records=40, seed=3) as sb:
        emu = sb.emulator(vendor)
        async with sb.client(vendor, rate_limit=quota) as client:
            stopped = await export(
                [Job(client=client, resource=resource)], out=tmp_path, page_size=5, max_quota_wait=1
            )
        assert stopped.jobs[0].status == "stopped" and stopped.records > 0, stopped.jobs
        ck_path = tmp_path / ".checkpoints" / vendor / f"{resource}.jsonl.json"
        edited = tamper(json.loads(ck_path.read_text()), ck_path)
        ck_path.write_text(json.dumps(resealed(edited) if sealed else edited))
        evidence = snapshot(ck_path)
        async with sb.client(vendor) as client:
            job = Job(client=client, resource=resource)
            refused = await export([job], out=tmp_path, page_size=5, resume=True)
            error = refused.jobs[0].error or ""
            assert refused.jobs[0].status == "failed", refused.jobs
            assert error.startswith("CheckpointError:") and "delete that checkpoint" in error
            assert snapshot(ck_path) == evidence
            ck_path.unlink()
            again = await export([job], out=tmp_path, page_size=5, resume=True)
        assert again.ok, again.jobs
        ids = output_ids(tmp_path / vendor / f"{resource}.jsonl")
        assert ids == store_ids(emu, resource) and max(ids.values()) == 1


async def test_exporting_without_resume_starts_a_refused_job_over(tmp_path: Path) -> None:
    async with Sandbox(vendors=["leanlaw"], records=40, seed=3) as sb:
        await stop_after_two_pages(sb, tmp_path, fmt="csv")
        part = tmp_path / "leanlaw" / "clients.csv.jsonl.part"
        flip_a_byte({}, part)
        async with sb.client("leanlaw") as ll:
            job = Job(client=ll, resource="clients")
            refused = await export([job], out=tmp_path, format="csv", page_size=10, resume=True)
            assert refused.jobs[0].status == "failed"
            assert "content changed" in (refused.jobs[0].error or "")
            fresh = await export([job], out=tmp_path, format="csv", page_size=10)
        assert fresh.ok and fresh.records == 40
        with open(tmp_path / "leanlaw" / "clients.csv", encoding="utf-8") as fh:
            assert len(fh.read().splitlines()) == 41


async def test_bytes_after_the_last_checkpoint_are_cut_off_not_refused(tmp_path: Path) -> None:
    """A page written after the last checkpoint (the process died before saving it) is the
    normal case a resume repairs: it is cut off and fetched again, once."""
    async with Sandbox(vendors=["leanlaw"], records=40, seed=3) as sb:
        await stop_after_two_pages(sb, tmp_path)
        part = tmp_path / "leanlaw" / "clients.jsonl.part"
        with open(part, "ab") as fh:
            fh.write(b'{"id":"half a page that was never checkpoin')
        async with sb.client("leanlaw") as ll:
            result = await export(
                [Job(client=ll, resource="clients")], out=tmp_path, page_size=10, resume=True
            )
        assert result.ok
        ids = output_ids(tmp_path / "leanlaw" / "clients.jsonl")
        assert ids == store_ids(sb.emulator("leanlaw"), "clients") and max(ids.values()) == 1


class CountingSink:
    """A caller's sink whose position is how many records it holds."""

    def __init__(self) -> None:
        self.records: list[Any] = []

    async def open(self, resume_at: Any | None) -> None:
        pass

    async def write(self, records: Any) -> int:
        self.records.extend(records)
        return len(records)

    def position(self) -> Any:
        return len(self.records)

    async def commit(self) -> None:
        pass

    async def close(self) -> None:
        pass


async def test_a_custom_sinks_checkpoint_without_a_position_is_refused(tmp_path: Path) -> None:
    async with Sandbox(vendors=["leanlaw"], records=40, seed=3) as sb:
        async with sb.client("leanlaw", rate_limit="2/day") as ll:
            stopped = await export(
                [Job(client=ll, resource="clients")],
                out=tmp_path,
                page_size=10,
                max_quota_wait=1,
                sink_factory=lambda path: CountingSink(),
            )
        assert stopped.jobs[0].status == "stopped"
        ck_path = tmp_path / ".checkpoints" / "leanlaw" / "clients.jsonl.json"
        ck = json.loads(ck_path.read_text())
        assert ck["sink_position"] == 20
        ck_path.write_text(json.dumps(resealed({**ck, "sink_position": None})))
        async with sb.client("leanlaw") as ll:
            result = await export(
                [Job(client=ll, resource="clients")],
                out=tmp_path,
                page_size=10,
                resume=True,
                sink_factory=lambda path: CountingSink(),
            )
        assert result.jobs[0].status == "failed"
        assert "no output position" in (result.jobs[0].error or "")


# -- Checkpoint.load on whatever is in its place -------------------------------------------------


def test_load_refuses_what_is_not_a_checkpoint_file(tmp_path: Path) -> None:
    path = tmp_path / "ck.json"
    assert Checkpoint.load(path) is None  # none there: the job starts

    path.write_bytes(b"")  # a write torn by a power loss: start over
    assert Checkpoint.load(path) is None
    path.write_bytes(b'{"job": "x", "reco')
    assert Checkpoint.load(path) is None
    path.write_bytes(b"\xff\xfe not UTF-8")
    assert Checkpoint.load(path) is None

    path.write_bytes(b"[" * 100_000 + b"]" * 100_000)
    with pytest.raises(CheckpointError, match="nested"):
        Checkpoint.load(path)
    path.write_bytes(b'{"job": "' + b"x" * (5 << 20) + b'"}')
    with pytest.raises(CheckpointError, match="larger"):
        Checkpoint.load(path)
    path.unlink()

    victim = tmp_path / "victim.json"
    victim.write_text(json.dumps(Checkpoint(job="x").to_json()))
    path.symlink_to(victim)
    with pytest.raises(UnsafePathError, match="symbolic link"):
        Checkpoint.load(path)
    path.unlink()

    path.mkdir()
    with pytest.raises(VendorkitError):
        Checkpoint.load(path)
    path.rmdir()

    os.mkfifo(path)  # opening a FIFO for reading would wait for a writer forever
    with pytest.raises(UnsafePathError, match="special file"):
        Checkpoint.load(path)

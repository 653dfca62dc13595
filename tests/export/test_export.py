"""Bulk exports against the sandbox: exactly once under faults, resumable, quota-aware."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from vendorkit.export import Job, Progress, export, exportable_resources
from vendorkit.sandbox import FaultProfile, Sandbox

from .conftest import output_ids, read_jsonl, store_ids

READ_FAULTS = FaultProfile(
    rate=0.15,
    kinds=("502", "503", "504", "429", "html", "drop_before", "drop_after", "truncated", "slow"),
    retry_after=0.05,
    slow_seconds=0.05,
    seed=7,
)


async def test_every_record_exactly_once_under_faults(tmp_path: Path) -> None:
    async with Sandbox(vendors=["leanlaw"], records=180, seed=3, faults=READ_FAULTS) as sb:
        async with sb.client("leanlaw", max_retries=12) as ll:
            jobs = [Job(client=ll, resource=name) for name in ("clients", "time_entries")]
            result = await export(jobs, out=tmp_path, concurrency=4, page_size=16)
        emu = sb.emulator("leanlaw")
        assert result.ok, [j.error for j in result.jobs]
        assert sum(j.retries for j in result.jobs) > 0  # the faults were really met
        for job in result.jobs:
            assert job.path is not None and job.path.name.endswith(".jsonl")
            ids = output_ids(job.path)
            assert ids == store_ids(emu, job.resource)
            assert max(ids.values()) == 1
            assert job.records == sum(ids.values())
        assert sum(emu.counters.faults.values()) > 0


async def test_every_resource_of_a_vendor_with_relations(tmp_path: Path) -> None:
    async with Sandbox(vendors=["leady"], records=60, seed=1) as sb:
        async with sb.client("leady") as ld:
            names = exportable_resources(ld)
            assert {"companies", "persons", "resources"} <= set(names)
            result = await export(
                [Job(client=ld, resource=n) for n in names], out=tmp_path, concurrency=6
            )
        assert result.ok, [(j.job, j.error) for j in result.jobs]
        emu = sb.emulator("leady")
        for name in ("companies", "persons"):
            assert output_ids(tmp_path / "leady" / f"{name}.jsonl") == store_ids(emu, name)


async def test_raw_json_lines_keep_every_field(tmp_path: Path) -> None:
    async with Sandbox(vendors=["leanlaw"], records=10, seed=0) as sb:
        emu = sb.emulator("leanlaw")
        first = next(iter(emu.store["clients"].values()))
        first["someFutureField"] = {"nested": [1, 2]}
        async with sb.client("leanlaw") as ll:
            await export([Job(client=ll, resource="clients")], out=tmp_path)
    lines = read_jsonl(tmp_path / "leanlaw" / "clients.jsonl")
    exported = next(r for r in lines if r["id"] == first["id"])
    assert exported["someFutureField"] == {"nested": [1, 2]}


async def test_csv_has_stable_flattened_columns(tmp_path: Path) -> None:
    import csv

    async with Sandbox(vendors=["leanlaw"], records=30, seed=0) as sb:
        async with sb.client("leanlaw") as ll:
            result = await export(
                [Job(client=ll, resource="clients")], out=tmp_path, format="csv", page_size=7
            )
        with open(tmp_path / "leanlaw" / "clients.csv", newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        assert len(rows) == 30 == result.records
        assert {r["id"] for r in rows} == set(sb.emulator("leanlaw").store["clients"])


async def test_cancelled_export_resumes_without_duplicates(tmp_path: Path) -> None:
    slow = FaultProfile(rate=1.0, kinds=("slow",), slow_seconds=0.02)
    async with Sandbox(vendors=["leanlaw"], records=150, seed=2, faults=slow) as sb:
        pages_seen = asyncio.Event()
        count = 0

        def on_progress(event: Progress) -> None:
            nonlocal count
            if event.event == "page":
                count += 1
                if count == 3:
                    pages_seen.set()

        async with sb.client("leanlaw") as ll:
            job = Job(client=ll, resource="clients")
            task = asyncio.create_task(
                export([job], out=tmp_path, page_size=10, concurrency=1, on_progress=on_progress)
            )
            await pages_seen.wait()
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            final = tmp_path / "leanlaw" / "clients.jsonl"
            assert not final.exists()  # nothing half-written under the real name
            assert (tmp_path / ".checkpoints" / "leanlaw" / "clients.jsonl.json").exists()
            requests_before = sb.emulator("leanlaw").counters.total_requests

            result = await export([job], out=tmp_path, page_size=10, resume=True)
        assert result.ok
        emu = sb.emulator("leanlaw")
        assert output_ids(final) == store_ids(emu, "clients")
        # The resumed run did not start over: 15 pages in all, at least 3 were done before.
        assert emu.counters.total_requests - requests_before <= 13


async def test_a_crash_between_checkpoints_loses_no_record_and_repeats_none(
    tmp_path: Path,
) -> None:
    """Checkpoints are written at most every ``CHECKPOINT_INTERVAL`` while a job walks, so a
    process killed between two holds output beyond its checkpoint. The directory as such a
    crash leaves it (copied from inside the run, mid-walk) resumes to every record exactly
    once: the output is cut back to the checkpoint's position."""
    import shutil

    crashed = tmp_path / "crashed"
    async with Sandbox(vendors=["leanlaw"], records=120, seed=4) as sb:
        count = 0

        def on_progress(event: Progress) -> None:
            nonlocal count
            if event.event == "page":
                count += 1
                if count == 6:  # what a SIGKILL here would leave on disk
                    shutil.copytree(tmp_path / "run", crashed)

        async with sb.client("leanlaw") as ll:
            job = Job(client=ll, resource="clients")
            done = await export(
                [job], out=tmp_path / "run", page_size=10, concurrency=1, on_progress=on_progress
            )
            assert done.ok and count == 12
            part = crashed / "leanlaw" / "clients.jsonl.part"
            assert len(read_jsonl(part)) == 60  # written beyond the (older) checkpoint
            result = await export([job], out=crashed, page_size=10, resume=True)
        assert result.ok
        final = crashed / "leanlaw" / "clients.jsonl"
        assert output_ids(final) == store_ids(sb.emulator("leanlaw"), "clients")
        assert len(read_jsonl(final)) == 120


async def test_daily_budget_stops_cleanly_and_resumes(tmp_path: Path) -> None:
    async with Sandbox(vendors=["leanlaw"], records=100, seed=5) as sb:
        events: list[Progress] = []
        async with sb.client("leanlaw", rate_limit="4/day") as ll:
            job = Job(client=ll, resource="clients")
            result = await export(
                [job], out=tmp_path, page_size=10, on_progress=events.append, max_quota_wait=1
            )
        assert [j.status for j in result.jobs] == ["stopped"]
        assert any(e.event == "plan" for e in events)  # said so up front
        assert result.jobs[0].records == 40
        assert sb.emulator("leanlaw").counters.throttled == 0  # waited on our side, no 429s

        async with sb.client("leanlaw", rate_limit=None) as ll:
            result = await export(
                [Job(client=ll, resource="clients")], out=tmp_path, page_size=10, resume=True
            )
        assert result.ok
        ids = output_ids(tmp_path / "leanlaw" / "clients.jsonl")
        assert ids == store_ids(sb.emulator("leanlaw"), "clients")


async def test_one_concurrency_bound_across_vendors(tmp_path: Path) -> None:
    in_flight = 0
    peak = 0

    async with Sandbox(vendors=["leanlaw", "leady"], records=80, seed=0) as sb:

        async def on_request(info: Any) -> None:
            nonlocal in_flight, peak
            in_flight += 1
            peak = max(peak, in_flight)

        async def on_response(info: Any, *rest: Any) -> None:
            nonlocal in_flight
            in_flight -= 1

        clients = [
            sb.client(v, on_request=on_request, on_response=on_response)
            for v in ("leanlaw", "leady")
        ]
        async with clients[0] as ll, clients[1] as ld:
            jobs = [Job(client=ll, resource=n) for n in exportable_resources(ll)]
            jobs += [Job(client=ld, resource=n) for n in ("companies", "persons")]
            result = await export(jobs, out=tmp_path, concurrency=3, page_size=10)
        assert result.ok
        assert 1 <= peak <= 3


class ListSink:
    """A user's own sink: records into a list, the position being how many are durable."""

    def __init__(self, store: dict[str, list[dict[str, Any]]], path: Path) -> None:
        self.records = store.setdefault(f"{path.parent.name}/{path.name}", [])
        self.committed = False

    async def open(self, resume_at: Any | None) -> None:
        if resume_at is not None:
            del self.records[int(resume_at) :]

    async def write(self, records: Any) -> int:
        self.records.extend(records)
        return len(records)

    def position(self) -> Any:
        return len(self.records)

    async def commit(self) -> None:
        self.committed = True

    async def close(self) -> None:
        pass


async def test_two_accounts_filters_and_a_custom_sink(tmp_path: Path) -> None:
    collected: dict[str, list[dict[str, Any]]] = {}
    async with (
        Sandbox(vendors=["leanlaw"], records=30, seed=1) as one,
        Sandbox(vendors=["leanlaw"], records=20, seed=2) as two,
    ):
        store_one = one.emulator("leanlaw").store
        client_id = next(iter(store_one["clients"]))
        async with one.client("leanlaw") as a, two.client("leanlaw") as b:
            jobs = [
                Job(client=a, resource="clients", name="acct-a/clients"),
                Job(client=b, resource="clients", name="acct-b/clients"),
                Job(
                    client=a,
                    resource="matters",
                    filters={"clientId": client_id},
                    name="acct-a/matters-of-one-client",
                ),
            ]
            result = await export(
                jobs, out=tmp_path, sink_factory=lambda path: ListSink(collected, path)
            )
        assert result.ok
        assert {r["id"] for r in collected["acct-a/clients.jsonl"]} == set(store_one["clients"])
        assert {r["id"] for r in collected["acct-b/clients.jsonl"]} == set(
            two.emulator("leanlaw").store["clients"]
        )
        expected = {m["id"] for m in store_one["matters"].values() if m["clientId"] == client_id}
        assert expected
        assert {m["id"] for m in collected["acct-a/matters-of-one-client.jsonl"]} == expected


ALL_FAULTS = FaultProfile(
    rate=0.08,
    kinds=("502", "503", "504", "429", "html", "drop_before", "drop_after", "truncated", "slow"),
    retry_after=0.05,
    slow_seconds=0.05,
    seed=11,
)


async def test_every_resource_of_every_vendor_exactly_once_under_faults(tmp_path: Path) -> None:
    vendors = ["makeleaps", "leady", "leaddesk", "leanlaw"]
    async with Sandbox(
        vendors=vendors,
        records=45,
        seed=8,
        faults=ALL_FAULTS,
        quotas=dict.fromkeys(vendors),
    ) as sb:
        clients = [sb.client(v, max_retries=15) for v in vendors]
        try:
            jobs = []
            for client in clients:
                await client.__aenter__()
                jobs += [Job(client=client, resource=n) for n in exportable_resources(client)]
            result = await export(jobs, out=tmp_path, concurrency=8, page_size=10)
        finally:
            for client in clients:
                await client.aclose()
        assert result.ok, [(j.job, j.error) for j in result.jobs if j.status != "done"]
        assert sum(j.retries for j in result.jobs) > 0
        for job in result.jobs:
            assert job.path is not None
            ids = output_ids(job.path)
            assert max(ids.values(), default=1) == 1, job.job
            assert ids == store_ids(sb.emulator(job.vendor), job.resource), job.job

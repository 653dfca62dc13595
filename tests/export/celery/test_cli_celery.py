"""``vendorkit export --accounts accounts.toml --out DIR --engine celery`` as a user runs it: the
command (a real subprocess, with no credential in its environment) submits to real workers,
prints the summary grouped by account and exits 0; a unit no worker can run (its variables are
missing) makes it exit 1 with a line naming the variable."""

from __future__ import annotations

import json
from pathlib import Path

import redis.asyncio as aioredis

from tests._redis_url import REDIS_URL
from tests.test_cli import run_split
from vendorkit.sandbox import Sandbox

from ..conftest import output_ids, store_ids
from .test_engine import Worker, env_for, killed_at_exit, redis_db, start_worker, worker_env

__all__ = ["redis_db"]

ACCOUNTS = """
[[account]]
name = "firm-a"
vendor = "leanlaw"
env_prefix = "FIRM_A_"
resources = ["clients", "matters"]

[[account]]
name = "firm-b"
vendor = "leanlaw"
env_prefix = "FIRM_B_"
resources = ["clients"]
"""


async def test_the_command_submits_to_workers_and_sums_up_by_account(
    tmp_path: Path, redis_db: aioredis.Redis
) -> None:
    (tmp_path / "accounts.toml").write_text(ACCOUNTS, encoding="utf-8")
    out = tmp_path / "out"
    async with (
        Sandbox(vendors=["leanlaw"], records=9, seed=1) as a,
        Sandbox(vendors=["leanlaw"], records=7, seed=2) as b,
    ):
        # The workers know firm-a only: firm-b's unit fails on them, with its reason.
        credentials = env_for("FIRM_A_", a, "leanlaw")
        workers: list[Worker] = []
        async with killed_at_exit(workers):
            for i in range(2):
                workers.append(await start_worker(f"cli{i + 1}", worker_env(credentials), tmp_path))
            env = worker_env({})  # the submitter holds no credential at all
            env["VENDORKIT_BROKER_URL"] = REDIS_URL
            code, text, err = await _export(tmp_path, out, env)
            # The same run for a script: the summary as one JSON object, all of stdout.
            json_out = tmp_path / "json-out"
            json_code, json_text, json_err = await _export(tmp_path, json_out, env, "--json")
        assert code == 1, (text, err, [w.output() for w in workers])
        for resource in ("clients", "matters"):
            got = output_ids(out / "firm-a" / f"{resource}.jsonl")
            assert got == store_ids(a.emulator("leanlaw"), resource)
        # Off a terminal: one plain line per job, each starting with its account, grouped.
        lines = [x for x in text.splitlines() if x.startswith(("firm-a ", "firm-b "))]
        accounts = [x.split()[0] for x in lines]
        assert accounts == sorted(accounts) and set(accounts) == {"firm-a", "firm-b"}
        assert "firm-b leanlaw clients: failed" in text
        assert "error: firm-b/clients failed: " in err and "FIRM_B_API_KEY (firm-b)" in err
        assert "Traceback" not in text + err
        assert b.emulator("leanlaw").counters.total_requests == 0

        assert json_code == 1, (json_text, json_err)
        summary = json.loads(json_text)
        assert summary["ok"] is False and summary["out"] == str(json_out)
        statuses = {(j["account"], j["resource"]): j["status"] for j in summary["jobs"]}
        assert statuses == {
            ("firm-a", "clients"): "done",
            ("firm-a", "matters"): "done",
            ("firm-b", "clients"): "failed",
        }
        for job in summary["jobs"]:
            if job["status"] == "done":
                assert output_ids(Path(job["path"])) == store_ids(
                    a.emulator("leanlaw"), job["resource"]
                )
                assert job["records"] == len(output_ids(Path(job["path"])))
            else:
                assert "FIRM_B_API_KEY (firm-b)" in job["error"]
        assert summary["records"] == sum(j["records"] for j in summary["jobs"])
        assert "error: firm-b/clients failed: " in json_err and "Traceback" not in json_err


async def _export(
    tmp_path: Path, out: Path, env: dict[str, str], *options: str
) -> tuple[int | None, str, str]:
    return await run_split(
        "export",
        "--accounts",
        str(tmp_path / "accounts.toml"),
        "--out",
        str(out),
        "--engine",
        "celery",
        *options,
        env=env,
        timeout=150,
    )

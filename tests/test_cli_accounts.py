"""``vendorkit export --accounts accounts.toml --out DIR`` on the local engine, run as a real
subprocess: every account to ``DIR/<account>/``, the summary grouped by account, one-line errors
for a bad file or a missing variable (before anything starts), and no account's credential in
anything the command shows."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from vendorkit.sandbox import Sandbox

from .client._raw import http, raw_server
from .export.conftest import output_ids, store_ids
from .test_cli import clean_env, run_split

__all__ = ["raw_server"]

ACCOUNTS = """
[[account]]
name = "acme-invoicing"
vendor = "makeleaps"
env_prefix = "ACME_ML_"
resources = ["clients", "documents"]

[[account]]
name = "smith-law"
vendor = "leanlaw"
env_prefix = "SMITH_LL_"
resources = ["clients", "matters"]
"""


def account_env(sb: Sandbox, **prefixes: str) -> dict[str, str]:
    env = clean_env()
    for vendor, prefix in prefixes.items():
        for key, value in sb.credentials(vendor).items():
            if isinstance(value, str):
                env[f"{prefix}{key.upper()}"] = value
    return env


async def test_every_account_is_exported_and_summed_up_by_account(tmp_path: Path) -> None:
    (tmp_path / "accounts.toml").write_text(ACCOUNTS, encoding="utf-8")
    out = tmp_path / "out"
    async with Sandbox(vendors=["makeleaps", "leanlaw"], records=10) as sb:
        env = account_env(sb, makeleaps="ACME_ML_", leanlaw="SMITH_LL_")
        code, stdout, err = await run_split(
            "export", "--accounts", str(tmp_path / "accounts.toml"), "--out", str(out), env=env
        )
        assert code == 0, (stdout, err)
        for account, vendor in (("acme-invoicing", "makeleaps"), ("smith-law", "leanlaw")):
            for resource in ("clients",):
                got = output_ids(out / account / f"{resource}.jsonl")
                assert got == store_ids(sb.emulator(vendor), resource)
        assert (out / "smith-law" / "matters.jsonl").exists()
        assert "acme-invoicing" in stdout and "smith-law" in stdout
        for secret in (
            sb.credentials("makeleaps")["client_secret"],
            sb.credentials("leanlaw")["api_key"],
        ):
            assert secret not in stdout + err
        # --resume: each file is already complete, nothing is fetched again.
        before = sb.emulator("leanlaw").counters.total_requests
        code, stdout, err = await run_split(
            "export",
            "--accounts",
            str(tmp_path / "accounts.toml"),
            "--out",
            str(out),
            "--resume",
            env=env,
        )
        assert code == 0, (stdout, err)
        assert sb.emulator("leanlaw").counters.total_requests == before


async def test_a_missing_variable_is_one_line_before_anything_starts(tmp_path: Path) -> None:
    (tmp_path / "accounts.toml").write_text(ACCOUNTS, encoding="utf-8")
    async with Sandbox(vendors=["makeleaps", "leanlaw"], records=5) as sb:
        env = account_env(sb, makeleaps="ACME_ML_", leanlaw="SMITH_LL_")
        env["SMITH_LL_API_KEY"] = ""
        code, stdout, err = await run_split(
            "export",
            "--accounts",
            str(tmp_path / "accounts.toml"),
            "--out",
            str(tmp_path / "out"),
            env=env,
        )
        assert code == 2, (stdout, err)
        assert err.strip() == "error: environment variable is not set: SMITH_LL_API_KEY (smith-law)"
        assert sb.emulator("makeleaps").counters.total_requests == 0
        assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


async def test_a_bad_accounts_file_or_both_ways_at_once_is_a_usage_error(tmp_path: Path) -> None:
    bad = tmp_path / "accounts.toml"
    bad.write_text('[[account]]\nname = "x"\nvendor = "makeleap"\nenv_prefix = "X_"\n')
    code, _, err = await run_split("export", "--accounts", str(bad), "--out", str(tmp_path))
    assert code == 2 and "unknown vendor 'makeleap'" in err and len(err.strip().splitlines()) == 1
    code, _, err = await run_split(
        "export", "leanlaw", "--accounts", str(bad), "--out", str(tmp_path)
    )
    assert code == 2 and "not both" in err
    code, _, err = await run_split("export", "--out", str(tmp_path))
    assert code == 2 and "--accounts" in err
    code, _, err = await run_split(
        "export", "leanlaw", "--engine", "celery", "--out", str(tmp_path)
    )
    assert code == 2 and "use it with --accounts" in err
    code, _, err = await run_split(
        "export", "--accounts", str(tmp_path / "none.toml"), "--out", str(tmp_path)
    )
    assert code == 2 and "cannot be read" in err and "Traceback" not in err


async def test_an_accounts_credential_echoed_by_a_server_is_never_shown(
    tmp_path: Path, raw_server: Any
) -> None:
    """The account's key is no VENDORKIT_ variable: the command still knows it is a secret."""
    key = "acct-key-S3CRET-91c4"

    def echo(request: bytes, n: int) -> bytes:
        return http(
            "500 Internal Server Error",
            json.dumps({"message": f"rejected Authorization: Bearer {key}"}).encode(),
        )

    server = await raw_server(echo)
    (tmp_path / "accounts.toml").write_text(
        '[[account]]\nname = "firm"\nvendor = "leanlaw"\nenv_prefix = "FIRM_"\n'
        'resources = ["clients"]\n',
        encoding="utf-8",
    )
    env = clean_env(FIRM_API_KEY=key, FIRM_BASE_URL=server.url, VENDORKIT_LOG="debug")
    code, stdout, err = await run_split(
        "export",
        "--accounts",
        str(tmp_path / "accounts.toml"),
        "--out",
        str(tmp_path / "o"),
        env=env,
    )
    assert code == 1, (stdout, err)
    assert key in server.requests[0].decode("latin-1")
    checkpoints = [p.read_text(errors="replace") for p in tmp_path.rglob("*.json")]
    everything = "\n".join([stdout, err, *checkpoints])
    assert key not in everything and "S3CRET" not in everything
    assert "firm/clients failed" in err

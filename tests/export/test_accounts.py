"""Multi-account exports, local engine: ``accounts.toml`` read and checked (every mistake a
one-line ``ConfigurationError``), each account's credentials from its ``env_prefix``, every
missing variable named before anything starts, and every account of all four vendors exported to
``DIR/<account>/<resource>.jsonl``, each record exactly once, against sandboxes of their own."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import attrs
import pytest

from vendorkit.errors import ConfigurationError
from vendorkit.export import Account, export_accounts, load_accounts, parse_accounts
from vendorkit.export._accounts import account_client, check_environment
from vendorkit.sandbox import Sandbox

from .conftest import output_ids, store_ids

FIELDS = {
    "makeleaps": ("client_id", "client_secret"),
    "leady": ("token",),
    "leaddesk": ("client_id", "client_secret", "username", "password"),
    "leanlaw": ("api_key",),
}


def env_for(prefix: str, sb: Sandbox, vendor: str) -> dict[str, str]:
    """The variables an account with ``env_prefix=prefix`` reads, for this sandbox's vendor."""
    creds = sb.credentials(vendor)
    return {f"{prefix}{k.upper()}": str(v) for k, v in creds.items() if isinstance(v, str)}


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "accounts.toml"
    path.write_text(text, encoding="utf-8")
    return path


GOOD = """
[[account]]
name = "acme-invoicing"
vendor = "makeleaps"
env_prefix = "ACME_ML_"
resources = ["documents", "clients"]

[[account]]
name = "smith_law"
vendor = "leanlaw"
env_prefix = "SMITH_LL_"
"""


def test_accounts_are_read_with_their_resources(tmp_path: Path) -> None:
    ml, ll = load_accounts(write(tmp_path, GOOD))
    assert ml == Account(
        name="acme-invoicing",
        vendor="makeleaps",
        env_prefix="ACME_ML_",
        resources=("documents", "clients"),
    )
    assert (ll.name, ll.vendor, ll.resources) == ("smith_law", "leanlaw", None)
    # What a task message would carry: the declaration, nothing secret.
    assert ml.as_dict() == {
        "name": "acme-invoicing",
        "vendor": "makeleaps",
        "env_prefix": "ACME_ML_",
        "resources": ["documents", "clients"],
    }
    assert [n for n, required in ml.variables() if required] == [
        "ACME_ML_CLIENT_ID",
        "ACME_ML_CLIENT_SECRET",
    ]
    assert ("ACME_ML_BASE_URL", False) in ml.variables()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no \\[\\[account\\]\\] listed"),
        ("[[account]]\nname = 'a'\nvendor = 'leanlaw'\n", "env_prefix must be a non-empty"),
        ("[[account]]\nname = 'A B'\nvendor = 'leanlaw'\nenv_prefix = 'X_'\n", "lower-case"),
        ("[[account]]\nname = '../x'\nvendor = 'leanlaw'\nenv_prefix = 'X_'\n", "lower-case"),
        ("[[account]]\nname = 'a'\nvendor = 'lean'\nenv_prefix = 'X_'\n", "unknown vendor"),
        ("[[account]]\nname = 'nul'\nvendor = 'leanlaw'\nenv_prefix = 'X_'\n", "device name"),
        ("[[account]]\nname = 'com1'\nvendor = 'leanlaw'\nenv_prefix = 'X_'\n", "device name"),
        (
            "[[account]]\nname = 'a'\nvendor = 'leanlaw'\nenv_prefix = 'X_'\n"
            "rate_limit = '20/0second'\n",
            "rate_limit '20/0second' is not a quota",
        ),
        (
            f"[[account]]\nname = '{'a' * 201}'\nvendor = 'leanlaw'\nenv_prefix = 'X_'\n",
            "is longer than 200 characters",
        ),
        ("[[account]]\nname = 'a'\nvendor = 'leanlaw'\nenv_prefix = '1X'\n", "env_prefix"),
        (
            "[[account]]\nname = 'a'\nvendor = 'leanlaw'\nenv_prefx = 'X_'\n",
            "unknown key 'env_prefx' \\(did you mean 'env_prefix'\\?\\)",
        ),
        (
            "[[account]]\nname = 'a'\nvendor = 'leanlaw'\nenv_prefix = 'X_'\n"
            "resources = ['clientz']\n",
            "no exportable resource 'clientz'",
        ),
        (
            "[[account]]\nname = 'a'\nvendor = 'leanlaw'\nenv_prefix = 'X_'\nresources = []\n",
            "resources is empty",
        ),
        (
            "[[account]]\nname = 'a'\nvendor = 'leanlaw'\nenv_prefix = 'X_'\n"
            "[[account]]\nname = 'a'\nvendor = 'leady'\nenv_prefix = 'Y_'\n",
            "'a' is listed twice",
        ),
        # One account would read another's credential (and send it to its own server).
        (
            "[[account]]\nname = 'a'\nvendor = 'leaddesk'\nenv_prefix = 'X_'\n"
            "[[account]]\nname = 'b'\nvendor = 'leaddesk'\nenv_prefix = 'X_LEADDESK_'\n",
            "accounts 'a' and 'b' both read X_LEADDESK_CLIENT_ID",
        ),
        (
            "[[account]]\nname = 'a'\nvendor = 'makeleaps'\nenv_prefix = 'X_'\n"
            "[[account]]\nname = 'b'\nvendor = 'leaddesk'\nenv_prefix = 'X_'\n",
            "accounts 'a' and 'b' both read X_CLIENT_ID",
        ),
        ("[accounts]\nname = 'a'\n", "unknown table 'accounts'"),
        ("[[account]]\nname = ", "not valid TOML"),
        ("account = 3\n", "no \\[\\[account\\]\\] listed"),
        ("account = [3]\n", "an \\[\\[account\\]\\] table"),
    ],
)
def test_a_mistake_in_the_file_is_a_one_line_configuration_error(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message) as caught:
        load_accounts(write(tmp_path, text))
    assert "\n" not in str(caught.value)


def test_accounts_of_one_vendor_may_share_a_prefix_on_purpose(tmp_path: Path) -> None:
    text = (
        "[[account]]\nname = 'a'\nvendor = 'leanlaw'\nenv_prefix = 'X_'\nresources = ['clients']\n"
        "[[account]]\nname = 'b'\nvendor = 'leanlaw'\nenv_prefix = 'X_'\nresources = ['matters']\n"
    )
    assert [a.name for a in load_accounts(write(tmp_path, text))] == ["a", "b"]


def test_a_file_that_cannot_be_read_names_itself(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"accounts\.toml: cannot be read"):
        load_accounts(tmp_path / "accounts.toml")
    (tmp_path / "accounts.toml").write_bytes(b"\xff\xfe[[account]]")
    with pytest.raises(ConfigurationError, match="not UTF-8"):
        load_accounts(tmp_path / "accounts.toml")


def test_every_missing_or_empty_variable_is_named_in_one_line() -> None:
    accounts = parse_accounts(
        {
            "account": [
                {"name": "a", "vendor": "makeleaps", "env_prefix": "A_"},
                {"name": "b", "vendor": "leanlaw", "env_prefix": "B_"},
            ]
        }
    )
    env = {"A_CLIENT_ID": "id", "A_CLIENT_SECRET": " \n", "B_API_KEY": "k"}  # blank is unset
    with pytest.raises(ConfigurationError) as caught:
        check_environment(accounts, env)
    assert str(caught.value) == "environment variable is not set: A_CLIENT_SECRET (a)"
    with pytest.raises(ConfigurationError) as caught:
        check_environment(accounts, {})
    assert str(caught.value) == (
        "environment variables are not set: A_CLIENT_ID (a), A_CLIENT_SECRET (a), B_API_KEY (b)"
    )
    check_environment(accounts, {**env, "A_CLIENT_SECRET": "s"})
    # The message names variables, never a value.
    with pytest.raises(ConfigurationError) as caught:
        account_client(accounts[0], {"A_CLIENT_ID": "id-S3CRET"})
    assert "S3CRET" not in str(caught.value)


@contextlib.asynccontextmanager
async def four_vendors() -> AsyncIterator[tuple[list[Account], dict[str, str], dict[str, Any]]]:
    """Five accounts (two LeanLaw firms on sandboxes of their own, different data), each
    sandbox small."""
    plan = [
        ("acme-ml", "makeleaps", 0, ("clients", "documents")),
        ("beta-leady", "leady", 1, ("resources", "sessions")),
        ("gamma-ld", "leaddesk", 2, ("campaigns", "contacts")),
        ("delta-ll", "leanlaw", 3, ("clients", "matters")),
        ("eps-ll", "leanlaw", 4, ("clients", "matters")),
    ]
    async with contextlib.AsyncExitStack() as stack:
        accounts: list[Account] = []
        env: dict[str, str] = {}
        boxes: dict[str, Any] = {}
        for name, vendor, seed, resources in plan:
            sb = await stack.enter_async_context(
                Sandbox(vendors=[vendor], records=12, seed=seed, quotas={vendor: None})
            )
            prefix = name.upper().replace("-", "_") + "_"
            accounts.append(
                Account(name=name, vendor=vendor, env_prefix=prefix, resources=resources)
            )
            env.update(env_for(prefix, sb, vendor))
            boxes[name] = sb.emulator(vendor)
        yield accounts, env, boxes


async def test_every_account_is_exported_to_its_own_folder_exactly_once(tmp_path: Path) -> None:
    async with four_vendors() as (accounts, env, emulators):
        result = await export_accounts(accounts, out=tmp_path, environ=env, concurrency=4)
        assert result.ok, [(j.job, j.error) for j in result.jobs]
        assert {(j.account, j.resource) for j in result.jobs} == {
            (a.name, r) for a in accounts for r in a.resources or ()
        }
        for account in accounts:
            for resource in account.resources or ():
                path = tmp_path / account.name / f"{resource}.jsonl"
                got = output_ids(path)
                assert got == store_ids(emulators[account.name], resource), path
                assert max(got.values()) == 1
        # Two firms of one vendor: their own data, not each other's.
        assert output_ids(tmp_path / "delta-ll" / "clients.jsonl") != output_ids(
            tmp_path / "eps-ll" / "clients.jsonl"
        )
        # Run again with --resume: everything is already complete.
        again = await export_accounts(
            accounts, out=tmp_path, environ=env, concurrency=4, resume=True
        )
        assert {j.status for j in again.jobs} == {"skipped"}


async def test_a_missing_variable_stops_the_run_before_any_request(tmp_path: Path) -> None:
    async with four_vendors() as (accounts, env, emulators):
        secret = env.pop("GAMMA_LD_CLIENT_SECRET")
        with pytest.raises(ConfigurationError, match="GAMMA_LD_CLIENT_SECRET \\(gamma-ld\\)"):
            await export_accounts(accounts, out=tmp_path, environ=env)
        # LeadDesk's password is one grant's: without it, the account names what it lacks.
        env["GAMMA_LD_CLIENT_SECRET"] = secret
        env.pop("GAMMA_LD_PASSWORD")
        with pytest.raises(ConfigurationError, match=r"account 'gamma-ld' .*GAMMA_LD_.*password="):
            await export_accounts(accounts, out=tmp_path, environ=env)
        assert not any(tmp_path.iterdir())
        for emu in emulators.values():
            assert emu.counters.total_requests == 0 and not emu.counters.token_requests


def test_an_accounts_own_quota_is_checked_and_travels_with_it() -> None:
    (account,) = parse_accounts(
        {"account": [{"name": "a", "vendor": "leanlaw", "env_prefix": "A_", "rate_limit": "2/day"}]}
    )
    assert account.rate_limit == "2/day" and account.as_dict()["rate_limit"] == "2/day"
    for bad in ("fast", "", 3):
        with pytest.raises(ConfigurationError, match="rate_limit"):
            parse_accounts(
                {
                    "account": [
                        {"name": "a", "vendor": "leanlaw", "env_prefix": "A_", "rate_limit": bad}
                    ]
                }
            )


async def test_a_daily_quota_that_runs_out_stops_that_account_and_no_other(
    tmp_path: Path,
) -> None:
    """The account's plan allows 3 requests a day: its jobs stop with a checkpoint (status
    ``stopped``, nothing sent past the quota); the other account completes."""
    async with four_vendors() as (accounts, env, emulators):
        chosen = [
            attrs.evolve(accounts[3], rate_limit="3/day"),  # delta-ll
            accounts[4],  # eps-ll
        ]
        result = await export_accounts(
            chosen, out=tmp_path, environ=env, page_size=2, max_quota_wait=5
        )
        by_account: dict[str | None, set[str]] = {}
        for job in result.jobs:
            by_account.setdefault(job.account, set()).add(job.status)
        assert by_account == {"delta-ll": {"stopped"}, "eps-ll": {"done"}}
        assert emulators["delta-ll"].counters.total_requests <= 3
        assert emulators["delta-ll"].counters.throttled == 0
        assert list((tmp_path / ".checkpoints").rglob("*.json"))
        # Resumed when the quota allows again (here: no client-side quota), nothing lost.
        again = await export_accounts(
            [attrs.evolve(chosen[0], rate_limit="none")], out=tmp_path, environ=env, resume=True
        )
        assert {j.status for j in again.jobs} == {"done"}
        for resource in ("clients", "matters"):
            got = output_ids(tmp_path / "delta-ll" / f"{resource}.jsonl")
            assert got == store_ids(emulators["delta-ll"], resource)


async def test_a_name_pointed_at_another_customer_starts_over_instead_of_resuming(
    tmp_path: Path,
) -> None:
    """Same name, same vendor and base URL, other credentials (another customer): ``--resume``
    must not continue the first customer's checkpoint with the second's records."""
    async with Sandbox(vendors=["leanlaw"], records=9, seed=5) as sb:
        emu = sb.emulator("leanlaw")
        creds = sb.credentials("leanlaw")
        first = Account(name="firm", vendor="leanlaw", env_prefix="A_", resources=("clients",))
        env = {"A_API_KEY": creds["api_key"], "A_BASE_URL": creds["base_url"]}
        stopped = await export_accounts(
            [attrs.evolve(first, rate_limit="2/day")],
            out=tmp_path,
            environ=env,
            page_size=3,
            max_quota_wait=1,
        )
        assert {j.status for j in stopped.jobs} == {"stopped"}
        # The same name now reads another key (the emulator takes any key it issued; a second
        # key stands for a second customer of the same vendor).
        other = emu.issue_api_key()  # type: ignore[attr-defined]
        env2 = {"B_API_KEY": other, "B_BASE_URL": creds["base_url"]}
        second = attrs.evolve(first, env_prefix="B_")
        before = emu.counters.total_requests
        again = await export_accounts(
            [second], out=tmp_path, environ=env2, resume=True, page_size=3
        )
        assert {j.status for j in again.jobs} == {"done"}
        # Started over: every page read again with the second key (resuming would have read
        # only the pages after the first customer's checkpoint).
        assert emu.counters.total_requests - before >= 3
        got = output_ids(tmp_path / "firm" / "clients.jsonl")
        assert got == store_ids(emu, "clients")


async def test_two_names_for_one_vendor_account_share_its_client(tmp_path: Path) -> None:
    """Two accounts reading the same variables are one vendor account: one token request and
    one quota between them (here 3 a second: both together never exceed it)."""
    async with Sandbox(
        vendors=["makeleaps"], records=30, seed=6, quotas={"makeleaps": "3/second"}
    ) as sb:
        env = env_for("ML_", sb, "makeleaps")
        accounts = [
            Account(
                name=n, vendor="makeleaps", env_prefix="ML_", resources=r, rate_limit="3/second"
            )
            for n, r in (("ml-docs", ("documents",)), ("ml-clients", ("clients", "contacts")))
        ]
        result = await export_accounts(accounts, out=tmp_path, environ=env)
        assert result.ok
        emu = sb.emulator("makeleaps")
        assert sum(emu.counters.token_requests.values()) == 1
        assert emu.counters.throttled == 0
        assert output_ids(tmp_path / "ml-docs" / "documents.jsonl") == store_ids(emu, "documents")

"""Accounts: many customers' accounts, listed in ``accounts.toml``, exported in one run.

An account names a vendor and where its credentials are (``env_prefix``), never the credentials
themselves: the file can be committed, mailed and sent through a task queue; the secrets stay in
each host's environment. ``load_accounts`` reads and checks the file (every mistake is a
``ConfigurationError`` naming the account and the key); ``check_environment`` names, in one line,
every variable an account needs that is missing or empty, before anything starts;
``account_jobs`` turns an account into its export ``Job``s (``<account>/<resource>``);
``export_accounts`` is the local engine: every account in this process, one client each.

```toml
[[account]]
name = "acme-invoicing"          # [a-z0-9_-]+, unique: output in DIR/<name>/<resource>.jsonl
vendor = "makeleaps"
env_prefix = "ACME_ML_"          # ACME_ML_CLIENT_ID, ACME_ML_CLIENT_SECRET, ACME_ML_BASE_URL, ...
resources = ["documents", "clients"]   # optional: every exportable resource when absent
rate_limit = "120/minute;5000/day"     # optional: the account's own quota (its plan's), or "none"
```
"""

from __future__ import annotations

import contextlib
import os
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from vendorkit._registry import REGISTRY
from vendorkit.core import SETTING_FIELDS, BaseClient, env_options, env_variables, parse_quotas
from vendorkit.errors import ConfigurationError

from ._engine import ExportResult, Job, OnProgress, export, exportable_resources
from ._names import MAX_SEGMENT_BYTES

__all__ = [
    "Account",
    "account_client",
    "account_jobs",
    "check_environment",
    "export_accounts",
    "load_accounts",
    "parse_accounts",
]

# Names Windows keeps for devices, whatever their case: a directory cannot have them.
_WINDOWS_DEVICE = re.compile(r"^(con|prn|aux|nul|com[0-9]|lpt[0-9])$")
_NAME = re.compile(r"[a-z0-9_-]+\Z")
# An environment variable's name as POSIX shells take it; a prefix is its start.
_PREFIX = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_KEYS = frozenset({"name", "vendor", "env_prefix", "resources", "rate_limit"})


@attrs.frozen(kw_only=True)
class Account:
    """One customer's account at one vendor: ``name`` (``[a-z0-9_-]+``, the output directory),
    ``vendor``, ``env_prefix`` (its credentials are ``<env_prefix><FIELD>`` variables, e.g.
    ``ACME_ML_CLIENT_ID``), ``resources`` (None: every exportable one) and ``rate_limit``
    (None: the vendor's documented quota; ``"none"``: no client-side quota; else the
    account's own, ``"20/second;5000/day"``, for a plan whose quota differs). Holds no secret,
    so it may travel anywhere (a task message, a log line)."""

    name: str
    vendor: str
    env_prefix: str
    resources: tuple[str, ...] | None = None
    rate_limit: str | None = None

    def variables(self) -> list[tuple[str, bool]]:
        """The environment variables this account's client reads: (name, required)."""
        fields = REGISTRY[self.vendor].client_class().env_fields
        return [(name, required) for _, name, required in env_variables(self.env_prefix, fields)]

    def secret_values(self, environ: Mapping[str, str] | None = None) -> list[str]:
        """The values of its variables that are credentials (not settings such as the base
        URL): what every message about this account is scrubbed of."""
        env = os.environ if environ is None else environ
        fields = REGISTRY[self.vendor].client_class().env_fields
        return [
            env[name]
            for field, name, _ in env_variables(self.env_prefix, fields)
            if field not in SETTING_FIELDS and env.get(name)
        ]

    def as_dict(self) -> dict[str, Any]:
        """What a task message carries: the account's declaration, no credential."""
        out: dict[str, Any] = {"name": self.name, "vendor": self.vendor}
        out["env_prefix"] = self.env_prefix
        if self.resources is not None:
            out["resources"] = list(self.resources)
        if self.rate_limit is not None:
            out["rate_limit"] = self.rate_limit
        return out

    def client_options(self) -> dict[str, Any]:
        """The constructor options the declaration itself sets (its quota)."""
        if self.rate_limit is None:
            return {}
        return {"rate_limit": None if self.rate_limit == "none" else self.rate_limit}


def _account(entry: Any, where: str) -> Account:
    if not isinstance(entry, Mapping):
        raise ConfigurationError(f"{where}: an [[account]] table, not {type(entry).__name__}")
    unknown = sorted(set(entry) - _KEYS)
    if unknown:
        from vendorkit.core._options import closest

        guess = closest(unknown[0], sorted(_KEYS))
        hint = f" (did you mean {guess!r}?)" if guess else ""
        raise ConfigurationError(f"{where}: unknown key {unknown[0]!r}{hint}")
    for key in ("name", "vendor", "env_prefix"):
        value = entry.get(key)
        if not isinstance(value, str) or not value:
            raise ConfigurationError(f"{where}: {key} must be a non-empty string")
    name, vendor, prefix = entry["name"], entry["vendor"], entry["env_prefix"]
    if len(name) > MAX_SEGMENT_BYTES:
        # Checked here, not when the export names its files: every unit of the account would
        # fail on the workers, or the whole local run stop once its clients were open.
        raise ConfigurationError(
            f"{where}: name {name[:20]!r}... is longer than {MAX_SEGMENT_BYTES} characters "
            "(it names the account's output directory)"
        )
    if not _NAME.match(name):
        raise ConfigurationError(
            f"{where}: name {name!r} must be lower-case letters, digits, '-' and '_' only "
            "(it names the account's output directory)"
        )
    if _WINDOWS_DEVICE.match(name):
        raise ConfigurationError(
            f"{where}: name {name!r} is a device name on Windows (it names the account's output "
            "directory, which no Windows host or share could create)"
        )
    where = f"account {name!r}"
    if vendor not in REGISTRY:
        raise ConfigurationError(
            f"{where}: unknown vendor {vendor!r} (one of: {', '.join(sorted(REGISTRY))})"
        )
    if not _PREFIX.match(prefix):
        raise ConfigurationError(
            f"{where}: env_prefix {prefix!r} must be the start of an environment variable's "
            "name (letters, digits and '_', not starting with a digit)"
        )
    resources = entry.get("resources")
    if resources is not None:
        if not isinstance(resources, list) or not all(isinstance(r, str) and r for r in resources):
            raise ConfigurationError(f"{where}: resources must be a list of resource names")
        if not resources:
            raise ConfigurationError(f"{where}: resources is empty (leave it out for every one)")
        if len(set(resources)) != len(resources):
            raise ConfigurationError(f"{where}: a resource is listed twice")
        known = _exportable(vendor)
        for r in resources:
            if r not in known:
                raise ConfigurationError(
                    f"{where}: {vendor} has no exportable resource {r!r} "
                    f"(it has: {', '.join(known)})"
                )
        resources = tuple(resources)
    rate_limit = entry.get("rate_limit")
    if rate_limit is not None:
        if not isinstance(rate_limit, str) or not rate_limit.strip():
            raise ConfigurationError(f"{where}: rate_limit must be a string like '20/second'")
        if rate_limit != "none":
            try:
                parse_quotas(rate_limit)
            except (ValueError, TypeError):
                raise ConfigurationError(
                    f"{where}: rate_limit {rate_limit!r} is not a quota like "
                    "'120/minute;5000/day' (or 'none')"
                ) from None
    return Account(
        name=name, vendor=vendor, env_prefix=prefix, resources=resources, rate_limit=rate_limit
    )


def _exportable(vendor: str) -> list[str]:
    """The vendor's exportable resources, asked of its client class (no client is opened)."""
    client = REGISTRY[vendor].client_class()
    return exportable_resources(client)


def parse_accounts(data: Mapping[str, Any], source: str = "accounts") -> list[Account]:
    """The accounts of a parsed ``accounts.toml`` (``{"account": [...]}``), checked: names unique,
    vendors known, resources exportable. ``ConfigurationError`` names the first mistake."""
    unknown = sorted(set(data) - {"account"})
    if unknown:
        raise ConfigurationError(
            f"{source}: unknown table {unknown[0]!r} (accounts are [[account]] tables)"
        )
    entries = data.get("account")
    if not isinstance(entries, list) or not entries:
        raise ConfigurationError(f"{source}: no [[account]] listed")
    accounts = [_account(e, f"{source}: account #{i + 1}") for i, e in enumerate(entries)]
    seen: set[str] = set()
    for account in accounts:
        if account.name in seen:
            raise ConfigurationError(f"{source}: account {account.name!r} is listed twice")
        seen.add(account.name)
    _check_variables(accounts, source)
    return accounts


def _check_variables(accounts: Sequence[Account], source: str) -> None:
    """No account reads another's variable: prefixes that nest (``X_`` and ``X_LEADDESK_``:
    one's LEADDESK_CLIENT_ID is the other's CLIENT_ID) or one prefix for two vendors would send
    one account's credential to the other's server. Accounts of one vendor with the same prefix
    share their credentials on purpose, and may."""
    readers: dict[str, Account] = {}
    for account in accounts:
        for variable, _ in account.variables():
            other = readers.setdefault(variable, account)
            if other is account:
                continue
            if (other.vendor, other.env_prefix) != (account.vendor, account.env_prefix):
                raise ConfigurationError(
                    f"{source}: accounts {other.name!r} and {account.name!r} both read "
                    f"{variable} (env_prefix {other.env_prefix!r} and {account.env_prefix!r}): "
                    "give each account a prefix of its own"
                )


def load_accounts(path: str | Path) -> list[Account]:
    """``parse_accounts`` of a TOML file; a file that cannot be read or parsed is a
    ``ConfigurationError`` naming it."""
    where = Path(path)
    try:
        text = where.read_bytes().decode("utf-8")
        data = tomllib.loads(text)
    except OSError as exc:
        raise ConfigurationError(f"{where}: cannot be read ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise ConfigurationError(f"{where}: is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"{where}: not valid TOML ({exc})") from None
    return parse_accounts(data, str(where))


def check_environment(
    accounts: Iterable[Account], environ: Mapping[str, str] | None = None
) -> None:
    """Raise ``ConfigurationError`` naming every missing, empty or blank variable in one line (and
    whose account needs it), before anything starts."""
    accounts = list(accounts)
    env = os.environ if environ is None else environ
    missing = [
        f"{name} ({account.name})"
        for account in accounts
        for name, required in account.variables()
        if required and not (env.get(name) or "").strip()
    ]
    if missing:
        plural = "s are" if len(missing) > 1 else " is"
        raise ConfigurationError(f"environment variable{plural} not set: {', '.join(missing)}")


def account_client(
    account: Account, environ: Mapping[str, str] | None = None, **options: Any
) -> BaseClient:
    """The account's client, its credentials read from ``<env_prefix><FIELD>`` (``options``
    winning: ``redis_url=``, ``session=``, ...). A missing variable is a ``ConfigurationError``
    naming it."""
    check_environment([account], environ)
    cls = REGISTRY[account.vendor].client_class()
    overrides = {**account.client_options(), **options}
    kwargs = env_options(
        account.vendor, cls.env_fields, overrides, prefix=account.env_prefix, environ=environ
    )
    try:
        client: BaseClient = cls(**kwargs)
    except ConfigurationError as exc:
        # The constructor speaks of its arguments; the user wrote variables.
        raise ConfigurationError(
            f"account {account.name!r} (variables {account.env_prefix}*): {exc}"
        ) from None
    return client


def account_jobs(
    account: Account, client: BaseClient, resources: Sequence[str] | None = None
) -> list[Job]:
    """The account's export jobs: one per resource, written to ``<account>/<resource>``."""
    chosen = resources or account.resources or exportable_resources(client)
    return [Job(client=client, resource=r, name=f"{account.name}/{r}") for r in chosen]


def account_of(job_key: str) -> str:
    """The account a job of ``export_accounts`` belongs to (its key's first segment)."""
    return job_key.split("/", 1)[0]


async def export_accounts(
    accounts: Sequence[Account],
    *,
    out: str | Path,
    format: str = "jsonl",
    concurrency: int = 8,
    page_size: int | None = None,
    resume: bool = False,
    on_progress: OnProgress | None = None,
    environ: Mapping[str, str] | None = None,
    client_options: Mapping[str, Any] | None = None,
    on_clients: Callable[[list[BaseClient]], Any] | None = None,
    max_quota_wait: float | None = 300.0,
) -> ExportResult:
    """The local engine: every account's resources exported in this process, one client per
    account (its quota and token its own), at most ``concurrency`` requests in flight in all.
    Output in ``out/<account>/<resource>.jsonl``; each ``JobResult.account`` names its account.
    Every account's variables are checked before anything starts."""
    accounts = list(accounts)
    check_environment(accounts, environ)
    async with contextlib.AsyncExitStack() as stack:
        clients: list[BaseClient] = []
        jobs: list[Job] = []
        # Accounts that read the same variables are the same vendor account under two names:
        # one client between them, so one token and one quota, as the vendor counts them.
        shared: dict[tuple[str, str, str | None], BaseClient] = {}
        for account in accounts:
            same = (account.vendor, account.env_prefix, account.rate_limit)
            client = shared.get(same)
            if client is None:
                client = account_client(account, environ, **dict(client_options or {}))
                await stack.enter_async_context(client)
                clients.append(client)
                shared[same] = client
            jobs += account_jobs(account, client)
        if on_clients is not None:
            on_clients(clients)
        result = await export(
            jobs,
            out=out,
            format=format,
            concurrency=concurrency,
            page_size=page_size,
            resume=resume,
            on_progress=on_progress,
            max_quota_wait=max_quota_wait,
        )
    for job in result.jobs:
        job.account = account_of(job.job)
    return result

"""The soak: all four vendors, every exportable resource, writes, >= 18% faults, expiring tokens.

``run_soak(seconds, workdir)`` runs rounds until the time budget is spent (at least one), and
returns a ``Report`` of what it saw; the tests in ``test_soak.py`` each assert one promise on it,
so a broken promise fails a test named after it. A round is:

1. **Export** every exportable resource of the four clients into a fresh folder, resuming
   (``resume=True``) the jobs that failed until all are complete, then compare every output file
   with the emulator's store by id: every record exactly once.
2. **Writes** through every vendor at once (one at a time per vendor, so the emulator's counters
   attribute each write to one call): create, update and delete, each judged against the store
   as soon as it returns or raises (``_writes.judge``).
3. **A 401 wave** per OAuth vendor: every token expired, then ``BURST`` reads at once.

All along, a timer expires every OAuth token (MakeLeaps, LeadDesk; their lifetimes are short
anyway) and token requests meet faults too. Faults are seeded: which faults are drawn is the
same run to run; which request meets which varies with the order in which concurrent requests
arrive, and no check depends on that.

Nothing here decides by wall-clock margins: the budget is checked between phases only, timeouts
are generous, and the checks compare states and counts, not timings.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import random
import re
import time
import traceback
import warnings
from collections import Counter
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import Any

from tests.export.conftest import output_ids, store_ids
from vendorkit import errors
from vendorkit.core import BaseClient
from vendorkit.export import ExportResult, Job, Progress, export, exportable_resources
from vendorkit.sandbox import Emulator, FaultProfile, Sandbox

from ._observe import (
    Sends,
    api_faults,
    api_requests,
    exception_texts,
    find_secret,
    is_auth_path,
    job_routes,
    norm,
    open_sockets,
    record_issued_tokens,
    static_secrets,
    watching,
)
from ._report import Report
from ._writes import WRITES, WriteSeen, WriteSpec, judge

VENDORS = ("makeleaps", "leady", "leaddesk", "leanlaw")
OAUTH_VENDORS = ("makeleaps", "leaddesk")

#: Every fault kind the soak injects into API requests.
API_KINDS = (
    "500",
    "502",
    "503",
    "504",
    "429",
    "429_date",
    "html",
    "drop_before",
    "drop_after",
    "slow",
    "truncated",
    "truncated_utf8",
    "short_body",
    "bad_status_line",
)
#: What token requests meet: everything a grant is retried on (a 500 is not promised).
AUTH_KINDS = tuple(k for k in API_KINDS if k != "500")
FAULT_RATE = 0.25  # of API requests; test_faults_met_and_survived asserts >= 18% were met
AUTH_FAULT_RATE = 0.2
# OAuth access tokens die by themselves (the client refreshes them early, at 90% of their life)
# and, every EXPIRE_EVERY seconds, all at once (a wave of 401s): both happen every round.
TOKEN_TTL = 2.5
EXPIRE_EVERY = 4.0
RECORDS = 30
PAGE_SIZE = 7
MAX_RETRIES = 3  # small on purpose: some export runs fail, and resuming must complete them
MAX_EXPORT_RUNS = 40  # per round; a job still failing after that is reported unfinished
WRITES_PER_ROUND = 8  # per vendor
BURST = 20  # concurrent reads per OAuth vendor right after a 401 wave, each round
DONE = ("done", "skipped")

#: A failed job's error type that a resume may legitimately fix: a read (or a token grant) met
#: faults its retries could not get past.
RESUMABLE = frozenset(
    {"TransportError", "ServerError", "RateLimitError", "DecodeError", "AuthenticationError"}
)


def profiles(seed: int) -> dict[str, FaultProfile]:
    return {
        vendor: FaultProfile(
            rate=FAULT_RATE,
            kinds=API_KINDS,
            retry_after=0.05,
            slow_seconds=0.25,
            seed=seed * 10 + i,
            include_auth=True,
            auth_rate=AUTH_FAULT_RATE,
            auth_kinds=AUTH_KINDS,
        )
        for i, vendor in enumerate(VENDORS)
    }


def script_every_kind(emu: Emulator, rng: random.Random) -> None:
    """Every kind once first, on API requests, in a seeded order, so that even a single round
    meets them all; and the first token requests (OAuth vendors) meet a 503 and a drop."""
    auth = "|".join(re.escape(emu.base_path + p) for p in sorted(emu.auth_paths))
    emu.inject(*rng.sample(API_KINDS, len(API_KINDS)), path=f"^(?!(?:{auth})$)" if auth else None)
    if emu.name in OAUTH_VENDORS:
        emu.inject("503", "drop_before", path=f"^(?:{auth})$")


class Soak:
    def __init__(self, sb: Sandbox, report: Report, workdir: Path, secrets: set[str]) -> None:
        self.sb = sb
        self.report = report
        self.workdir = workdir
        self.secrets = secrets
        self.clients: dict[str, BaseClient] = {}
        self.sends: dict[str, Sends] = {}
        self.live: dict[str, list[Any]] = {v: [] for v in VENDORS}  # ids our writes created
        self.serial = 0

    def emu(self, vendor: str) -> Emulator:
        return self.sb.emulator(vendor)

    # -- bookkeeping ----------------------------------------------------------------------------

    def faults_now(self, vendor: str) -> Counter[str]:
        return Counter(self.emu(vendor).counters.fault_routes)

    def credit(self, vendor: str, delta: Counter[str], outcome: str) -> None:
        """Count the faults in ``delta`` as met, and as ``outcome`` (a ``FaultTally`` field)."""
        emu = self.emu(vendor)
        for key, n in delta.items():
            kind, _, path = key.split()
            tally = self.report.tally(kind)
            tally.met += n
            if is_auth_path(emu, path):
                tally.on_token_requests += n
            setattr(tally, outcome, getattr(tally, outcome) + n)

    def check_exception(self, where: str, exc: BaseException) -> None:
        if not isinstance(exc, errors.VendorkitError):
            self.report.foreign_exceptions.append(
                f"{where}: {type(exc).__module__}.{type(exc).__qualname__}: {exc!r}\n"
                + "".join(traceback.format_exception(exc))[-3000:]
            )
        for text in exception_texts(exc):
            leak = find_secret(text, self.secrets)
            if leak:
                self.report.secret_leaks.append(f"{where}: {type(exc).__name__}: {leak}")
                break

    # -- phase 1: exports -----------------------------------------------------------------------

    async def export_round(self, round_no: int) -> None:
        out = self.workdir / f"round-{round_no}"
        jobs = [
            Job(client=client, resource=name)
            for client in self.clients.values()
            for name in exportable_resources(client)
        ]
        self.report.jobs_per_round = len(jobs)
        pending: dict[str, Counter[str]] = {v: Counter() for v in VENDORS}
        result: ExportResult | None = None
        for run in range(MAX_EXPORT_RUNS):
            before = {v: self.faults_now(v) for v in VENDORS}
            try:
                result = await export(
                    jobs,
                    out=out,
                    concurrency=8,
                    page_size=PAGE_SIZE,
                    resume=run > 0,
                    on_progress=self.on_progress,
                )
            except Exception as exc:  # export() itself must never raise for a fault
                self.check_exception(f"round {round_no} export()", exc)
                self.report.unfinished_jobs.append(f"round {round_no}: export() raised {exc!r}")
                return
            self.report.export_runs += 1
            if run:
                self.report.resumes += 1
            self.look_at_checkpoints(out)
            self.note_failures(round_no, result)
            failed = [j for j in result.jobs if j.status not in DONE]
            for vendor in VENDORS:
                # A fault on a route a failed job walks goes to the resume that completes it
                # (approximately: a parent list can be walked by two jobs), and so do token
                # faults where a job of that vendor failed; every other one was retried through.
                client = self.clients[vendor]
                routes: set[str] = set()
                for j in failed:
                    if j.vendor == vendor:
                        routes |= job_routes(client, j.resource)
                for key, n in (self.faults_now(vendor) - before[vendor]).items():
                    path = key.split()[2]
                    if f"GET {norm(path)}" in routes or (
                        routes and is_auth_path(self.emu(vendor), path)
                    ):
                        pending[vendor][key] += n
                    else:
                        self.credit(vendor, Counter({key: n}), "retried")
            if result.ok:
                break
        assert result is not None
        if not result.ok:
            self.report.unfinished_jobs += [
                f"round {round_no} {j.job}: still {j.status} after {MAX_EXPORT_RUNS} runs: "
                f"{j.error}"
                for j in result.jobs
                if j.status not in DONE
            ]
        for vendor, delta in pending.items():
            self.credit(vendor, delta, "resumed" if result.ok else "unresolved")
        if result.ok:
            self.verify_outputs(round_no, result)

    def on_progress(self, event: Progress) -> None:
        # "retry" events carry the on_retry hook's cause: a foreign exception's repr, maybe.
        leak = find_secret(event.message, self.secrets)
        if leak:
            self.report.secret_leaks.append(f"progress {event.event} of {event.job}: {leak}")

    def note_failures(self, round_no: int, result: ExportResult) -> None:
        for j in result.jobs:
            if j.status in DONE:
                continue
            # A stopped job (a 429 or a quota its retries could not get past) keeps str(exc);
            # a failed one "<ExceptionType>: <message>".
            kind = "RateLimitError" if j.status == "stopped" else (j.error or "").split(":", 1)[0]
            self.report.job_errors[kind] += 1
            leak = find_secret(j.error or "", self.secrets)
            if leak:
                self.report.secret_leaks.append(f"job error {j.job}: {leak}")
            if kind not in RESUMABLE:
                self.report.unresumable_failures.append(f"round {round_no} {j.job}: {j.error}")
            if not isinstance(getattr(errors, kind, None), type):
                self.report.foreign_exceptions.append(f"round {round_no} {j.job}: {j.error}")

    def look_at_checkpoints(self, out: Path) -> None:
        root = out / ".checkpoints"
        for path in root.rglob("*.json") if root.exists() else ():
            leak = find_secret(path.read_text(encoding="utf-8", errors="replace"), self.secrets)
            if leak:
                self.report.secret_leaks.append(f"checkpoint {path.relative_to(out)}: {leak}")

    def verify_outputs(self, round_no: int, result: ExportResult) -> None:
        for j in result.jobs:
            assert j.path is not None
            got = output_ids(j.path)
            want = store_ids(self.emu(j.vendor), j.resource)
            doubled = sorted(str(k) for k, n in got.items() if n > 1)
            missing = sorted(str(k) for k in want.keys() - got.keys())
            extra = sorted(str(k) for k in got.keys() - want.keys())
            if doubled or missing or extra:
                self.report.export_mismatches.append(
                    f"round {round_no} {j.job}: {len(doubled)} doubled {doubled[:3]}, "
                    f"{len(missing)} missing {missing[:3]}, {len(extra)} extra {extra[:3]}"
                )
            else:
                self.report.jobs_verified += 1
                self.report.records_verified += sum(got.values())

    # -- phase 2: writes ------------------------------------------------------------------------

    async def write_round(self, round_no: int) -> None:
        await asyncio.gather(*(self.vendor_writes(v, round_no) for v in VENDORS))

    async def vendor_writes(self, vendor: str, round_no: int) -> None:
        spec, client, live = WRITES[vendor], self.clients[vendor], self.live[vendor]
        for i in range(WRITES_PER_ROUND):
            # create, update, create, delete, ...: the store grows slowly across rounds
            op = ("create", "update", "create", "delete")[i % 4] if live else "create"
            self.serial += 1
            marker = f"soak-{round_no}-{vendor}-{self.serial}"
            ident = None if op == "create" else live[i % len(live)]
            call: Callable[[], Awaitable[Any]]
            if op == "create":
                call = partial(spec.create, client, marker)
            elif op == "update":
                call = partial(spec.update, client, ident, marker)
            else:
                call = partial(spec.delete, client, ident)
            await self.one_write(vendor, op, spec, ident, marker, call)

    async def one_write(
        self,
        vendor: str,
        op: str,
        spec: WriteSpec,
        ident: Any,
        marker: str,
        call: Callable[[], Awaitable[Any]],
    ) -> None:
        emu = self.emu(vendor)
        col = emu.store[spec.collection]
        before = col[ident].get(spec.field) if ident is not None else None
        writes_before = emu.counters.total_writes
        faults_before = self.faults_now(vendor)
        answer: Any = None
        error: BaseException | None = None
        try:
            answer = await call()
        except Exception as exc:
            error = exc
            self.check_exception(f"{vendor} {op}", exc)
        met = self.faults_now(vendor) - faults_before
        holders = tuple(k for k, r in col.items() if r.get(spec.field) == marker)
        answer_id = spec.id_of(answer) if op == "create" and error is None else None
        seen = WriteSeen(
            op=op,
            method=spec.methods[op],
            error=error,
            applied=emu.counters.total_writes - writes_before,
            holders=holders,
            answer_id=answer_id,
            answer_stored=answer_id in col and col[answer_id].get(spec.field) == marker,
            marker=marker,
            before=before,
            after=col[ident].get(spec.field) if ident in col else None,
            present_after=ident in col,
            create_answered=not any(
                kind != "slow" and method == "POST" and not is_auth_path(emu, path)
                for kind, method, path in map(str.split, met)
            ),
        )
        outcome = "ok" if error is None else type(error).__name__
        self.report.writes[f"{vendor} {op} {outcome}"] += 1
        problems = judge(seen, max_retries=MAX_RETRIES)
        if problems:
            self.report.write_violations.append(
                f"{vendor} {op} {marker} ({outcome}{': ' + str(error) if error else ''}): "
                + "; ".join(problems)
            )
        self.credit(
            vendor, met, "unresolved" if problems else "retried" if not error else "surfaced"
        )
        # Keep the ids alive for later rounds: what was created (also by a create that raised:
        # adopted), minus what is gone.
        if op == "create" and holders:
            self.live[vendor].append(holders[0])
        if op == "delete" and ident not in col:
            self.live[vendor].remove(ident)

    # -- phase 3: a 401 wave -------------------------------------------------------------------

    async def burst_round(self, round_no: int) -> None:
        await asyncio.gather(*(self.vendor_burst(v, round_no) for v in OAUTH_VENDORS))

    async def vendor_burst(self, vendor: str, round_no: int) -> None:
        """Expire every token, then read one record ``BURST`` times at once: one renewal must
        serve every waiter (single flight), whatever faults the token requests meet."""
        emu, spec, client = self.emu(vendor), WRITES[vendor], self.clients[vendor]
        ident = next(iter(emu.store[spec.collection]))
        resource = getattr(client, spec.resource)
        faults_before = self.faults_now(vendor)
        # First a fresh token (a 401 makes the client renew), so that the burst below takes
        # the 401 path rather than the early refresh of a token about to expire.
        emu.tokens.expire_all()
        results: list[Any] = await asyncio.gather(resource.get(ident), return_exceptions=True)
        grants_before = sum(emu.counters.token_requests.values())
        emu.tokens.expire_all()
        results += await asyncio.gather(
            *(resource.get(ident) for _ in range(BURST)), return_exceptions=True
        )
        failed = 0
        for result in results:
            if isinstance(result, BaseException):
                failed += 1
                self.check_exception(f"{vendor} burst get", result)
        met = self.faults_now(vendor) - faults_before
        token_faults = sum(n for k, n in met.items() if is_auth_path(emu, k.split()[2]))
        grants = sum(emu.counters.token_requests.values()) - grants_before
        # One renewal per wave (LeadDesk: a refused refresh, then a password grant), one more
        # wave from the timer meanwhile, and a repeated grant per fault a token request met.
        bound = 4 + token_faults
        self.report.bursts += 1
        if grants > bound:
            self.report.auth_storms.append(
                f"round {round_no} {vendor}: {BURST} concurrent reads after a 401 wave made "
                f"{grants} token requests (at most {bound} with {token_faults} token faults)"
            )
        self.credit(vendor, met, "retried" if not failed else "surfaced")

    # -- the timer and the totals ---------------------------------------------------------------

    async def expire_tokens(self) -> None:
        while True:
            await asyncio.sleep(EXPIRE_EVERY)
            for vendor in OAUTH_VENDORS:
                self.emu(vendor).tokens.expire_all()
            self.report.expirations += 1

    def totals(self) -> None:
        for vendor in VENDORS:
            emu = self.emu(vendor)
            server, client = api_requests(emu), self.sends[vendor].api
            # The server never sees more API requests than the clients' own retry loops sent:
            # a resend behind ``max_retries`` (aiohttp's own) shows up here.
            if server > client:
                self.report.extra_sends.append(
                    f"{vendor}: the server received {server} API requests, the client sent "
                    f"{client}: {server - client} were resent behind the client's retry budget"
                )
            self.report.api_requests += server
            self.report.api_faults += api_faults(emu)
            for grant, n in emu.counters.token_requests.items():
                self.report.token_grants[f"{vendor}:{grant}"] += n
            self.report.token_faults[vendor] += sum(
                n
                for key, n in emu.counters.fault_routes.items()
                if is_auth_path(emu, key.split()[2])
            )


async def _soak(seconds: float, workdir: Path, report: Report, seed: int) -> None:
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(
        lambda _loop, ctx: report.loop_errors.append(
            f"{ctx.get('message')}: {ctx.get('exception')!r} {ctx.get('task') or ''}"[:2000]
        )
    )
    me = asyncio.current_task()
    tasks_before = {t for t in asyncio.all_tasks() if t is not me}
    gc.collect()
    sockets_before = open_sockets()
    started = time.monotonic()

    sb = Sandbox(
        vendors=VENDORS,
        records=RECORDS,
        seed=seed,
        faults=profiles(seed),
        quotas=dict.fromkeys(VENDORS),  # no throttle: the faults are the injected ones
        # Only the OAuth vendors' tokens expire: LeanLaw's and Leady's are account keys.
        token_ttl=dict.fromkeys(OAUTH_VENDORS, TOKEN_TTL),
    )
    secrets: set[str] = set()
    with (
        watching("vendorkit", secrets, logging.DEBUG) as client_log,
        watching("aiohttp.server", set()) as server_log,
    ):
        async with sb:
            secrets |= static_secrets(sb)
            for i, vendor in enumerate(VENDORS):
                script_every_kind(sb.emulator(vendor), random.Random(seed * 10 + i))
            for vendor in OAUTH_VENDORS:
                record_issued_tokens(sb.emulator(vendor), secrets)
            soak = Soak(sb, report, workdir, secrets)
            async with contextlib.AsyncExitStack() as stack:
                for vendor in VENDORS:
                    soak.sends[vendor] = Sends(sb.emulator(vendor))
                    client = sb.client(
                        vendor,
                        max_retries=MAX_RETRIES,
                        max_retry_wait=10,
                        timeout=30,
                        on_request=soak.sends[vendor],
                    )
                    soak.clients[vendor] = await stack.enter_async_context(client)
                timer = asyncio.create_task(soak.expire_tokens())
                try:
                    deadline = started + seconds
                    while True:  # at least one round; the budget is checked between rounds
                        report.rounds += 1
                        await soak.export_round(report.rounds)
                        await soak.write_round(report.rounds)
                        await soak.burst_round(report.rounds)
                        if time.monotonic() >= deadline:
                            break
                finally:
                    timer.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await timer
            soak.totals()
    report.secret_leaks += client_log.leaks
    report.loop_errors += [f"vendorkit logged an error: {e}" for e in client_log.errors]
    report.emulator_errors += server_log.errors
    report.seconds = time.monotonic() - started

    # Everything is closed now: nothing may still run, nothing may still be open.
    left: set[asyncio.Task[Any]] = set()
    for _ in range(100):  # closing callbacks need a few loop turns: bounded, not timed
        left = {t for t in asyncio.all_tasks() if t is not me} - tasks_before
        if not left:
            break
        await asyncio.sleep(0.02)
    report.leaked_tasks += [repr(t)[:300] for t in left]
    gc.collect()
    await asyncio.sleep(0)
    report.leaked_sockets += [
        f"fd {fd}: {what}" for fd, what in open_sockets().items() if fd not in sockets_before
    ]


def run_soak(seconds: float, workdir: Path, *, seed: int = 8) -> Report:
    """Run the soak in an event loop of its own and return what it saw."""
    report = Report(seconds_budget=seconds)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        with asyncio.Runner() as runner:
            runner.run(_soak(seconds, workdir, report, seed))
        gc.collect()
    report.resource_warnings += [
        f"{w.filename}:{w.lineno}: {w.message}" for w in caught if w.category is ResourceWarning
    ]
    return report

"""What the soak saw: counts, broken promises, and faults per kind with what became of them."""

from __future__ import annotations

from collections import Counter

import attrs


@attrs.define
class FaultTally:
    """One fault kind: how often it was met, and what became of the call that met it."""

    met: int = 0
    on_token_requests: int = 0  # of ``met``: met by a token request
    retried: int = 0  # the call that met it succeeded (retries, token renewal, 401 replay)
    resumed: int = 0  # met on a route of an export job that failed; a resume completed it
    surfaced: int = 0  # met by a call that raised a typed error, nothing lost or doubled
    # (a write: the store is consistent with what the error says)
    unresolved: int = 0  # anything else: a broken promise (see the Report's lists)

    def survived(self) -> int:
        return self.retried + self.resumed + self.surfaced


@attrs.define(repr=False)
class Report:
    seconds_budget: float
    seconds: float = 0.0
    rounds: int = 0
    export_runs: int = 0
    resumes: int = 0
    jobs_per_round: int = 0
    jobs_verified: int = 0
    records_verified: int = 0
    api_requests: int = 0
    api_faults: int = 0
    token_grants: Counter[str] = attrs.Factory(Counter)  # "leaddesk:password" -> grants
    token_faults: Counter[str] = attrs.Factory(Counter)  # vendor -> faults on token requests
    expirations: int = 0
    faults: dict[str, FaultTally] = attrs.Factory(dict)
    job_errors: Counter[str] = attrs.Factory(Counter)  # "TransportError" -> failed job runs
    writes: Counter[str] = attrs.Factory(Counter)  # "leanlaw create ok" / "... TransportError"
    bursts: int = 0  # 401 waves met by concurrent reads
    # Broken promises, each a readable line (never a secret: those are shown as <SECRET>).
    export_mismatches: list[str] = attrs.Factory(list)
    unfinished_jobs: list[str] = attrs.Factory(list)
    unresumable_failures: list[str] = attrs.Factory(list)
    write_violations: list[str] = attrs.Factory(list)
    foreign_exceptions: list[str] = attrs.Factory(list)
    extra_sends: list[str] = attrs.Factory(list)
    auth_storms: list[str] = attrs.Factory(list)
    secret_leaks: list[str] = attrs.Factory(list)
    leaked_tasks: list[str] = attrs.Factory(list)
    leaked_sockets: list[str] = attrs.Factory(list)
    resource_warnings: list[str] = attrs.Factory(list)
    loop_errors: list[str] = attrs.Factory(list)
    emulator_errors: list[str] = attrs.Factory(list)

    def __repr__(self) -> str:  # pytest would print every list in a failing assertion
        return f"<soak Report: {self.rounds} rounds, {self.seconds:.0f}s>"

    def tally(self, kind: str) -> FaultTally:
        return self.faults.setdefault(kind, FaultTally())

    def total(self) -> FaultTally:
        total = FaultTally()
        for t in self.faults.values():
            for field in attrs.fields(FaultTally):
                setattr(total, field.name, getattr(total, field.name) + getattr(t, field.name))
        return total

    def table(self) -> str:
        """A summary line, then faults per kind and what became of them, fixed width."""
        head = ("kind", "met", "token", "retried", "resumed", "surfaced", "unresolved")
        rows = [head]
        rows += [(k, *map(str, attrs.astuple(self.faults[k]))) for k in sorted(self.faults)]
        rows.append(("all", *map(str, attrs.astuple(self.total()))))
        widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
        lines = [
            "  ".join(
                c.rjust(w) if i else c.ljust(w)
                for i, (c, w) in enumerate(zip(r, widths, strict=True))
            )
            for r in rows
        ]
        share = self.api_faults / self.api_requests if self.api_requests else 0.0
        summary = (
            f"soak: {self.rounds} round(s) in {self.seconds:.0f}s "
            f"(budget {self.seconds_budget:g}s); {self.export_runs} export runs, "
            f"{self.resumes} resumes; {self.jobs_verified} jobs and {self.records_verified} "
            f"records verified exactly once; {sum(self.writes.values())} writes checked; "
            f"{self.api_faults} faults in {self.api_requests} API requests ({share:.1%}); "
            f"{self.expirations} token expiry waves; grants {dict(self.token_grants)}"
        )
        return "\n".join([summary, *lines])

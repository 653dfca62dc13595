"""The up-front word on the client-side quota: whether what is left of a run's jobs fits in it.

Jobs on one client share its quota (five MakeLeaps resources of one account, one 5000/day
budget), so a job that fits on its own may not fit beside the others: judged per job, three jobs
needing 15 requests each on 40 left were each told they fit, and all three stopped at the
quota. ``QuotaPlans`` keeps, per quota (a ``RateLimiter``), the requests each running job still
needs, known from its first page's total and counted down page by page; ``plan_message`` decides,
purely, what to say. A job whose total is unknown (a cursor list without one) or that has not
started yet cannot be counted: the message says "at least".
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from vendorkit.core import RateLimiter

__all__ = ["QuotaPlans", "plan_message"]


def plan_message(
    *, left_records: int, needed: int, others: int, others_needed: int, left: int, quota: str
) -> str | None:
    """What to say when this job (``left_records`` more records, about ``needed`` requests) and
    ``others`` other running jobs on the same quota (``others_needed`` requests between them)
    need more than the ``left`` requests ``quota`` has: None when they fit."""
    if needed > left:
        return (
            f"{left_records} more records need about {needed} more requests but only {left} "
            f"are left in the {quota} quota: {_WAITS}"
        )
    if others and needed + others_needed > left:
        jobs = "job" if others == 1 else "jobs"
        return (
            f"this job and {others} other {jobs} on the same {quota} quota need at least "
            f"{needed + others_needed} more requests between them but only {left} are left: "
            f"{_WAITS}"
        )
    return None


_WAITS = (
    "the job will wait for the quota to free slots as it goes, and stops with a checkpoint "
    "(for --resume) only if one wait would be longer than max_quota_wait"
)


class QuotaPlans:
    """Per quota, the requests each planned, unfinished job of one export still needs. A quota
    is a limiter's ``budget``: two clients of one account whose limiters share a Redis budget
    are one quota here too."""

    def __init__(self) -> None:
        self._needs: dict[Any, dict[str, int]] = {}
        self._warned_together: set[Any] = set()

    def plan(self, limiter: RateLimiter, job: str, needed: int) -> tuple[int, int]:
        """Record ``job``'s need; the other jobs on ``limiter`` and what they still need."""
        needs = self._needs.setdefault(limiter.budget, {})
        needs[job] = needed
        others = {k: v for k, v in needs.items() if k != job and v > 0}
        return len(others), sum(others.values())

    def fetched(self, limiter: RateLimiter, job: str) -> None:
        """One more of ``job``'s requests made."""
        needs = self._needs.get(limiter.budget)
        if needs is not None and needs.get(job, 0) > 0:
            needs[job] -= 1

    def finished(self, limiter: RateLimiter, job: str) -> None:
        needs = self._needs.get(limiter.budget)
        if needs is not None:
            needs.pop(job, None)

    def first_warning_together(self, limiter: RateLimiter) -> bool:
        """Whether the jobs on ``limiter`` have not been warned yet as a whole (said once)."""
        if limiter.budget in self._warned_together:
            return False
        self._warned_together.add(limiter.budget)
        return True

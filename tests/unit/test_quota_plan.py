"""``plan_message``: the up-front word on whether a run's jobs fit in a quota (pure), and
``QuotaPlans``' bookkeeping of what each job on a quota still needs."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from vendorkit.export._plan import QuotaPlans, plan_message

counts = st.integers(min_value=0, max_value=10_000)


@given(left_records=counts, needed=counts, others=counts, others_needed=counts, left=counts)
def test_said_exactly_when_the_jobs_do_not_fit(
    left_records: int, needed: int, others: int, others_needed: int, left: int
) -> None:
    msg = plan_message(
        left_records=left_records,
        needed=needed,
        others=others,
        others_needed=others_needed,
        left=left,
        quota="40/day",
    )
    fits = needed <= left and (others == 0 or needed + others_needed <= left)
    assert (msg is None) is fits
    if msg is not None:
        assert f"only {left} are left" in msg
        assert "will wait for the quota" in msg and "max_quota_wait" in msg
        if needed > left:
            assert f"{needed} more requests" in msg
        else:
            assert f"at least {needed + others_needed} more requests" in msg


def test_jobs_are_counted_down_and_forgotten_per_quota() -> None:
    from vendorkit.core import Quota, RateLimiter

    plans = QuotaPlans()
    a, b = (RateLimiter([Quota(40, 86400)], key="acct") for _ in range(2))  # two budgets
    assert plans.plan(a, "x", 10) == (0, 0)
    assert plans.plan(b, "y", 7) == (0, 0)  # another quota: not counted with x
    for _ in range(4):
        plans.fetched(a, "x")
    assert plans.plan(a, "z", 3) == (1, 6)
    plans.finished(a, "x")
    assert plans.plan(a, "w", 1) == (1, 3)
    for _ in range(20):
        plans.fetched(a, "z")  # never below zero
    assert plans.plan(a, "v", 1) == (1, 1)  # w; z has nothing left
    assert plans.first_warning_together(a) and not plans.first_warning_together(a)
    assert plans.first_warning_together(b)


async def test_limiters_sharing_a_redis_budget_are_one_quota_in_the_plan() -> None:
    """Two clients of one account, each with its own limiter on the same Redis key, spend one
    budget: the plan counts their jobs together. In-memory limiters are each their own."""
    from tests._redis_url import REDIS_URL
    from vendorkit.core import Quota, RateLimiter

    shared = [RateLimiter([Quota(40, 86400)], key="acct", storage=REDIS_URL) for _ in range(2)]
    other_key = RateLimiter([Quota(40, 86400)], key="other", storage=REDIS_URL)
    here = [RateLimiter([Quota(40, 86400)], key="acct") for _ in range(2)]
    secret = RateLimiter(
        [Quota(40, 86400)], key="acct", storage="redis://:hunter2-secret@127.0.0.1:6379/6"
    )
    try:
        assert shared[0].budget == shared[1].budget != other_key.budget
        assert here[0].budget != here[1].budget
        assert "hunter2-secret" not in repr(secret.budget)
        plans = QuotaPlans()
        plans.plan(shared[0], "a/clients", 15)
        assert plans.plan(shared[1], "a/matters", 15) == (1, 15)
        assert plans.plan(here[0], "b/clients", 15) == (0, 0)
    finally:
        for limiter in (*shared, other_key, secret):
            await limiter.aclose()

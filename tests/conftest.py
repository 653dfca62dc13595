"""Suite-wide settings. Hypothesis: no per-example deadline (a busy machine must not turn a slow
example into a failure: a flaky test is a failing test), and a ``thorough`` profile for long runs
(``HYPOTHESIS_PROFILE=thorough``: ten times the examples)."""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", deadline=None, print_blob=True)
settings.register_profile("thorough", deadline=None, print_blob=True, max_examples=1000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

"""The Redis the suite uses: ``VENDORKIT_TEST_REDIS_URL``, by default database 15 of the server at
127.0.0.1:6379. Two suites run at once (a busy-machine check, two checkouts) each pick their own
database, so neither empties the other's keys."""

from __future__ import annotations

import os

REDIS_URL = os.environ.get("VENDORKIT_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")

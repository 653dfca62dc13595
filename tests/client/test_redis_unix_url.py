"""Found in review, fixed; kept as the test that would catch it again. What was found:

``redis_url="unix:///path/redis.sock?password=..."`` (a scheme the token store accepts and its
error message names: "redis://, rediss:// or unix://") builds the token store, then the quota
(MakeLeaps has one by default) hands it to ``limits.storage_from_string("async+unix://...")``
(``RateLimiter._from_url``), which raises *limits'* own ``ConfigurationError``: not a
``VendorkitError``, and its message repeats the whole URL, password included, into the
traceback, the CLI's "unexpected ..." line and any log.

Broken promise: contract section 5 "VendorkitError is the base of everything vendorkit raises"
and "No secret ever appears in an error"; issue 8 "every exception vendorkit raises is a
VendorkitError".
"""

from __future__ import annotations

import pytest

from vendorkit import MakeLeaps
from vendorkit.errors import VendorkitError

PASSWORD = "redis-Pa55w0rd-for-the-socket"


def test_a_unix_socket_redis_url_is_built_or_refused_as_a_vendorkit_error_hiding_it() -> None:
    url = f"unix:///tmp/vendorkit-review-no-such.sock?db=8&password={PASSWORD}"
    try:
        client = MakeLeaps(client_id="ml-client", client_secret="ml-secret-1234", redis_url=url)
    except VendorkitError as exc:
        assert PASSWORD not in f"{exc!s} {exc!r} {exc.args}"
        return
    except Exception as exc:  # the bug
        pytest.fail(f"{type(exc).__module__}.{type(exc).__name__} escaped: {exc}")
    # Built: fine (nothing was sent yet; the socket does not exist).
    assert client.rate_limiter is not None

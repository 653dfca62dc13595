"""Signed-URL parameters (OpenTelemetry's list for ``url.full``) are redacted wherever a URL is
shown: a vendor's download link may be a presigned storage URL."""

from __future__ import annotations

import pytest

from vendorkit.core import redact_url


@pytest.mark.parametrize(
    "name", ["AWSAccessKeyId", "Signature", "sig", "X-Goog-Signature", "X-Amz-Signature"]
)
def test_a_signed_urls_signature_is_redacted(name: str) -> None:
    shown = redact_url(f"https://files.example/a.pdf?{name}=s3cr3tv4lue&page=2")
    assert "s3cr3tv4lue" not in shown and "page=2" in shown

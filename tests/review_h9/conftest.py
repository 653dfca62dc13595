"""Fixtures for the hostile review of issue 9: the same real-server helpers as tests/client."""

from tests.client.conftest import make, serve  # noqa: F401  (pytest fixtures)

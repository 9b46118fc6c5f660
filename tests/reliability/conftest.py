"""Fixtures of the reliability tests: the deliberation village of the workflow tests."""

from tests.deliberation.conftest import village  # noqa: F401  (a fixture, used by name)

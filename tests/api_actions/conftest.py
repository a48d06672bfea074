"""Reuse the API tests' fixtures (owner, outsider, viewer_key, unchanged) for the action endpoints."""

from tests.api.conftest import assert_schema, outsider, owner, snapshot, unchanged, viewer_key  # noqa: F401

"""Reuse the API tests' fixtures (owner, member, outsider, viewer_key, unchanged) for the action endpoints."""

from tests.web.api.conftest import assert_schema, member, outsider, owner, snapshot, unchanged, viewer_key  # noqa: F401

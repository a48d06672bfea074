"""The API tests' fixtures, reused: row snapshots (`unchanged`), the key's owner, another workspace."""

from tests.web.api.conftest import outsider, owner, snapshot, unchanged  # noqa: F401

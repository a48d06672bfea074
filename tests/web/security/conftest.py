"""The API tests' fixtures, reused: row snapshots (`unchanged`), the key's owner, another workspace."""

from tests.web.api.conftest import _cheap_password_hashes, outsider, owner, snapshot, unchanged  # noqa: F401

"""The budgets' webhook receiver: it answers every post at once, as a published one."""

import pytest

from tests.adapters.receiver import Receiver


@pytest.fixture
def receiver():
    with Receiver() as running:
        running.respond(200, body={"id": "post-1", "url": "https://example.test/p/1"})
        yield running

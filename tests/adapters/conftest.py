"""The tests that need the real Ghost run last: its first start (begun in the background by CI) takes minutes."""

import pytest

from .ghost_site import needs_real_ghost


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Move every test using the real Ghost to the end of the run, keeping the order within each group."""
    needs_ghost = [item for item in items if needs_real_ghost(item)]
    if needs_ghost:
        items[:] = [item for item in items if item not in needs_ghost] + needs_ghost

"""A test module's frozen clock: `_clock = frozen_clock(NOW)` makes every test in it start at NOW, standing still."""

from __future__ import annotations

from datetime import datetime

import pytest
import time_machine


def frozen_clock(at: datetime):
    """Return an autouse fixture that freezes the clock at `at` (before the test's other fixtures run)."""

    @pytest.fixture(autouse=True)
    def _clock():
        with time_machine.travel(at, tick=False):
            yield

    return _clock

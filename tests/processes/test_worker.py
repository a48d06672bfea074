"""The worker process's own settings."""

from __future__ import annotations

import sys

import pytest

from webapp.processes.worker import share_the_interpreter


@pytest.fixture
def switch_interval():
    before = sys.getswitchinterval()
    yield
    sys.setswitchinterval(before)


def test_a_worker_hands_the_interpreter_lock_on_every_half_millisecond_by_default(app, switch_interval):
    share_the_interpreter(app.config)

    assert sys.getswitchinterval() == pytest.approx(0.0005)


def test_the_interval_is_a_setting_and_zero_leaves_python_s_own(switch_interval):
    sys.setswitchinterval(0.005)
    share_the_interpreter({"WORKER_SWITCH_INTERVAL_US": 0})
    assert sys.getswitchinterval() == pytest.approx(0.005)

    share_the_interpreter({"WORKER_SWITCH_INTERVAL_US": 2000})
    assert sys.getswitchinterval() == pytest.approx(0.002)

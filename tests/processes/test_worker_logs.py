"""What a worker writes to its log: one line of Herald's a publication, rq's own lines only when they matter."""

from __future__ import annotations

import logging
import subprocess
import sys

import pytest

from tests.budgets.conftest import receiver  # noqa: F401 - the instant platform the publish reaches
from tests.budgets.test_worker_budget import _jobs_on_the_queue
from webapp.processes.worker import Slots, rq_log_level


@pytest.mark.parametrize(
    ("herald", "rq"), [("DEBUG", "DEBUG"), ("INFO", "WARNING"), ("WARNING", "WARNING"), ("ERROR", "ERROR")]
)
def test_rq_logs_its_routine_lines_only_when_herald_logs_at_debug(herald, rq):
    assert rq_log_level(herald) == rq


def test_a_publish_leaves_one_info_line_and_none_of_rq_s(app, make, receiver, caplog):  # noqa: F811
    [job_id] = _jobs_on_the_queue(make, 1, receiver.url)
    caplog.set_level(logging.INFO)

    slots = Slots(app, 1)
    slots.start(burst=True)
    slots.wait()

    info = [(r.name, r.getMessage()) for r in caplog.records if r.levelno == logging.INFO]
    assert [m for name, m in info if name == "herald.jobs"] == ["publication 1: published"]
    assert not [m for name, m in info if name.startswith("rq.")]  # e.g. 'Job OK', 'result will never expire'


def test_a_process_starts_without_a_dependency_s_deprecation_warning():
    # twitter-text-parser imports pkg_resources, which warned in every process's first lines (adapters/mastodon.py).
    started = subprocess.run(
        [sys.executable, "-W", "default", "-c", "import webapp.adapters.mastodon"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    assert "pkg_resources" not in started.stderr

"""Jobs go to RQ by name: every name Herald enqueues resolves to a function in webapp.jobs."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import fakeredis
import pytest
from rq import Queue
from rq.utils import import_attribute

from webapp import jobs
from webapp.infra import tasks
from webapp.processes.worker import HeraldJob

PACKAGE = Path(__file__).resolve().parents[2] / "webapp"


def _string_constants_naming_jobs() -> set[str]:
    """Every string literal in the package that names something in webapp.jobs (or a legacy path)."""
    found = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            is_text = isinstance(node, ast.Constant) and isinstance(node.value, str)
            if is_text and node.value.startswith(f"{tasks.JOBS_MODULE}.") and " " not in node.value:
                found.add(node.value)
    return found


@pytest.mark.parametrize("name", sorted(set(tasks.ALL) | set(tasks.LEGACY_NAMES.values())))
def test_every_declared_job_name_resolves_to_a_function_in_webapp_jobs(name):
    func = import_attribute(name)

    assert callable(func) and inspect.getmodule(func) is jobs


def test_no_module_spells_a_job_name_that_does_not_resolve():
    names = _string_constants_naming_jobs() - {f"{tasks.JOBS_MODULE}.<name>"}

    unresolved = sorted(name for name in names if not callable(getattr(jobs, name.rpartition(".")[2], None)))
    assert unresolved == []


def test_every_public_function_of_webapp_jobs_is_declared_in_tasks():
    entry_points = {
        f"{tasks.JOBS_MODULE}.{name}"
        for name, func in inspect.getmembers(jobs, inspect.isfunction)
        if func.__module__ == jobs.__name__ and not name.startswith("_") and name not in ("app_context", "job_context")
    }

    assert entry_points == set(tasks.ALL)


def test_enqueue_refuses_a_name_it_does_not_know():
    queue = Queue("default", connection=fakeredis.FakeRedis())

    with pytest.raises(ValueError, match="unknown job"):
        tasks.enqueue(queue, "webapp.jobs.publish_publicaton", 1)
    assert queue.count == 0


def test_enqueue_stores_the_dotted_name_for_the_worker_to_resolve():
    queue = Queue("default", connection=fakeredis.FakeRedis())

    job = tasks.enqueue(queue, tasks.RETENTION, job_timeout=30)

    assert job.func_name == "webapp.jobs.retention_job" and job.timeout == 30
    assert job.func is jobs.retention_job


@pytest.mark.parametrize(("legacy", "current"), sorted(tasks.LEGACY_NAMES.items()))
def test_a_job_an_older_herald_enqueued_under_a_moved_path_still_runs(legacy, current):
    connection = fakeredis.FakeRedis()
    Queue("high", connection=connection).enqueue(legacy, "to@example.test", "subject", "body")

    [job_id] = Queue("high", connection=connection).job_ids
    job = HeraldJob.fetch(job_id, connection=connection)

    assert job.func_name == legacy
    assert job.func is import_attribute(current)

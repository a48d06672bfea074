"""Periodic jobs are data: syncing adds missing, replaces changed, removes stale, keeps the rest."""

from rq.job import Job

from webapp.infra import dispatch
from webapp.infra.queues import get_redis
from webapp.processes import periodic

RECONCILE = periodic.PeriodicJob("herald-periodic-reconcile", "webapp.jobs.reconcile_job", 30)


def _scheduler():
    return dispatch.get_scheduler()


def test_a_missing_periodic_job_is_added(app):
    report = periodic.sync(_scheduler(), [RECONCILE])

    assert report["added"] == [RECONCILE.id]
    job = Job.fetch(RECONCILE.id, connection=get_redis())
    assert (job.func_name, job.meta["interval"], job.origin) == ("webapp.jobs.reconcile_job", 30, "high")
    assert RECONCILE.id in _scheduler()


def test_an_unchanged_periodic_job_is_kept(app):
    periodic.sync(_scheduler(), [RECONCILE])

    report = periodic.sync(_scheduler(), [RECONCILE])

    assert report == {"added": [], "replaced": [], "removed": [], "kept": [RECONCILE.id]}


def test_a_changed_periodic_job_is_replaced(app):
    periodic.sync(_scheduler(), [RECONCILE])
    faster = periodic.PeriodicJob(RECONCILE.id, RECONCILE.func, 10)

    report = periodic.sync(_scheduler(), [faster])

    assert report["replaced"] == [RECONCILE.id]
    assert Job.fetch(RECONCILE.id, connection=get_redis()).meta["interval"] == 10


def test_a_stale_periodic_job_is_removed(app):
    old = periodic.PeriodicJob("herald-periodic-retired", "webapp.jobs.reconcile_job", 60)
    periodic.sync(_scheduler(), [RECONCILE, old])

    report = periodic.sync(_scheduler(), [RECONCILE])

    assert report["removed"] == [old.id]
    assert old.id not in _scheduler()
    assert not get_redis().exists(f"rq:job:{old.id}")


def test_the_definitions_follow_the_configured_interval(app):
    config = {"RECONCILE_INTERVAL_S": 45, "PREFLIGHT_INTERVAL_S": 60}
    definition = {d.id: d for d in periodic.definitions(config)}["herald-periodic-reconcile"]

    assert definition.interval_s == 45 and definition.func == "webapp.jobs.reconcile_job"


def test_retention_runs_on_the_low_queue_at_its_interval_and_zero_turns_it_off(app):
    config = {"RECONCILE_INTERVAL_S": 30, "PREFLIGHT_INTERVAL_S": 0, "RETENTION_INTERVAL_S": 3600}
    definition = {d.id: d for d in periodic.definitions(config)}["herald-periodic-retention"]

    assert (definition.func, definition.interval_s, definition.queue) == ("webapp.jobs.retention_job", 3600, "low")
    off = {**config, "RETENTION_INTERVAL_S": 0}
    assert "herald-periodic-retention" not in {d.id for d in periodic.definitions(off)}

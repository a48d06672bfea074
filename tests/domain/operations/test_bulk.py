"""Bulk actions: matched on the server, applied where the state machine allows, skipped with a reason elsewhere."""

import json

import pytest
from rq import Queue
from sqlalchemy import func, select

from tests.web.api_actions.support import entry, insert_publications, one_time, reload, scheduled_job_ids, set_status
from webapp import jobs
from webapp.core.errors import NotFound, ValidationFailed
from webapp.domain.operations import bulk
from webapp.extensions import db
from webapp.infra import dispatch
from webapp.infra.live import events
from webapp.infra.queues import get_redis, key
from webapp.models import AuditEvent, Publication


@pytest.fixture
def actor(make):
    return make.actor()


def test_pausing_by_ids_pauses_each_and_removes_its_entry(make, actor):
    _, publications = one_time(make, actor, channels=3)

    result = bulk.run_bulk(actor, "pause", ids=[p.id for p in publications])

    assert result == {"matched": 3, "changed": 3, "skipped": []}
    assert {reload(p).status for p in publications} == {"paused"}
    assert scheduled_job_ids() == set()


def test_resuming_by_filter_matches_only_the_filtered_records(make, actor):
    _, [a, b] = one_time(make, actor, channels=2)
    bulk.run_bulk(actor, "pause", ids=[a.id, b.id])

    result = bulk.run_bulk(actor, "resume", filter={"status": "paused", "channel_id": b.channel_id})

    assert result == {"matched": 1, "changed": 1, "skipped": []}
    assert (reload(a).status, reload(b).status) == ("paused", "scheduled")
    assert entry(b) == reload(b).due_at.timestamp() and entry(a) is None


def test_records_the_state_machine_refuses_are_skipped_with_their_reason(make, actor):
    _, [waiting, done] = one_time(make, actor, channels=2)
    set_status(done, "published")

    result = bulk.run_bulk(actor, "retry", ids=[waiting.id, done.id])

    assert result["matched"] == 2 and result["changed"] == 0
    assert result["skipped"] == [
        {"id": waiting.id, "reason": "is scheduled; only failed, unconfirmed publications can be retried"},
        {"id": done.id, "reason": "is published; only failed, unconfirmed publications can be retried"},
    ]


def test_a_publication_being_published_is_not_cancelled(make, actor):
    _, [publication] = one_time(make, actor)
    set_status(publication, "publishing")

    result = bulk.run_bulk(actor, "cancel", ids=[publication.id])

    assert result["skipped"] == [{"id": publication.id, "reason": "is being published right now; wait for the outcome"}]
    assert reload(publication).status == "publishing"


def test_deleting_removes_finished_records_and_skips_pending_ones(make, actor):
    _, [pending, failed] = one_time(make, actor, channels=2)
    set_status(failed, "failed")

    result = bulk.run_bulk(actor, "delete", ids=[pending.id, failed.id])

    assert result["changed"] == 1
    assert result["skipped"] == [{"id": pending.id, "reason": "is scheduled; cancel it before deleting"}]
    assert db.session.scalars(select(Publication.id)).all() == [pending.id]


def test_another_workspace_s_ids_are_not_matched_and_stay_untouched(make, actor):
    _, [mine] = one_time(make, actor)
    _, [theirs] = one_time(make, make.actor())

    result = bulk.run_bulk(actor, "cancel", ids=[mine.id, theirs.id])

    assert result == {"matched": 1, "changed": 1, "skipped": []}
    assert reload(theirs).status == "scheduled" and entry(theirs) is not None


def test_a_filter_never_reaches_into_another_workspace(make, actor):
    one_time(make, actor)
    _, [theirs] = one_time(make, make.actor())

    assert bulk.run_bulk(actor, "pause", filter={"status": "scheduled"})["matched"] == 1
    assert reload(theirs).status == "scheduled"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"action": "explode", "ids": [1]}, "action"),
        ({"action": "pause"}, "ids"),
        ({"action": "pause", "ids": [1], "filter": {"status": "failed"}}, "ids"),
        ({"action": "pause", "ids": ["1"]}, "ids"),
        ({"action": "pause", "filter": {}}, "filter"),
        ({"action": "pause", "filter": {"colour": "red"}}, "filter"),
        ({"action": "pause", "filter": {"status": "lost"}}, "filter.status"),
        ({"action": "pause", "filter": {"from": "yesterday"}}, "filter.from"),
    ],
)
def test_invalid_requests_are_refused(actor, kwargs, field):
    with pytest.raises(ValidationFailed) as raised:
        bulk.run_bulk(actor, **kwargs)

    assert field in raised.value.fields


def test_one_audit_event_and_one_bulk_event_record_the_whole_action(make, actor, redis_conn):
    _, publications = one_time(make, actor, channels=3)

    bulk.run_bulk(actor, "cancel", ids=[p.id for p in publications])

    audits = db.session.scalars(select(AuditEvent).where(AuditEvent.action.like("publications.%"))).all()
    assert [(a.action, a.details) for a in audits] == [
        ("publications.bulk_cancel", {"bulk_id": None, "matched": 3, "changed": 3, "skipped": 0})
    ]
    payloads = [json.loads(fields[b"data"]) for _, fields in redis_conn.xrange(events.stream_key(actor.workspace_id))]
    done = {"name": "bulk", "kind": "publications", "action": "cancel", "state": "done"}
    assert {**done, "matched": 3, "changed": 3, "skipped": 0} in payloads


def test_more_than_a_thousand_matches_run_as_a_job_with_progress_in_redis(make, actor):
    schedule, [first] = one_time(make, actor)
    first_id = set_status(first, "published").id
    ids = insert_publications(schedule, 1001)

    started = bulk.run_bulk(actor, "cancel", filter={"schedule_id": schedule.id})
    running = bulk.get_bulk(actor, started["bulk_id"])
    jobs.run_bulk_job(started["bulk_id"])
    done = bulk.get_bulk(actor, started["bulk_id"])

    assert started == {"bulk_id": started["bulk_id"], "state": "running", "matched": 1002, "changed": 0, "skipped": []}
    assert running["state"] == "running" and running["changed"] == 0
    assert done["state"] == "done" and done["matched"] == 1002 and done["changed"] == 1001
    [skipped] = done["skipped"]
    assert skipped["id"] == first_id and skipped["reason"].startswith("is published; only paused, queued,")
    cancelled = select(func.count()).where(Publication.id.in_(ids), Publication.status == "cancelled")
    assert db.session.scalar(cancelled) == 1001
    assert get_redis().exists(key("bulk", started["bulk_id"], "ids")) == 0
    audits = select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "publications.bulk_cancel")
    assert db.session.scalar(audits) == 1


def test_the_bulk_job_is_on_the_default_queue_and_a_second_run_changes_nothing(make, actor):
    schedule, _ = one_time(make, actor)
    insert_publications(schedule, 1001)
    bulk_id = bulk.run_bulk(actor, "pause", filter={"schedule_id": schedule.id})["bulk_id"]

    assert Queue("default", connection=get_redis()).job_ids == [f"herald-bulk-{bulk_id}"]
    jobs.run_bulk_job(bulk_id)
    jobs.run_bulk_job(bulk_id)

    assert bulk.get_bulk(actor, bulk_id)["changed"] == 1002


def test_another_workspace_s_bulk_id_is_not_found(make, actor):
    schedule, _ = one_time(make, actor)
    insert_publications(schedule, 1001)
    bulk_id = bulk.run_bulk(actor, "pause", filter={"schedule_id": schedule.id})["bulk_id"]

    with pytest.raises(NotFound):
        bulk.get_bulk(make.actor(), bulk_id)
    with pytest.raises(NotFound):
        bulk.get_bulk(actor, bulk_id + 1)


def test_retrying_failed_publications_gives_each_a_fresh_job(make, actor):
    _, publications = one_time(make, actor, channels=2)
    for publication in publications:
        set_status(publication, "failed")

    result = bulk.run_bulk(actor, "retry", filter={"status": "failed"})

    assert result["changed"] == 2
    assert scheduled_job_ids() == {dispatch.job_id(reload(p)) for p in publications}
    assert {reload(p).dispatch_seq for p in publications} == {2}

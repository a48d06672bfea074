"""Bulk actions on schedules (pause, resume, cancel, delete) and content (approve, archive), one engine for all."""

import pytest
from sqlalchemy import func, select

from tests.web.api_actions.support import entry, one_time, recurring, reload, scheduled_job_ids, set_status
from webapp import jobs
from webapp.core.errors import Forbidden, NotFound, ValidationFailed
from webapp.domain.content.approvals import APPROVAL_HOLD_PREFIX
from webapp.domain.operations import bulk
from webapp.domain.operations.bulk_kinds import KINDS
from webapp.domain.shared.actor import Actor
from webapp.extensions import db
from webapp.infra import dispatch
from webapp.models import AuditEvent, Content, Publication, Role, Schedule
from webapp.web.api.openapi_schemas import CONTENT_BULK_ACTIONS, SCHEDULE_BULK_ACTIONS


@pytest.fixture
def actor(make):
    return make.actor()


def _schedule(schedule_id: int) -> Schedule | None:
    return db.session.get(Schedule, schedule_id)


def _content_rows(actor, count: int, status: str) -> list[int]:
    """Insert content items straight into the database (fast; no per-item service call)."""
    rows = [Content(workspace_id=actor.workspace_id, title=f"Bulk {n}", status=status) for n in range(count)]
    db.session.add_all(rows)
    db.session.commit()
    return [r.id for r in rows]


def _actions(workspace_id: int, prefix: str) -> list[tuple[str, dict]]:
    query = select(AuditEvent).where(AuditEvent.workspace_id == workspace_id, AuditEvent.action.like(f"{prefix}%"))
    return [(a.action, a.details) for a in db.session.scalars(query.order_by(AuditEvent.id))]


def test_the_documented_actions_are_the_engine_s():
    assert KINDS["schedules"].actions == SCHEDULE_BULK_ACTIONS
    assert KINDS["contents"].actions == CONTENT_BULK_ACTIONS


# Schedules.


def test_pausing_schedules_pauses_each_with_its_publications_and_skips_the_already_paused(make, actor):
    first, [p1] = one_time(make, actor)
    second, [p2] = one_time(make, actor)
    bulk.run_bulk(actor, "pause", ids=[second.id], kind="schedules")

    result = bulk.run_bulk(actor, "pause", ids=[first.id, second.id], kind="schedules")

    assert result == {
        "matched": 2,
        "changed": 1,
        "skipped": [{"id": second.id, "reason": "This schedule is already paused."}],
    }
    assert (_schedule(first.id).status, reload(p1).status) == ("paused", "paused")
    assert scheduled_job_ids() == set() and entry(p2) is None


def test_resuming_by_a_status_filter_resumes_only_the_paused_ones(make, actor):
    paused, [waiting] = one_time(make, actor)
    active, _ = one_time(make, actor)
    bulk.run_bulk(actor, "pause", ids=[paused.id], kind="schedules")

    result = bulk.run_bulk(actor, "resume", filter={"status": "paused"}, kind="schedules")

    assert result == {"matched": 1, "changed": 1, "skipped": []}
    assert (_schedule(paused.id).status, _schedule(active.id).status) == ("active", "active")
    assert reload(waiting).status == "scheduled" and entry(waiting) == reload(waiting).due_at.timestamp()


def test_a_channel_filter_matches_the_schedules_on_that_channel(make, actor):
    on_it, [publication] = one_time(make, actor)
    one_time(make, actor)

    result = bulk.run_bulk(actor, "cancel", filter={"channel_id": publication.channel_id}, kind="schedules")

    assert result["matched"] == 1 and _schedule(on_it.id).status == "cancelled"


def test_cancelling_skips_closed_schedules_with_the_state_machine_s_reason(make, actor):
    open_one, [publication] = one_time(make, actor)
    closed, _ = one_time(make, actor)
    bulk.run_bulk(actor, "cancel", ids=[closed.id], kind="schedules")

    result = bulk.run_bulk(actor, "cancel", ids=[open_one.id, closed.id], kind="schedules")

    assert result["changed"] == 1
    assert result["skipped"] == [
        {"id": closed.id, "reason": "This schedule is cancelled and cannot be cancelled; clone it to run it again."}
    ]
    assert reload(publication).status == "cancelled"


def test_deleting_removes_schedules_but_skips_one_whose_publication_is_being_published(make, actor):
    gone, [gone_publication] = one_time(make, actor)
    busy, [busy_publication] = one_time(make, actor)
    set_status(busy_publication, "publishing")
    gone_job = dispatch.job_id(gone_publication)

    result = bulk.run_bulk(actor, "delete", ids=[gone.id, busy.id], kind="schedules")

    assert result["changed"] == 1
    assert result["skipped"] == [
        {
            "id": busy.id,
            "reason": "A publication of this schedule is being published right now; try again when it finishes.",
        }
    ]
    assert _schedule(gone.id) is None and db.session.get(Publication, gone_publication.id) is None
    assert _schedule(busy.id) is not None and gone_job not in scheduled_job_ids()


def test_a_recurring_schedule_follows_its_state_machine_too(make, actor):
    schedule, _ = recurring(make, actor)

    assert bulk.run_bulk(actor, "resume", ids=[schedule.id], kind="schedules")["skipped"] == [
        {"id": schedule.id, "reason": "This schedule is not paused."}
    ]
    assert bulk.run_bulk(actor, "pause", ids=[schedule.id], kind="schedules")["changed"] == 1


def test_another_workspace_s_schedules_are_neither_matched_nor_touched(make, actor):
    mine, _ = one_time(make, actor)
    theirs, [their_publication] = one_time(make, make.actor())

    by_ids = bulk.run_bulk(actor, "pause", ids=[mine.id, theirs.id], kind="schedules")
    by_filter = bulk.run_bulk(actor, "cancel", filter={"status": "active,paused"}, kind="schedules")

    assert (by_ids["matched"], by_filter["matched"]) == (1, 1)
    assert _schedule(theirs.id).status == "active" and entry(their_publication) is not None


def test_each_schedule_keeps_its_own_audit_entry_and_the_bulk_action_gets_one(make, actor):
    schedules_made = [one_time(make, actor)[0] for _ in range(2)]

    bulk.run_bulk(actor, "pause", ids=[s.id for s in schedules_made], kind="schedules")

    assert _actions(actor.workspace_id, "schedule.paused") + _actions(actor.workspace_id, "schedules.") == [
        ("schedule.paused", {"publications": 1}),
        ("schedule.paused", {"publications": 1}),
        ("schedules.bulk_pause", {"bulk_id": None, "matched": 2, "changed": 2, "skipped": 0}),
    ]


def test_a_large_schedule_action_runs_in_the_background(make, actor, monkeypatch):
    monkeypatch.setattr(bulk, "INLINE_LIMIT", 1)  # the same path as over 1,000; schedules are slow to make
    made = [one_time(make, actor)[0].id for _ in range(3)]
    bulk.run_bulk(actor, "pause", ids=[made[0]], kind="schedules")  # inline: one match

    started = bulk.run_bulk(actor, "pause", filter={"status": "active,paused"}, kind="schedules")
    jobs.run_bulk_job(started["bulk_id"])
    done = bulk.get_bulk(actor, started["bulk_id"])

    assert started["state"] == "running" and started["matched"] == 3
    assert {k: done[k] for k in ("kind", "action", "state", "matched", "changed")} == {
        "kind": "schedules",
        "action": "pause",
        "state": "done",
        "matched": 3,
        "changed": 2,
    }
    assert done["skipped"] == [{"id": made[0], "reason": "This schedule is already paused."}]
    assert {_schedule(schedule_id).status for schedule_id in made} == {"paused"}


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"action": "retry", "ids": [1]}, "action"),  # a publication action, not a schedule one
        ({"action": "pause", "filter": {"schedule_id": 1}}, "filter"),
        ({"action": "pause", "filter": {"status": "scheduled"}}, "filter.status"),
        ({"action": "pause", "filter": {"channel_id": "two"}}, "filter.channel_id"),
        ({"action": "pause", "ids": [0]}, "ids"),
    ],
)
def test_invalid_schedule_requests_are_refused(actor, kwargs, field):
    with pytest.raises(ValidationFailed) as raised:
        bulk.run_bulk(actor, kind="schedules", **kwargs)

    assert field in raised.value.fields


def test_a_viewer_may_not_act_on_schedules(make, actor):
    schedule, _ = one_time(make, actor)
    viewer = Actor(make.user().id, actor.workspace_id, "viewer", "api")

    with pytest.raises(Forbidden):
        bulk.run_bulk(viewer, "cancel", ids=[schedule.id], kind="schedules")
    assert _schedule(schedule.id).status == "active"


# Content.


@pytest.fixture
def editor(make, actor):
    """A second writer in the actor's workspace, who may approve what the actor wrote."""
    return make.member(actor, Role.EDITOR.value, source="api")


def test_approving_approves_content_in_review_and_says_why_the_rest_were_skipped(make, actor):
    in_review = make.content(actor, status="review")
    draft = make.content(actor)

    result = bulk.run_bulk(actor, "approve", ids=[in_review.id, draft.id], kind="contents")

    assert result == {
        "matched": 2,
        "changed": 1,
        "skipped": [{"id": draft.id, "reason": "content is draft; only review content can be approved"}],
    }
    assert (db.session.get(Content, in_review.id).status, db.session.get(Content, draft.id).status) == (
        "approved",
        "draft",
    )


def test_an_author_s_own_content_is_skipped_when_someone_else_must_approve_it(make, actor, editor):
    theirs = make.content(actor, status="review")

    assert bulk.run_bulk(actor, "approve", ids=[theirs.id], kind="contents")["skipped"] == [
        {"id": theirs.id, "reason": "you wrote this content; another owner or editor must approve it"}
    ]
    assert bulk.run_bulk(editor, "approve", ids=[theirs.id], kind="contents")["changed"] == 1


def test_approving_releases_publications_held_for_want_of_approval(make, actor):
    schedule, [held] = one_time(make, actor)
    content = db.session.get(Content, schedule.content_id)
    content.status = "review"
    held = set_status(held, "paused")
    held.hold_reason = APPROVAL_HOLD_PREFIX + "the content is not approved"
    db.session.commit()

    bulk.run_bulk(actor, "approve", ids=[content.id], kind="contents")

    assert reload(held).status == "scheduled" and entry(held) == reload(held).due_at.timestamp()


def test_archiving_by_filter_archives_every_match_and_skips_the_archived(make, actor):
    drafts = [make.content(actor, title=f"Launch {n}").id for n in range(2)]
    archived = make.content(actor, title="Launch old", status="archived").id
    make.content(actor, title="Other")

    result = bulk.run_bulk(actor, "archive", filter={"q": "launch"}, kind="contents")

    assert result["matched"] == 3 and result["changed"] == 2
    assert result["skipped"] == [
        {"id": archived, "reason": "content is archived; only approved or draft or review content can be archived"}
    ]
    assert {db.session.get(Content, i).status for i in drafts} == {"archived"}


def test_another_workspace_s_content_is_neither_matched_nor_touched(make, actor):
    theirs = make.content(make.actor(), status="review")

    result = bulk.run_bulk(actor, "approve", ids=[theirs.id], kind="contents")

    assert result == {"matched": 0, "changed": 0, "skipped": []}
    assert db.session.get(Content, theirs.id).status == "review"


def test_more_than_a_thousand_content_items_are_archived_by_a_background_job(make, actor):
    ids = _content_rows(actor, 1001, "draft")
    ids += _content_rows(actor, 1, "archived")

    started = bulk.run_bulk(actor, "archive", filter={"status": "draft,archived"}, kind="contents")
    jobs.run_bulk_job(started["bulk_id"])
    done = bulk.get_bulk(actor, started["bulk_id"])

    assert started["state"] == "running" and started["matched"] == 1002
    assert (done["kind"], done["state"], done["changed"]) == ("contents", "done", 1001)
    assert [s["id"] for s in done["skipped"]] == [ids[-1]]
    archived = select(func.count()).where(Content.id.in_(ids), Content.status == "archived")
    assert db.session.scalar(archived) == 1002
    assert _actions(actor.workspace_id, "contents.") == [
        ("contents.bulk_archive", {"bulk_id": started["bulk_id"], "matched": 1002, "changed": 1001, "skipped": 1})
    ]
    with pytest.raises(NotFound):
        bulk.get_bulk(make.actor(), started["bulk_id"])


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"action": "pause", "ids": [1]}, "action"),
        ({"action": "approve", "filter": {"channel_id": 1}}, "filter"),
        ({"action": "approve", "filter": {"status": "published"}}, "filter.status"),
        ({"action": "approve", "filter": {"content_type": "poem"}}, "filter.content_type"),
        ({"action": "archive", "filter": {"q": 3}}, "filter.q"),
    ],
)
def test_invalid_content_requests_are_refused(actor, kwargs, field):
    with pytest.raises(ValidationFailed) as raised:
        bulk.run_bulk(actor, kind="contents", **kwargs)

    assert field in raised.value.fields

"""A restored workspace sends nothing until a person resumes it; `--resume` (a move) dispatches at once."""

from __future__ import annotations

from sqlalchemy import select

from tests.domain.operations.backups.archives import restore, rows_in, write
from webapp.domain.operations import backups, bulk
from webapp.domain.publishing import lifecycle
from webapp.domain.publishing.reconcile import reconcile
from webapp.domain.shared.actor import Actor
from webapp.extensions import db
from webapp.infra import dispatch
from webapp.models import Alert, AuditEvent, Membership, Publication, Schedule


def _owner(workspace) -> Actor:
    member = db.session.scalar(select(Membership).where(Membership.workspace_id == workspace.id))
    return Actor(member.user_id, workspace.id, member.role, "api")


def test_a_restore_pauses_open_schedules_and_holds_their_pending_publications(workspace):
    _, original = workspace

    restored = restore(write(original.slug), "copy")
    reconcile()  # the scheduler's repair pass finds nothing of it to dispatch

    assert {s.status for s in rows_in(Schedule, restored)} == {"paused"}
    by_status = {}
    for publication in rows_in(Publication, restored):
        by_status.setdefault(publication.status, []).append(publication)
        assert dispatch.scheduled_time(publication) is None
    assert sorted(by_status) == ["paused", "published"] and len(by_status["paused"]) == 3
    assert {p.hold_reason for p in by_status["paused"]} == {backups.RESTORE_HOLD}
    assert backups.RESTORE_HOLD.startswith("restored from backup")
    assert {p.status for p in rows_in(Publication, original)} == {"scheduled", "published"}  # the original untouched


def test_the_workspace_is_told_what_is_paused_and_how_to_resume_it(workspace):
    _, original = workspace

    restored = restore(write(original.slug), "copy")

    [alert] = [a for a in rows_in(Alert, restored) if a.message.startswith("Restored from backup")]
    ids = ", ".join(f"#{s.id}" for s in rows_in(Schedule, restored))
    assert alert.kind == "needs_intervention" and alert.resolved_at is None
    assert "3 publications of 2 schedules are paused" in alert.message
    assert f"resume the schedules {ids}" in alert.message and "POST /api/v1/schedules/bulk" in alert.message
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "workspace.restored"))
    assert event.workspace_id == restored.id and event.source == "cli"
    assert event.details["paused_schedules"] == [s.id for s in rows_in(Schedule, restored)]
    assert event.details["resumed"] is False and event.details["paused_publications"] == 3


def test_held_publications_cannot_be_resumed_one_by_one_while_their_schedule_is_paused(workspace):
    _, original = workspace
    restored = restore(write(original.slug), "copy")

    result = bulk.run_bulk(_owner(restored), "resume", filter={"status": "paused"})

    assert result["changed"] == 0 and {s["reason"] for s in result["skipped"]} == {
        "its schedule is paused; resume the schedule"
    }


def test_one_bulk_resume_of_the_schedules_puts_everything_back_on_schedule(workspace):
    _, original = workspace
    restored = restore(write(original.slug), "copy")

    result = bulk.run_bulk(_owner(restored), "resume", filter={"status": "paused"}, kind="schedules")

    assert result["changed"] == 2
    pending = [p for p in rows_in(Publication, restored) if p.status != "published"]
    assert {p.status for p in pending} == {"scheduled"} and {p.hold_reason for p in pending} <= {
        None,
        *(p.hold_reason for p in pending if p.after_publication_id),  # the chained one waits for its turn
    }
    assert all(dispatch.scheduled_time(p) is not None for p in pending if not p.after_publication_id)


def test_the_resume_command_resumes_only_what_the_restore_paused(workspace):
    actor, original = workspace
    [first, second] = rows_in(Schedule, original)
    lifecycle.pause_schedule(actor, second.id)  # paused by a person before the backup: it stays paused
    restored = restore(write(original.slug), "copy")
    [copy_first, copy_second] = rows_in(Schedule, restored)

    assert backups.resume_restored("copy") == (1, 1)

    db.session.expire_all()
    assert (copy_first.status, copy_second.status) == ("active", "paused")
    assert {p.hold_reason for p in rows_in(Publication, restored) if p.schedule_id == copy_second.id} != {
        backups.RESTORE_HOLD
    }


def test_a_publication_being_published_at_the_backup_waits_for_a_person(workspace):
    _, original = workspace
    [publishing, unconfirmed] = [p for p in rows_in(Publication, original) if p.status == "scheduled"][:2]
    publishing.status, unconfirmed.status = "publishing", "unconfirmed"
    db.session.commit()

    restored = restore(write(original.slug), "copy")
    report = reconcile()

    held = [p for p in rows_in(Publication, restored) if p.status == "unconfirmed"]
    assert len(held) == 2 and all(p.hold_reason.startswith("waiting for you: restored from backup") for p in held)
    assert report.get("resent", 0) == 0 and all(p.attempts_count == 0 for p in held)


def test_with_resume_a_moved_workspace_is_dispatched_at_once_and_nobody_is_alerted(workspace):
    _, original = workspace

    restored = restore(write(original.slug), "copy", resume=True)
    backups.redispatch_restored()

    assert {s.status for s in rows_in(Schedule, restored)} == {"active"}
    waiting = [p for p in rows_in(Publication, restored) if p.status == "scheduled" and not p.after_publication_id]
    assert len(waiting) == 2 and all(dispatch.scheduled_time(p) is not None for p in waiting)
    assert not [a for a in rows_in(Alert, restored) if a.message.startswith("Restored from backup")]

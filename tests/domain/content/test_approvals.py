"""The editorial workflow: submit, approve, reject, archive, restore; who may decide; held publications."""

from datetime import timedelta

import pytest

from webapp.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from webapp.domain.content import approvals, contents
from webapp.domain.content.approvals import APPROVAL_HOLD_PREFIX
from webapp.domain.publishing import approval_holds, preflight, publisher
from webapp.domain.publishing.lifecycle import Work
from webapp.domain.shared.actor import Actor
from webapp.extensions import db
from webapp.infra import dispatch
from webapp.models import AuditEvent, Content, ReviewDecision, Role, Workspace, utcnow


@pytest.fixture
def team(make):
    """An owner (the author) and an editor in one workspace."""
    author = make.actor()
    return author, make.member(author, Role.EDITOR.value)


def _statuses(content: Content) -> tuple[str, str]:
    db.session.refresh(content)
    stored = db.session.scalar(db.select(Content.status).where(Content.id == content.id))
    return content.status, stored


def test_submit_then_approve_records_the_history_and_audit(make, team):
    author, editor = team
    content = make.content(author)

    approvals.submit(author, content, "ready for a look")
    db.session.commit()
    approvals.approve(editor, content, "  looks good  ")
    db.session.commit()

    assert _statuses(content) == ("approved", "approved")
    rows = approvals.history(author, content)
    assert [(r.decision, r.from_status, r.reviewer_id, r.comment) for r in rows] == [
        ("submitted", "draft", author.user_id, "ready for a look"),
        ("approved", "review", editor.user_id, "looks good"),
    ]
    actions = [e.action for e in db.session.scalars(db.select(AuditEvent).order_by(AuditEvent.id))]
    assert actions[-2:] == ["content.submitted", "content.approved"]


def test_reject_sends_content_back_to_draft_and_needs_a_comment(make, team):
    author, editor = team
    content = make.content(author, status="review")

    with pytest.raises(ValidationFailed) as missing:
        approvals.reject(editor, content, "   ")
    assert "comment" in missing.value.fields
    assert _statuses(content) == ("review", "review")

    approvals.reject(editor, content, "The second paragraph repeats the first.")
    db.session.commit()
    assert _statuses(content) == ("draft", "draft")
    [row] = approvals.history(author, content)
    assert (row.decision, row.comment) == ("rejected", "The second paragraph repeats the first.")


@pytest.mark.parametrize(
    ("status", "call", "message"),
    [
        ("draft", "approve", "content is draft; only review content can be approved"),
        ("approved", "approve", "content is approved; only review content can be approved"),
        ("draft", "reject", "content is draft; only review content can be rejected"),
        ("review", "submit", "content is review; only draft content can be submitted for review"),
        ("archived", "submit", "content is archived; only draft content can be submitted for review"),
        ("archived", "archive", "content is archived; only approved or draft or review content can be archived"),
        ("draft", "restore", "content is draft; only archived content can be restored"),
    ],
)
def test_a_transition_the_state_machine_forbids_is_a_conflict_and_changes_nothing(make, team, status, call, message):
    author, editor = team
    content = make.content(author, status=status)
    before = db.session.scalar(db.select(db.func.count()).select_from(ReviewDecision))

    with pytest.raises(Conflict) as refused:
        getattr(approvals, call)(editor, content, "because")

    assert refused.value.message == message
    db.session.commit()
    assert _statuses(content) == (status, status)
    assert db.session.scalar(db.select(db.func.count()).select_from(ReviewDecision)) == before


def test_archive_and_restore(make, team):
    author, _ = team
    content = make.content(author, status="approved")
    approvals.archive(author, content)
    db.session.commit()
    assert _statuses(content) == ("archived", "archived")
    approvals.restore(author, content)
    db.session.commit()
    assert _statuses(content) == ("draft", "draft")


def test_the_author_may_not_approve_or_reject_their_own_content_when_someone_else_could(make, team):
    author, editor = team
    content = make.content(author, status="review")

    with pytest.raises(Forbidden, match="another owner or editor must approve it"):
        approvals.approve(author, content)
    with pytest.raises(Forbidden, match="another owner or editor must reject it"):
        approvals.reject(author, content, "no")
    assert _statuses(content) == ("review", "review")


def test_the_only_writer_of_a_workspace_may_approve_their_own_content(make):
    solo = make.actor()
    make.member(solo, Role.VIEWER.value)  # a viewer cannot review, so the owner is still the only one who can
    content = make.content(solo, status="review")

    approvals.approve(solo, content)
    db.session.commit()

    assert _statuses(content) == ("approved", "approved")


def test_viewers_cannot_take_any_decision(make, team):
    author, _ = team
    content = make.content(author, status="review")
    viewer = Actor(author.user_id, author.workspace_id, Role.VIEWER.value, "ui")
    for call in (approvals.submit, approvals.approve, approvals.archive):
        with pytest.raises(Forbidden):
            call(viewer, content)
    assert _statuses(content) == ("review", "review")


def test_another_workspaces_content_is_not_found(make, team):
    _, editor = team
    stranger = make.actor()
    content = make.content(stranger, status="review")
    with pytest.raises(NotFound):
        approvals.approve(editor, content)
    assert _statuses(content) == ("review", "review")


def test_an_overlong_comment_is_refused(make, team):
    author, editor = team
    content = make.content(author, status="review")
    with pytest.raises(ValidationFailed) as refused:
        approvals.approve(editor, content, "x" * (approvals.MAX_COMMENT + 1))
    assert refused.value.fields == {"comment": f"must be at most {approvals.MAX_COMMENT} characters"}


def test_two_reviewers_deciding_at_once_cannot_both_win(make, team):
    author, editor = team
    content = make.content(author, status="review")
    # Another request approved it after this one read the row.
    assert content.status == "review"  # this request's view, read before...
    db.session.execute(  # ...another request approved it
        db.update(Content)
        .where(Content.id == content.id)
        .values(status="approved")
        .execution_options(synchronize_session=False)
    )
    assert content.status == "review"

    with pytest.raises(Conflict, match="changed to approved meanwhile"):
        approvals.reject(editor, content, "too late")


# Unapproved content never publishes; approving it releases what was held.


def _held_publication(actor, content, make):
    publication = make.publication(actor, content)
    dispatch.unschedule_publication(publication)
    publisher.mark_queued([publication.id])
    assert publisher.execute(publication.id) == "held"
    db.session.refresh(publication)
    return publication


def test_approval_releases_publications_held_for_lack_of_it(make, team):
    author, editor = team
    content = make.content(author, status="review")
    db.session.get(Workspace, author.workspace_id).require_approval = True
    db.session.commit()
    publication = _held_publication(author, content, make)
    assert publication.status == "paused" and publication.hold_reason.startswith(APPROVAL_HOLD_PREFIX)
    assert approvals.held_publications(author, content) == [publication]

    work = Work()
    approval_holds.approve(editor, content, work=work)
    work.commit()

    db.session.refresh(publication)
    assert publication.status == "scheduled" and publication.hold_reason is None
    assert dispatch.scheduled_time(publication) is not None  # handed back to rq-scheduler
    assert approvals.held_publications(author, content) == []


def test_approval_leaves_publications_held_for_other_reasons_alone(make, team):
    # A rejected credential or a failed chain also holds with a "held: ..." reason; approving the
    # content fixes neither, so those stay paused.
    author, editor = team
    content = make.content(author, status="review")
    db.session.get(Workspace, author.workspace_id).require_approval = True
    db.session.commit()
    publication = _held_publication(author, content, make)
    publication.hold_reason = "held: the channel's credentials were rejected (401); fix them and resume the channel"
    db.session.commit()

    work = Work()
    approval_holds.approve(editor, content, work=work)
    work.commit()

    db.session.refresh(publication)
    assert publication.status == "paused" and publication.hold_reason.startswith("held: the channel's credentials")


def test_a_publication_paused_by_hand_stays_paused_on_approval(make, team):
    author, editor = team
    content = make.content(author, status="review")
    publication = make.publication(author, content, run_at=utcnow() + timedelta(hours=1))
    publication.status = "paused"  # paused by a person: no hold reason
    db.session.commit()

    work = Work()
    approval_holds.approve(editor, content, work=work)
    work.commit()

    db.session.refresh(publication)
    assert publication.status == "paused"


def test_preflight_alerts_before_the_due_time_and_not_once_approved(make, team):
    author, editor = team
    content = make.content(author, status="review")
    db.session.get(Workspace, author.workspace_id).require_approval = True
    db.session.commit()
    publication = make.publication(author, content)
    assert any("requires approval" in p for p in preflight.problems(publication))

    approvals.approve(editor, content)
    db.session.commit()

    assert not any("requires approval" in p for p in preflight.problems(publication))


def test_release_refuses_content_that_is_not_approved(make, team):
    author, _ = team
    content = make.content(author, status="review")
    with pytest.raises(Conflict):
        approval_holds.release_held(author, content, Work())


def test_in_a_workspace_requiring_approval_a_plain_write_cannot_skip_the_review(make, team):
    author, editor = team
    db.session.get(Workspace, author.workspace_id).require_approval = True
    db.session.commit()

    for status in ("review", "approved"):
        with pytest.raises(ValidationFailed) as refused:
            contents.create_content(author, title="Sneaky", status=status)
        assert "through submit and approve" in refused.value.fields["status"]
    content = make.content(author, status="draft")
    with pytest.raises(ValidationFailed):
        contents.update_content(editor, content.id, {"status": "approved"})
    assert _statuses(content) == ("draft", "draft")

    approvals.submit(author, content)
    approvals.approve(editor, content)
    db.session.commit()
    contents.update_content(author, content.id, {"title": "Renamed", "status": "approved"})  # unchanged: fine
    contents.update_content(author, content.id, {"status": "archived"})
    assert _statuses(content) == ("archived", "archived")


def test_without_required_approval_plain_writes_may_set_any_status(make, team):
    author, _ = team
    assert contents.create_content(author, title="Direct", status="approved").status == "approved"


def test_only_an_owner_may_change_the_approval_setting(make, team):
    author, editor = team
    with pytest.raises(Forbidden):
        approvals.set_require_approval(editor, True)
    assert approvals.set_require_approval(author, True).require_approval is True
    assert (
        db.session.scalars(db.select(AuditEvent.action).order_by(AuditEvent.id)).all()[-1]
        == "workspace.require_approval"
    )

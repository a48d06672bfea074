"""An edit of what approved content publishes sends it back to review where approval is required.

Approved → review (a `reopened` decision in its history naming what changed); its publications are then held at
their due time by the ordinary approval check until someone approves the new text.
"""

import pytest

from tests.media_files import image_bytes
from webapp.core.errors import Conflict
from webapp.domain.content import approvals, contents, media
from webapp.domain.content.approvals import APPROVAL_HOLD_PREFIX
from webapp.domain.publishing import approval_holds, preflight, publisher
from webapp.domain.publishing.lifecycle import Work
from webapp.extensions import db
from webapp.infra import dispatch
from webapp.models import AuditEvent, Content, Role, Workspace


@pytest.fixture
def team(make):
    """An owner (the author) and an editor (the reviewer) in a workspace that requires approval."""
    author = make.actor()
    reviewer = make.member(author, Role.EDITOR.value)
    db.session.get(Workspace, author.workspace_id).require_approval = True
    db.session.commit()
    return author, reviewer


@pytest.fixture
def approved(make, team):
    author, reviewer = team
    content = make.content(author, title="Launch", body="We launch on Monday.", excerpt="Soon", tags=["launch"])
    approvals.submit(author, content)
    approvals.approve(reviewer, content)
    db.session.commit()
    return content


def stored_status(content: Content) -> str:
    db.session.expire_all()
    return db.session.scalar(db.select(Content.status).where(Content.id == content.id))


def decisions(actor, content) -> list[tuple[str, str, str | None]]:
    return [(d.decision, d.from_status, d.comment) for d in approvals.history(actor, content)]


@pytest.mark.parametrize(
    ("changes", "part"),
    [
        ({"title": "Launch, moved"}, "title"),
        ({"body": "We launch on Tuesday."}, "body"),
        ({"excerpt": "Later"}, "excerpt"),
        ({"tags": ["launch", "delay"]}, "tags"),
        ({"content_type": "announcement"}, "content_type"),
        ({"body_format": "html"}, "body_format"),
        ({"variants": [{"platform": "mastodon", "body": "Tuesday!"}]}, "variants"),
    ],
)
def test_an_edit_of_published_text_sends_approved_content_back_to_review(team, approved, changes, part):
    author, _ = team

    contents.update_content(author, approved.id, changes)

    assert stored_status(approved) == "review"
    assert decisions(author, approved)[-1] == ("reopened", "approved", f"edited after approval: {part}")
    event = db.session.scalars(db.select(AuditEvent).filter_by(action="content.reopened")).one()
    assert event.details["changed"] == [part]


@pytest.mark.parametrize("changes", [{"slug": "launch-moved"}, {"variants": [{"platform": "ghost", "slug": "moved"}]}])
def test_a_new_slug_alone_keeps_the_approval(team, approved, changes):
    author, _ = team

    contents.update_content(author, approved.id, changes)

    assert stored_status(approved) == "approved"  # the URL, not the text the reviewer approved


def test_the_reopened_decision_names_every_changed_part_and_who_edited(team, approved):
    author, _ = team

    contents.update_content(author, approved.id, {"title": "New title", "body": "New body"})

    [reopened] = [d for d in approvals.history(author, approved) if d.decision == "reopened"]
    assert reopened.comment == "edited after approval: title, body" and reopened.reviewer_id == author.user_id


@pytest.mark.parametrize(
    "changes",
    [{}, {"title": "Launch"}, {"title": "  Launch  ", "tags": ["launch"]}, {"status": "approved"}, {"variants": []}],
)
def test_a_save_that_changes_no_published_text_keeps_the_approval(team, approved, changes):
    author, _ = team

    contents.update_content(author, approved.id, changes)

    assert stored_status(approved) == "approved"
    assert [d[0] for d in decisions(author, approved)] == ["submitted", "approved"]


def test_without_required_approval_an_edit_keeps_approved_content_approved(make):
    actor = make.actor()
    content = make.content(actor, status="approved")

    contents.update_content(actor, content.id, {"body": "Changed"})

    assert stored_status(content) == "approved" and approvals.history(actor, content) == []


def test_an_edit_that_itself_moves_the_status_to_draft_or_archived_is_left_there(team, approved):
    author, _ = team

    contents.update_content(author, approved.id, {"body": "Rewritten", "status": "draft"})

    assert stored_status(approved) == "draft"
    assert "reopened" not in [d[0] for d in decisions(author, approved)]


def test_the_edited_content_s_publication_is_held_at_its_due_time_until_approved_again(make, team, approved):
    author, reviewer = team
    publication = make.publication(author, approved)
    assert not any("requires approval" in p for p in preflight.problems(publication))

    contents.update_content(author, approved.id, {"body": "Unreviewed words."})

    assert any("requires approval" in p for p in preflight.problems(publication))
    dispatch.unschedule_publication(publication)
    publisher.mark_queued([publication.id])
    assert publisher.execute(publication.id) == "held"
    db.session.refresh(publication)
    assert publication.status == "paused" and publication.hold_reason.startswith(APPROVAL_HOLD_PREFIX)
    assert "content is 'review'" in publication.hold_reason

    work = Work()
    approval_holds.approve(reviewer, db.session.get(Content, approved.id), work=work)
    work.commit()
    db.session.refresh(publication)
    assert publication.status == "scheduled"


def test_an_edit_racing_a_reviewer_who_approved_the_old_text_is_a_conflict(make, team):
    author, _ = team
    content = make.content(author, title="Draft one")
    approvals.submit(author, content)
    db.session.commit()
    content = db.session.get(Content, content.id)
    assert content.status == "review"  # this edit's view, read before...
    db.session.execute(  # ...a reviewer approved what was there then
        db.update(Content)
        .where(Content.id == content.id)
        .values(status="approved")
        .execution_options(synchronize_session=False)
    )
    assert content.status == "review"

    with pytest.raises(Conflict, match="reviewed meanwhile"):
        contents.update_content(author, content.id, {"title": "Draft two"})

    db.session.rollback()  # as the API and the pages do on a Conflict: nothing of the edit is kept
    assert db.session.get(Content, content.id).title == "Draft one"


def test_an_edit_of_content_in_review_keeps_it_in_review_without_a_new_decision(make, team):
    author, _ = team
    content = make.content(author)
    approvals.submit(author, content)
    db.session.commit()

    contents.update_content(author, content.id, {"body": "Second thoughts"})

    assert stored_status(content) == "review" and [d[0] for d in decisions(author, content)] == ["submitted"]


def test_adding_or_removing_an_image_sends_approved_content_back_to_review(team, approved, media_folder):
    author, reviewer = team

    image = media.add_media(author, approved.id, image_bytes(), "photo.png", "A photo")

    assert stored_status(approved) == "review"
    assert decisions(author, approved)[-1] == ("reopened", "approved", "edited after approval: media")
    approvals.approve(reviewer, db.session.get(Content, approved.id))
    db.session.commit()

    media.delete_media(author, approved.id, image.id)

    assert stored_status(approved) == "review"
    assert [d[0] for d in decisions(author, approved)][-2:] == ["approved", "reopened"]

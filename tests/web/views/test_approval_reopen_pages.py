"""The editor page: saving new text for approved content sends it back to review, shown in its history."""

from __future__ import annotations

from webapp.domain.content import approvals, contents
from webapp.extensions import db
from webapp.models import Content, Workspace


def test_saving_approved_content_with_new_text_shows_it_reopened_on_the_review_page(client, ada):
    db.session.get(Workspace, ada.workspace_id).require_approval = True
    content = contents.create_content(ada, title="Launch", body="Monday", tags=["launch"])
    approvals.submit(ada, content)
    approvals.approve(ada, content)  # the only writer may approve their own content
    db.session.commit()

    form = {"title": "Launch", "body": "Tuesday", "excerpt": "", "content_type": "article", "tags": "launch"}
    saved = client.post(f"/contents/{content.id}/edit", data=form)

    assert saved.status_code == 303
    db.session.expire_all()
    assert db.session.get(Content, content.id).status == "review"
    page = client.get(f"/contents/{content.id}/review").get_data(as_text=True)
    assert "reopened" in page and "edited after approval: body" in page


def test_saving_approved_content_unchanged_keeps_it_approved(client, ada):
    db.session.get(Workspace, ada.workspace_id).require_approval = True
    content = contents.create_content(ada, title="Launch", body="Monday", tags=["launch"])
    approvals.submit(ada, content)
    approvals.approve(ada, content)
    db.session.commit()

    form = {"title": "Launch", "body": "Monday", "excerpt": "", "content_type": "article", "tags": "launch"}
    assert client.post(f"/contents/{content.id}/edit", data=form).status_code == 303

    db.session.expire_all()
    assert db.session.get(Content, content.id).status == "approved"

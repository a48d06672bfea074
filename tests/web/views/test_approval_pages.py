"""The review page: status, decisions with a comment, the history; and the owner's approval setting."""

from __future__ import annotations

import re

import pytest

from tests.conftest import PASSWORD
from webapp.domain.publishing import publisher
from webapp.extensions import db
from webapp.infra import dispatch
from webapp.models import Content, Membership, ReviewDecision, Role, Workspace


class Browser:
    """A test client whose every request runs in its own app context.

    The tests' app context is shared by every request otherwise, and Flask-Login caches the signed-in
    user in its `g`: two people's clients would both act as whoever signed in first.
    """

    def __init__(self, app, client=None):
        self.app, self.client = app, client or app.test_client()

    def __getattr__(self, method):
        def call(*args, **kwargs):
            with self.app.app_context():
                return getattr(self.client, method)(*args, **kwargs)

        return call


@pytest.fixture
def client(app, client):
    """Ada's client (signed in by the `ada` fixture), one app context per request."""
    return Browser(app, client)


def _member(app, make, ada, email: str, role: Role) -> Browser:
    user = make.user(email=email)
    membership = db.session.query(Membership).filter_by(user_id=user.id).one()
    membership.workspace_id, membership.role = ada.workspace_id, role.value  # into Ada's workspace
    db.session.commit()
    browser = Browser(app)
    assert browser.post("/signin", data={"email": email, "password": PASSWORD}).status_code == 303
    return browser


@pytest.fixture
def bob(app, make, ada):
    """An editor in Ada's workspace, signed in on his own client."""
    return _member(app, make, ada, "bob@example.test", Role.EDITOR)


def _buttons(html: str) -> list[str]:
    return re.findall(r'<button type="submit" class="small" formaction="[^"]+">([^<]+)</button>', html)


def _status(content_id: int) -> str:
    return db.session.scalar(db.select(Content.status).where(Content.id == content_id))


def test_the_author_submits_and_sees_only_the_decisions_open_to_them(client, make, ada, bob):
    content = make.content(ada, title="Launch <notes>")
    page = client.get(f"/contents/{content.id}/review").get_data(as_text=True)
    assert "Launch &lt;notes&gt;" in page
    assert _buttons(page) == ["submit for review", "archive"]

    response = client.post(f"/contents/{content.id}/submit", data={"comment": "first cut"})

    assert response.status_code == 303 and response.location.endswith(f"/contents/{content.id}/review")
    assert _status(content.id) == "review"
    page = client.get(f"/contents/{content.id}/review").get_data(as_text=True)
    assert "submitted for review" in page and "first cut" in page
    assert _buttons(page) == ["archive"]  # Ada wrote it and Bob can review: she may not approve it
    assert "another owner or editor approves or rejects it" in page


def test_another_editor_rejects_with_a_comment_then_approves(client, make, ada, bob):
    bob_client = bob
    content = make.content(ada, status="review")
    page = bob_client.get(f"/contents/{content.id}/review").get_data(as_text=True)
    assert _buttons(page) == ["approve", "reject", "archive"]

    missing = bob_client.post(f"/contents/{content.id}/reject", data={"comment": ""})
    assert missing.status_code == 422
    assert 'id="comment-error"' in missing.get_data(as_text=True)
    assert _status(content.id) == "review"

    bob_client.post(f"/contents/{content.id}/reject", data={"comment": "Needs a <b>source</b>."})
    assert _status(content.id) == "draft"
    client.post(f"/contents/{content.id}/submit", data={"comment": ""})
    assert bob_client.post(f"/contents/{content.id}/approve", data={"comment": "ok"}).status_code == 303
    assert _status(content.id) == "approved"

    history = client.get(f"/contents/{content.id}/review").get_data(as_text=True).split("<h2>history</h2>")[1]
    assert "Needs a &lt;b&gt;source&lt;/b&gt;." in history
    assert re.findall(r"status-(\w+)", history) == ["rejected", "submitted", "approved"]
    assert history.count("bob@example.test") == 2


def test_a_refused_decision_explains_itself_and_changes_nothing(client, make, ada, bob):
    content = make.content(ada, status="review")

    own = client.post(f"/contents/{content.id}/approve", data={"comment": ""})
    assert own.status_code == 403
    assert "another owner or editor must approve it" in own.get_data(as_text=True)

    draft = make.content(ada)
    bob_client = bob
    wrong_state = bob_client.post(f"/contents/{draft.id}/approve", data={})
    assert wrong_state.status_code == 409
    assert "only review content can be approved" in wrong_state.get_data(as_text=True)
    assert (_status(content.id), _status(draft.id)) == ("review", "draft")
    assert db.session.query(ReviewDecision).count() == 0


def test_a_viewer_sees_the_history_but_no_decision(app, client, make, ada):
    content = make.content(ada, status="review")
    viewer = _member(app, make, ada, "vera@example.test", Role.VIEWER)

    page = viewer.get(f"/contents/{content.id}/review")
    assert page.status_code == 200 and _buttons(page.get_data(as_text=True)) == []
    assert viewer.post(f"/contents/{content.id}/approve", data={}).status_code == 403
    assert _status(content.id) == "review"


def test_approving_on_the_page_releases_held_publications(client, make, ada, bob):
    content = make.content(ada, status="review")
    db.session.get(Workspace, ada.workspace_id).require_approval = True
    db.session.commit()
    publication = make.publication(ada, content)
    dispatch.unschedule_publication(publication)
    publisher.mark_queued([publication.id])
    assert publisher.execute(publication.id) == "held"
    page = client.get(f"/contents/{content.id}/review").get_data(as_text=True)
    assert "1 publication held until this is approved" in page

    bob_client = bob
    response = bob_client.post(f"/contents/{content.id}/approve", data={}, follow_redirects=True)

    assert "1 held publication released." in response.get_data(as_text=True)
    db.session.refresh(publication)
    assert publication.status == "scheduled"


def test_only_the_owner_sees_and_changes_the_approval_setting(client, make, ada, bob):
    page = client.get("/settings/").get_data(as_text=True)
    assert 'name="require_approval"' in page

    assert client.post("/settings/approval", data={"require_approval": "on"}).status_code == 303
    assert db.session.get(Workspace, ada.workspace_id).require_approval is True
    assert 'name="require_approval" checked' in client.get("/settings/").get_data(as_text=True)

    bob_client = bob
    assert 'name="require_approval"' not in bob_client.get("/settings/").get_data(as_text=True)
    assert bob_client.post("/settings/approval", data={}).status_code == 403
    db.session.expire_all()
    assert db.session.get(Workspace, ada.workspace_id).require_approval is True

    client.post("/settings/approval", data={})  # the box unticked
    db.session.expire_all()
    assert db.session.get(Workspace, ada.workspace_id).require_approval is False


def test_the_content_list_links_each_status_to_its_review_page(client, make, ada):
    content = make.content(ada, title="Linked", status="review")
    html = client.get("/contents/").get_data(as_text=True)
    assert f'href="/contents/{content.id}/review"' in html
    assert 'aria-label="review: review Linked"' in html

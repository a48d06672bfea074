"""A viewer in the browser: controls they cannot use are hidden, every change is refused, their account stays theirs."""

from __future__ import annotations

import pytest

from webapp.domain.accounts import accounts, workspaces
from webapp.extensions import db
from webapp.models import Alert, ApiKey, AuditEvent, Membership, User


@pytest.fixture
def team(client, auth, make):
    """Olga owns a workspace with one unread alert; Vera, signed in on `client`, is a viewer there."""
    olga = make.user("olga@example.test")
    workspace_id = accounts.membership_for(olga.id).workspace_id
    db.session.add(Alert(workspace_id=workspace_id, kind="failure", message="Post failed on hook"))
    auth.sign_up("vera@example.test")
    vera = accounts.find_user("vera@example.test")
    db.session.add(Membership(workspace_id=workspace_id, user_id=vera.id, role="viewer"))
    db.session.commit()
    workspaces.switch_workspace(vera, workspace_id)
    return {"workspace_id": workspace_id, "vera": vera}


def test_a_viewer_sees_alerts_without_the_mark_read_controls(client, team):
    html = client.get("/alerts/").get_data(as_text=True)

    assert "Post failed on hook" in html
    assert "Mark all read" not in html and "Select alert" not in html


def test_a_viewer_s_page_post_is_refused_before_the_view_and_changes_nothing(client, team):
    events = db.session.query(AuditEvent).count()

    response = client.post("/alerts/read", data={"all": "1"})

    assert response.status_code == 403 and "read-only" in response.get_data(as_text=True)
    assert db.session.query(Alert).one().read_at is None
    assert db.session.query(AuditEvent).count() == events


def test_an_editor_may_still_mark_alerts_read(client, team):
    db.session.query(Membership).filter_by(user_id=team["vera"].id, workspace_id=team["workspace_id"]).update(
        {"role": "editor"}
    )
    db.session.commit()

    assert client.post("/alerts/read", data={"all": "1"}).status_code == 303
    assert db.session.query(Alert).one().read_at is not None


def test_a_viewer_still_manages_their_own_account(client, team):
    assert client.post("/settings/timezone", data={"timezone": "Europe/Paris"}).status_code == 303
    assert client.post("/settings/api-keys", data={"name": "read only"}).status_code == 201
    own = db.session.query(ApiKey).filter_by(user_id=team["vera"].id).one()
    assert client.post(f"/settings/api-keys/{own.id}/revoke").status_code == 303
    personal = db.session.query(Membership).filter_by(user_id=team["vera"].id, role="owner").one()
    assert client.post(f"/workspaces/{personal.workspace_id}/switch").status_code == 303

    vera = db.session.get(User, team["vera"].id)
    assert vera.timezone == "Europe/Paris" and own.revoked_at is not None
    assert vera.last_workspace_id == personal.workspace_id != team["workspace_id"]

"""Workspace pages: the header's switcher, making a workspace, switching, renaming (owners only)."""

from __future__ import annotations

import pytest

from webapp.domain.accounts import accounts, workspaces
from webapp.extensions import db
from webapp.models import AuditEvent, Membership, User, Workspace


def current_workspace(email: str = "ada@example.test") -> Workspace:
    user = db.session.query(User).filter_by(email=email).one()
    return db.session.get(Workspace, accounts.membership_for(user.id).workspace_id)


def test_the_header_shows_the_current_workspace_and_a_switch_button_for_each_other_one(client, auth):
    auth.sign_up()
    user = accounts.find_user("ada@example.test")
    workspaces.create_workspace(user, "Client <b>sites</b>")
    workspaces.switch_workspace(user, db.session.query(Workspace).filter_by(slug="ada").one().id)

    html = client.get("/").get_data(as_text=True)

    assert 'aria-label="Workspace: ada&#39;s workspace. Switch workspace"' in html
    assert 'aria-label="Switch to Client &lt;b&gt;sites&lt;/b&gt;"' in html and "<b>sites" not in html
    assert 'href="/members/"' in html and 'href="/workspaces/new"' in html


def test_the_new_workspace_page_has_a_labelled_form(client, auth):
    auth.sign_up()

    html = client.get("/workspaces/new").get_data(as_text=True)

    assert '<label for="name">Workspace name</label>' in html and "Create workspace" in html


def test_creating_a_workspace_switches_to_it(client, auth):
    auth.sign_up()

    response = client.post("/workspaces/", data={"name": "Client sites"})

    assert (response.status_code, response.headers["Location"]) == (303, "/")
    assert current_workspace().name == "Client sites"
    assert "Client sites" in client.get("/").get_data(as_text=True)


def test_a_workspace_without_a_name_is_refused_beside_the_field(client, auth):
    auth.sign_up()

    response = client.post("/workspaces/", data={"name": "   "})

    assert response.status_code == 422 and 'id="name-error"' in response.get_data(as_text=True)
    assert db.session.query(Workspace).count() == 1


def test_switching_moves_every_page_to_the_other_workspace(client, auth, make):
    auth.sign_up()
    user = accounts.find_user("ada@example.test")
    first = current_workspace().id
    workspaces.create_workspace(user, "Second")
    make.channel(make.actor(user), name="Only in first")  # make.actor picks the first membership
    assert "Only in first" not in client.get("/channels/").get_data(as_text=True)

    response = client.post(f"/workspaces/{first}/switch")

    assert (response.status_code, response.headers["Location"]) == (303, "/")
    assert current_workspace().id == first
    assert "Only in first" in client.get("/channels/").get_data(as_text=True)


def test_switching_to_someone_else_s_workspace_is_404(client, auth, make):
    stranger = make.user()
    auth.sign_up()

    response = client.post(f"/workspaces/{accounts.membership_for(stranger.id).workspace_id}/switch")

    assert response.status_code == 404
    assert current_workspace().slug == "ada"


def test_an_owner_renames_the_workspace(client, auth):
    auth.sign_up()

    response = client.post("/workspaces/rename", data={"name": "Agency"})

    assert (response.status_code, response.headers["Location"]) == (303, "/members/")
    assert current_workspace().name == "Agency"


def test_a_bad_name_is_refused_on_the_members_page(client, auth):
    auth.sign_up()

    response = client.post("/workspaces/rename", data={"name": "x" * 200})

    assert response.status_code == 422 and 'id="name-error"' in response.get_data(as_text=True)
    assert current_workspace().name == "ada's workspace"


@pytest.mark.parametrize("role", ["editor", "viewer"])
def test_only_an_owner_may_rename(client, auth, make, role):
    owner = make.user()
    workspace_id = accounts.membership_for(owner.id).workspace_id
    auth.sign_up()
    ada = accounts.find_user("ada@example.test")
    db.session.add(Membership(workspace_id=workspace_id, user_id=ada.id, role=role))
    db.session.commit()
    workspaces.switch_workspace(ada, workspace_id)

    response = client.post("/workspaces/rename", data={"name": "Mine now"})

    assert response.status_code == 403
    assert db.session.get(Workspace, workspace_id).name != "Mine now"
    assert "Rename workspace" not in client.get("/members/").get_data(as_text=True)


def test_a_user_without_any_workspace_is_sent_to_make_one(client, auth, make):
    auth.sign_up()
    ada = accounts.find_user("ada@example.test")
    db.session.query(Membership).filter_by(user_id=ada.id).delete()
    db.session.commit()

    assert client.get("/").headers["Location"] == "/workspaces/new"
    assert client.get("/workspaces/new").status_code == 200
    assert client.post("/workspaces/", data={"name": "Fresh start"}).status_code == 303
    assert client.get("/").status_code == 200
    assert db.session.query(AuditEvent).filter_by(action="workspace.created").count() == 1

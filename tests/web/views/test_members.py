"""The members page and invitation links, through the real forms and a real local SMTP server."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tests.mailbox import (
    deliver_queued_mail,
    smtp_server_fixture,  # noqa: F401 - the `smtp_server` fixture
)
from webapp.domain.accounts import accounts, invitations, workspaces
from webapp.domain.shared.actor import Actor
from webapp.extensions import db
from webapp.models import ApiKey, Invitation, Membership, User, Workspace

PASSWORD = "Correct-Horse-42!"
LINK = re.compile(r'<code id="invitation-link">([^<]+)</code>')


@pytest.fixture
def ada(client, auth) -> Actor:
    """Ada, signed in on `client`, owner of her workspace."""
    auth.sign_up("ada@example.test")
    user = accounts.find_user("ada@example.test")
    return Actor(user.id, accounts.membership_for(user.id).workspace_id, "owner", "ui")


def add_member(workspace_id: int, email: str, role: str, make) -> Membership:
    membership = Membership(workspace_id=workspace_id, user_id=make.user(email).id, role=role)
    db.session.add(membership)
    db.session.commit()
    return membership


def path_of(link: str) -> str:
    return link.split("herald.test", 1)[-1].split("herald.example.test", 1)[-1]


def test_the_members_page_lists_members_with_labelled_owner_controls(client, ada, make):
    viewer = add_member(ada.workspace_id, "vic@example.test", "viewer", make)

    html = client.get("/members/").get_data(as_text=True)

    assert "ada@example.test" in html and "vic@example.test" in html
    assert f'<label class="sr-only" for="role-{viewer.id}">Role of vic@example.test</label>' in html
    for label in (
        "Change role of vic@example.test",
        "Transfer ownership to vic@example.test",
        "Remove vic@example.test",
    ):
        assert f'aria-label="{label}"' in html
    assert "Create invitation link" in html and "Rename workspace" in html


@pytest.mark.parametrize("role", ["editor", "viewer"])
def test_a_non_owner_sees_the_members_but_no_controls(client, auth, make, role):
    owner = make.user("olga@example.test")
    workspace_id = accounts.membership_for(owner.id).workspace_id
    auth.sign_up("ada@example.test")
    ada = accounts.find_user("ada@example.test")
    db.session.add(Membership(workspace_id=workspace_id, user_id=ada.id, role=role))
    db.session.commit()
    workspaces.switch_workspace(ada, workspace_id)

    html = client.get("/members/").get_data(as_text=True)

    assert "olga@example.test" in html and "Only an owner can invite" in html
    assert "Create invitation link" not in html and "Change role of" not in html and "Remove olga" not in html


def test_an_invitation_shows_its_one_time_link_once_and_sends_no_mail_without_smtp(client, ada):
    response = client.post("/members/invitations", data={"email": "new@example.test", "role": "viewer"})

    assert response.status_code == 201
    html = response.get_data(as_text=True)
    link = LINK.search(html).group(1)
    assert link.startswith("http://herald.test/invitations/") and "on its way by email" not in html
    assert db.session.scalars(select(Invitation)).one().token_hash == accounts.hash_token(link.rsplit("/", 1)[1])
    page = client.get("/members/").get_data(as_text=True)
    assert link not in page and "new@example.test" in page  # pending, but the link is not shown again


def test_with_smtp_the_invitation_is_emailed_with_a_public_url_link(client, ada, smtp_server):
    response = client.post("/members/invitations", data={"email": "new@example.test", "role": "editor"})
    link = LINK.search(response.get_data(as_text=True)).group(1)
    assert "on its way by email" in response.get_data(as_text=True)

    deliver_queued_mail()

    [message] = smtp_server.messages
    assert message["To"] == "new@example.test" and message["Subject"] == "Join ada's workspace on Herald"
    assert link.startswith("https://herald.example.test/invitations/") and link in message.get_content()
    assert "as editor" in message.get_content()


@pytest.mark.parametrize(
    ("data", "field"),
    [({"email": "nope", "role": "viewer"}, "email"), ({"email": "x@example.test", "role": "god"}, "role")],
)
def test_a_bad_invitation_is_refused_beside_the_field(client, ada, data, field):
    response = client.post("/members/invitations", data=data)

    assert response.status_code == 422 and f'id="{field}-error"' in response.get_data(as_text=True)
    assert db.session.query(Invitation).count() == 0


def test_an_owner_revokes_a_pending_invitation(client, ada):
    invitation, token = invitations.create_invitation(ada, "new@example.test", "viewer")

    response = client.post(f"/members/invitations/{invitation.id}/revoke")

    assert (response.status_code, response.headers["Location"]) == (303, "/members/")
    assert client.get(f"/invitations/{token}").status_code == 404


def test_an_owner_changes_a_role(client, ada, make):
    viewer = add_member(ada.workspace_id, "vic@example.test", "viewer", make)

    response = client.post(f"/members/{viewer.id}/role", data={"role": "editor"})

    assert response.status_code == 303
    assert db.session.get(Membership, viewer.id).role == "editor"


def test_a_missing_role_is_refused(client, ada, make):
    viewer = add_member(ada.workspace_id, "vic@example.test", "viewer", make)

    response = client.post(f"/members/{viewer.id}/role", data={"role": "root"})

    assert response.status_code == 422 and "Choose a role" in response.get_data(as_text=True)
    assert db.session.get(Membership, viewer.id).role == "viewer"


def test_the_last_owner_cannot_step_down_and_is_told_why(client, ada):
    mine = accounts.membership_for(ada.user_id)

    response = client.post(f"/members/{mine.id}/role", data={"role": "viewer"})

    assert response.status_code == 409 and "at least one owner" in response.get_data(as_text=True)
    assert client.post(f"/members/{mine.id}/remove").status_code == 409
    assert db.session.get(Membership, mine.id).role == "owner"


def test_an_owner_removes_a_member(client, ada, make):
    editor = add_member(ada.workspace_id, "ed@example.test", "editor", make)

    response = client.post(f"/members/{editor.id}/remove")

    assert (response.status_code, response.headers["Location"]) == (303, "/members/")
    assert db.session.get(Membership, editor.id) is None
    assert "ed@example.test removed" in client.get("/members/").get_data(as_text=True)


def test_an_owner_transfers_ownership_and_loses_the_owner_controls(client, ada, make):
    editor = add_member(ada.workspace_id, "ed@example.test", "editor", make)

    response = client.post(f"/members/{editor.id}/transfer")

    assert response.status_code == 303
    assert db.session.get(Membership, editor.id).role == "owner"
    assert accounts.membership_for(ada.user_id).role == "editor"
    assert "Create invitation link" not in client.get("/members/").get_data(as_text=True)
    assert client.post(f"/members/{editor.id}/remove").status_code == 403


def test_an_owner_revokes_another_member_s_api_key_from_the_members_page(client, ada, make):
    editor = add_member(ada.workspace_id, "ed@example.test", "editor", make)
    slug = db.session.get(Workspace, ada.workspace_id).slug
    record, key = accounts.create_api_key(db.session.get(User, editor.user_id), workspace_slug=slug, name="ci")
    assert "Revoke ed@example.test's key ci" in client.get("/members/").get_data(as_text=True)

    response = client.post(f"/settings/api-keys/{record.id}/revoke", data={"back": "members"})

    assert (response.status_code, response.headers["Location"]) == (303, "/members/")
    assert db.session.get(ApiKey, record.id).revoked_at is not None
    assert accounts.resolve_api_key(key) is None


# ---- accepting a link ----


def test_a_stranger_creates_their_account_through_the_link_and_lands_in_the_workspace(app, ada):
    _, token = invitations.create_invitation(ada, "new@example.test", "viewer")
    stranger = app.test_client()

    page = stranger.get(f"/invitations/{token}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'value="new@example.test" readonly' in html and "Create account and join" in html

    response = stranger.post(f"/invitations/{token}", data={"password": PASSWORD, "timezone": "UTC"})

    assert (response.status_code, response.headers["Location"]) == (303, "/")
    user = accounts.find_user("new@example.test")
    assert [(m.workspace_id, m.role) for m in user.memberships] == [(ada.workspace_id, "viewer")]
    assert "viewer" in stranger.get("/").get_data(as_text=True)
    # The link is spent: a second visit, even by someone else, finds nothing.
    again = app.test_client().get(f"/invitations/{token}")
    assert again.status_code == 404 and "already used" in again.get_data(as_text=True)


def test_a_weak_password_on_the_link_shows_the_error_and_creates_nothing(app, ada):
    _, token = invitations.create_invitation(ada, "new@example.test", "viewer")

    response = app.test_client().post(f"/invitations/{token}", data={"password": "short", "timezone": "UTC"})

    assert response.status_code == 422 and 'id="password-error"' in response.get_data(as_text=True)
    assert db.session.query(User).filter_by(email="new@example.test").count() == 0


def test_an_existing_account_is_asked_to_sign_in_then_accepts(app, ada, make):
    make.user("bob@example.test")
    _, token = invitations.create_invitation(ada, "bob@example.test", "editor")
    bob = app.test_client()

    html = bob.get(f"/invitations/{token}").get_data(as_text=True)
    assert f'href="/signin?next=/invitations/{token}"' in html

    signed_in = bob.post(f"/signin?next=/invitations/{token}", data={"email": "bob@example.test", "password": PASSWORD})
    assert signed_in.headers["Location"] == f"/invitations/{token}"
    assert "Accept the invitation" in bob.get(f"/invitations/{token}").get_data(as_text=True)
    response = bob.post(f"/invitations/{token}")

    assert response.status_code == 303
    bob_user = accounts.find_user("bob@example.test")
    assert accounts.membership_for(bob_user.id).workspace_id == ada.workspace_id
    assert bob.post(f"/invitations/{token}").status_code == 404


def test_a_signed_in_user_with_another_email_cannot_accept(client, ada):
    _, token = invitations.create_invitation(ada, "new@example.test", "viewer")

    page = client.get(f"/invitations/{token}").get_data(as_text=True)
    response = client.post(f"/invitations/{token}")

    assert "You are signed in as ada@example.test" in page
    assert response.status_code == 409
    assert db.session.scalars(select(Invitation)).one().accepted_at is None


def test_a_made_up_link_is_404(app):
    response = app.test_client().get("/invitations/made-up-token")

    assert response.status_code == 404 and "not valid" in response.get_data(as_text=True)

"""The key's workspace, members and invitations over the API: read by members, changed by owners only."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.mailbox import (
    deliver_queued_mail,
    smtp_server_fixture,  # noqa: F401 - the `smtp_server` fixture
)
from webapp.domain.accounts import accounts
from webapp.extensions import db
from webapp.models import ApiKey, AuditEvent, Invitation, Membership, Role, Workspace


def audited(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).filter_by(action=action)))


def test_the_workspace_says_its_name_slug_setting_and_the_key_s_role(api, owner, member, assert_schema):
    workspace = db.session.get(Workspace, owner.workspace_id)
    _, viewer_key = member("viewer")

    mine, viewers = api("GET", "/workspace"), api("GET", "/workspace", key_override=viewer_key)

    assert mine.status_code == viewers.status_code == 200
    assert_schema(mine.json, "Workspace")
    assert {k: mine.json[k] for k in ("id", "name", "slug", "require_approval", "role")} == {
        "id": workspace.id,
        "name": workspace.name,
        "slug": workspace.slug,
        "require_approval": False,
        "role": "owner",
    }
    assert mine.json["membership_id"] == accounts.membership_for(owner.user_id, workspace.id).id
    assert viewers.json["role"] == "viewer" and viewers.json["id"] == workspace.id


def test_an_owner_renames_the_workspace_and_turns_on_approval(api, owner):
    response = api("PATCH", "/workspace", json={"name": "  Acme   Agency ", "require_approval": True})

    assert response.status_code == 200
    assert (response.json["name"], response.json["require_approval"]) == ("Acme Agency", True)
    workspace = db.session.get(Workspace, owner.workspace_id)
    assert (workspace.name, workspace.require_approval) == ("Acme Agency", True)
    assert len(audited("workspace.renamed")) == len(audited("workspace.require_approval")) == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 121}, "name"),
        ({"name": 7}, "name"),
        ({"require_approval": "yes"}, "require_approval"),
        ({"name": "Fine name", "require_approval": 1}, "require_approval"),
        ({"name": "   ", "require_approval": True}, "name"),
    ],
)
def test_a_bad_workspace_change_is_422_and_changes_nothing(api, unchanged, body, field):
    with unchanged():
        response = api("PATCH", "/workspace", json=body)

    assert response.status_code == 422 and field in response.json["error"]["fields"]


def test_only_an_owner_changes_the_workspace(api, member, unchanged):
    _, editor_key = member("editor")
    with unchanged():
        response = api("PATCH", "/workspace", key_override=editor_key, json={"name": "Mine now"})
    assert response.status_code == 403


def test_members_are_listed_owners_first_with_the_key_s_owner_marked(api, owner, member, assert_schema):
    member("viewer", "vera@example.test")
    _, editor_key = member("editor", "eddie@example.test")

    response = api("GET", "/members", key_override=editor_key)

    assert response.status_code == 200
    assert_schema(response.json, "MemberList")
    rows = [(m["role"], m["email"], m["you"]) for m in response.json["items"]]
    assert rows[0][0] == "owner" and rows[1:] == [
        ("editor", "eddie@example.test", True),
        ("viewer", "vera@example.test", False),
    ]
    assert response.json["total"] == 3


def test_an_owner_changes_a_member_s_role(api, member, assert_schema):
    membership, _ = member("viewer")

    response = api("PATCH", f"/members/{membership.id}", json={"role": "editor"})

    assert response.status_code == 200 and response.json["role"] == "editor"
    assert_schema(response.json, "Member")
    assert db.session.get(Membership, membership.id).role == "editor"
    assert audited("member.role_changed")[0].details["new"] == "editor"


@pytest.mark.parametrize(("body", "status"), [({"role": "admin"}, 422), ({}, 422), ({"role": None}, 422)])
def test_a_bad_role_is_422_and_changes_nothing(api, member, unchanged, body, status):
    membership, _ = member("viewer")
    with unchanged():
        response = api("PATCH", f"/members/{membership.id}", json=body)
    assert response.status_code == status and "role" in response.json["error"]["fields"]


def test_the_last_owner_cannot_step_down_or_leave(api, owner, unchanged):
    mine = accounts.membership_for(owner.user_id, owner.workspace_id)
    with unchanged():
        stepping_down = api("PATCH", f"/members/{mine.id}", json={"role": "editor"})
        leaving = api("DELETE", f"/members/{mine.id}")
    assert stepping_down.status_code == leaving.status_code == 409
    assert "at least one owner" in leaving.json["error"]["message"]


def test_an_editor_cannot_change_roles_or_remove_anyone(api, member, unchanged):
    target, _ = member("viewer")
    _, editor_key = member("editor")
    with unchanged():
        assert api("PATCH", f"/members/{target.id}", key_override=editor_key, json={"role": "owner"}).status_code == 403
        assert api("DELETE", f"/members/{target.id}", key_override=editor_key).status_code == 403
        assert api("POST", f"/members/{target.id}/transfer", key_override=editor_key).status_code == 403


def test_removing_a_member_revokes_their_keys_here(api, member):
    membership, their_key = member("editor")
    assert api("GET", "/workspace", key_override=their_key).status_code == 200

    assert api("DELETE", f"/members/{membership.id}").status_code == 204

    assert db.session.get(Membership, membership.id) is None
    assert api("GET", "/workspace", key_override=their_key).status_code == 401
    assert all(
        k.revoked_at is not None for k in db.session.scalars(select(ApiKey).filter_by(user_id=membership.user_id))
    )


def test_transferring_ownership_makes_the_owner_an_editor(api, owner, member):
    membership, their_key = member("editor")

    response = api("POST", f"/members/{membership.id}/transfer")

    assert (response.status_code, response.json["role"]) == (200, "owner")
    assert api("GET", "/workspace").json["role"] == "editor"
    assert api("GET", "/workspace", key_override=their_key).json["role"] == "owner"
    assert api("PATCH", "/workspace", json={"name": "Not mine any more"}).status_code == 403


def test_an_invitation_s_link_is_answered_once_and_works(app, api, assert_schema):
    response = api("POST", "/invitations", json={"email": "New@Example.test", "role": "viewer"})

    assert response.status_code == 201
    assert_schema(response.json, "InvitationCreated")
    assert (response.json["email"], response.json["role"], response.json["emailed"]) == (
        "new@example.test",
        "viewer",
        False,
    )
    link = response.json["link"]
    assert link.startswith("http://herald.test/invitations/")
    stored = db.session.get(Invitation, response.json["id"])
    assert stored.token_hash == accounts.hash_token(link.rsplit("/", 1)[1])
    listed = api("GET", "/invitations")
    assert_schema(listed.json, "InvitationList")
    assert [i["id"] for i in listed.json["items"]] == [stored.id] and "link" not in listed.json["items"][0]
    assert app.test_client().get(link.removeprefix("http://herald.test")).status_code == 200


def test_revoking_an_invitation_voids_its_link(app, api):
    created = api("POST", "/invitations", json={"email": "new@example.test"}).json
    assert created["role"] == "editor"  # the default

    assert api("DELETE", f"/invitations/{created['id']}").status_code == 204

    assert api("GET", "/invitations").json["items"] == []
    assert app.test_client().get(created["link"].removeprefix("http://herald.test")).status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"email": "x@example.test", "role": "boss"}, "role"),
        ({"email": ["x@example.test"]}, "email"),
        ({}, "email"),
        ({"email": "x@example.test", "role": 3}, "role"),
    ],
)
def test_a_bad_invitation_is_422_and_stores_nothing(api, unchanged, body, field):
    with unchanged():
        response = api("POST", "/invitations", json=body)
    assert response.status_code == 422 and field in response.json["error"]["fields"]


def test_inviting_a_member_again_is_422(api, member, unchanged):
    member("editor", "eddie@example.test")
    with unchanged():
        response = api("POST", "/invitations", json={"email": "eddie@example.test"})
    assert response.json["error"]["fields"]["email"] == "is already a member of this workspace"


@pytest.mark.parametrize("role", [Role.EDITOR.value, Role.VIEWER.value])
def test_only_owners_invite_and_see_invitations(api, member, unchanged, role):
    created = api("POST", "/invitations", json={"email": "new@example.test"}).json
    _, key = member(role)
    with unchanged():
        assert api("POST", "/invitations", key_override=key, json={"email": "b@example.test"}).status_code == 403
        assert api("GET", "/invitations", key_override=key).status_code == 403
        assert api("DELETE", f"/invitations/{created['id']}", key_override=key).status_code == 403


def test_with_smtp_the_invitation_is_also_emailed(api, smtp_server):
    response = api("POST", "/invitations", json={"email": "new@example.test", "role": "editor"})

    assert response.status_code == 201 and response.json["emailed"] is True
    deliver_queued_mail()
    [message] = smtp_server.messages
    assert message["To"] == "new@example.test" and response.json["link"] in message.get_content()

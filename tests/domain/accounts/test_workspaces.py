"""Workspaces and members: create, switch, rename, roles, removal and ownership, each audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from webapp.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from webapp.domain.accounts import accounts, workspaces
from webapp.domain.shared.actor import Actor
from webapp.extensions import db
from webapp.models import ApiKey, AuditEvent, Membership, User, Workspace


def join(user: User, workspace_id: int, role: str) -> Membership:
    membership = Membership(workspace_id=workspace_id, user_id=user.id, role=role)
    db.session.add(membership)
    db.session.commit()
    return membership


def as_actor(membership: Membership) -> Actor:
    return Actor(membership.user_id, membership.workspace_id, membership.role, "ui")


def actions() -> list[str]:
    return [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]


@pytest.fixture
def team(make):
    """An owner's workspace with an editor and a viewer, memberships by role."""
    owner = make.user("owner@example.test")
    workspace_id = accounts.membership_for(owner.id).workspace_id
    return {
        "owner": accounts.membership_for(owner.id),
        "editor": join(make.user("editor@example.test"), workspace_id, "editor"),
        "viewer": join(make.user("viewer@example.test"), workspace_id, "viewer"),
    }


def test_creating_a_workspace_makes_the_user_its_owner_and_switches_to_it(make):
    user = make.user("ada@example.test")

    workspace = workspaces.create_workspace(user, "  Client   sites ")

    assert workspace.name == "Client sites" and workspace.slug == "client-sites"
    assert accounts.membership_for(user.id).workspace_id == workspace.id
    assert accounts.membership_for(user.id).role == "owner"
    assert actions()[-1] == "workspace.created"


@pytest.mark.parametrize("name", ["", "   ", "x" * 121])
def test_a_workspace_needs_a_name_of_at_most_120_characters(make, name):
    user = make.user()
    before = db.session.query(Workspace).count()

    with pytest.raises(ValidationFailed) as caught:
        workspaces.create_workspace(user, name)

    assert "name" in caught.value.fields and db.session.query(Workspace).count() == before


def test_switching_changes_the_current_workspace_and_is_audited(make):
    user = make.user()
    first = accounts.membership_for(user.id).workspace_id
    second = workspaces.create_workspace(user, "Second").id

    workspaces.switch_workspace(user, first)

    assert db.session.get(User, user.id).last_workspace_id == first
    assert accounts.membership_for(user.id).workspace_id == first
    assert actions()[-1] == "workspace.switched" and second != first


def test_switching_to_a_workspace_you_are_not_in_is_not_found(make):
    user, stranger = make.user(), make.user()
    theirs = accounts.membership_for(stranger.id).workspace_id

    with pytest.raises(NotFound):
        workspaces.switch_workspace(user, theirs)
    assert accounts.membership_for(user.id).workspace_id != theirs


def test_memberships_of_lists_every_workspace_by_name(make):
    user = make.user("zed@example.test")
    workspaces.create_workspace(user, "Alpha")

    names = [m.workspace.name for m in workspaces.memberships_of(user.id)]

    assert names == ["Alpha", "zed's workspace"]


def test_only_an_owner_renames_the_workspace(team):
    with pytest.raises(Forbidden):
        workspaces.rename_workspace(as_actor(team["editor"]), "Nope")

    workspace = workspaces.rename_workspace(as_actor(team["owner"]), "Agency")

    assert workspace.name == "Agency"
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "workspace.renamed")).one()
    assert event.details["new"] == "Agency"


def test_members_lists_owners_first(team):
    listed = workspaces.members(as_actor(team["viewer"]))

    assert [m.role for m in listed] == ["owner", "editor", "viewer"]


def test_an_owner_changes_a_member_s_role(team):
    workspaces.change_role(as_actor(team["owner"]), team["viewer"].id, "editor")

    assert db.session.get(Membership, team["viewer"].id).role == "editor"
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "member.role_changed")).one()
    assert event.details == {"email": "viewer@example.test", "old": "viewer", "new": "editor"}


@pytest.mark.parametrize("who", ["editor", "viewer"])
def test_only_an_owner_changes_roles(team, who):
    with pytest.raises(Forbidden):
        workspaces.change_role(as_actor(team[who]), team["viewer"].id, "owner")
    assert db.session.get(Membership, team["viewer"].id).role == "viewer"


def test_an_unknown_role_is_refused(team):
    with pytest.raises(ValidationFailed) as caught:
        workspaces.change_role(as_actor(team["owner"]), team["viewer"].id, "admin")
    assert caught.value.fields == {"role": "must be one of owner, editor, viewer"}


def test_the_last_owner_cannot_step_down_or_be_removed(team):
    owner = as_actor(team["owner"])

    with pytest.raises(Conflict, match="at least one owner"):
        workspaces.change_role(owner, team["owner"].id, "editor")
    with pytest.raises(Conflict, match="at least one owner"):
        workspaces.remove_member(owner, team["owner"].id)
    assert db.session.get(Membership, team["owner"].id).role == "owner"


def test_removing_a_member_revokes_their_keys_here_and_forgets_their_current_workspace(team):
    editor = db.session.get(User, team["editor"].user_id)
    editor.last_workspace_id = team["editor"].workspace_id
    slug = db.session.get(Workspace, team["editor"].workspace_id).slug
    _, key = accounts.create_api_key(editor, workspace_slug=slug)

    workspaces.remove_member(as_actor(team["owner"]), team["editor"].id)

    assert db.session.get(Membership, team["editor"].id) is None
    assert db.session.scalars(select(ApiKey).where(ApiKey.user_id == editor.id)).one().revoked_at is not None
    assert accounts.resolve_api_key(key) is None
    assert db.session.get(User, editor.id).last_workspace_id is None
    assert actions()[-1] == "member.removed"


def test_another_workspace_s_member_is_not_found(team, make):
    stranger = make.user()
    theirs = accounts.membership_for(stranger.id)

    with pytest.raises(NotFound):
        workspaces.remove_member(as_actor(team["owner"]), theirs.id)
    with pytest.raises(NotFound):
        workspaces.change_role(as_actor(team["owner"]), theirs.id, "viewer")
    with pytest.raises(NotFound):
        workspaces.transfer_ownership(as_actor(team["owner"]), theirs.id)
    assert db.session.get(Membership, theirs.id).role == "owner"


def test_transferring_ownership_makes_the_owner_an_editor(team):
    workspaces.transfer_ownership(as_actor(team["owner"]), team["viewer"].id)

    assert db.session.get(Membership, team["viewer"].id).role == "owner"
    assert db.session.get(Membership, team["owner"].id).role == "editor"
    assert actions()[-1] == "workspace.ownership_transferred"


def test_an_owner_cannot_transfer_to_themselves_and_an_editor_cannot_transfer_at_all(team):
    with pytest.raises(Conflict):
        workspaces.transfer_ownership(as_actor(team["owner"]), team["owner"].id)
    with pytest.raises(Forbidden):
        workspaces.transfer_ownership(as_actor(team["editor"]), team["editor"].id)
    assert [m.role for m in workspaces.members(as_actor(team["owner"]))] == ["owner", "editor", "viewer"]


def test_an_owner_sees_and_revokes_other_members_keys_an_editor_does_not(team):
    editor = db.session.get(User, team["editor"].user_id)
    slug = db.session.get(Workspace, team["editor"].workspace_id).slug
    record, _ = accounts.create_api_key(editor, workspace_slug=slug)

    with pytest.raises(Forbidden):
        accounts.workspace_api_keys(as_actor(team["viewer"]))
    with pytest.raises(NotFound):
        accounts.revoke_api_key(as_actor(team["viewer"]), record.id)
    assert [k.id for k in accounts.workspace_api_keys(as_actor(team["owner"]))] == [record.id]

    accounts.revoke_api_key(as_actor(team["owner"]), record.id)

    assert db.session.get(ApiKey, record.id).revoked_at is not None
    assert accounts.workspace_api_keys(as_actor(team["owner"])) == []

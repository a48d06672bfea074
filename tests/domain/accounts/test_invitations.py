"""Invitations: hashed, expiring, single-use links that make the invited email a member with the chosen role."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from webapp.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from webapp.domain.accounts import accounts, invitations
from webapp.domain.shared.actor import Actor
from webapp.extensions import db
from webapp.models import AuditEvent, Invitation, Membership, User, utcnow


@pytest.fixture
def owner(make) -> Actor:
    return make.actor(make.user("owner@example.test"), source="ui")


def test_an_invitation_stores_only_the_token_s_digest_and_expires(owner, app):
    invitation, token = invitations.create_invitation(owner, " New@Example.test ", "viewer")

    assert invitation.email == "new@example.test" and invitation.role == "viewer"
    assert invitation.token_hash == accounts.hash_token(token) and token not in invitation.token_hash
    assert len(token) >= 40
    ttl = invitation.expires_at - invitation.created_at
    assert timedelta(hours=app.config["INVITATION_TTL_HOURS"]) - ttl < timedelta(seconds=5)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "member.invited")).one()
    assert event.details == {"email": "new@example.test", "role": "viewer"}


@pytest.mark.parametrize(
    ("email", "role", "fields"),
    [
        ("not-an-email", "editor", {"email": "must be an email address"}),
        ("owner@example.test", "editor", {"email": "is already a member of this workspace"}),
        ("new@example.test", "admin", {"role": "must be one of owner, editor, viewer"}),
    ],
)
def test_bad_invitations_are_refused_and_nothing_is_stored(owner, email, role, fields):
    with pytest.raises(ValidationFailed) as caught:
        invitations.create_invitation(owner, email, role)

    assert caught.value.fields == fields
    assert db.session.query(Invitation).count() == 0


@pytest.mark.parametrize("role", ["editor", "viewer"])
def test_only_an_owner_invites(make, owner, role):
    other = make.user()
    db.session.add(Membership(workspace_id=owner.workspace_id, user_id=other.id, role=role))
    db.session.commit()

    with pytest.raises(Forbidden):
        invitations.create_invitation(Actor(other.id, owner.workspace_id, role, "ui"), "x@example.test", "owner")
    assert db.session.query(Invitation).count() == 0


def test_a_new_invitation_for_the_same_email_voids_the_pending_one(owner):
    _, first = invitations.create_invitation(owner, "new@example.test", "viewer")
    _, second = invitations.create_invitation(owner, "new@example.test", "editor")

    with pytest.raises(NotFound):
        invitations.find_invitation(first)
    assert invitations.find_invitation(second).role == "editor"
    assert [i.role for i in invitations.pending_invitations(owner)] == ["editor"]


def test_a_signed_in_user_accepts_once_with_the_invited_role(owner, make):
    invitee = make.user("new@example.test")
    _, token = invitations.create_invitation(owner, "new@example.test", "editor")

    membership = invitations.accept(token, invitee)

    assert (membership.workspace_id, membership.role) == (owner.workspace_id, "editor")
    assert accounts.membership_for(invitee.id).workspace_id == owner.workspace_id  # now their current workspace
    with pytest.raises(NotFound):
        invitations.accept(token, invitee)
    invitation = db.session.scalars(select(Invitation)).one()
    assert invitation.accepted_by_user_id == invitee.id and invitation.accepted_at is not None


def test_a_link_for_another_email_is_refused_and_stays_usable(owner, make):
    someone_else = make.user("else@example.test")
    _, token = invitations.create_invitation(owner, "new@example.test", "editor")

    with pytest.raises(Conflict, match="for new@example.test"):
        invitations.accept(token, someone_else)
    assert invitations.find_invitation(token).accepted_at is None


def test_accepting_creates_the_invited_account_in_that_workspace_only(owner):
    _, token = invitations.create_invitation(owner, "new@example.test", "viewer")

    user = invitations.accept_with_new_account(token, "Correct-Horse-42!", "Europe/Paris")

    assert (user.email, user.timezone) == ("new@example.test", "Europe/Paris")
    assert [(m.workspace_id, m.role) for m in user.memberships] == [(owner.workspace_id, "viewer")]
    assert accounts.authenticate("new@example.test", "Correct-Horse-42!") == user
    with pytest.raises(NotFound):
        invitations.accept_with_new_account(token, "Correct-Horse-42!", "UTC")


def test_a_weak_password_creates_nothing_and_keeps_the_link(owner):
    _, token = invitations.create_invitation(owner, "new@example.test", "viewer")

    with pytest.raises(ValidationFailed) as caught:
        invitations.accept_with_new_account(token, "short", "UTC")

    assert "password" in caught.value.fields
    assert db.session.scalar(select(User).where(User.email == "new@example.test")) is None
    assert invitations.find_invitation(token).accepted_at is None


def test_an_expired_or_revoked_link_is_not_found(owner, make):
    invitation, token = invitations.create_invitation(owner, "new@example.test", "viewer")
    invitation.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    with pytest.raises(NotFound, match="expired"):
        invitations.find_invitation(token)

    invitation, token = invitations.create_invitation(owner, "other@example.test", "viewer")
    invitations.revoke_invitation(owner, invitation.id)
    with pytest.raises(NotFound):
        invitations.accept(token, make.user("other@example.test"))


def test_another_workspace_s_invitation_cannot_be_revoked(owner, make):
    invitation, token = invitations.create_invitation(owner, "new@example.test", "viewer")
    stranger = make.actor(make.user(), source="ui")

    with pytest.raises(NotFound):
        invitations.revoke_invitation(stranger, invitation.id)
    assert invitations.find_invitation(token).revoked_at is None


def test_an_existing_member_cannot_spend_a_second_invitation(owner, make):
    invitee = make.user("new@example.test")
    _, token = invitations.create_invitation(owner, "new@example.test", "viewer")
    db.session.add(Membership(workspace_id=owner.workspace_id, user_id=invitee.id, role="editor"))
    db.session.commit()

    with pytest.raises(Conflict, match="already a member"):
        invitations.accept(token, invitee)


def test_a_link_spent_between_reading_and_accepting_is_refused(owner, make, monkeypatch):
    invitee = make.user("new@example.test")
    _, token = invitations.create_invitation(owner, "new@example.test", "viewer")
    found = invitations.find_invitation(token)
    # Another request spends the link after this one has read it.
    db.session.execute(Invitation.__table__.update().where(Invitation.id == found.id).values(accepted_at=utcnow()))
    monkeypatch.setattr(invitations, "find_invitation", lambda _token: found)

    with pytest.raises(NotFound):
        invitations.accept(token, invitee)
    assert (
        db.session.scalar(
            select(Membership).where(Membership.user_id == invitee.id, Membership.workspace_id == owner.workspace_id)
        )
        is None
    )

"""The key's workspace, its members and invitations: read by any member; changed by owners only."""

from __future__ import annotations

from flask import g, jsonify

from webapp.core.errors import ValidationFailed
from webapp.core.time import format_utc
from webapp.domain.accounts import invitations, workspaces
from webapp.domain.accounts.accounts import membership_for
from webapp.domain.accounts.invitation_mail import send_invitation
from webapp.domain.content import approvals
from webapp.models import Invitation, Membership, Workspace
from webapp.web.api.base import actor, bp, json_body
from webapp.web.auth import require_role


def workspace_json(workspace: Workspace) -> dict:
    current = actor()
    return {
        "id": workspace.id,
        "name": workspace.name,
        "slug": workspace.slug,
        "require_approval": workspace.require_approval,
        "role": current.role,
        "membership_id": membership_for(current.user_id, workspace.id).id,
        "created_at": format_utc(workspace.created_at),
    }


def member_json(membership: Membership) -> dict:
    return {
        "id": membership.id,
        "user_id": membership.user_id,
        "email": membership.user.email,
        "role": membership.role,
        "you": membership.user_id == actor().user_id,
        "joined_at": format_utc(membership.created_at),
    }


def invitation_json(invitation: Invitation) -> dict:
    return {
        "id": invitation.id,
        "email": invitation.email,
        "role": invitation.role,
        "invited_by": invitation.invited_by.email if invitation.invited_by else None,
        "created_at": format_utc(invitation.created_at),
        "expires_at": format_utc(invitation.expires_at),
    }


def _items(records: list, serialize) -> dict:
    return {"items": [serialize(r) for r in records], "total": len(records)}


@bp.get("/workspace")
def get_workspace():
    return jsonify(workspace_json(workspaces.current_workspace(actor())))


@bp.patch("/workspace")
def update_workspace():
    body, current = json_body(), actor()
    require_role("own", current)
    name, required = body.get("name"), body.get("require_approval")
    # Both checked before either is saved, so a bad field changes nothing.
    errors = {}
    if name is not None and not isinstance(name, str):
        errors["name"] = "must be text"
    if required is not None and not isinstance(required, bool):
        errors["require_approval"] = "must be true or false"
    if errors:
        raise ValidationFailed(errors)
    if name is not None:
        workspaces.clean_name(name)  # raises ValidationFailed before anything is written
        workspaces.rename_workspace(current, name)
    if required is not None:
        approvals.set_require_approval(current, required)
    return jsonify(workspace_json(workspaces.current_workspace(current)))


@bp.get("/members")
def list_members():
    return jsonify(_items(workspaces.members(actor()), member_json))


@bp.patch("/members/<int:membership_id>")
def update_member(membership_id: int):
    role, current = json_body().get("role"), actor()
    require_role("own", current)
    workspaces.get_membership(current, membership_id)  # another workspace's member is 404 before the role is checked
    if not isinstance(role, str):
        raise ValidationFailed({"role": "is required"})
    return jsonify(member_json(workspaces.change_role(current, membership_id, role)))


@bp.delete("/members/<int:membership_id>")
def remove_member(membership_id: int):
    workspaces.remove_member(actor(), membership_id)
    return "", 204


@bp.post("/members/<int:membership_id>/transfer")
def transfer_ownership(membership_id: int):
    return jsonify(member_json(workspaces.transfer_ownership(actor(), membership_id)))


@bp.post("/invitations")
def create_invitation():
    body, current = json_body(), actor()
    require_role("own", current)
    email, role = body.get("email"), body.get("role", "editor")
    errors = {k: "must be text" for k, v in (("email", email), ("role", role)) if not isinstance(v, str)}
    if errors:
        raise ValidationFailed(errors)
    invitation, token = invitations.create_invitation(current, email, role)
    link, emailed = send_invitation(invitation, token, g.api_user)
    # The link is in this answer only: just its SHA-256 is stored, so it can never be read back.
    return jsonify(invitation_json(invitation) | {"link": link, "emailed": emailed}), 201


@bp.get("/invitations")
def list_invitations():
    current = actor()
    require_role("own", current)
    return jsonify(_items(invitations.pending_invitations(current), invitation_json))


@bp.delete("/invitations/<int:invitation_id>")
def revoke_invitation(invitation_id: int):
    invitations.revoke_invitation(actor(), invitation_id)
    return "", 204

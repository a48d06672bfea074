"""Workspaces and their members: create, switch, rename, change roles, remove, transfer ownership."""

from __future__ import annotations

from sqlalchemy import func, select, update

from webapp.core.errors import Conflict, Forbidden, NotFound, ValidationFailed, lazy_gettext
from webapp.domain.accounts.accounts import new_workspace
from webapp.domain.shared import audit
from webapp.domain.shared.actor import Actor
from webapp.domain.shared.scoped import get_in_workspace
from webapp.extensions import db
from webapp.models import ApiKey, Membership, Role, User, Workspace, utcnow

MAX_NAME_LENGTH = 120
ROLES = tuple(role.value for role in Role)


def require_owner(actor: Actor) -> None:
    """Refuse the action unless the actor owns the workspace (settings, members, others' keys)."""
    if actor.role != Role.OWNER.value:
        raise Forbidden(lazy_gettext("Only an owner of this workspace can do that."))


def clean_name(name: str | None) -> str:
    name = " ".join((name or "").split())
    if not name or len(name) > MAX_NAME_LENGTH:
        raise ValidationFailed(
            {
                "name": lazy_gettext(
                    "is required (at most %(max_name_length)s characters)", max_name_length=MAX_NAME_LENGTH
                )
            }
        )
    return name


def role_problem(role: str | None) -> str | None:
    return None if role in ROLES else lazy_gettext("must be one of %(roles)s", roles=", ".join(ROLES))


def current_workspace(actor: Actor) -> Workspace:
    """Return the workspace the actor is acting in."""
    return db.session.get(Workspace, actor.workspace_id)


def memberships_of(user_id: int) -> list[Membership]:
    """Return the user's memberships, workspaces by name, for the header's switcher."""
    return list(
        db.session.scalars(
            select(Membership)
            .join(Workspace, Workspace.id == Membership.workspace_id)
            .where(Membership.user_id == user_id)
            .order_by(func.lower(Workspace.name), Workspace.id)
        )
    )


def create_workspace(user: User, name: str, source: str = "ui", ip: str | None = None) -> Workspace:
    """Create a workspace owned by the user and make it their current one; commit."""
    workspace = new_workspace(clean_name(name))
    db.session.add(Membership(workspace_id=workspace.id, user_id=user.id, role=Role.OWNER.value))
    user.last_workspace_id = workspace.id
    actor = Actor(user.id, workspace.id, Role.OWNER.value, source, ip)
    audit.record(actor, "workspace.created", "workspace", workspace.id, name=workspace.name)
    db.session.commit()
    return workspace


def switch_workspace(user: User, workspace_id: int, source: str = "ui", ip: str | None = None) -> Membership:
    """Make one of the user's workspaces their current one; any other workspace reads as not found."""
    membership = db.session.scalar(
        select(Membership).where(Membership.user_id == user.id, Membership.workspace_id == workspace_id)
    )
    if membership is None:
        raise NotFound(lazy_gettext("workspace not found"))
    if user.last_workspace_id != workspace_id:
        user.last_workspace_id = workspace_id
        audit.record(Actor(user.id, workspace_id, membership.role, source, ip), "workspace.switched", "workspace")
        db.session.commit()
    return membership


def rename_workspace(actor: Actor, name: str) -> Workspace:
    """Rename the actor's workspace (owners only); commit."""
    require_owner(actor)
    name = clean_name(name)
    workspace = db.session.get(Workspace, actor.workspace_id)
    if workspace.name != name:
        audit.record(actor, "workspace.renamed", "workspace", workspace.id, old=workspace.name, new=name)
        workspace.name = name
        db.session.commit()
    return workspace


def members(actor: Actor) -> list[Membership]:
    """Return the workspace's memberships, owners first, then by email."""
    order = {Role.OWNER.value: 0, Role.EDITOR.value: 1, Role.VIEWER.value: 2}
    found = db.session.scalars(
        select(Membership).join(User).where(Membership.workspace_id == actor.workspace_id).order_by(User.email)
    )
    return sorted(found, key=lambda m: order.get(m.role, 3))


def get_membership(actor: Actor, membership_id: int) -> Membership:
    return get_in_workspace(actor, Membership, membership_id, "member")


def _owner_count(workspace_id: int) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(Membership)
        .where(Membership.workspace_id == workspace_id, Membership.role == Role.OWNER.value)
    )


def _keep_an_owner(membership: Membership) -> None:
    if membership.role == Role.OWNER.value and _owner_count(membership.workspace_id) <= 1:
        raise Conflict(lazy_gettext("A workspace needs at least one owner: make someone else an owner first."))


def change_role(actor: Actor, membership_id: int, role: str) -> Membership:
    """Give a member another role (owners only; the last owner stays an owner); commit."""
    require_owner(actor)
    if problem := role_problem(role):
        raise ValidationFailed({"role": problem})
    membership = get_membership(actor, membership_id)
    if membership.role != role:
        if role != Role.OWNER.value:
            _keep_an_owner(membership)
        details = {"email": membership.user.email, "old": membership.role, "new": role}
        audit.record(actor, "member.role_changed", "membership", membership.id, **details)
        membership.role = role
        db.session.commit()
    return membership


def remove_member(actor: Actor, membership_id: int) -> Membership:
    """Remove a member and revoke their API keys here (owners only; never the last owner); commit."""
    require_owner(actor)
    membership = get_membership(actor, membership_id)
    _keep_an_owner(membership)
    user = membership.user
    db.session.execute(
        update(ApiKey)
        .where(ApiKey.user_id == user.id, ApiKey.workspace_id == actor.workspace_id, ApiKey.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    if user.last_workspace_id == actor.workspace_id:
        user.last_workspace_id = None  # they land in another workspace of theirs next time, if any
    audit.record(actor, "member.removed", "membership", membership.id, email=user.email, role=membership.role)
    db.session.delete(membership)
    db.session.commit()
    return membership


def transfer_ownership(actor: Actor, membership_id: int) -> Membership:
    """Make another member the owner and the acting owner an editor; commit."""
    require_owner(actor)
    target = get_membership(actor, membership_id)
    if target.user_id == actor.user_id:
        raise Conflict(lazy_gettext("You already own this workspace."))
    mine = db.session.scalar(
        select(Membership).where(Membership.user_id == actor.user_id, Membership.workspace_id == actor.workspace_id)
    )
    audit.record(actor, "workspace.ownership_transferred", "membership", target.id, to=target.user.email)
    target.role = Role.OWNER.value
    mine.role = Role.EDITOR.value
    db.session.commit()
    return target

"""Who gets into a restored workspace: the owner the operator names, and invitations for everyone else.

A restore touches only the workspace it creates. An archive can name anyone's email: making those
people members of a new workspace, or writing their notification settings, would change accounts of
this install on the say-so of a file (a crafted archive made another workspace's owner a member and
pointed their Slack notifications elsewhere). So only the owner named with `--owner` joins; each other
member of the archive gets an invitation to the new workspace, with the archive's role, which they may
accept or ignore; and everyone's notification settings stay as they set them here.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, select

from webapp.domain.accounts import invitations
from webapp.domain.shared.actor import Actor
from webapp.extensions import db
from webapp.models import Membership, Role, User, Workspace

# Called for each invitation made, with (email, role, token), so the operator can hand the links on.
OnInvite = Callable[[str, str, str], None]


class MissingOwner(ValueError):
    """The restore names no owner, or one with no account on this install."""


def add(workspace: Workspace, members: list[dict], owner_email: str | None, on_invite: OnInvite | None) -> Actor:
    """Make the named owner the workspace's owner; invite the archive's other members; return the owner acting.

    The caller commits.
    """
    email = (owner_email or "").strip().lower()
    if not email:
        raise MissingOwner("name the restored workspace's owner (--owner EMAIL): a restore makes no one else a member")
    owner = db.session.scalar(select(User).where(func.lower(User.email) == email))
    if owner is None:
        raise MissingOwner(f"no user {owner_email!r} on this install")
    db.session.add(Membership(workspace_id=workspace.id, user_id=owner.id, role=Role.OWNER.value))
    db.session.flush()
    actor = Actor(owner.id, workspace.id, Role.OWNER.value, "cli")
    for member in members:
        if member["email"].strip().lower() == email:
            continue
        _, token = invitations.add_invitation(actor, member["email"], member["role"])
        if on_invite is not None:
            on_invite(member["email"], member["role"], token)
    return actor

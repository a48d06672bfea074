"""JSON Schemas of the key's workspace, its members and invitations (components merged into the OpenAPI description)."""

from __future__ import annotations

from webapp.domain.accounts.workspaces import MAX_NAME_LENGTH
from webapp.models import Role
from webapp.web.api.openapi_schemas import COUNT, ID, INSTANT, array, enum, nullable, obj, record, ref, string

ROLE = enum(Role, description="owner: everything, members included; editor: writes; viewer: reads")
BOOLEAN = {"type": "boolean"}
INVITATION = {
    "id": ID,
    "email": string(format="email"),
    "role": ROLE,
    "invited_by": nullable(string(format="email")),
    "created_at": INSTANT,
    "expires_at": INSTANT,
}


def team_schemas() -> dict:
    """Return the components for the workspace, members and invitations."""
    return {
        "Workspace": record(
            {
                "id": ID,
                "name": string(maxLength=MAX_NAME_LENGTH),
                "slug": string(),
                "require_approval": BOOLEAN,
                "role": ROLE,
                "membership_id": ID,
                "created_at": INSTANT,
            },
            description="The API key's workspace; `role` and `membership_id` are the key's owner's.",
        ),
        "WorkspaceUpdate": obj(
            {
                "name": string(minLength=1, maxLength=MAX_NAME_LENGTH),
                "require_approval": {**BOOLEAN, "description": "Content must be approved before it publishes."},
            },
            description="Owners only; absent fields stay; both are checked before either is saved.",
        ),
        "Member": record(
            {
                "id": ID,
                "user_id": ID,
                "email": string(format="email"),
                "role": ROLE,
                "you": {**BOOLEAN, "description": "This is the API key's owner."},
                "joined_at": INSTANT,
            }
        ),
        "MemberList": record({"items": array(ref("Member")), "total": COUNT}, description="Owners first."),
        "MemberUpdate": obj({"role": ROLE}, required=("role",)),
        "Invitation": record(INVITATION),
        "InvitationCreated": record(
            {
                **INVITATION,
                "link": string(format="uri", description="The one-time link; in this answer only, never again."),
                "emailed": {**BOOLEAN, "description": "Queued for email (SMTP is configured)."},
            }
        ),
        "InvitationList": record(
            {"items": array(ref("Invitation")), "total": COUNT}, description="Pending, newest first."
        ),
        "InvitationCreate": obj(
            {"email": string(format="email"), "role": {**ROLE, "default": "editor"}}, required=("email",)
        ),
    }

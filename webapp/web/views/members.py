"""Members of the current workspace: invite by one-time link, change roles, remove, transfer; accept a link."""

from __future__ import annotations

from collections import defaultdict

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from webapp.core.errors import Conflict, NotFound, ValidationFailed
from webapp.domain.accounts import accounts, invitations, workspaces
from webapp.domain.accounts.invitation_mail import send_invitation
from webapp.web.auth import can, require_role, requires_role, sign_in_user, ui_actor
from webapp.web.forms import EmptyForm, InviteForm, JoinForm, RoleForm, WorkspaceForm, attach_errors
from webapp.web.i18n import term

bp = Blueprint("members", __name__)


def render_page(rename_form=None, invite_form=None, new_link=None, emailed=False, status=200):
    """Render the members page (owners also see pending invitations and everyone's API keys)."""
    actor = ui_actor()
    workspace = workspaces.current_workspace(actor)
    is_owner = can("own", actor)
    keys_by_user = defaultdict(list)
    for key in accounts.workspace_api_keys(actor) if is_owner else []:
        keys_by_user[key.user_id].append(key)
    return render_template(
        "members/index.html",
        workspace=workspace,
        members=workspaces.members(actor),
        invitations=invitations.pending_invitations(actor) if is_owner else [],
        keys_by_user=keys_by_user,
        rename_form=rename_form or WorkspaceForm(name=workspace.name),
        invite_form=invite_form or InviteForm(),
        role_form=RoleForm(),
        action_form=EmptyForm(),
        new_link=new_link,
        emailed=emailed,
    ), status


@bp.get("/members/")
def index():
    return render_page()


@bp.post("/members/invitations")
@requires_role("own")
def invite():
    actor = ui_actor()
    form = InviteForm()
    if form.validate_on_submit():
        try:
            invitation, token = invitations.create_invitation(actor, form.email.data, form.role.data)
        except ValidationFailed as exc:
            attach_errors(form, exc)
        else:
            link, emailed = send_invitation(invitation, token, current_user)
            # Shown in this response only, like a new API key: the inviter passes it on if no email goes out.
            return render_page(new_link=link, emailed=emailed, status=201)
    return render_page(invite_form=form, status=422)


@bp.post("/members/invitations/<int:invitation_id>/revoke")
@requires_role("own")
def revoke_invitation(invitation_id: int):
    invitation = invitations.revoke_invitation(ui_actor(), invitation_id)
    flash(_("Invitation for %(email)s revoked; its link no longer works.", email=invitation.email), "ok")
    return redirect(url_for("members.index"), 303)


def _owner_acts_on(membership_id: int):
    """Return (actor, membership) for an owner's action on a member of this workspace (403, then 404)."""
    actor = ui_actor()
    require_role("own", actor)
    return actor, workspaces.get_membership(actor, membership_id)


def _refused(exc: Conflict):
    flash(exc.message, "error")
    return render_page(status=409)


@bp.post("/members/<int:membership_id>/role")
def change_role(membership_id: int):
    actor, membership = _owner_acts_on(membership_id)
    form = RoleForm()
    if not form.validate_on_submit():
        flash(_("Choose a role: viewer, editor or owner."), "error")
        return render_page(status=422)
    try:
        workspaces.change_role(actor, membership.id, form.role.data)
    except Conflict as exc:
        return _refused(exc)
    flash(_("%(email)s is now %(role)s.", email=membership.user.email, role=term(membership.role)), "ok")
    return redirect(url_for("members.index"), 303)


@bp.post("/members/<int:membership_id>/remove")
def remove(membership_id: int):
    actor, membership = _owner_acts_on(membership_id)
    if EmptyForm().validate_on_submit():
        email, left = membership.user.email, membership.user_id == actor.user_id
        try:
            workspaces.remove_member(actor, membership.id)
        except Conflict as exc:
            return _refused(exc)
        flash(_("%(email)s removed from the workspace; their API keys here are revoked.", email=email), "ok")
        if left:
            return redirect(url_for("dashboard.index"), 303)
    return redirect(url_for("members.index"), 303)


@bp.post("/members/<int:membership_id>/transfer")
def transfer(membership_id: int):
    actor, membership = _owner_acts_on(membership_id)
    if EmptyForm().validate_on_submit():
        try:
            workspaces.transfer_ownership(actor, membership.id)
        except Conflict as exc:
            return _refused(exc)
        flash(_("%(email)s now owns the workspace; you are an editor.", email=membership.user.email), "ok")
    return redirect(url_for("members.index"), 303)


@bp.route("/invitations/<token>", methods=["GET", "POST"])
def accept(token: str):
    try:
        invitation = invitations.find_invitation(token)
    except NotFound as exc:
        return render_template("members/accept.html", invalid=exc.message), 404
    page = {"invitation": invitation, "token": token, "form": JoinForm(), "action_form": EmptyForm()}
    if current_user.is_authenticated:
        if request.method == "POST" and EmptyForm().validate_on_submit():
            try:
                invitations.accept(token, current_user, request.remote_addr)
            except Conflict as exc:
                flash(exc.message, "error")
                return render_template("members/accept.html", **page), 409
            flash(
                _("You joined '%(name)s' as %(role)s.", name=invitation.workspace.name, role=term(invitation.role)),
                "ok",
            )
            return redirect(url_for("dashboard.index"), 303)
        return render_template("members/accept.html", **page)
    page["has_account"] = accounts.email_has_account(invitation.email)
    page["signup_closed"] = not accounts.may_join_with_new_account(current_app.config["SIGNUP"])
    if page["signup_closed"] and not page["has_account"]:
        return render_template("members/accept.html", **page), 403 if request.method == "POST" else 200
    if request.method == "POST" and not page["has_account"] and page["form"].validate_on_submit():
        form = page["form"]
        try:
            user = invitations.accept_with_new_account(
                token, form.password.data, (form.timezone.data or "").strip(), request.remote_addr
            )
        except ValidationFailed as exc:
            attach_errors(form, exc)
        else:
            sign_in_user(user)
            flash(
                _(
                    "Welcome to '%(name)s': you joined as %(role)s.",
                    name=invitation.workspace.name,
                    role=term(invitation.role),
                ),
                "ok",
            )
            return redirect(url_for("dashboard.index"), 303)
    return render_template("members/accept.html", **page), 422 if request.method == "POST" else 200

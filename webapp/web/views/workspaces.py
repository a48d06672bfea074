"""Workspaces: the header's switcher, making a new one, switching, renaming (owners)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from webapp.core.errors import ValidationFailed
from webapp.domain.accounts import workspaces
from webapp.web.auth import requires_role, ui_actor
from webapp.web.forms import EmptyForm, WorkspaceForm, attach_errors
from webapp.web.i18n import term
from webapp.web.views.members import render_page

bp = Blueprint("workspaces", __name__, url_prefix="/workspaces")


@bp.app_context_processor
def switcher():
    # A callable, so only pages that draw the header for a signed-in member pay for the query.
    def my_memberships():
        return workspaces.memberships_of(current_user.id) if current_user.is_authenticated else []

    return {"my_memberships": my_memberships}


@bp.get("/new")
def new():
    return render_template("workspaces/new.html", form=WorkspaceForm())


@bp.post("/")
def create():
    form = WorkspaceForm()
    if form.validate_on_submit():
        try:
            workspace = workspaces.create_workspace(current_user, form.name.data, "ui", request.remote_addr)
        except ValidationFailed as exc:
            attach_errors(form, exc)
        else:
            flash(_("Workspace '%(name)s' created; you are its owner.", name=workspace.name), "ok")
            return redirect(url_for("dashboard.index"), 303)
    return render_template("workspaces/new.html", form=form), 422


@bp.post("/<int:workspace_id>/switch")
def switch(workspace_id: int):
    if EmptyForm().validate_on_submit():
        membership = workspaces.switch_workspace(current_user, workspace_id, "ui", request.remote_addr)
        flash(
            _(
                "Now working in '%(name)s' as %(role)s.",
                name=membership.workspace.name,
                role=term(membership.role),
            ),
            "ok",
        )
    # The page you were on may show the other workspace's records: start from its dashboard.
    return redirect(url_for("dashboard.index"), 303)


@bp.post("/rename")
@requires_role("own")
def rename():
    actor = ui_actor()
    form = WorkspaceForm()
    if form.validate_on_submit():
        try:
            workspace = workspaces.rename_workspace(actor, form.name.data)
        except ValidationFailed as exc:
            attach_errors(form, exc)
        else:
            flash(_("Workspace renamed to '%(name)s'.", name=workspace.name), "ok")
            return redirect(url_for("members.index"), 303)
    return render_page(rename_form=form, status=422)

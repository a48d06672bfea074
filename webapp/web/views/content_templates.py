"""Content templates: list, rename, delete, and start a new content item from one."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from webapp.core.errors import ValidationFailed
from webapp.domain.content import content_templates
from webapp.domain.publishing import from_template
from webapp.web.auth import ui_actor
from webapp.web.forms import EmptyForm

bp = Blueprint("content_templates", __name__, url_prefix="/templates")


def _problems(exc: ValidationFailed) -> str:
    return "; ".join(f"{k} {v}" for k, v in exc.fields.items())


def _checked(template_id: int):
    """Return the template (404 for another workspace's id) once the form's CSRF token is good."""
    template = content_templates.get_template(ui_actor(), template_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    return template


@bp.get("/")
def index():
    actor = ui_actor()
    rows = [
        (t, content_templates.template_channels(actor, t), content_templates.describe_schedule(t.schedule))
        for t in content_templates.list_templates(actor)
    ]
    return render_template("content_templates/index.html", rows=rows, action_form=EmptyForm())


@bp.post("/<int:template_id>/rename")
def rename(template_id: int):
    template = _checked(template_id)
    old = template.name
    try:
        content_templates.update_template(ui_actor(), template_id, {"name": request.form.get("name", "")})
    except ValidationFailed as exc:
        flash(_("Not renamed: %(reason)s", reason=_problems(exc)), "error")
    else:
        flash(_("Template '%(old)s' renamed to '%(new)s'.", old=old, new=template.name), "ok")
    return redirect(url_for("content_templates.index"), 303)


@bp.post("/<int:template_id>/delete")
def delete(template_id: int):
    template = _checked(template_id)
    name = template.name
    content_templates.delete_template(ui_actor(), template_id)
    flash(_("Template '%(name)s' deleted.", name=name), "ok")
    return redirect(url_for("content_templates.index"), 303)


@bp.post("/<int:template_id>/start")
def start(template_id: int):
    _checked(template_id)
    try:
        content, schedule = from_template.start_from_template(
            ui_actor(), template_id, title=request.form.get("title"), schedule=request.form.get("schedule") == "y"
        )
    except ValidationFailed as exc:
        flash(_("Not started: %(reason)s", reason=_problems(exc)), "error")
        return redirect(url_for("content_templates.index"), 303)
    if schedule:
        flash(_("Draft '%(title)s' started from the template and scheduled.", title=content.title), "ok")
    else:
        flash(_("Draft '%(title)s' started from the template.", title=content.title), "ok")
    return redirect(url_for("contents.editor.edit", content_id=content.id), 303)

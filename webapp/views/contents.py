"""Content pages: list and write."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from webapp.auth import ui_actor
from webapp.extensions import db
from webapp.forms import ContentForm, EmptyForm, attach_errors
from webapp.services import channels, contents, schedules
from webapp.services.errors import ValidationFailed
from webapp.views.filters import local_time

bp = Blueprint("contents", __name__, url_prefix="/contents")


def _page(form: ContentForm, status: int = 200):
    actor = ui_actor()
    items = list(db.session.scalars(contents.content_query(actor).limit(100)))
    # Only channels with time slots or rules have a queue to add to.
    queues = [c for c in channels.list_channels(actor) if c.rules]
    return render_template(
        "contents/index.html", form=form, contents=items, queues=queues, action_form=EmptyForm()
    ), status


@bp.get("/")
def index():
    return _page(ContentForm())


@bp.post("/")
def create():
    form = ContentForm()
    if form.validate_on_submit():
        try:
            content = contents.create_content(
                ui_actor(),
                title=form.title.data,
                body=form.body.data or "",
                excerpt=form.excerpt.data,
                content_type=form.content_type.data,
                tags=[t for t in (form.tags.data or "").split(",") if t.strip()],
                status=form.status.data,
            )
        except ValidationFailed as exc:
            attach_errors(form, exc)
        else:
            flash(f"Content '{content.title}' saved.", "ok")
            return redirect(url_for("contents.index"), 303)
    return _page(form, 422)


@bp.post("/<int:content_id>/queue")
def add_to_queue(content_id: int):
    """Put approved content into the chosen channel's next free slot."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    contents.get_content(ui_actor(), content_id)  # another workspace's content is a 404, as everywhere
    channel_id = request.form.get("channel_id", "")
    try:
        schedule = schedules.add_to_queue(ui_actor(), int(channel_id) if channel_id.isdigit() else None, content_id)
    except ValidationFailed as exc:
        flash("Not queued: " + "; ".join(f"{k.replace('_id', '')} {v}" for k, v in exc.fields.items()), "error")
    else:
        flash(f"Queued for {local_time(schedule.next_run_at)}.", "ok")
    return redirect(url_for("contents.index"), 303)

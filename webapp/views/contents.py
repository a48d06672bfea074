"""Content pages: list and write."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for

from webapp.auth import ui_actor
from webapp.extensions import db
from webapp.forms import ContentForm, attach_errors
from webapp.services import contents
from webapp.services.errors import ValidationFailed

bp = Blueprint("contents", __name__, url_prefix="/contents")


def _page(form: ContentForm, status: int = 200):
    items = list(db.session.scalars(contents.content_query(ui_actor()).limit(100)))
    return render_template("contents/index.html", form=form, contents=items), status


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

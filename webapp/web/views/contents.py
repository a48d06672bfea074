"""Content pages: list and write."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext, ngettext

from webapp.core.errors import Conflict, Forbidden, ValidationFailed
from webapp.domain.accounts import workspaces
from webapp.domain.channels import channels
from webapp.domain.content import approvals, contents, reviewed_parts
from webapp.domain.publishing import approval_holds, rescheduling, schedules
from webapp.models import Content, Decision, EditorialStatus
from webapp.web.auth import ui_actor
from webapp.web.forms import ContentForm, EmptyForm, ReviewForm, attach_errors
from webapp.web.views.filters import local_time
from webapp.web.views.listing import Sort, list_page
from webapp.web.views.publish_now import chosen as publish_now_choice
from webapp.web.views.publish_now import published_now

bp = Blueprint("contents", __name__, url_prefix="/contents")

STATUSES = tuple(s.value for s in EditorialStatus)
# The list's sort keys (`?sort=`): the latest changed first by default.
SORTS = {
    "id": Sort(Content.id),
    "title": Sort(Content.title),
    "status": Sort(Content.status),
    "updated": Sort(Content.updated_at),
}


def listed(args):
    """Return the query of the content the list shows for its URL arguments (`status`, `q`), latest first."""
    status = args.get("status")
    return contents.content_query(
        ui_actor(), status=status if status in STATUSES else None, q=(args.get("q") or "").strip() or None
    )


def _page(form: ContentForm, status: int = 200):
    actor = ui_actor()
    listing = list_page(listed(request.args), request.args, SORTS, "updated", Content.id)
    # Only channels with time slots or rules have a queue to add to.
    queues = [c for c in channels.list_channels(actor) if c.rules]
    return render_template(
        "contents/index.html",
        form=form,
        contents=listing.items,
        listing=listing,
        args=request.args,
        statuses=STATUSES,
        queues=queues,
        queueable={c.id for c in listing.items if schedules.may_queue(c.status)},
        action_form=EmptyForm(),
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
                slug=(form.slug.data or "").strip() or None,
                status=form.status.data,
                body_format=form.body_format.data,
            )
        except ValidationFailed as exc:
            attach_errors(form, exc)
        else:
            flash(_("Content '%(title)s' saved.", title=content.title), "ok")
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
        problems = "; ".join(f"{k.replace('_id', '')} {v}" for k, v in exc.fields.items())
        flash(_("Not queued: %(problems)s", problems=problems), "error")
    else:
        flash(_("Queued for %(when)s.", when=local_time(schedule.next_run_at)), "ok")
    return redirect(url_for("contents.index"), 303)


def _publish_now_page(content, status: int = 200, errors: dict | None = None):
    return render_template(
        "contents/publish_now.html",
        content=content,
        publish_action=url_for("contents.publish_now", content_id=content.id),
        publish_channels=channels.list_channels(ui_actor()),
        publish_checked=[int(v) for v in request.form.getlist("channel_ids") if v.isdigit()],
        publish_errors=errors,
    ), status


@bp.get("/<int:content_id>/publish-now")
def publish_now_form(content_id: int):
    return _publish_now_page(contents.get_content(ui_actor(), content_id))


@bp.post("/<int:content_id>/publish-now")
def publish_now(content_id: int):
    """Publish the content now on the chosen channels; a refusal shows the form again with the reason."""
    actor = ui_actor()
    content = contents.get_content(actor, content_id)  # another workspace's content is a 404, as everywhere
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        made = rescheduling.publish_now(actor, content.id, **publish_now_choice(request.form))
    except ValidationFailed as exc:
        return _publish_now_page(content, 422, exc.fields)
    return published_now(made)


# The editorial workflow (webapp/domain/content/approvals.py): the review page, and one POST per decision.

DECISIONS = {  # URL verb: (decision, what the flash says was done, what it says when refused)
    "submit": (
        Decision.SUBMITTED,
        lazy_gettext("'%(title)s' submitted for review."),
        lazy_gettext("Not submitted for review: %(why)s"),
    ),
    "approve": (Decision.APPROVED, lazy_gettext("'%(title)s' approved."), lazy_gettext("Not approved: %(why)s")),
    "reject": (
        Decision.REJECTED,
        lazy_gettext("'%(title)s' sent back to draft."),
        lazy_gettext("Not sent back to draft: %(why)s"),
    ),
    "archive": (Decision.ARCHIVED, lazy_gettext("'%(title)s' archived."), lazy_gettext("Not archived: %(why)s")),
    "restore": (
        Decision.RESTORED,
        lazy_gettext("'%(title)s' restored to draft."),
        lazy_gettext("Not restored to draft: %(why)s"),
    ),
}


def _review_page(content, form: ReviewForm | None = None, status: int = 200):
    actor = ui_actor()
    possible, history = approvals.allowed_decisions(content), approvals.history(actor, content)
    return render_template(
        "contents/review.html",
        content=content,
        form=form or ReviewForm(),
        history=history,
        comments={d.id: reviewed_parts.comment_of(d) for d in history},  # Herald's own notes as Phrases
        held=approvals.held_publications(actor, content),
        verbs=[verb for verb, (decision, *_texts) in DECISIONS.items() if decision in possible],
        may_review=approvals.may_review(actor, content),
        require_approval=workspaces.current_workspace(actor).require_approval,
    ), status


@bp.get("/<int:content_id>/review")
def review(content_id: int):
    return _review_page(contents.get_content(ui_actor(), content_id))


def decide(content_id: int, verb: str):
    """Take one review decision from the review page's form; answer the page again on a refusal."""
    actor = ui_actor()
    content = contents.get_content(actor, content_id)
    form = ReviewForm()
    if not form.validate_on_submit():
        abort(400)
    decision, done, refused = DECISIONS[verb]
    try:
        # Commits (nothing on a refusal); an approval's released publications go back to rq-scheduler.
        released = len(approval_holds.decide(actor, content, decision, form.comment.data))
    except ValidationFailed as exc:
        attach_errors(form, exc)
        return _review_page(content, form, 422)
    except (Conflict, Forbidden) as exc:
        flash(str(refused) % {"why": exc.message}, "error")
        return _review_page(contents.get_content(actor, content_id), form, 409 if isinstance(exc, Conflict) else 403)
    message = str(done) % {"title": content.title}
    if released:
        message += " " + ngettext("%(num)d held publication released.", "%(num)d held publications released.", released)
    flash(message, "ok")
    return redirect(url_for("contents.review", content_id=content_id), 303)


for _verb in DECISIONS:  # POST /contents/<id>/submit etc., endpoints contents.submit_content etc.
    bp.add_url_rule(
        f"/<int:content_id>/{_verb}",
        endpoint=f"{_verb}_content",
        view_func=lambda content_id, _verb=_verb: decide(content_id, _verb),
        methods=["POST"],
    )


# The editor (variants side by side, live previews, save as template) lives in its own module.
from webapp.web.views import content_editor  # noqa: E402

bp.register_blueprint(content_editor.bp)

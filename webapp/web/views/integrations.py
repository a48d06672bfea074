"""Integrations page: outbound webhook subscriptions and their delivery log, import/export, the calendar feed."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext, ngettext
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, SelectField, StringField
from wtforms.fields.choices import SelectChoice

from webapp.core.errors import Conflict, ValidationFailed
from webapp.domain.integrations import feeds, outbound_webhooks, subscriptions
from webapp.domain.operations import transfer
from webapp.models import utcnow
from webapp.web.auth import ui_actor
from webapp.web.forms import EmptyForm, MultiCheckboxField, attach_errors
from webapp.web.htmx import render

bp = Blueprint("integrations", __name__, url_prefix="/integrations")


# What an export or import file holds (transfer.KINDS), in the request's language.
KIND_LABELS = {"contents": lazy_gettext("content"), "schedules": lazy_gettext("schedules")}


class SubscriptionForm(FlaskForm):
    url = StringField(lazy_gettext("Receiver URL"))
    events = MultiCheckboxField(lazy_gettext("Events"), choices=[SelectChoice(e) for e in subscriptions.EVENTS])
    active = BooleanField(lazy_gettext("Active (send events)"), default=True)


class ImportForm(FlaskForm):
    kind = SelectField(
        lazy_gettext("What the file holds"), choices=[SelectChoice(k, KIND_LABELS.get(k, k)) for k in transfer.KINDS]
    )
    file = FileField(lazy_gettext("File (.json, .csv or .zip)"))


def _index(form=None, import_form=None, status=200, **extra):
    actor = ui_actor()
    return render_template(
        "integrations/index.html",
        form=form or SubscriptionForm(formdata=None, events=list(subscriptions.EVENTS)),
        import_form=import_form or ImportForm(formdata=None),
        subscriptions=subscriptions.list_subscriptions(actor),
        feed=feeds.feed_of(actor),
        action_form=EmptyForm(),
        kinds=transfer.KINDS,
        kind_labels=KIND_LABELS,
        formats=transfer.FORMATS,
        **extra,
    ), status


@bp.get("/")
def index():
    return _index()


@bp.post("/webhooks")
def create_subscription():
    form = SubscriptionForm()
    if form.validate_on_submit():
        try:
            subscription, secret = subscriptions.create_subscription(ui_actor(), form.url.data, form.events.data)
        except ValidationFailed as exc:
            attach_errors(form, exc)
        else:
            # The secret is shown in this response only, never stored in the (readable) session cookie.
            return _index(status=201, new_secret=secret, new_subscription=subscription)
    return _index(form=form, status=422)


def _subscription_page(subscription_id: int, form=None, status=200, secret=None):
    actor = ui_actor()
    subscription = subscriptions.get_subscription(actor, subscription_id)
    form = form or SubscriptionForm(
        formdata=None, url=subscription.url, events=subscription.events, active=subscription.active
    )
    deliveries = subscriptions.deliveries_of(actor, subscription_id)
    return render(
        "integrations/subscription.html",
        block="deliveries",
        status=status,
        subscription=subscription,
        form=form,
        deliveries=deliveries,
        redeliverable={d.id for d in deliveries if outbound_webhooks.may_redeliver(d.status)},
        action_form=EmptyForm(),
        secret=secret,
    )


@bp.get("/webhooks/<int:subscription_id>")
def show_subscription(subscription_id: int):
    return _subscription_page(subscription_id)


@bp.post("/webhooks/<int:subscription_id>")
def update_subscription(subscription_id: int):
    form = SubscriptionForm()
    if form.validate_on_submit():
        try:
            subscriptions.update_subscription(
                ui_actor(), subscription_id, url=form.url.data, events=form.events.data, active=form.active.data
            )
        except ValidationFailed as exc:
            attach_errors(form, exc)
        else:
            flash(_("Subscription saved."), "ok")
            return redirect(url_for("integrations.show_subscription", subscription_id=subscription_id), 303)
    return _subscription_page(subscription_id, form=form, status=422)


@bp.post("/webhooks/<int:subscription_id>/delete")
def delete_subscription(subscription_id: int):
    if EmptyForm().validate_on_submit():
        subscriptions.delete_subscription(ui_actor(), subscription_id)
        flash(_("Subscription deleted."), "ok")
    return redirect(url_for("integrations.index"), 303)


@bp.post("/webhooks/<int:subscription_id>/test")
def test_subscription(subscription_id: int):
    if EmptyForm().validate_on_submit():
        outbound_webhooks.send_test(ui_actor(), subscription_id)
        flash(_("Test event queued: watch the delivery log."), "ok")
    return redirect(url_for("integrations.show_subscription", subscription_id=subscription_id), 303)


@bp.post("/webhooks/<int:subscription_id>/reveal")
def reveal_secret(subscription_id: int):
    if not EmptyForm().validate_on_submit():
        abort(400)
    secret = subscriptions.reveal_secret(ui_actor(), subscription_id)
    return _subscription_page(subscription_id, secret=secret)


@bp.post("/deliveries/<int:delivery_id>/redeliver")
def redeliver(delivery_id: int):
    actor = ui_actor()
    delivery = outbound_webhooks.get_delivery(actor, delivery_id)
    if EmptyForm().validate_on_submit():
        try:
            outbound_webhooks.redeliver(actor, delivery_id)
        except Conflict as exc:
            flash(exc.message, "error")
        else:
            flash(_("Delivery #%(id)s queued again.", id=delivery_id), "ok")
    return redirect(url_for("integrations.show_subscription", subscription_id=delivery.subscription_id), 303)


@bp.get("/export")
def export_records():
    kind, fmt = request.args.get("kind", ""), request.args.get("format", "")
    try:
        document = transfer.render_export(ui_actor(), kind, fmt)
    except ValidationFailed:
        abort(400)
    disposition = f'attachment; filename="{transfer.filename(kind, fmt, utcnow())}"'
    return Response(document, content_type=transfer.MEDIA_TYPES[fmt], headers={"Content-Disposition": disposition})


@bp.post("/import")
def import_records():
    request.max_content_length = transfer.max_request_bytes()  # before anything reads the form
    form = ImportForm()
    if not form.validate_on_submit():
        return _index(import_form=form, status=422)
    upload = form.file.data
    name = (getattr(upload, "filename", "") or "").lower()
    fmt = next((f for f in transfer.FORMATS if name.endswith(f".{f}")), "json")
    try:
        if not upload or not name:
            raise ValidationFailed({"file": _("choose a .json, .csv or .zip file")})
        ids = transfer.import_rows(ui_actor(), form.kind.data, transfer.parse(fmt, upload.read()))
    except ValidationFailed as exc:
        return _index(import_form=form, status=422, import_error=exc)
    if form.kind.data == "schedules":
        flash(ngettext("Imported %(num)d schedule.", "Imported %(num)d schedules.", len(ids)), "ok")
    else:
        flash(ngettext("Imported %(num)d content item.", "Imported %(num)d content items.", len(ids)), "ok")
    return redirect(url_for("integrations.index"), 303)


@bp.post("/calendar")
def regenerate_feed():
    if not EmptyForm().validate_on_submit():
        abort(400)
    token = feeds.regenerate(ui_actor())
    return _index(status=201, feed_url=url_for("integrations.calendar_feed", token=token, _external=True))


@bp.post("/calendar/revoke")
def revoke_feed():
    if EmptyForm().validate_on_submit():
        feeds.revoke(ui_actor())
        flash(_("Calendar feed turned off: its URL no longer works."), "ok")
    return redirect(url_for("integrations.index"), 303)


@bp.get("/calendar/<token>.ics")
def calendar_feed(token: str):
    # Public (calendar apps cannot sign in): the token is the credential, and a wrong one is plain 404.
    feed = feeds.resolve(token)
    if feed is None:
        abort(404)
    document = feeds.render(feed, link=lambda p: url_for("publications.show", publication_id=p.id, _external=True))
    response = Response(document, content_type="text/calendar; charset=utf-8")
    response.headers["Cache-Control"] = "private, max-age=300"
    return response

"""The alerts work list (open or resolved, by kind), resolve and reopen, and the header's open-alerts badge."""

from __future__ import annotations

from contextlib import suppress

from flask import Blueprint, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext

from webapp.core.errors import Conflict
from webapp.domain.shared import alerts
from webapp.models import Alert
from webapp.web.auth import can, ui_actor
from webapp.web.forms import EmptyForm
from webapp.web.htmx import render, wants_fragment

bp = Blueprint("alerts", __name__, url_prefix="/alerts")

# Where each link lands on its page: an element id that page always has (tests/web/views/test_alert_links.py).
PUBLICATION_ANCHOR = "publication-detail"
CHANNEL_ANCHOR = "channel-state"  # its state, with the resume and circuit-reset buttons
CREDENTIALS_ANCHOR = "platform-fields"  # the credentials fields of the channel's edit form (writers only)

# The work list's filters in the request's language (alerts.STATUSES, alerts.KINDS).
STATUS_LABELS = {"open": lazy_gettext("open"), "resolved": lazy_gettext("resolved"), "all": lazy_gettext("all")}
KIND_LABELS = {
    "failure": lazy_gettext("failure"),
    "needs_intervention": lazy_gettext("needs intervention"),
    "missed": lazy_gettext("missed"),
    "channel_unhealthy": lazy_gettext("channel unhealthy"),
    "preflight": lazy_gettext("pre-flight"),
    "conflict": lazy_gettext("conflict"),
    "scheduler_silent": lazy_gettext("scheduler silent"),
    "unconfirmed": lazy_gettext("unconfirmed"),
    "channel_held": lazy_gettext("channel held"),
    "review_requested": lazy_gettext("review requested"),
}


def links(alert: Alert, followups: alerts.Followups) -> list[tuple[str, str]]:
    """Return (label, href) of what the alert is about, each landing on the element to look at or fix."""
    found = []
    if alert.publication_id is not None:
        url = url_for("publications.show", publication_id=alert.publication_id, _anchor=PUBLICATION_ANCHOR)
        found.append((_("publication #%(id)s", id=alert.publication_id), url))
        publication = followups.publications.get(alert.publication_id)
        if publication is not None and alert.kind == "needs_intervention" and alert.channel_id is None:
            schedule_id = publication.schedule_id  # a recurring schedule stopped: its page resumes it
            found.append((_("schedule #%(id)s", id=schedule_id), url_for("schedules.edit", schedule_id=schedule_id)))
    if alert.channel_id is not None and alert.channel_id not in followups.deleted_channels():
        credentials = alert.kind == "channel_unhealthy" and can("edit")
        anchor = CREDENTIALS_ANCHOR if credentials else CHANNEL_ANCHOR
        label = (
            _("fix the credentials of channel #%(id)s", id=alert.channel_id)
            if credentials
            else _("channel #%(id)s", id=alert.channel_id)
        )
        found.append((label, url_for("channels.page.show", channel_id=alert.channel_id, _anchor=anchor)))
    return found


def _list():
    args = request.args
    kind = args.get("kind") if args.get("kind") in alerts.KINDS else None
    status = args.get("status") if args.get("status") in alerts.STATUSES else "open"
    unread_only = args.get("unread") == "1"
    actor = ui_actor()
    items = alerts.list_alerts(actor, kind, unread_only, limit=200, status=status)
    followups = alerts.followups(actor, items)
    return render(
        "alerts/index.html",
        block="alert_list",
        items=items,
        followups=followups,
        deleted_channels=followups.deleted_channels(),
        links={a.id: links(a, followups) for a in items},
        kind=kind,
        state=status,
        statuses=alerts.STATUSES,
        status_labels=STATUS_LABELS,
        kind_labels=KIND_LABELS,
        unread_only=unread_only,
        kinds=alerts.KINDS,
        form=EmptyForm(),
    )


@bp.get("/")
def index():
    return _list()


@bp.get("/badge")
def badge():
    return render("alerts/index.html", block="badge", open=alerts.open_count(ui_actor()))


def _act(action, alert_id: int):
    if EmptyForm().validate_on_submit():
        # Resolved (or reopened) meanwhile, in another tab or by itself: the list shows it as it is.
        with suppress(Conflict):
            action(ui_actor(), alert_id)
    if wants_fragment():
        return _list()  # the work list swaps itself in place
    return redirect(url_for("alerts.index", **request.args), 303)


@bp.post("/<int:alert_id>/resolve")
def resolve(alert_id: int):
    return _act(alerts.resolve, alert_id)


@bp.post("/<int:alert_id>/reopen")
def reopen(alert_id: int):
    return _act(alerts.reopen, alert_id)


@bp.post("/read")
def mark_read():
    if EmptyForm().validate_on_submit():
        ids = None if request.form.get("all") else [int(i) for i in request.form.getlist("ids") if i.isdigit()]
        alerts.mark_read(ui_actor(), ids)
    return redirect(url_for("alerts.index", **request.args), 303)

"""Alerts as a work list: GET /alerts (open, resolved or all; by kind; raised since), resolve and reopen."""

from __future__ import annotations

from flask import jsonify, request
from flask_babel import gettext

from webapp.core.phrases import shown
from webapp.core.time import format_utc
from webapp.domain.publishing.publications import paginate
from webapp.domain.shared import alerts
from webapp.models import Alert
from webapp.web.api.base import actor, bp, invalid, listing, page_args
from webapp.web.api.query import instant_arg


def _choice(name: str, allowed, default: str | None) -> str | None:
    value = request.args.get(name) or default
    if value is not None and value not in allowed:
        message = gettext("must be one of %(choices)s", choices=", ".join(allowed))
        raise invalid({name: message})
    return value


def alert_json(alert: Alert, followups: alerts.Followups) -> dict:
    publication = followups.publications.get(alert.publication_id) if alert.publication_id else None
    channel = followups.channels.get(alert.channel_id) if alert.channel_id else None
    return {
        "id": alert.id,
        "kind": alert.kind,
        "message": shown(alert, "message"),  # in the reader's language, as error messages are
        "status": "resolved" if alert.resolved_at else "open",
        "publication_id": alert.publication_id,
        "channel_id": alert.channel_id,
        "created_at": format_utc(alert.created_at),
        "read_at": format_utc(alert.read_at),
        "resolved_at": format_utc(alert.resolved_at),
        "resolved_by_id": alert.resolved_by_id,
        # Resolved with nobody's name on it: its cause went away (the channel recovered, the post went out).
        "resolved_by_itself": alert.resolved_at is not None and alert.resolved_by_id is None,
        "since": {
            "publication": None
            if publication is None
            else {
                "id": publication.id,
                "status": publication.status,
                "attempts": publication.attempts_count,
                "finished_at": format_utc(publication.finished_at),
            },
            "channel": None
            if channel is None
            else {
                "id": channel.id,
                "name": channel.name,
                "health": channel.health,
                "paused": channel.paused_at is not None,
                "deleted": channel.archived_at is not None,
            },
        },
    }


def _one(alert: Alert):
    return jsonify(alert_json(alert, alerts.followups(actor(), [alert])))


@bp.get("/alerts")
def list_alerts():
    page, per_page = page_args()
    query = alerts.alert_query(
        actor(),
        _choice("kind", alerts.KINDS, None),
        status=_choice("status", alerts.STATUSES, "open"),
        since=instant_arg("since"),
    )
    items, total = paginate(query, page, per_page)
    followups = alerts.followups(actor(), items)
    return listing(items, total, page, per_page, lambda a: alert_json(a, followups))


@bp.post("/alerts/<int:alert_id>/resolve")
def resolve_alert(alert_id: int):
    return _one(alerts.resolve(actor(), alert_id))


@bp.post("/alerts/<int:alert_id>/reopen")
def reopen_alert(alert_id: int):
    return _one(alerts.reopen(actor(), alert_id))

"""Where each message sends its reader: the page where the fix is made, as an absolute link.

- credentials rejected, a held channel, a channel needing intervention: the channel's page at its edit
  form (`#edit`: the credentials fields, the resume and circuit buttons are on that page);
- a publication (failed, missed, unconfirmed, a stopped schedule): the publication's page;
- a pre-flight problem: the content's editor (its limits, its approval), the schedule named in the text;
- a review request: the content's review page; a silent scheduler: the health page.
"""

from __future__ import annotations

from webapp.core.errors import lazy_gettext
from webapp.domain.integrations.notifications.messages import absolute_url
from webapp.extensions import db
from webapp.models import Alert, Publication

CHANNEL_KINDS = frozenset({"channel_unhealthy", "channel_held"})
CHANNEL_ANCHOR = "edit"  # the id of the channel page's edit section (templates/channels/show.html)


def channel_link(channel_id: int) -> str:
    return absolute_url("channels.page.show", CHANNEL_ANCHOR, channel_id=channel_id)


def review_link(content_id: int) -> str:
    return absolute_url("contents.review", content_id=content_id)


def schedule_link(schedule_id: int) -> str:
    return absolute_url("schedules.edit", schedule_id=schedule_id)


def alert_link(alert: Alert) -> str:
    """The absolute link of the place where the alert's cause is fixed."""
    if alert.kind == "scheduler_silent":
        return absolute_url("health.page")
    if alert.channel_id is not None and (alert.kind in CHANNEL_KINDS or alert.publication_id is None):
        return channel_link(alert.channel_id)
    if alert.kind == "preflight" and alert.publication_id is not None:
        with db.session.no_autoflush:
            publication = db.session.get(Publication, alert.publication_id)
        return absolute_url("contents.editor.edit", content_id=publication.content_id)
    if alert.publication_id is not None:
        return absolute_url("publications.show", publication_id=alert.publication_id)
    return absolute_url("alerts.index")


def extra_text(alert: Alert):
    """A second pointer where one link is not the whole fix (a pre-flight problem may be the schedule's)."""
    if alert.kind != "preflight" or alert.publication_id is None:
        return ""
    with db.session.no_autoflush:
        publication = db.session.get(Publication, alert.publication_id)
    return lazy_gettext("\nIts schedule: %(link)s", link=schedule_link(publication.schedule_id))

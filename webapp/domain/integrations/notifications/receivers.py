"""The moments that become messages: raised alerts, review requests, and the scheduler coming back.

Each receiver runs inside the transaction of its moment (a domain signal) and only adds rows: one
Notification per interested member and medium, and one per medium of the workspace's destination when
it chose the kind. Who is interested: members who turned the kind on; for `scheduler_silent` only
owners (the install's trouble); for `review_requested` only the members who may approve it.
"""

from __future__ import annotations

from sqlalchemy import select

from webapp.core.errors import lazy_gettext
from webapp.core.phrases import lazily_shown
from webapp.domain.content import approvals
from webapp.domain.integrations.notifications import links
from webapp.domain.integrations.notifications.destination import record_for_workspace
from webapp.domain.integrations.notifications.messages import Message, absolute_url, joined, record
from webapp.domain.integrations.notifications.preferences import ALERT_KINDS, KINDS
from webapp.domain.shared.actor import Actor
from webapp.extensions import db
from webapp.models import Alert, Content, Membership, NotificationSettings, Role, User

OWNERS_ONLY = frozenset({"scheduler_silent"})


def _recipients(workspace_id: int, kind: str) -> list[tuple[NotificationSettings, User, str]]:
    with db.session.no_autoflush:  # never flush the caller's half-made changes from inside its signal
        rows = db.session.execute(
            select(NotificationSettings, User, Membership.role)
            .join(User, User.id == NotificationSettings.user_id)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.workspace_id == workspace_id)
        ).all()
    wanted = [(s, u, role) for s, u, role in rows if kind in (s.kinds or [])]
    if kind in OWNERS_ONLY:
        return [row for row in wanted if row[2] == Role.OWNER.value]
    return wanted


def _tell(message: Message, recipients) -> None:
    for settings, user, _role in recipients:
        record(settings, user, message)
    record_for_workspace(message)


def _subject(kind: str, what: str):
    return lazy_gettext("Herald: %(kind)s — %(what)s", kind=KINDS[kind], what=what)


def on_alert(alert: Alert) -> None:
    """Record a message for every member (and the workspace's destination) wanting this kind of alert."""
    if alert.kind not in ALERT_KINDS or alert.kind == "review_requested":  # that one: on_review_requested
        return
    said = lazily_shown(alert, "message")  # in each recipient's language
    text = joined(said, links.extra_text(alert))
    subject = _subject(alert.kind, said)
    message = Message(alert.workspace_id, alert.kind, subject, text, links.alert_link(alert))
    _tell(message, _recipients(alert.workspace_id, alert.kind))


def on_review_requested(content: Content, alert: Alert | None = None, requested_by: int | None = None) -> None:
    """Tell the members who may approve the content (approvals.may_review), but not whoever asked for it."""
    if alert is None:
        return
    with db.session.no_autoflush:  # may_review counts the writers: not a flush of the caller's changes
        reviewers = [
            (settings, user, role)
            for settings, user, role in _recipients(content.workspace_id, "review_requested")
            if user.id != requested_by
            and approvals.may_review(Actor(user.id, content.workspace_id, role, "system"), content)
        ]
    said = lazily_shown(alert, "message")
    subject = _subject("review_requested", said)
    link = links.review_link(content.id)
    _tell(Message(content.workspace_id, "review_requested", subject, said, link), reviewers)


def on_scheduler_back(workspace_ids: list[int]) -> None:
    """Tell those who were told the scheduler went silent that it is back (it resolved itself)."""
    text = lazy_gettext("The scheduler is back: due publications are being queued again. Nothing is needed from you.")
    for workspace_id in workspace_ids:
        subject = lazy_gettext("Herald: the scheduler is back")
        message = Message(workspace_id, "scheduler_silent", subject, text, absolute_url("health.page"))
        _tell(message, _recipients(workspace_id, "scheduler_silent"))

"""Private iCal feeds: a secret URL per member and workspace listing upcoming publications.

Calendar apps fetch a feed with no session and no language worth reading, so its events' descriptions speak the
language of the member whose feed it is (their setting; English when they chose none). Titles and channel names are
as people typed them.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from flask_babel import force_locale
from icalendar import Calendar, Event, vText
from sqlalchemy import select

from webapp.core.phrases import Phrase, shown
from webapp.domain.accounts.accounts import hash_token, membership_for
from webapp.domain.shared import audit
from webapp.domain.shared.actor import Actor
from webapp.extensions import db
from webapp.models import (
    PENDING_STATUSES,
    CalendarFeed,
    Channel,
    Content,
    Publication,
    PublicationStatus,
    User,
    Workspace,
    utcnow,
)

TOKEN_PREFIX = "hcal_"
# Shown in the feed: what is still to come, including held (paused) ones a person must look at.
UPCOMING = sorted({*(s.value for s in PENDING_STATUSES), PublicationStatus.PAUSED.value})
LOOK_BACK = timedelta(days=1)  # keeps today's already-started items visible in the calendar
LOOK_AHEAD = timedelta(days=180)
MAX_EVENTS = 2000
EVENT_LENGTH = timedelta(minutes=15)
PRODID = "-//Herald//Publications//EN"


def feed_of(actor: Actor) -> CalendarFeed | None:
    """Return the actor's feed in their workspace, if they made one."""
    return db.session.scalar(
        select(CalendarFeed).where(
            CalendarFeed.workspace_id == actor.workspace_id, CalendarFeed.user_id == actor.user_id
        )
    )


def regenerate(actor: Actor) -> str:
    """Make a new secret token for the actor's feed (the old URL stops working); commit and return it once."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    feed = feed_of(actor)
    if feed is None:
        feed = CalendarFeed(workspace_id=actor.workspace_id, user_id=actor.user_id, token_hash=hash_token(token))
        db.session.add(feed)
    else:
        feed.token_hash, feed.created_at = hash_token(token), utcnow()
    audit.record(actor, "calendar_feed.regenerated", "calendar_feed", None)
    db.session.commit()
    return token


def revoke(actor: Actor) -> None:
    """Delete the actor's feed, so its URL answers 404; commit."""
    feed = feed_of(actor)
    if feed is not None:
        db.session.delete(feed)
        audit.record(actor, "calendar_feed.revoked", "calendar_feed", None)
        db.session.commit()


def resolve(token: str) -> CalendarFeed | None:
    """Return the feed a token opens, or None (unknown token, or its owner left the workspace)."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 100:
        return None
    feed = db.session.scalar(select(CalendarFeed).where(CalendarFeed.token_hash == hash_token(token)))
    if feed is None or membership_for(feed.user_id, feed.workspace_id) is None:
        return None
    return feed


def render(feed: CalendarFeed, *, now: datetime | None = None, link=None) -> str:
    """Return the feed's iCalendar document: the workspace's upcoming publications, UIDs stable per publication."""
    now = now or utcnow()
    rows = db.session.execute(
        select(Publication, Content.title, Channel.name)
        .join(Content, Content.id == Publication.content_id)
        .join(Channel, Channel.id == Publication.channel_id)
        .where(
            Publication.workspace_id == feed.workspace_id,
            Publication.status.in_(UPCOMING),
            Publication.due_at >= now - LOOK_BACK,
            Publication.due_at <= now + LOOK_AHEAD,
        )
        .order_by(Publication.due_at, Publication.id)
        .limit(MAX_EVENTS)
    ).all()
    workspace = db.session.get(Workspace, feed.workspace_id)
    owner = db.session.get(User, feed.user_id)  # its language is the feed's (the module's docstring)
    calendar = Calendar()
    calendar.add("version", "2.0")
    calendar.add("prodid", PRODID)
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    # An X- property is TEXT (RFC 5545 3.8.8.2): vText escapes it, as calendar apps read it.
    calendar.add("x-wr-calname", vText(f"Herald · {workspace.name}"))
    for publication, title, channel in rows:
        event = Event()
        event.add("uid", f"{publication.idempotency_key}@herald")
        event.add("dtstamp", now.astimezone(UTC))
        event.add("dtstart", (publication.next_attempt_at or publication.due_at).astimezone(UTC))
        event.add("duration", EVENT_LENGTH)
        event.add("summary", f"{title} → {channel}")
        with force_locale(owner.locale or "en"):
            event.add("description", _description(publication, channel))
        if link:
            event.add("url", link(publication))
        if publication.updated_at:
            event.add("last-modified", publication.updated_at.astimezone(UTC))
        calendar.add_component(event)
    # icalendar writes CRLF lines folded at 75 octets, TEXT values escaped, instants as UTC "...Z".
    return calendar.to_ical().decode("utf-8")


def _description(publication: Publication, channel: str) -> str:
    """What an event says of its publication, and why it is held, in the current (the feed owner's) language."""
    # The status's own word is a msgid already (the UI's TERMS): said in the owner's language too.
    status = Phrase(publication.status)
    said = Phrase("Publication #%(id)s on %(channel)s: %(status)s", id=publication.id, channel=channel, status=status)
    held = shown(publication, "hold_reason")
    return f"{said.render()}\n{held}" if held else said.render()

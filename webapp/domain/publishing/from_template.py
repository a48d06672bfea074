"""Start a content item from a template: the draft, and with it a schedule at the template's default time.

Composed here, above content and publishing, because it does both: the template and the draft are
content's, the default schedule (checked against the channels' rules first) is publishing's.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import select

from webapp.core.errors import ValidationFailed, lazy_gettext
from webapp.core.time import localize, occurrences, validate_timezone
from webapp.domain.content import contents
from webapp.domain.content.content_templates import STRUCTURE, get_template, template_channels
from webapp.domain.publishing import channel_rules, schedules
from webapp.domain.shared import audit
from webapp.domain.shared.actor import Actor
from webapp.extensions import db
from webapp.models import Channel, Content, ContentTemplate, Schedule, utcnow


def start_from_template(
    actor: Actor, template_id: int, *, title: str | None = None, schedule: bool = False, now: datetime | None = None
) -> tuple[Content, Schedule | None]:
    """Create a draft from the template; with `schedule`, also schedule it on its channels at its default time."""
    actor.require_writer()
    template = get_template(actor, template_id)
    channels = template_channels(actor, template)
    timing = None
    if schedule:
        timing = _first_run(template, channels, now or utcnow())  # checked before anything is written
    known = {  # a deleted (archived) channel is gone for a new item too
        c.id
        for c in db.session.scalars(
            select(Channel).where(Channel.workspace_id == actor.workspace_id, Channel.archived_at.is_(None))
        )
    }
    structure = {field: getattr(template, field) for field in STRUCTURE}
    if title and title.strip():
        structure["title"] = title
    content = contents.create_content(
        actor,
        **structure,
        # A variant of a channel deleted since the template was saved has nothing left to vary.
        variants=[v for v in template.variants if v.get("channel_id") is None or v["channel_id"] in known],
    )
    audit.record(actor, "template.started", "template", template.id, content_id=content.id)
    db.session.commit()
    if timing is None:
        return content, None
    data = {"content_id": content.id, "channel_ids": [c.id for c in channels], **timing}
    return content, schedules.create_schedule(actor, data, now=now)


def _first_run(template: ContentTemplate, channels: list[Channel], now: datetime) -> dict:
    """Return create_schedule's timing fields for the template's default, refusing what create_schedule would."""
    rule = template.schedule
    if not rule:
        raise ValidationFailed({"schedule": lazy_gettext("this template has no default schedule")})
    if not channels:
        raise ValidationFailed({"schedule": lazy_gettext("this template has no channels to schedule on")})
    if rule.get("cron"):
        first = occurrences(rule["cron"], rule["timezone"], now, 1)
        if not first:
            raise ValidationFailed({"schedule": lazy_gettext("the template's cron rule has no next run")})
        timing = {"cron": rule["cron"], "timezone": rule["timezone"]}
    else:
        tz = validate_timezone(rule["timezone"])
        hour, minute = map(int, rule["at"].split(":"))
        day = now.astimezone(tz).date() + timedelta(days=rule["after_days"])
        run_at = localize(datetime.combine(day, time(hour, minute)), tz)
        if run_at <= now:  # "today at 09:00" when it is already past nine means tomorrow
            run_at = localize(datetime.combine(day + timedelta(days=1), time(hour, minute)), tz)
        first = [run_at]
        timing = {"run_at": run_at, "timezone": rule["timezone"]}
    # The channels' rules are checked now, so a clash refuses the start before the draft is written.
    channel_rules.check(channels, first[0], field="schedule")
    return timing

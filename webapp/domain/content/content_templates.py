"""Content templates: save a content item's structure, channels and default schedule; start new items from it."""

from __future__ import annotations

import re

from sqlalchemy import select

from webapp.core.errors import NotFound, ValidationFailed, lazy_gettext
from webapp.core.time import TimeInputError, describe_cron, validate_cron
from webapp.core.validation import id_list, is_id, text_problem, timezone_problem
from webapp.domain.content import contents, variants
from webapp.domain.shared import audit
from webapp.domain.shared.actor import Actor
from webapp.domain.shared.scoped import get_in_workspace
from webapp.extensions import db
from webapp.models import Channel, ContentTemplate

MAX_NAME = 120
MAX_AFTER_DAYS = 365
_HH_MM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
STRUCTURE = ("title", "body", "body_format", "excerpt", "content_type", "tags")


def template_query(actor: Actor):
    """Select the workspace's templates by name."""
    query = select(ContentTemplate).where(ContentTemplate.workspace_id == actor.workspace_id)
    return query.order_by(ContentTemplate.name, ContentTemplate.id)


def list_templates(actor: Actor) -> list[ContentTemplate]:
    """Return the workspace's templates by name."""
    return list(db.session.scalars(template_query(actor)))


def get_template(actor: Actor, template_id: int) -> ContentTemplate:
    """Return a template of the actor's workspace, or raise NotFound."""
    return get_in_workspace(actor, ContentTemplate, template_id, "template")


def save_as_template(actor: Actor, content_id, values: dict) -> ContentTemplate:
    """Store a content item's structure and variants as a named template, with optional channels and schedule."""
    actor.require_writer()
    errors: dict[str, str] = {}
    try:
        content = contents.get_content(actor, content_id) if is_id(content_id) else None
    except NotFound:
        content = None  # another workspace's content reads as unknown
    if content is None:
        errors["content_id"] = lazy_gettext("unknown content id")
        structure, overrides = {}, []
    else:
        structure = {field: getattr(content, field) for field in STRUCTURE}
        overrides = variants.overrides_of(content)
    template = _add(actor, values, structure, overrides, errors)
    audit.record(actor, "template.created", "template", template.id, content_id=content.id, name=template.name)
    db.session.commit()
    return template


def add_template(actor: Actor, values: dict) -> ContentTemplate:
    """Validate a whole template (structure, variants, channels, schedule) and add it; the caller commits (imports)."""
    actor.require_writer()
    structure = {f: values[f] for f in STRUCTURE if values.get(f) is not None}
    errors = {k: v for k, v in contents._validate(structure).items() if k in STRUCTURE}
    overrides = variants.parse(actor, values.get("variants") or [], errors)
    template = _add(actor, values, structure, overrides, errors)
    audit.record(actor, "template.created", "template", template.id, name=template.name)
    return template


def _add(
    actor: Actor, values: dict, structure: dict, overrides: list | None, errors: dict[str, str]
) -> ContentTemplate:
    """Validate the name, channels and schedule, raise every problem found so far, or add the template."""
    name = _name(actor, values.get("name"), errors)
    channel_ids = _channel_ids(actor, values.get("channel_ids"), errors)
    schedule = schedule_rule(values.get("schedule"), errors)
    if errors:
        raise ValidationFailed(errors)
    template = ContentTemplate(
        workspace_id=actor.workspace_id,
        name=name,
        **structure,
        variants=overrides,
        channel_ids=channel_ids,
        schedule=schedule,
        created_by_id=actor.user_id,
    )
    db.session.add(template)
    db.session.flush()
    return template


def update_template(actor: Actor, template_id: int, changes: dict) -> ContentTemplate:
    """Rename a template or change its channels or default schedule."""
    actor.require_writer()
    template = get_template(actor, template_id)
    errors: dict[str, str] = {}
    if "name" in changes:
        template_name = _name(actor, changes["name"], errors, except_id=template.id)
    if "channel_ids" in changes:
        channel_ids = _channel_ids(actor, changes["channel_ids"], errors)
    if "schedule" in changes:
        schedule = schedule_rule(changes["schedule"], errors)
    if errors:
        raise ValidationFailed(errors)
    if "name" in changes:
        template.name = template_name
    if "channel_ids" in changes:
        template.channel_ids = channel_ids
    if "schedule" in changes:
        template.schedule = schedule
    audit.record(actor, "template.updated", "template", template.id, fields=sorted(changes))
    db.session.commit()
    return template


def delete_template(actor: Actor, template_id: int) -> None:
    """Delete a template; items started from it are unaffected."""
    actor.require_writer()
    template = get_template(actor, template_id)
    audit.record(actor, "template.deleted", "template", template.id, name=template.name)
    db.session.delete(template)
    db.session.commit()


def template_channels(actor: Actor, template: ContentTemplate) -> list[Channel]:
    """Return the template's channels that still exist, in the template's order."""
    ids = template.channel_ids or []
    found = db.session.scalars(
        select(Channel).where(Channel.id.in_(ids), Channel.workspace_id == actor.workspace_id)
    ).all()
    return sorted(found, key=lambda c: ids.index(c.id))


def describe_schedule(rule: dict | None) -> str:
    """Say a template's default schedule in words: 'At 09:30, Monday through Friday (Europe/Paris)'."""
    if not rule:
        return "no default schedule"
    if rule.get("cron"):
        return f"{describe_cron(rule['cron'])} ({rule['timezone']})"
    days = rule["after_days"]
    when = {0: "the same day", 1: "the next day"}.get(days, f"{days} days later")
    return f"{when} at {rule['at']} ({rule['timezone']})"


def schedule_rule(raw, errors: dict[str, str]) -> dict | None:
    """Validate a default schedule: null, {cron, timezone} or {after_days, at, timezone}; return it cleaned."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        errors["schedule"] = lazy_gettext("must be an object with cron or after_days and at, and a timezone")
        return None
    if problem := timezone_problem(raw.get("timezone")):
        errors["schedule.timezone"] = problem
    if unknown := sorted(set(raw) - {"cron", "after_days", "at", "timezone"}):
        errors["schedule"] = lazy_gettext("unknown field(s): %(unknown)s", unknown=", ".join(unknown))
    if raw.get("cron") is not None:
        if "after_days" in raw or "at" in raw:
            errors["schedule"] = lazy_gettext("give either cron or after_days and at, not both")
        try:
            return {"cron": validate_cron(raw["cron"]), "timezone": raw.get("timezone")}
        except TimeInputError as exc:
            errors["schedule.cron"] = exc.message
            return None
    after_days, at = raw.get("after_days"), raw.get("at")
    if not isinstance(after_days, int) or isinstance(after_days, bool) or not 0 <= after_days <= MAX_AFTER_DAYS:
        errors["schedule.after_days"] = lazy_gettext(
            "must be a whole number of days from 0 to %(max_after_days)s", max_after_days=MAX_AFTER_DAYS
        )
    if not isinstance(at, str) or not _HH_MM.match(at):
        errors["schedule.at"] = lazy_gettext("must be a time of day as HH:MM")
    return {"after_days": after_days, "at": at, "timezone": raw.get("timezone")}


def _name(actor: Actor, value, errors: dict[str, str], except_id: int | None = None) -> str | None:
    if problem := text_problem(value, required=True, max_length=MAX_NAME):
        errors["name"] = problem
        return None
    name = value.strip()
    clash = select(ContentTemplate.id).where(
        ContentTemplate.workspace_id == actor.workspace_id, ContentTemplate.name == name
    )
    if except_id is not None:
        clash = clash.where(ContentTemplate.id != except_id)
    if db.session.scalar(clash) is not None:
        errors["name"] = lazy_gettext("is already used by another template")
    return name


def _channel_ids(actor: Actor, value, errors: dict[str, str]) -> list[int]:
    if value in (None, []):
        return []
    ids = id_list(value)
    if ids is None:
        errors["channel_ids"] = lazy_gettext("must be a list of channel ids")
        return []
    found = set(
        db.session.scalars(select(Channel.id).where(Channel.id.in_(ids), Channel.workspace_id == actor.workspace_id))
    )
    if missing := [i for i in ids if i not in found]:
        errors["channel_ids"] = lazy_gettext("unknown channel id(s): %(missing)s", missing=", ".join(map(str, missing)))
    return ids

"""Schedules in an export, and back: timing and end conditions, clash policy, chains and exceptions.

Content and channels are named twice in an export (ids and names); an import trusts an id only while
it names the record carrying that name in this workspace, so an export imports into another one.
Chains name their channels (`{"channel": "Blog", "after_channel": "Newsletter"}`); exceptions are the
occurrences people skipped or moved (`{"original_at", "change", "moved_to"}`).
"""

from __future__ import annotations

from sqlalchemy import select

from webapp.core.errors import ValidationFailed, lazy_gettext
from webapp.core.time import format_utc
from webapp.domain.operations.transfer.rows import channel, channel_names, first, paired, resolve
from webapp.domain.publishing import schedules
from webapp.domain.shared.actor import Actor
from webapp.extensions import db
from webapp.models import Channel, Content, OccurrenceChange, Schedule, ScheduleException, utcnow

# When and how a schedule runs, named as the API names them: exported, and set again by an import row.
TIMING_FIELDS = (
    "run_at",
    "cron",
    "timezone",
    "starts_at",
    "ends_at",
    "max_runs",
    "priority",
    "missed_policy",
    "grace_minutes",
)
_TIMING_INSTANTS = {"run_at", "starts_at", "ends_at"}
# The flat columns: all a CSV carries (and the start of every JSON row).
SCHEDULE_COLUMNS = (
    "id",
    "content_id",
    "content_title",
    "channel_ids",
    "channel_names",
    *TIMING_FIELDS,
    "status",
    "next_run_at",
    "clash_policy",
)
SCHEDULE_FIELDS_JSON = (*SCHEDULE_COLUMNS, "chain", "exceptions")
# What an import row may set on a schedule, beside the content, channels and chain it names.
SCHEDULE_FIELDS = (*TIMING_FIELDS, "clash_policy", "allow_conflicts")
CHANGES = tuple(c.value for c in OccurrenceChange)


def schedule_timing(schedule: Schedule) -> dict:
    """Return the schedule's TIMING_FIELDS, instants as UTC text: the export's and the API's shape alike."""
    return {
        field: format_utc(getattr(schedule, field)) if field in _TIMING_INSTANTS else getattr(schedule, field)
        for field in TIMING_FIELDS
    }


def export_schedules(actor: Actor) -> list[dict]:
    """Return the workspace's schedules as rows, with chains by channel name and their exceptions."""
    query = select(Schedule).where(Schedule.workspace_id == actor.workspace_id).order_by(Schedule.id)
    found = list(db.session.scalars(query))
    names = channel_names(actor)
    exceptions: dict[int, list[dict]] = {}
    rows = select(ScheduleException).where(ScheduleException.workspace_id == actor.workspace_id)
    for row in db.session.scalars(rows.order_by(ScheduleException.original_at)):
        exceptions.setdefault(row.schedule_id, []).append(
            {"original_at": format_utc(row.original_at), "change": row.change, "moved_to": format_utc(row.moved_to)}
        )
    return [
        {
            "id": schedule.id,
            "content_id": schedule.content_id,
            "content_title": schedule.content.title,
            "channel_ids": [c.id for c in schedule.channels],
            "channel_names": [c.name for c in schedule.channels],
            **schedule_timing(schedule),
            "status": schedule.status,
            "next_run_at": format_utc(schedule.next_run_at),
            "clash_policy": schedule.clash_policy,
            "chain": [
                {"channel": names.get(link["channel_id"]), "after_channel": names.get(link["after_channel_id"])}
                for link in schedule.chain or []
            ],
            "exceptions": exceptions.get(schedule.id, []),
        }
        for schedule in found
    ]


def import_schedule(actor: Actor, row: dict, now=None):
    """Add one schedule row with its chain and exceptions (the caller commits); return it and its publications."""
    now = now or utcnow()
    schedule, added = schedules.add_schedule(actor, _schedule_data(actor, row), now=now)
    errors: dict[str, str] = {}
    carried = _exceptions(schedule, row.get("exceptions"), errors)
    if errors:
        raise ValidationFailed(errors)
    if carried:
        db.session.add_all(carried)
        if any(e.original_at == schedule.next_run_at for e in carried):
            # Its first run was skipped or moved: plan the series again, honouring the exceptions.
            for publication in added:
                db.session.delete(publication)
            db.session.flush()
            added = schedules.materialise_next(schedule, now, 0, 0)
    return schedule, added


def _schedule_data(actor: Actor, row: dict) -> dict:
    """Turn an import row into add_schedule's input, finding content and channels by id or by name."""
    errors: dict[str, str] = {}
    data = {k: row[k] for k in SCHEDULE_FIELDS if row.get(k) is not None}
    reference = paired(actor, Content, Content.title, row.get("content_id"), row.get("content_title"))
    if reference in (None, ""):
        reference = first(row, "content")
    data["content_id"] = resolve(actor, Content, Content.title, reference, "content_id", errors)
    data["channel_ids"] = [channel(actor, ref, "channel_ids", errors) for ref in _channel_refs(actor, row)]
    data["chain"] = _chain(actor, row.get("chain"), errors)
    if errors:
        raise ValidationFailed(errors)
    return data


def _channel_refs(actor: Actor, row: dict) -> list:
    ids, names = row.get("channel_ids"), row.get("channel_names")
    if isinstance(ids, list) and isinstance(names, list) and len(ids) == len(names):
        return [paired(actor, Channel, Channel.name, i, n) for i, n in zip(ids, names, strict=True)]
    refs = first(row, "channel_ids", "channels", "channel_names")
    return refs if isinstance(refs, list) else [] if refs is None else [refs]


def _chain(actor: Actor, raw, errors: dict[str, str]):
    """Turn links naming channels (`channel`, `after_channel`) into the service's ids; others pass as they are."""
    if not isinstance(raw, list):
        return raw
    links = []
    for index, link in enumerate(raw):
        if isinstance(link, dict) and ("channel" in link or "after_channel" in link):
            link = {
                "channel_id": channel(actor, link.get("channel"), f"chain[{index}].channel", errors),
                "after_channel_id": channel(actor, link.get("after_channel"), f"chain[{index}].after_channel", errors),
            }
        links.append(link)
    return links


def _exceptions(schedule: Schedule, raw, errors: dict[str, str]) -> list[ScheduleException]:
    if raw in (None, []):
        return []
    if not isinstance(raw, list) or not schedule.is_recurring:
        errors["exceptions"] = lazy_gettext("must be a list, on a recurring schedule only")
        return []
    carried, seen = [], set()
    for index, item in enumerate(raw):
        where = f"exceptions[{index}]"
        item = item if isinstance(item, dict) else {}
        original = schedules.instant_field(item.get("original_at"), "UTC", f"{where}.original_at", errors)
        moved_to = schedules.instant_field(item.get("moved_to"), "UTC", f"{where}.moved_to", errors)
        change = item.get("change")
        if change not in CHANGES:
            errors[f"{where}.change"] = lazy_gettext("must be one of %(changes)s", changes=", ".join(CHANGES))
        elif change == OccurrenceChange.MOVE.value and moved_to is None:
            errors.setdefault(f"{where}.moved_to", lazy_gettext("is required for a moved occurrence"))
        if original is None:
            errors.setdefault(f"{where}.original_at", lazy_gettext("is required"))
        elif original in seen:
            errors[f"{where}.original_at"] = lazy_gettext("names an occurrence a second time")
        seen.add(original)
        carried.append(
            ScheduleException(
                workspace_id=schedule.workspace_id,
                schedule_id=schedule.id,
                original_at=original,
                change=change,
                moved_to=moved_to,
                created_by_id=schedule.created_by_id,
            )
        )
    return carried

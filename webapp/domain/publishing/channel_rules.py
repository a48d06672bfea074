"""Apply channel rules to a proposed publication time: clashes, next free slots, the channel's queue."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from webapp.core.errors import ValidationFailed
from webapp.core.time import format_utc
from webapp.domain.channels import rules
from webapp.extensions import db
from webapp.models import Channel, Publication, PublicationStatus

# Publications that no longer take a slot.
_FREED = (PublicationStatus.CANCELLED.value, PublicationStatus.MISSED.value, PublicationStatus.FAILED.value)
# Wide enough for the monthly limit and spacing on either side of the proposed time.
_WINDOW = timedelta(days=32)


def _others(channel: Channel, around: datetime, exclude: set[int]) -> list[tuple[int, datetime]]:
    rows = db.session.execute(
        select(Publication.id, Publication.due_at).where(
            Publication.channel_id == channel.id,
            Publication.status.not_in(_FREED),
            Publication.due_at >= around - _WINDOW,
            Publication.due_at < around + _WINDOW,
        )
    )
    return [(pid, due) for pid, due in rows if pid not in exclude]


def check(channels: list[Channel], when: datetime, *, exclude: set[int] | None = None, field: str = "run_at") -> None:
    """Raise ValidationFailed listing every rule `when` breaks on these channels, with free alternatives."""
    exclude = exclude or set()
    clashes, slots = [], {}
    for channel in channels:
        channel_rules = rules.parse(channel.rules)
        if channel_rules.empty:
            continue
        others = _others(channel, when, exclude)
        found = rules.clashes(channel_rules, channel.timezone, when, others)
        if not found:
            continue
        clashes.extend(
            {"channel_id": channel.id, "rule": c.rule, "message": c.message, "publication_ids": list(c.publication_ids)}
            for c in found
        )
        free = rules.free_slots(channel_rules, channel.timezone, when - timedelta(seconds=1), others)
        slots[str(channel.id)] = [format_utc(s) for s in free]
    if clashes:
        summary = "; ".join(f"{c['message']} (channel {c['channel_id']})" for c in clashes)
        raise ValidationFailed(
            {field: f"conflicts with channel rules: {summary}"},
            "The time breaks channel rules; pick a free slot or set allow_conflicts.",
            conflicts=sorted({pid for c in clashes for pid in c["publication_ids"]}),
            clashes=clashes,
            next_free_slots=slots,
        )


def next_free_slot(channel: Channel, after: datetime) -> datetime | None:
    """Return the channel's next instant that breaks no rule (its queue's next slot)."""
    channel_rules = rules.parse(channel.rules)
    if channel_rules.empty and not channel.rules:
        return None
    others = _others(channel, after, set())
    free = rules.free_slots(channel_rules, channel.timezone, after, others, count=1, exclusive=True)
    return free[0] if free else None

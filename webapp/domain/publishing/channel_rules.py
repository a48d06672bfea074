"""Apply channel rules to a proposed publication time: clashes, next free slots, the channel's queue.

A recurring occurrence meets the rules when it is materialised: `Ledger.outcomes` says, per channel,
whether it publishes at its time, moves to the channel's next free slot, or is skipped, as the
schedule's clash policy (models.ClashPolicy) decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from webapp.core.errors import ValidationFailed, lazy_gettext
from webapp.core.phrases import Phrase, joined
from webapp.core.time import format_utc
from webapp.domain.channels import rules
from webapp.extensions import db
from webapp.models import Channel, ClashPolicy, Publication, PublicationStatus

# Publications that no longer take a slot.
_FREED = (PublicationStatus.CANCELLED.value, PublicationStatus.MISSED.value, PublicationStatus.FAILED.value)
# Wide enough for the monthly limit and spacing on either side of the proposed time.
_WINDOW = timedelta(days=32)


def _others(
    channel: Channel,
    around: datetime,
    exclude: set[int],
    *,
    until: datetime | None = None,
    schedule_id: int | None = None,
) -> list[tuple[int, datetime]]:
    query = select(Publication.id, Publication.due_at).where(
        Publication.channel_id == channel.id,
        Publication.status.not_in(_FREED),
        Publication.due_at >= around - _WINDOW,
        Publication.due_at < (until or around) + _WINDOW,
    )
    if schedule_id is not None:  # a schedule being edited does not clash with its own runs
        query = query.where(Publication.schedule_id != schedule_id)
    return [(pid, due) for pid, due in db.session.execute(query) if pid not in exclude]


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
            {field: lazy_gettext("conflicts with channel rules: %(summary)s", summary=summary)},
            lazy_gettext("The time breaks channel rules; pick a free slot or set allow_conflicts."),
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


# How a clash reads in a note or the preview ("moved to 17:30, daily limit").
# Phrases: a skipped run's alert names them in its reader's language (occurrence_plan.alert_skips).
RULE_NAMES = {
    "weekday": Phrase("not an allowed day"),
    "time_slot": Phrase("not a time slot"),
    "min_spacing": Phrase("min spacing"),
    "daily_limit": Phrase("daily limit"),
    "weekly_limit": Phrase("weekly limit"),
    "monthly_limit": Phrase("monthly limit"),
}


@dataclass(frozen=True)
class Outcome:
    """What one occurrence does on one channel: publish (at its time, or anyway), move, or skip."""

    channel_id: int
    action: str  # publish | move | skip
    at: datetime | None  # when it publishes on this channel (None: skipped)
    reason: str | None = None  # the rules it broke, e.g. "daily limit"


class Ledger:
    """The channels' rules and their other publications around a span, read once (one query per ruled channel).

    A preview adds the runs it simulates (`add`), so a minutely rule on a `daily_limit: 1` channel shows
    the second run of the day moved or skipped, as materialising would.
    """

    def __init__(self, channels: list[Channel], start: datetime, end: datetime, *, schedule_id: int | None = None):
        self.channels = channels
        self.rules = {c.id: rules.parse(c.rules) for c in channels}
        self.others = {
            c.id: [] if self.rules[c.id].empty else _others(c, start, set(), until=end, schedule_id=schedule_id)
            for c in channels
        }

    @property
    def ruled(self) -> bool:
        return any(not r.empty for r in self.rules.values())

    def outcomes(self, at: datetime, next_at: datetime | None, policy: str) -> list[Outcome]:
        """Decide each channel's outcome for an occurrence at `at`; a move lands before `next_at` or not at all."""
        return [self._outcome(channel, at, next_at, policy) for channel in self.channels]

    def _outcome(self, channel: Channel, at: datetime, next_at: datetime | None, policy: str) -> Outcome:
        channel_rules, others = self.rules[channel.id], self.others[channel.id]
        found = [] if channel_rules.empty else rules.clashes(channel_rules, channel.timezone, at, others)
        if not found:
            return Outcome(channel.id, "publish", at)
        reason = joined(list(dict.fromkeys(RULE_NAMES[c.rule] for c in found)), ", ")
        if policy == ClashPolicy.PUBLISH.value:
            return Outcome(channel.id, "publish", at, reason)
        if policy == ClashPolicy.MOVE.value:
            # Only before the series' next occurrence: a frequent rule on a limited channel never piles up.
            free = rules.free_slots(channel_rules, channel.timezone, at, others, count=1, before=next_at)
            if free:
                return Outcome(channel.id, "move", free[0], reason)
        return Outcome(channel.id, "skip", None, reason)

    def add(self, outcomes: list[Outcome]) -> None:
        """Count simulated publications against the rules of the runs after them."""
        for outcome in outcomes:
            if outcome.at is not None and not self.rules[outcome.channel_id].empty:
                self.others[outcome.channel_id].append((0, outcome.at))

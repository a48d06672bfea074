"""A schedule's chain: validate its links, and tie each occurrence's publications together as they say."""

from __future__ import annotations

from webapp.core.phrases import Phrase
from webapp.core.validation import is_id
from webapp.models import Publication, Schedule

WAITING_PREFIX = "waiting for #"


def chain_problem(raw, channel_ids: list[int]) -> tuple[list[dict] | None, str | None]:
    """Validate a chain against the schedule's channels; return (normalised links or None, problem or None)."""
    if raw in (None, [], ""):
        return None, None
    if not isinstance(raw, list):
        return None, 'must be a list of {"channel_id", "after_channel_id"} links'
    parents: dict[int, int] = {}
    for link in raw:
        if not isinstance(link, dict) or not is_id(link.get("channel_id")) or not is_id(link.get("after_channel_id")):
            return None, 'each link needs a "channel_id" and an "after_channel_id"'
        child, parent = int(link["channel_id"]), int(link["after_channel_id"])
        if child not in channel_ids or parent not in channel_ids:
            return None, f"link {child} after {parent}: both channels must be among the schedule's channel_ids"
        if child == parent:
            return None, f"channel {child} cannot wait for itself"
        if child in parents:
            return None, f"channel {child} can wait for one channel only"
        parents[child] = parent
    for start in parents:
        seen, node = {start}, parents[start]
        while node in parents:
            if node in seen:
                return None, f"the links around channel {start} form a loop"
            seen.add(node)
            node = parents[node]
        if node == start:
            return None, f"the links around channel {start} form a loop"
    return [{"channel_id": c, "after_channel_id": p} for c, p in parents.items()], None


def link(schedule: Schedule, publications: list[Publication]) -> None:
    """Tie one occurrence's publications together as the schedule's chain says (the caller flushed them)."""
    if not schedule.chain:
        return
    by_channel = {p.channel_id: p for p in publications}
    names = {c.id: c.name for c in schedule.channels}
    for entry in schedule.chain:
        child, parent = by_channel.get(entry["channel_id"]), by_channel.get(entry["after_channel_id"])
        if child is None or parent is None:
            continue
        child.after_publication_id, parent.has_dependents = parent.id, True
        child.hold_reason = waiting_reason(parent.id, names.get(parent.channel_id, f"channel {parent.channel_id}"))


def waiting_reason(parent_id: int, channel_name: str) -> Phrase:
    return Phrase(
        "waiting for #%(id)s on %(channel)s", id=parent_id, channel=channel_name
    )  # starts with WAITING_PREFIX

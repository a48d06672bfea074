"""Occurrence endpoints: a recurring schedule's next occurrences, and skipping, moving or restoring one."""

from __future__ import annotations

from flask import jsonify, request
from flask_babel import gettext

from webapp.core.phrases import said
from webapp.core.time import format_utc
from webapp.domain.publishing import occurrence_list, occurrences
from webapp.web.api.base import actor, bp, invalid, json_body

OCCURRENCES = "/schedules/<int:schedule_id>/occurrences"


def outcome_json(outcome) -> dict:
    return {
        "channel_id": outcome.channel_id,
        "outcome": outcome.action,
        "at": format_utc(outcome.at),
        "reason": said(outcome.reason),  # the rules it broke, in the reader's language
    }


def occurrence_json(item) -> dict:
    """One occurrence: the rule's instant, when it runs (null: skipped), its state, and each channel's outcome."""
    run = item.run
    return {
        "original_at": format_utc(run.original_at),
        "at": format_utc(run.at),
        "state": run.state,
        "channels": [outcome_json(o) for o in item.outcomes],
        "publication_ids": [p.id for p in item.publications],
        "notes": [said(note) for note in item.notes],  # in the reader's language
    }


def _count() -> int:
    raw = request.args.get("count", "10")
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= occurrence_list.MAX_COUNT:
        message = gettext("must be a whole number from 1 to %(most)s", most=occurrence_list.MAX_COUNT)
        raise invalid({"count": message})
    return int(raw)


@bp.get(OCCURRENCES)
def list_occurrences(schedule_id: int):
    schedule, listed = occurrence_list.upcoming(actor(), schedule_id, _count())
    return jsonify(
        {
            "schedule_id": schedule.id,
            "timezone": schedule.timezone,
            "clash_policy": schedule.clash_policy,
            "items": [occurrence_json(item) for item in listed],
        }
    )


def _changed(run) -> dict:
    return occurrence_json(occurrence_list.Listed(run))


@bp.post(f"{OCCURRENCES}/skip")
def skip_occurrence(schedule_id: int):
    data = json_body() if request.get_data() else {}
    return jsonify(_changed(occurrences.skip(actor(), schedule_id, data)))


@bp.post(f"{OCCURRENCES}/move")
def move_occurrence(schedule_id: int):
    return jsonify(_changed(occurrences.move(actor(), schedule_id, json_body())))


@bp.post(f"{OCCURRENCES}/restore")
def restore_occurrence(schedule_id: int):
    return jsonify(_changed(occurrences.restore(actor(), schedule_id, json_body())))

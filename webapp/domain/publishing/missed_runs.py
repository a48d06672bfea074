"""The missed-run rule: an overdue run that its schedule skips is marked missed, with an alert."""

from __future__ import annotations

from datetime import datetime, timedelta

from webapp.core.phrases import At, Phrase
from webapp.domain.shared import alerts
from webapp.models import Publication, PublicationStatus, Schedule


def is_missed(schedule: Schedule, due: datetime, now: datetime) -> bool:
    """Say whether an overdue run is skipped under the schedule's policy."""
    return schedule.missed_policy == "skip" and now - due > timedelta(minutes=schedule.grace_minutes)


def mark_missed(publication: Publication, schedule: Schedule, now: datetime) -> bool:
    """Mark the publication missed, with an alert, if its schedule skips a run this late; say whether it did."""
    due = publication.next_attempt_at or publication.due_at
    if not is_missed(schedule, due, now):
        return False
    publication.status, publication.finished_at = PublicationStatus.MISSED.value, now
    message = Phrase("Publication #%(id)s missed %(due)s and was skipped.", id=publication.id, due=At(due, "minute"))
    alerts.publication_alert(publication, "missed", message)
    return True

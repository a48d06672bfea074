"""A restored workspace sends nothing until a person says so.

A restore beside the original (a test of the backup on a live install) holds the same channels, with
the same content due at the same times, under new idempotency keys where the originals' are taken: if
its pending work were dispatched, every post would go out twice. So, unless the operator asks for
`--resume` (a migration to a new install, the original gone), the restore pauses every open schedule
and holds its pending publications `paused`, "restored from backup".

Why paused schedules rather than paused channels: a paused schedule materialises no new run (recurring
ones neither pile up a backlog nor send it late on resume: resuming counts the next run from now), its
paused publications have no rq-scheduler entry and the reconciler skips them, and neither a publication's
resume nor a retry is accepted while its schedule is paused. A paused channel would still let recurring
schedules materialise a run per occurrence, each held by the worker and all sent at once on resume. Undoing
it is the existing, single bulk action on schedules (Schedules page: filter paused, Resume; or
`POST /api/v1/schedules/bulk`), or `flask workspace resume SLUG`, which resumes exactly the ones the
restore paused. An alert in the workspace says so.

Publications that were being published, or unconfirmed, when the backup was taken may have gone out:
they wait for a person (unconfirmed, "waiting for you"), never re-sent or asked about on their own,
since beside the original their key is not the one the platform saw.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from webapp.core.phrases import Phrase, joined
from webapp.domain.operations.backups.sections import BackupError
from webapp.domain.publishing import lifecycle
from webapp.domain.publishing.recovery import WAITING_FOR_A_PERSON
from webapp.domain.shared import alerts, audit
from webapp.domain.shared.actor import Actor
from webapp.extensions import db
from webapp.models import AuditEvent, Membership, Publication, Role, Schedule, ScheduleStatus, Workspace
from webapp.models import PublicationStatus as S

RESTORED = "restored from backup"
RESTORE_HOLD = Phrase("restored from backup: nothing is sent until its schedule is resumed")
UNKNOWN_HOLD = Phrase(
    "waiting for you: restored from backup while its outcome was unknown: check the channel, then mark it "
    "published, retry or cancel it"
)
# Both keep the English starts they are matched by (the reconciler skips WAITING_FOR_A_PERSON; RESTORED).
assert UNKNOWN_HOLD.startswith(WAITING_FOR_A_PERSON) and RESTORE_HOLD.startswith(RESTORED)
AUDIT_ACTION = "workspace.restored"
_OPEN = (ScheduleStatus.ACTIVE.value, ScheduleStatus.NEEDS_INTERVENTION.value)
_LISTED = 20  # schedule ids named in the alert


@dataclass
class Holds:
    """What a restore held back, or would have (`resume`: nothing held)."""

    resume: bool
    schedules: list[Schedule] = field(default_factory=list)
    paused: int = 0
    unknown: int = 0

    def schedule(self, schedule: Schedule) -> None:
        """Pause an open schedule of the archive (before it is flushed)."""
        if not self.resume and schedule.status in _OPEN:
            schedule.status = ScheduleStatus.PAUSED.value
            self.schedules.append(schedule)

    def publication(self, publication: Publication) -> None:
        """Hold a pending publication (a queued job lived in the old Redis: it is back on schedule at least)."""
        if publication.status == S.QUEUED.value:
            publication.status = S.SCHEDULED.value
        if publication.status == S.PUBLISHING.value:  # its worker is in another install, or gone
            publication.status = S.UNCONFIRMED.value
            publication.last_error = Phrase(
                "%(error_class)s: the backup was taken while it was being published", error_class="unknown_outcome"
            )
        if self.resume:
            return
        if publication.status in (S.SCHEDULED.value, S.RETRYING.value):
            publication.status, publication.hold_reason = S.PAUSED.value, RESTORE_HOLD
            self.paused += 1
        elif publication.status == S.UNCONFIRMED.value:
            publication.hold_reason = UNKNOWN_HOLD
            self.unknown += 1

    def record(self, actor: Actor, workspace: Workspace, created_at) -> None:
        """Audit the restore and, when work is held, tell the workspace how to release it (the caller commits)."""
        ids = [schedule.id for schedule in self.schedules]
        audit.record(
            actor, AUDIT_ACTION, "workspace", workspace.id, resumed=self.resume, backup_created_at=created_at,
            paused_schedules=ids, paused_publications=self.paused, unconfirmed=self.unknown,
        )  # fmt: skip
        if self.resume or not (ids or self.unknown):
            return
        alerts.raise_alert(workspace.id, "needs_intervention", self.message())

    def message(self) -> Phrase:
        ids = [schedule.id for schedule in self.schedules]
        named = ", ".join(f"#{i}" for i in ids[:_LISTED])
        if len(ids) > _LISTED:
            named = Phrase("%(listed)s and %(count)s more", listed=named, count=len(ids) - _LISTED)
        sentences = [
            Phrase(
                "Restored from backup: %(paused)s publications of %(schedules)s schedules are paused, so nothing is "
                "sent twice beside the original.",
                paused=self.paused,
                schedules=len(ids),
            )
        ]
        if ids:
            sentences.append(
                Phrase(
                    "When this workspace should publish, resume the schedules %(named)s: on Schedules, filter "
                    "Paused, select them and Resume (or POST /api/v1/schedules/bulk with the action resume).",
                    named=named,
                )
            )
        if self.unknown:
            sentences.append(
                Phrase(
                    "%(count)s publications whose outcome was unknown at the backup wait for you.", count=self.unknown
                )
            )
        return joined(sentences)


def resume_restored(slug: str) -> tuple[int, int]:
    """Resume the schedules the latest restore of the workspace paused; return (schedules, publications) resumed.

    Acts as the owner the restore named, from the command line; each schedule is resumed as its page's
    button would, so its paused publications go back on schedule and recurring ones count on from now.
    """
    workspace = db.session.scalar(select(Workspace).where(Workspace.slug == slug))
    if workspace is None:
        raise BackupError(f"no workspace with slug {slug!r}")
    event = db.session.scalar(
        select(AuditEvent)
        .where(AuditEvent.workspace_id == workspace.id, AuditEvent.action == AUDIT_ACTION)
        .order_by(AuditEvent.id.desc())
        .limit(1)
    )
    if event is None:
        raise BackupError(f"workspace {slug!r} was not restored from a backup")
    owner_id = event.actor_user_id
    member = db.session.scalar(
        select(Membership).where(Membership.workspace_id == workspace.id, Membership.user_id == owner_id)
    )
    if member is None or member.role != Role.OWNER.value:
        raise BackupError(
            "the owner who restored this workspace is no longer its owner: resume its schedules on its page"
        )
    actor = Actor(owner_id, workspace.id, Role.OWNER.value, "cli")
    paused = db.session.scalars(
        select(Schedule.id).where(
            Schedule.workspace_id == workspace.id,
            Schedule.id.in_(event.details.get("paused_schedules") or []),
            Schedule.status == ScheduleStatus.PAUSED.value,
        )
    ).all()
    publications = 0
    for schedule_id in paused:
        before = _paused_count(schedule_id)
        lifecycle.resume_schedule(actor, schedule_id)
        publications += before
    return len(paused), publications


def _paused_count(schedule_id: int) -> int:
    query = select(Publication.id).where(Publication.schedule_id == schedule_id, Publication.status == S.PAUSED.value)
    return len(db.session.scalars(query).all())

"""Publications held for want of approval: approving content releases exactly those, in one unit of work.

The worker pauses a publication whose content needs approval and lacks it, with a hold reason that
starts with ``approvals.APPROVAL_HOLD_PREFIX``; approving the content puts them back to ``scheduled``
(or ``missed`` if too late for their schedule's grace). Publications held for rejected credentials
or a failed chain stay held.
"""

from __future__ import annotations

from webapp.core.errors import Conflict, ServiceError, lazy_gettext
from webapp.core.phrases import Phrase
from webapp.domain.content import approvals
from webapp.domain.content.approvals import held_publications
from webapp.domain.publishing.lifecycle import Work, wake
from webapp.domain.shared import audit
from webapp.domain.shared.actor import Actor
from webapp.extensions import db
from webapp.models import Content, Decision, EditorialStatus, Publication, ReviewDecision, ScheduleStatus

S = EditorialStatus


def approve(actor: Actor, content: Content, comment: str | None = None, *, work: Work) -> ReviewDecision:
    """review → approved, and release the held publications inside ``work`` (the caller commits it)."""
    decision = approvals.approve(actor, content, comment)
    release_held(actor, content, work)
    return decision


def release_held(actor: Actor, content: Content, work: Work) -> list[Publication]:
    """Put held publications of approved content back to scheduled inside ``work`` (the caller commits it).

    A publication whose schedule is paused stays held: resuming the schedule releases it.
    """
    actor.require_writer()
    if content.status != S.APPROVED:
        raise Conflict(
            lazy_gettext("content is %(status)s; only approved content can be released", status=content.status)
        )
    released = []
    for publication in held_publications(actor, content):
        if publication.schedule.status == ScheduleStatus.PAUSED.value:
            continue
        wake(publication, work)
        released.append(publication)
    if released:
        audit.record(actor, "content.released", "content", content.id, publications=[p.id for p in released])
    return released


# The decisions other than approval: none of them touches a publication.
_DECISIONS = {
    Decision.SUBMITTED: approvals.submit,
    Decision.REJECTED: approvals.reject,
    Decision.ARCHIVED: approvals.archive,
    Decision.RESTORED: approvals.restore,
}


def decide(actor: Actor, content: Content, decision: Decision, comment: str | None = None) -> list[Publication]:
    """Take one review decision and commit it; return the held publications an approval put back on schedule.

    A refusal (ValidationFailed, Conflict, Forbidden) writes nothing: the session is rolled back and the error raised.
    """
    work = Work(actor=actor, action=Phrase("released: content approved"))
    try:
        if decision == Decision.APPROVED:
            approve(actor, content, comment, work=work)
        else:
            _DECISIONS[decision](actor, content, comment)
    except ServiceError:
        db.session.rollback()
        raise
    if decision == Decision.APPROVED:
        work.commit()  # commits, then hands the released publications back to rq-scheduler
    else:
        db.session.commit()
    return list(work.to_enqueue)

"""The editorial workflow of a content item: submit, approve, reject, archive, restore.

State machine (``Content.status``)::

    draft ──submit──▶ review ──approve──▶ approved
    review ──reject (comment required)──▶ draft
    draft | review | approved ──archive──▶ archived ──restore──▶ draft
    approved ──an edit of what it publishes (approval required)──▶ review   (``reopen_after_edit``)

Contract, kept stable for callers such as bulk actions:

- Every function takes the actor and a ``Content`` instance, calls ``actor.require_writer()``,
  checks the content belongs to the actor's workspace (``NotFound`` otherwise), checks the
  transition (``Conflict`` with a sentence saying why not), records a ``ReviewDecision`` (the
  history shown on the content page) and an audit event, and returns the decision.
- **Nothing here commits.** The caller commits (one item, or a chunk of items in one transaction).
  The status change is a conditional ``UPDATE … WHERE status = <expected>``, so two reviewers
  deciding at once cannot both win: the second gets ``Conflict``.
- Self-review: the author of a content item may not approve or reject it (``Forbidden``), unless
  they are the workspace's only owner or editor — otherwise a one-person workspace that requires
  approval could never publish. System actors (no user) are not authors.
- Approving does not touch publications: ``webapp.domain.publishing.approval_holds.approve`` approves
  and releases the content's publications *held* for lack of approval in one unit of work.
"""

from __future__ import annotations

from sqlalchemy import func, select, update

from webapp.core import signals
from webapp.core.errors import Conflict, Forbidden, NotFound, ValidationFailed, lazy_gettext
from webapp.core.phrases import Phrase
from webapp.core.validation import text_problem
from webapp.domain.content.reviewed_parts import PUBLISHED_PARTS, edited_after_approval, part_names
from webapp.domain.shared import alerts, audit
from webapp.domain.shared.actor import Actor
from webapp.extensions import db
from webapp.models import (
    Content,
    Decision,
    EditorialStatus,
    Membership,
    Publication,
    PublicationStatus,
    ReviewDecision,
    Role,
    Workspace,
    utcnow,
)

S = EditorialStatus
# The hold reason of a publication paused at its due time for lack of approval (publishing.execute):
# approving the content releases exactly these, not publications held for rejected credentials or
# a failed chain.
APPROVAL_HOLD_PREFIX = "held for approval: "
MAX_COMMENT = 2000


def approval_hold(problem: Phrase) -> Phrase:
    """The hold reason of a publication whose content lacks the approval its workspace requires."""
    return Phrase("held for approval: %(problem)s", problem=problem)  # starts with APPROVAL_HOLD_PREFIX


# decision -> (statuses it may start from, status it leads to)
TRANSITIONS: dict[Decision, tuple[frozenset[str], str]] = {
    Decision.SUBMITTED: (frozenset({S.DRAFT}), S.REVIEW),
    Decision.APPROVED: (frozenset({S.REVIEW}), S.APPROVED),
    Decision.REJECTED: (frozenset({S.REVIEW}), S.DRAFT),
    Decision.ARCHIVED: (frozenset({S.DRAFT, S.REVIEW, S.APPROVED}), S.ARCHIVED),
    Decision.RESTORED: (frozenset({S.ARCHIVED}), S.DRAFT),
}
_VERBS = {
    Decision.SUBMITTED: "submitted for review",
    Decision.APPROVED: "approved",
    Decision.REJECTED: "rejected",
    Decision.ARCHIVED: "archived",
    Decision.RESTORED: "restored",
}
_REVIEWER_DECISIONS = frozenset({Decision.APPROVED, Decision.REJECTED})


def allowed_decisions(content: Content) -> list[Decision]:
    """The decisions the state machine allows from the content's current status (not who may take them)."""
    return [d for d, (sources, _) in TRANSITIONS.items() if content.status in sources]


def submit(actor: Actor, content: Content, comment: str | None = None) -> ReviewDecision:
    """draft → review. Does not commit."""
    return _decide(actor, content, Decision.SUBMITTED, comment)


def approve(actor: Actor, content: Content, comment: str | None = None) -> ReviewDecision:
    """review → approved. Does not commit (``publishing.approval_holds.approve`` also releases held publications)."""
    return _decide(actor, content, Decision.APPROVED, comment)


def reject(actor: Actor, content: Content, comment: str | None) -> ReviewDecision:
    """review → draft, with a required comment telling the author why. Does not commit."""
    return _decide(actor, content, Decision.REJECTED, comment, required=True)


def archive(actor: Actor, content: Content, comment: str | None = None) -> ReviewDecision:
    """draft | review | approved → archived. Does not commit."""
    return _decide(actor, content, Decision.ARCHIVED, comment)


def restore(actor: Actor, content: Content, comment: str | None = None) -> ReviewDecision:
    """archived → draft. Does not commit."""
    return _decide(actor, content, Decision.RESTORED, comment)


def history(actor: Actor, content: Content) -> list[ReviewDecision]:
    """The content's review decisions, oldest first."""
    return list(
        db.session.scalars(
            select(ReviewDecision)
            .where(ReviewDecision.content_id == content.id, ReviewDecision.workspace_id == actor.workspace_id)
            .order_by(ReviewDecision.created_at, ReviewDecision.id)
        )
    )


def held_publications(actor: Actor, content: Content) -> list[Publication]:
    """Publications of the content that the worker paused because the content was not approved."""
    return list(
        db.session.scalars(
            select(Publication).where(
                Publication.workspace_id == actor.workspace_id,
                Publication.content_id == content.id,
                Publication.status == PublicationStatus.PAUSED.value,
                Publication.hold_reason.startswith(APPROVAL_HOLD_PREFIX),
            )
        )
    )


def reopen_after_edit(actor: Actor, content: Content, read_status: str, changed: list[str]) -> ReviewDecision | None:
    """Send content back to review after an edit of what it publishes, where approval is required. Does not commit.

    Approved content goes ``approved → review`` with a ``reopened`` decision naming the changed parts, so its
    publications are held at their due time until someone approves the new text. Content already in review stays
    there, but the status is re-read in the same statement: a reviewer who approved the old text meanwhile makes
    this edit a ``Conflict`` instead of an approval of text they never saw. ``read_status`` is the status the edit
    started from; an edit that itself moved the status (to draft or archived) is left alone.
    """
    changed = [part for part in PUBLISHED_PARTS if part in changed]
    if not changed or read_status not in (S.REVIEW, S.APPROVED) or content.status != read_status:
        return None
    workspace = db.session.get(Workspace, actor.workspace_id)
    if workspace is None or not workspace.require_approval:
        return None  # approval is not asked for here: an approved item stays approved
    claimed = db.session.execute(
        update(Content)
        .where(Content.id == content.id, Content.status == read_status)
        .values(status=S.REVIEW)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        raise Conflict(lazy_gettext("content was reviewed meanwhile; reload it and make the change again"))
    content.status = S.REVIEW
    if read_status == S.REVIEW:
        return None
    record = ReviewDecision(
        workspace_id=actor.workspace_id,
        content_id=content.id,
        reviewer_id=actor.user_id,
        decision=Decision.REOPENED.value,
        from_status=read_status,
        comment=edited_after_approval(changed),  # shown as a Phrase: reviewed_parts.comment_of
    )
    db.session.add(record)
    audit.record(actor, "content.reopened", "content", content.id, status_from=read_status, changed=changed)
    _request_review(
        actor,
        content,
        Phrase(
            "“%(title)s” was edited after approval (%(fields)s): review it.",
            title=content.title,
            fields=part_names(changed),
        ),
    )
    return record


def set_require_approval(actor: Actor, required: bool) -> Workspace:
    """Turn the workspace's "require approval" setting on or off (owners only); commit."""
    actor.require_writer()
    if actor.role != Role.OWNER.value:
        raise Forbidden(lazy_gettext("Only an owner can change whether content needs approval."))
    workspace = db.session.get(Workspace, actor.workspace_id)
    if workspace.require_approval != bool(required):
        workspace.require_approval = bool(required)
        audit.record(actor, "workspace.require_approval", "workspace", workspace.id, required=bool(required))
    db.session.commit()
    return workspace


def status_problem(actor: Actor, current: str | None, requested: str) -> str | None:
    """Say why a plain create/update may not set this editorial status, or None.

    In a workspace that requires approval, ``review`` and ``approved`` are reached only through
    submit/approve (so a review is always recorded); a plain write may keep the status or set draft/archived.
    """
    if requested == current or requested in (S.DRAFT, S.ARCHIVED):
        return None
    workspace = db.session.get(Workspace, actor.workspace_id)
    if workspace is None or not workspace.require_approval:
        return None
    return lazy_gettext("can only change through submit and approve in this workspace, which requires approval")


def _decide(actor: Actor, content: Content, decision: Decision, comment, required: bool = False) -> ReviewDecision:
    actor.require_writer()
    if content.workspace_id != actor.workspace_id:
        raise NotFound(lazy_gettext("content not found"))
    if problem := text_problem(comment, required=required, max_length=MAX_COMMENT):
        if problem == "is required":
            problem = "is required when rejecting: tell the author what to change"
        raise ValidationFailed({"comment": problem})
    sources, target = TRANSITIONS[decision]
    current = content.status
    if current not in sources:
        raise Conflict(_refusal(decision, current, sources))
    if decision in _REVIEWER_DECISIONS:
        _refuse_self_review(actor, content, decision)
    claimed = db.session.execute(
        update(Content)
        .where(Content.id == content.id, Content.status == current)
        .values(status=target, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # someone else changed it since we read it
        db.session.refresh(content)
        raise Conflict(
            lazy_gettext("content changed to %(status)s meanwhile; reload and try again", status=content.status)
        )
    content.status = target
    record = ReviewDecision(
        workspace_id=actor.workspace_id,
        content_id=content.id,
        reviewer_id=actor.user_id,
        decision=decision.value,
        from_status=current,
        comment=(comment or "").strip() or None,
    )
    db.session.add(record)
    audit.record(actor, f"content.{decision.value}", "content", content.id, status_from=current, status_to=target)
    if decision == Decision.SUBMITTED:
        _request_review(actor, content, Phrase("“%(title)s” was submitted for review: review it.", title=content.title))
    return record


def _request_review(actor: Actor, content: Content, message: Phrase) -> None:
    """Raise the review_requested alert, and tell the members who may approve (through the signal)."""
    alert = alerts.raise_alert(actor.workspace_id, "review_requested", message)
    signals.review_requested.send(content, alert=alert, requested_by=actor.user_id)


def _refusal(decision: Decision, current: str, sources) -> str:
    names = " or ".join(sorted(sources))
    return f"content is {current}; only {names} content can be {_VERBS[decision]}"


def may_review(actor: Actor, content: Content) -> bool:
    """True if the actor may approve or reject the content (whatever its status)."""
    if actor.role not in (Role.OWNER.value, Role.EDITOR.value):
        return False
    if actor.user_id is None or content.created_by_id != actor.user_id:
        return True
    return _writer_count(actor.workspace_id) <= 1  # the only writer: nobody else could ever review it


def _refuse_self_review(actor: Actor, content: Content, decision: Decision) -> None:
    if may_review(actor, content):
        return
    verb = "approve" if decision == Decision.APPROVED else "reject"
    raise Forbidden(lazy_gettext("you wrote this content; another owner or editor must %(verb)s it", verb=verb))


def _writer_count(workspace_id: int) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(Membership)
        .where(Membership.workspace_id == workspace_id, Membership.role.in_([Role.OWNER.value, Role.EDITOR.value]))
    )

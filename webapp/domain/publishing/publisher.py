"""Run one attempt of a publication: claim it, call the platform, record what happened."""

from __future__ import annotations

import logging
from contextlib import contextmanager
from datetime import datetime, timedelta

from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy import Row, bindparam, select, tuple_, update
from sqlalchemy.orm import joinedload

from webapp.adapters.base import (
    AdapterError,
    AuthError,
    ErrorClass,
    PublishRequest,
    PublishResult,
    TransientError,
)
from webapp.core import phrases, signals
from webapp.core.backoff import backoff_seconds
from webapp.core.phrases import Phrase
from webapp.domain.channels.channels import adapter_for
from webapp.domain.content import media, variants
from webapp.domain.content.approvals import approval_hold
from webapp.domain.publishing import attempt_rows, chains, failures, missed_runs, schedules, throttle
from webapp.domain.publishing.redaction import redact
from webapp.domain.shared import alerts
from webapp.extensions import db
from webapp.infra import dispatch
from webapp.infra.crypto import CredentialsError
from webapp.infra.live import events
from webapp.models import (
    Attempt,
    Content,
    EditorialStatus,
    Publication,
    PublicationStatus,
    Schedule,
    Workspace,
    utcnow,
)

log = logging.getLogger(__name__)

RETRYABLE = {ErrorClass.TRANSIENT, ErrorClass.RATE_LIMITED}


def mark_queued(
    publication_ids: list[int], at: datetime | None = None, *, dispatches: list[tuple[int, int]] | None = None
) -> list[Row]:
    """Move due publications from scheduled/retrying to queued, before their jobs reach a queue; return those moved.

    Each row carries the id, workspace_id, status and schedule_id of a publication now queued.

    `dispatches` are (publication id, dispatch_seq) pairs from the jobs that fell due: a job left over
    from before a reschedule or resume carries an old number and moves nothing.
    """
    if not publication_ids and not dispatches:
        return []
    at = at or utcnow()
    _skip_missed([pid for pid, _ in dispatches] if dispatches else publication_ids, at)
    statement = update(Publication).where(
        Publication.status.in_([PublicationStatus.SCHEDULED.value, PublicationStatus.RETRYING.value])
    )
    if dispatches:
        publication_ids = [pid for pid, _ in dispatches]
        # The plain id list lets PostgreSQL find the rows by primary key; the pairs alone are checked row by row
        # (a batch of 1,000: 257 ms against 16 ms, EXPLAIN ANALYZE).
        statement = statement.where(
            Publication.id.in_(publication_ids), tuple_(Publication.id, Publication.dispatch_seq).in_(dispatches)
        )
    else:
        statement = statement.where(Publication.id.in_(publication_ids))
    # A reason to wait (rate limit, open circuit) is over once the publication is queued again.
    values = {"status": PublicationStatus.QUEUED.value, "enqueued_at": at, "updated_at": at, "hold_reason": None}
    values["hold_reason_i18n"] = None  # the reason's sentence with it (an UPDATE bypasses the model's setter)
    db.session.execute(statement.values(**values))
    db.session.commit()
    # Only what the live event and the recurring schedules read: a batch of 10,000 ORM objects was half the
    # scheduler's move on SQLite.
    changed = db.session.execute(
        select(Publication.id, Publication.workspace_id, Publication.status, Publication.schedule_id).where(
            Publication.id.in_(publication_ids), Publication.status == PublicationStatus.QUEUED.value
        )
    ).all()
    events.publications_changed(changed)
    # A recurring schedule's next occurrence is materialised as soon as the current one moves.
    schedules.advance_due({p.schedule_id for p in changed}, at)
    return changed


def _skip_missed(publication_ids: list[int], now: datetime) -> None:
    # The scheduler (or every worker) was down past a `skip` schedule's grace: the run is missed,
    # with an alert, rather than published late.
    rows = db.session.execute(
        select(Publication, Schedule)
        .join(Schedule, Schedule.id == Publication.schedule_id)
        .where(
            Publication.id.in_(publication_ids),
            Publication.status == PublicationStatus.SCHEDULED.value,
            Schedule.missed_policy == "skip",
        )
    ).all()
    skipped = []
    for publication, schedule in rows:
        if missed_runs.mark_missed(publication, schedule, now):
            schedules.settle(schedule)
            skipped.append(publication)
    if skipped:
        db.session.commit()
        events.publications_changed(skipped)


def _claim_statement(of_dispatch: bool):
    # Parameter names that are no column's: an UPDATE would take a column's name as one more value to SET.
    conditions = [Publication.id == bindparam("claim_id"), Publication.status == PublicationStatus.QUEUED.value]
    if of_dispatch:
        conditions.append(Publication.dispatch_seq == bindparam("claim_seq"))
    return (
        update(Publication)
        .where(*conditions)
        .values(
            status=PublicationStatus.PUBLISHING.value,
            attempts_count=Publication.attempts_count + 1,
            updated_at=bindparam("claim_at", type_=Publication.__table__.c.updated_at.type),
        )
    )


# The claim's statements are built once: composing them and their cache keys anew cost a publish more CPU than
# running them. One query loads everything a publish reads (the content's variants and images too), instead
# of a lazy load per relation.
_CLAIM = {of_dispatch: _claim_statement(of_dispatch) for of_dispatch in (False, True)}
_CLAIMED = (
    select(Publication)
    .where(Publication.id == bindparam("claim_id"))
    .options(
        joinedload(Publication.channel),
        joinedload(Publication.content),
        joinedload(Publication.content).joinedload(Content.variants),
        joinedload(Publication.content).joinedload(Content.media),
        joinedload(Publication.schedule),
    )
    # What the claim changed, even on a publication this session holds already (the UPDATE's parameters leave
    # the session nothing to evaluate it with).
    .execution_options(populate_existing=True)
)


def _claim(publication_id: int, now: datetime, dispatch_seq: int | None = None) -> Publication | None:
    # The only door to a publish: a duplicate job (two schedulers, a requeue, a reconcile) finds
    # the row no longer `queued`, or under a newer dispatch number, and changes nothing. A hold or
    # a wait gives the counted attempt back, so attempt numbers stay 1, 2, 3 without gaps.
    params = {"claim_id": publication_id, "claim_at": now}
    if dispatch_seq is not None:
        params["claim_seq"] = dispatch_seq
    # Run on the session's connection, past the ORM's bulk-update layer: it cost more than the UPDATE.
    claimed = db.session.connection().execute(_CLAIM[dispatch_seq is not None], params)
    if claimed.rowcount != 1:
        db.session.rollback()
        return None
    # Not committed yet: the claim commits with the attempt it opens (one commit, not two). Until
    # then the row is locked, so a duplicate job waits and then finds it `publishing`; a worker
    # that dies here rolls back to `queued`, which the reconciler requeues.
    return db.session.execute(_CLAIMED, {"claim_id": publication_id}).unique().scalar_one_or_none()


def approval_problem(publication: Publication) -> Phrase | None:
    """Say why the publication may not go out yet for lack of approval, or None."""
    if publication.content.status == EditorialStatus.APPROVED.value:
        return None  # approved content may go out whatever the workspace requires
    workspace = db.session.get(Workspace, publication.workspace_id)
    if workspace.require_approval:
        # The status's own word is a msgid already (the UI's TERMS): it is said in the reader's language too.
        return Phrase(
            "content is '%(status)s' and this workspace requires approval", status=Phrase(publication.content.status)
        )
    return None


def build_request(publication: Publication) -> PublishRequest:
    """Describe the publication to an adapter in platform-neutral terms, with the channel's resolved variant."""
    from webapp.domain.content import media

    return PublishRequest(
        publication_id=publication.id,
        idempotency_key=publication.idempotency_key,
        scheduled_for=publication.due_at,
        channel_id=publication.channel_id,
        channel_name=publication.channel.name,
        content=variants.resolve(publication.content, publication.channel),
        media=media.attachments(publication.content),
        uploads=media.UploadLedger(publication.id),
    )


def execute(publication_id: int, dispatch_seq: int | None = None) -> str:
    """Run one attempt of a queued publication and return its outcome ('skipped' if not ours)."""
    with _loaded_across_commits():
        return _execute(publication_id, dispatch_seq)


@contextmanager
def _loaded_across_commits():
    # From its claim to its outcome the publication is this worker's alone, so what the claim
    # loaded stays true across the worker's own commits: reloading it after each commit cost a
    # SELECT per commit on the hottest path. What others may change meanwhile (the schedule's
    # status) is re-checked in SQL where it matters (schedules.settle).
    session = db.session()
    expire_on_commit, session.expire_on_commit = session.expire_on_commit, False
    try:
        yield
    finally:
        session.expire_on_commit = expire_on_commit


def _execute(publication_id: int, dispatch_seq: int | None) -> str:
    now = utcnow()
    publication = _claim(publication_id, now, dispatch_seq)
    if publication is None:
        return "skipped"
    if publication.started_at is None and missed_runs.mark_missed(publication, publication.schedule, now):
        publication.attempts_count -= 1  # nothing was attempted: it queued too late to count
        schedules.settle(publication.schedule)
        db.session.commit()
        events.publication_changed(publication)
        return "missed"
    if publication.after_publication_id is not None and chains.hold_back(publication):
        publication.attempts_count -= 1  # not its turn: the publication it follows has not published
        db.session.commit()
        events.publication_changed(publication)
        return "waiting"
    if reason := approval_problem(publication):
        return _hold(publication, approval_hold(reason))
    if publication.channel.paused_at is not None:  # came due while a person has the channel paused
        failures.channel_held(publication, failures.PAUSE_HOLD)
        return _hold(publication, failures.PAUSE_HOLD)
    admission = throttle.admit(publication.channel, publication.id)
    if not admission.allowed:
        failures.channel_held(publication, admission.reason)
        return _wait(publication, admission)
    attempt = attempt_rows.open_attempt(publication, now)
    db.session.commit()
    events.publication_changed(publication)

    channel_id = publication.channel_id
    try:
        result = _call_platform(publication)
    except AdapterError as exc:
        woken = throttle.observe(channel_id, exc.error_class, admission.probe, admission.slot, admission.circuit_dirty)
        return _hand_over(woken, _record_failure(publication, attempt, exc))
    except CredentialsError as exc:
        woken = throttle.release(channel_id, admission.probe, admission.slot)
        return _hand_over(woken, _record_failure(publication, attempt, AuthError(str(exc))))
    except Exception as exc:  # a bug or an unexpected library error: keep the worker alive, retry later
        log.exception("publication %s: unexpected error", publication.id)
        # Herald's own bug says nothing about the platform: the circuit neither counts nor closes.
        woken = throttle.release(channel_id, admission.probe, admission.slot)
        error = TransientError(f"internal error: {type(exc).__name__}: {exc}")
        return _hand_over(woken, _record_failure(publication, attempt, error))
    woken = throttle.observe(channel_id, None, admission.probe, admission.slot, admission.circuit_dirty)
    return _hand_over(woken, _record_success(publication, attempt, result))


def _hand_over(job_id: str | None, outcome: str) -> str:
    hand_over(job_id)
    return outcome


def hand_over(job_id: str | None) -> None:
    """Queue the publication a freed channel slot went to at once (its rq-scheduler entry is gone).

    A tick would leave the slot idle for up to a second. Should this fail, the reconciler restores the entry.
    """
    dispatched = dispatch.parse_job_id(job_id) if job_id else None
    if dispatched is not None:
        try:
            if mark_queued([], dispatches=[dispatched]):
                dispatch.queue_now(job_id)
        except RedisError:
            log.warning("publication %s: handed a slot but not queued; the reconciler restores it", dispatched[0])


def _hold(publication: Publication, reason: Phrase) -> str:
    """Hold a claimed publication (`paused`, with the reason) until a person releases it; no attempt is used."""
    publication.status, publication.hold_reason = PublicationStatus.PAUSED.value, reason
    publication.attempts_count -= 1  # nothing was attempted
    db.session.commit()
    events.publication_changed(publication)
    return "held"


def _wait(publication: Publication, admission: throttle.Admission) -> str:
    """Put a claimed publication back to `retrying` until the channel admits it; no attempt is used."""
    publication.status, publication.attempts_count = PublicationStatus.RETRYING.value, publication.attempts_count - 1
    publication.next_attempt_at, publication.hold_reason = admission.until, admission.reason
    dispatch.redispatch(publication)
    db.session.commit()
    _enqueue_retry(publication)
    if admission.slot_full:  # brought forward as soon as a call to the channel ends
        throttle.wait_for_slot(publication.channel_id, dispatch.job_id(publication))
    events.publication_changed(publication)
    return "waiting"


def _enqueue_retry(publication: Publication) -> None:
    try:
        dispatch.enqueue_publication(publication)
    except RedisError:
        log.warning("publication %s: retry not enqueued, the reconciler will restore it", publication.id)


def _call_platform(publication: Publication) -> PublishResult:
    adapter = adapter_for(publication.channel, timeout=current_app.config["PUBLISH_TIMEOUT_S"])
    return adapter.publish(chains.fill_placeholders(publication, build_request(publication)))


def _record_success(publication: Publication, attempt: Attempt, result: PublishResult) -> str:
    now = utcnow()
    attempt_rows.close_published(attempt, now, result.http_status, redact(result.response_excerpt))
    attempt_rows.mark_published(publication, now, result.external_id, result.external_url)
    if publication.channel.health == "unknown":
        publication.channel.health = "healthy"  # a publish that went through is the best health check
    signals.publication_published.send(publication)
    schedules.settle(publication.schedule)
    db.session.commit()
    events.publication_changed(publication)
    return publication.status


def _record_failure(publication: Publication, attempt: Attempt, exc: AdapterError) -> str:
    now = utcnow()
    config = current_app.config
    message = redact(exc.message)
    attempt.finished_at, attempt.outcome = now, exc.error_class.value
    attempt.error_class, attempt.error_message = exc.error_class.value, message
    attempt.http_status, attempt.response_excerpt = exc.http_status, redact(exc.response_excerpt)
    publication.last_error = Phrase("%(error_class)s: %(message)s", error_class=exc.error_class.value, message=message)
    retry = exc.error_class in RETRYABLE and publication.attempts_count < config["PUBLISH_MAX_ATTEMPTS"]
    held: list[Publication] = []
    if retry:
        delay = backoff_seconds(
            publication.attempts_count, config["RETRY_BASE_S"], config["RETRY_CAP_S"], exc.retry_after
        )
        publication.status = PublicationStatus.RETRYING.value
        publication.next_attempt_at = now + timedelta(seconds=delay)
        dispatch.redispatch(publication)
    elif exc.error_class is ErrorClass.UNKNOWN_OUTCOME:
        # Never resend blindly: reconciliation asks the platform by idempotency key first.
        publication.status = PublicationStatus.UNCONFIRMED.value
        media.forget_uploads_after_unknown_outcome(publication)
    elif exc.error_class is ErrorClass.AUTH:
        # Credentials problems are fixable: hold everything on the channel rather than fail it.
        held = failures.on_auth_error(publication, message)
    else:
        publication.status, publication.finished_at = PublicationStatus.FAILED.value, now
        alerts.publication_alert(
            publication,
            "failure",
            Phrase(
                "Publication #%(id)s on %(channel)s failed: %(error)s",
                id=publication.id,
                channel=publication.channel.name,
                error=phrases.of(publication, "last_error"),
            ),
        )
        failures.after_failure(publication)
    schedules.settle(publication.schedule)
    db.session.commit()
    if retry:
        _enqueue_retry(publication)
    failures.unschedule_held(held)
    events.publication_changed(publication)
    return publication.status

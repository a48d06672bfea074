"""Every RQ entry point, and nothing else: each takes ids, opens the job's app context and calls one domain function.

Nothing in Herald imports this module: jobs are enqueued by name through `webapp.infra.tasks`, whose
constants name the functions here (a test resolves each one).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext

from flask import has_app_context

log = logging.getLogger("herald.jobs")
_app = None


def app_context():
    """Return a context manager for the app context a job runs in."""
    # Workers run jobs inside the app context worker.py opened; anything else (rq's own CLI, a
    # forked horse without one) builds the app once per process.
    global _app
    if has_app_context():
        return nullcontext()
    if _app is None:
        from webapp import create_app

        _app = create_app()
    return _app.app_context()


@contextmanager
def job_context() -> Iterator[None]:
    """Run the body in the job's app context, then end its database session whatever happened."""
    # The session is removed so a worker running many jobs never carries one job's objects into the next.
    from webapp.extensions import db

    with app_context():
        try:
            yield
        finally:
            db.session.remove()


def publish_publication(publication_id: int, dispatch_seq: int | None = None) -> str:
    """Run one attempt of a publication (of this dispatch, when given) and return its outcome."""
    from webapp.domain.publishing import publisher

    with job_context():
        outcome = publisher.execute(publication_id, dispatch_seq)
    log.info("publication %s: %s", publication_id, outcome)  # the worker's one line a publish (rq's are quieter)
    return outcome


def reconcile_job() -> dict:
    """Make Redis agree with the database (the periodic reconciler)."""
    from webapp.domain.publishing.reconcile import reconcile

    with job_context():
        return reconcile()


def preflight_job() -> int:
    """Alert on publications due soon that would fail (the periodic pre-flight); return how many alerts."""
    from webapp.domain.publishing import preflight

    with job_context():
        return preflight.run()


def deliver_webhook_job(delivery_id: int) -> str | None:
    """Send one outbound webhook delivery (an outbox row) and return its new status."""
    from webapp.domain.integrations import outbound_webhooks

    with job_context():
        return outbound_webhooks.deliver(delivery_id)


def outbound_sweep_job() -> dict:
    """Re-enqueue outbound webhook deliveries that are due (the periodic sweep)."""
    from webapp.domain.integrations import outbound_webhooks

    with job_context():
        return outbound_webhooks.sweep()


def retention_job() -> dict:
    """Prune old attempts, read alerts and audit events as configured (the periodic retention)."""
    from webapp.domain.operations import retention

    with job_context():
        return retention.run()


def deliver_notification_job(notification_id: int) -> str | None:
    """Send one notification by email or Slack-compatible webhook; return its new status."""
    from webapp.domain.integrations.notifications import sender

    with job_context():
        return sender.deliver(notification_id)


def notifications_job() -> dict:
    """Add due daily digests and send due notifications (the periodic notifications tick)."""
    from webapp.domain.integrations.notifications import sender

    with job_context():
        return sender.tick()


def run_bulk_job(bulk_id: int) -> dict:
    """Run a background bulk action (more rows than one request should touch), recording progress in Redis."""
    from webapp.domain.operations import bulk

    with job_context():
        return bulk.run_stored(bulk_id)


def deliver_mail_job(to: str, subject: str, body: str, attempt: int = 1) -> None:
    """Send a queued message (the job behind `mail.send_later`); a failure schedules the next try."""
    from webapp.infra import mail

    with app_context():
        mail.deliver(to, subject, body, attempt)

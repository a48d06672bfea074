"""RQ job functions: importable, take ids, call services."""

from __future__ import annotations

from contextlib import nullcontext

from flask import has_app_context

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


def publish_publication(publication_id: int, dispatch_seq: int | None = None) -> str:
    """Run one attempt of a publication (of this dispatch, when given) and return its outcome."""
    from webapp.extensions import db
    from webapp.services import publishing

    with app_context():
        try:
            return publishing.execute(publication_id, dispatch_seq)
        finally:
            db.session.remove()


def reconcile_job() -> dict:
    """Make Redis agree with the database (the periodic reconciler)."""
    from webapp.extensions import db
    from webapp.scheduling.reconcile import reconcile

    with app_context():
        try:
            return reconcile()
        finally:
            db.session.remove()


def preflight_job() -> int:
    """Alert on publications due soon that would fail (the periodic pre-flight); return how many alerts."""
    from webapp.extensions import db
    from webapp.services import preflight

    with app_context():
        try:
            return preflight.run()
        finally:
            db.session.remove()


def deliver_webhook_job(delivery_id: int) -> str | None:
    """Send one outbound webhook delivery (an outbox row) and return its new status."""
    from webapp.extensions import db
    from webapp.services import outbound

    with app_context():
        try:
            return outbound.deliver(delivery_id)
        finally:
            db.session.remove()


def outbound_sweep_job() -> dict:
    """Re-enqueue outbound webhook deliveries that are due (the periodic sweep)."""
    from webapp.extensions import db
    from webapp.services import outbound

    with app_context():
        try:
            return outbound.sweep()
        finally:
            db.session.remove()


def retention_job() -> dict:
    """Prune old attempts, read alerts and audit events as configured (the periodic retention)."""
    from webapp.extensions import db
    from webapp.services import retention

    with app_context():
        try:
            return retention.run()
        finally:
            db.session.remove()


def deliver_notification_job(notification_id: int) -> str | None:
    """Send one notification by email or Slack-compatible webhook; return its new status."""
    from webapp.extensions import db
    from webapp.services import notification_delivery

    with app_context():
        try:
            return notification_delivery.deliver(notification_id)
        finally:
            db.session.remove()


def notifications_job() -> dict:
    """Add due daily digests and send due notifications (the periodic notifications tick)."""
    from webapp.extensions import db
    from webapp.services import notification_delivery

    with app_context():
        try:
            return notification_delivery.tick()
        finally:
            db.session.remove()

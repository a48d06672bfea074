"""RQ job functions: importable, take ids, call services."""

from __future__ import annotations

from contextlib import nullcontext

from flask import has_app_context

_app = None


def _app_context():
    # Workers run jobs inside the app context worker.py opened; anything else (rq's own CLI, a
    # forked horse without one) builds the app once per process.
    global _app
    if has_app_context():
        return nullcontext()
    if _app is None:
        from webapp import create_app

        _app = create_app()
    return _app.app_context()


def publish_publication(publication_id: int) -> str:
    """Run one attempt of a publication and return its outcome."""
    from webapp.extensions import db
    from webapp.services import publishing

    with _app_context():
        try:
            return publishing.execute(publication_id)
        finally:
            db.session.remove()


def reconcile_job() -> dict:
    """Make Redis agree with the database (the periodic reconciler)."""
    from webapp.extensions import db
    from webapp.scheduling.reconcile import reconcile

    with _app_context():
        try:
            return reconcile()
        finally:
            db.session.remove()

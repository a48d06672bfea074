"""The request's unit of work, for callers that hold no query of their own (the web layer's error paths)."""

from __future__ import annotations

from webapp.extensions import db


def rollback() -> None:
    """Discard whatever a failed request wrote but did not commit."""
    db.session.rollback()


def release() -> None:
    """Give the request's pooled database connection back (before a response that stays open for hours)."""
    db.session.remove()

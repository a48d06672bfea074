"""After-commit hand-off: what a transaction recorded reaches RQ only once that transaction has committed.

Signal receivers add rows (outbound webhook deliveries, notifications) or state changes (a chained
publication released) to the caller's session; the work they imply is remembered in `session.info`
and handed to its handler after the commit, or forgotten on a rollback. A handler runs after the
commit, so it must not touch the database through this session; it gets ids or snapshots.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import event

from webapp.extensions import db

log = logging.getLogger(__name__)

_INFO_KEY = "herald.outbox"
_handlers: dict[str, Callable[[list], None]] = {}
_tracked: dict[str, type] = {}


def register(name: str, handler: Callable[[list], None], *, model: type | None = None) -> None:
    """Call `handler(items)` after each commit that added items under `name`; with `model`, new rows' ids count too."""
    _handlers[name] = handler
    if model is not None:
        _tracked[name] = model
    for hook_name, hook in (("after_flush", _collect), ("after_commit", _hand_off), ("after_rollback", _forget)):
        if not event.contains(db.session, hook_name, hook):
            event.listen(db.session, hook_name, hook)


def add(name: str, *items) -> None:
    """Remember items for `name`'s handler until the current transaction commits."""
    db.session.info.setdefault(_INFO_KEY, {}).setdefault(name, []).extend(items)


def _collect(session, flush_context) -> None:
    # After a flush the new rows have ids; remember them until the commit makes them real.
    for name, model in _tracked.items():
        ids = [obj.id for obj in session.new if isinstance(obj, model)]
        if ids:
            session.info.setdefault(_INFO_KEY, {}).setdefault(name, []).extend(ids)


def _hand_off(session) -> None:
    pending = session.info.pop(_INFO_KEY, None) or {}
    for name, items in pending.items():
        try:
            _handlers[name](items)
        except Exception:  # the commit already happened: a periodic sweep picks up what is left
            log.exception("outbox %s: hand-off of %d item(s) failed", name, len(items))


def _forget(session) -> None:
    session.info.pop(_INFO_KEY, None)

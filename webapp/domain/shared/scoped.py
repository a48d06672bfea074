"""Load one record of the acting member's workspace: another workspace's id reads as not found."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import select

from webapp.core.errors import NotFound, lazy_gettext
from webapp.domain.shared.actor import Actor
from webapp.extensions import db

Record = TypeVar("Record")

# Each noun's "not found", whole, so that each language can say it its own way.
NOT_FOUND = {
    "alert": lazy_gettext("alert not found"),
    "channel": lazy_gettext("channel not found"),
    "content": lazy_gettext("content not found"),
    "delivery": lazy_gettext("delivery not found"),
    "invitation": lazy_gettext("invitation not found"),
    "media": lazy_gettext("media not found"),
    "member": lazy_gettext("member not found"),
    "publication": lazy_gettext("publication not found"),
    "schedule": lazy_gettext("schedule not found"),
    "subscription": lazy_gettext("subscription not found"),
    "template": lazy_gettext("template not found"),
}


def get_in_workspace(actor: Actor, model: type[Record], record_id: int, noun: str, *where) -> Record:
    """Return the model's row with this id (and the extra where conditions) in the actor's workspace.

    Raise NotFound("<noun> not found") when there is none, whether the id is unknown or another
    workspace's, so an id says nothing about other workspaces.
    """
    record = db.session.scalar(
        select(model).where(model.id == record_id, model.workspace_id == actor.workspace_id, *where)
    )
    if record is None:
        raise NotFound(NOT_FOUND.get(noun) or lazy_gettext("%(noun)s not found", noun=noun))
    return record

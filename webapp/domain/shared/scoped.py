"""Load one record of the acting member's workspace: another workspace's id reads as not found."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import select

from webapp.core.errors import NotFound
from webapp.domain.shared.actor import Actor
from webapp.extensions import db

Record = TypeVar("Record")


def get_in_workspace(actor: Actor, model: type[Record], record_id: int, noun: str, *where) -> Record:
    """Return the model's row with this id (and the extra where conditions) in the actor's workspace.

    Raise NotFound("<noun> not found") when there is none, whether the id is unknown or another
    workspace's, so an id says nothing about other workspaces.
    """
    record = db.session.scalar(
        select(model).where(model.id == record_id, model.workspace_id == actor.workspace_id, *where)
    )
    if record is None:
        raise NotFound(f"{noun} not found")
    return record

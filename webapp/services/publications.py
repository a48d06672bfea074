"""Read publications: filtered lists and single records, always scoped to a workspace."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_, select

from webapp.extensions import db
from webapp.models import Channel, Content, Publication
from webapp.services.actor import Actor
from webapp.services.errors import NotFound


def get_publication(actor: Actor, publication_id: int) -> Publication:
    """Return a publication of the actor's workspace, or raise NotFound."""
    publication = db.session.scalar(
        select(Publication).where(Publication.id == publication_id, Publication.workspace_id == actor.workspace_id)
    )
    if publication is None:
        raise NotFound("publication not found")
    return publication


SORTS = {
    "due": Publication.due_at,
    "status": Publication.status,
    "lateness": Publication.lateness_ms,
    "priority": Publication.priority,
    "id": Publication.id,
}


def publication_query(
    actor: Actor,
    *,
    status: str | None = None,
    channel_id: int | None = None,
    schedule_id: int | None = None,
    content_type: str | None = None,
    due_from: datetime | None = None,
    due_to: datetime | None = None,
    q: str | None = None,
    platform: str | None = None,
    priority: str | None = None,
    channel_name: str | None = None,
    sort: str = "due",
    descending: bool = True,
):
    """Build the filtered, sorted query of the workspace's publications (latest due first by default)."""
    query = select(Publication).where(Publication.workspace_id == actor.workspace_id)
    if priority:
        query = query.where(Publication.priority == priority)
    if platform or channel_name:
        query = query.join(Channel, Channel.id == Publication.channel_id)
        if platform:
            query = query.where(Channel.platform == platform)
        if channel_name:
            query = query.where(func.lower(Channel.name).like(f"%{channel_name.lower()}%"))
    if status:
        query = query.where(Publication.status.in_(status.split(",")))
    if channel_id:
        query = query.where(Publication.channel_id == channel_id)
    if schedule_id:
        query = query.where(Publication.schedule_id == schedule_id)
    if due_from:
        query = query.where(Publication.due_at >= due_from)
    if due_to:
        query = query.where(Publication.due_at < due_to)
    if content_type or q:
        query = query.join(Content, Content.id == Publication.content_id)
        if content_type:
            query = query.where(Content.content_type == content_type)
        if q:
            like = f"%{q.lower()}%"
            query = query.where(or_(func.lower(Content.title).like(like), Publication.idempotency_key == q))
    column = SORTS.get(sort, Publication.due_at)
    order = column.desc() if descending else column.asc()
    return query.order_by(order, Publication.id.desc() if descending else Publication.id.asc())


def paginate(query, page: int, per_page: int):
    """Return (items, total) for one page of a select."""
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    items = list(db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)))
    return items, total

"""Read publications: filtered lists and single records, always scoped to a workspace."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from webapp.core.search import contains
from webapp.domain.shared.actor import Actor
from webapp.domain.shared.scoped import get_in_workspace
from webapp.extensions import db
from webapp.models import Channel, Content, Publication, PublicationChange, User, utcnow


def get_publication(actor: Actor, publication_id: int) -> Publication:
    """Return a publication of the actor's workspace, or raise NotFound."""
    return get_in_workspace(actor, Publication, publication_id, "publication")


# A table row shows its channel and content: joined into the rows' own query (one round trip, not three).
TABLE_RELATIONS = (joinedload(Publication.channel), joinedload(Publication.content))

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
    # Filters on a channel's or a content's fields pick their ids in a subquery rather than joining:
    # the channel and content indexes (workspace, channel or content, due) then count and page the
    # publications without reading a row of them (bench/scale.py).
    workspace_id = actor.workspace_id
    query = select(Publication).where(Publication.workspace_id == workspace_id)
    if priority:
        query = query.where(Publication.priority == priority)
    if platform or channel_name:
        channels = select(Channel.id).where(Channel.workspace_id == workspace_id)
        if platform:
            channels = channels.where(Channel.platform == platform)
        if channel_name:
            channels = channels.where(func.lower(Channel.name).like(f"%{channel_name.lower()}%"))
        query = query.where(Publication.channel_id.in_(channels))
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
    if content_type:
        of_type = select(Content.id).where(Content.workspace_id == workspace_id, Content.content_type == content_type)
        query = query.where(Publication.content_id.in_(of_type))
    if q:
        titled = select(Content.id).where(Content.workspace_id == workspace_id, contains(Content.title, q))
        matches = Publication.content_id.in_(titled)
        # An OR across the title and the key would read every row; the key is unique, so ask it first.
        if _is_idempotency_key(workspace_id, q):
            matches = or_(matches, Publication.idempotency_key == q)
        query = query.where(matches)
    keys = [SORTS.get(sort, Publication.due_at), Publication.id]
    if sort == "status":  # within a status, by due time: the (workspace, status, due) index gives that order
        keys.insert(1, Publication.due_at)
    return query.order_by(*(key.desc() if descending else key.asc() for key in keys))


def _is_idempotency_key(workspace_id: int, text: str) -> bool:
    found = select(Publication.id).where(Publication.idempotency_key == text, Publication.workspace_id == workspace_id)
    return db.session.scalar(found.limit(1)) is not None


def count_rows(query) -> int:
    """Return how many rows a select matches."""
    return db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))


def paginate(query, page: int, per_page: int):
    """Return (items, total) for one page of a select."""
    total = count_rows(query)
    items = list(db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)))
    return items, total


def sorted_page(query, column, tie_breaker, *, descending: bool, nulls_last: bool, page: int, per_page: int):
    """Return (items, total) for one page of a select ordered by `column`, then `tie_breaker` the same way.

    The tie-breaker (a unique column) keeps rows with equal sort values in one order, so none shows on two pages.
    """
    key = column.desc() if descending else column.asc()
    if nulls_last:
        key = key.nulls_last()
    query = query.order_by(None).order_by(key, tie_breaker.desc() if descending else tie_breaker.asc())
    return paginate(query, page, per_page)


def upcoming_and_recent(actor: Actor, limit: int, now: datetime | None = None) -> list[Publication]:
    """Return the workspace's next `limit` publications due (soonest first), then its last `limit` of 30 days."""
    now = now or utcnow()
    base = select(Publication).where(Publication.workspace_id == actor.workspace_id).options(*TABLE_RELATIONS)
    upcoming = db.session.scalars(base.where(Publication.due_at >= now).order_by(Publication.due_at).limit(limit))
    recent = db.session.scalars(
        base.where(Publication.due_at < now, Publication.due_at >= now - timedelta(days=30))
        .order_by(Publication.due_at.desc())
        .limit(limit)
    )
    return list(upcoming) + list(recent)


def paginate_publications(query, page: int, per_page: int, *options) -> tuple[list[Publication], int]:
    """Return (publications, total) for one page of a publication_query, loading `options` with the rows."""
    return _page_rows(query, page, per_page, options), count_rows(query)


@dataclass(frozen=True)
class MonitorPage:
    """One page of the job monitor: its rows, and how many match, counted up to a cap."""

    rows: list[Publication]
    total: int  # exact, or the cap when more match
    capped: bool  # more than `total` match; pages past the cap are not read


def monitor_page(query, page: int, per_page: int, cap: int, *options) -> MonitorPage:
    """Return one page of a publication_query for a person, counting at most `cap` matches.

    An exact count of a million rows costs more than the page itself (120-180 ms on PostgreSQL,
    bench/scale.py), and nobody pages through it: past `cap` a person narrows the filter instead.
    """
    total = db.session.scalar(
        select(func.count()).select_from(
            query.with_only_columns(Publication.id).order_by(None).limit(cap + 1).subquery()
        )
    )
    rows = _page_rows(query, page, per_page, options) if (page - 1) * per_page < cap else []
    return MonitorPage(rows, min(total, cap), total > cap)


def _page_rows(query, page: int, per_page: int, options) -> list[Publication]:
    # The page's ids come first, from the sort's index alone, and only those rows are read: a deep page
    # (an OFFSET of tens of thousands) then walks index entries, not table rows.
    ids = list(
        db.session.scalars(query.with_only_columns(Publication.id).limit(per_page).offset((page - 1) * per_page))
    )
    if not ids:
        return []
    rows = {p.id: p for p in db.session.scalars(select(Publication).where(Publication.id.in_(ids)).options(*options))}
    return [rows[i] for i in ids if i in rows]


def changes_of(publication: Publication) -> list[tuple[PublicationChange, str | None]]:
    """What people did to the publication, oldest first, each with the email of who did it."""
    return list(
        db.session.execute(
            select(PublicationChange, User.email)
            .outerjoin(User, User.id == PublicationChange.user_id)
            .where(PublicationChange.publication_id == publication.id)
            .order_by(PublicationChange.at, PublicationChange.id)
        )
    )

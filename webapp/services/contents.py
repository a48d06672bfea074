"""Content items: create, read, update, delete."""

from __future__ import annotations

from sqlalchemy import func, or_, select

from webapp.extensions import db
from webapp.models import CONTENT_TYPES, Content, EditorialStatus, Publication
from webapp.services import audit, cascade
from webapp.services.actor import Actor
from webapp.services.errors import NotFound, ValidationFailed
from webapp.services.validation import choice_problem, text_problem

STATUSES = tuple(s.value for s in EditorialStatus)
FIELDS = ("title", "body", "excerpt", "content_type", "tags", "status", "body_format")


def _validate(values: dict) -> dict[str, str]:
    errors: dict[str, str] = {}
    if problem := text_problem(values.get("title"), required=True, max_length=300):
        errors["title"] = problem
    body = values.get("body", "")
    if body is not None and not isinstance(body, str):
        errors["body"] = "must be text"
    if problem := text_problem(values.get("excerpt"), required=False, max_length=2000):
        errors["excerpt"] = problem
    if problem := choice_problem(values.get("content_type", "article"), CONTENT_TYPES):
        errors["content_type"] = problem
    if problem := choice_problem(values.get("status", "draft"), STATUSES):
        errors["status"] = problem
    if problem := choice_problem(values.get("body_format", "markdown"), ("markdown", "html")):
        errors["body_format"] = problem
    tags = values.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) and 0 < len(t.strip()) <= 60 for t in tags):
        errors["tags"] = "must be a list of short texts"
    return errors


def _clean_tags(tags: list[str]) -> list[str]:
    return list(dict.fromkeys(t.strip() for t in tags if t.strip()))


def create_content(actor: Actor, /, **values) -> Content:
    """Validate and store a content item in the actor's workspace; commit."""
    actor.require_writer()
    values = {k: v for k, v in values.items() if k in FIELDS and v is not None}
    if errors := _validate(values):
        raise ValidationFailed(errors)
    content = Content(
        workspace_id=actor.workspace_id,
        title=values["title"].strip(),
        body=values.get("body") or "",
        body_format=values.get("body_format", "markdown"),
        excerpt=(values.get("excerpt") or "").strip() or None,
        content_type=values.get("content_type", "article"),
        tags=_clean_tags(values.get("tags", [])),
        status=values.get("status", EditorialStatus.DRAFT.value),
        created_by_id=actor.user_id,
    )
    db.session.add(content)
    db.session.flush()
    audit.record(actor, "content.created", "content", content.id)
    db.session.commit()
    return content


def get_content(actor: Actor, content_id: int) -> Content:
    """Return a content item of the actor's workspace, or raise NotFound."""
    content = db.session.scalar(
        select(Content).where(Content.id == content_id, Content.workspace_id == actor.workspace_id)
    )
    if content is None:
        raise NotFound("content not found")
    return content


def content_query(actor: Actor, status: str | None = None, q: str | None = None):
    query = select(Content).where(Content.workspace_id == actor.workspace_id)
    if status:
        query = query.where(Content.status == status)
    if q:
        like = f"%{q.lower()}%"
        query = query.where(or_(func.lower(Content.title).like(like), func.lower(Content.body).like(like)))
    return query.order_by(Content.updated_at.desc(), Content.id.desc())


def update_content(actor: Actor, content_id: int, changes: dict) -> Content:
    """Apply a partial update after validating the merged result."""
    actor.require_writer()
    content = get_content(actor, content_id)
    merged = {f: getattr(content, f) for f in FIELDS}
    merged.update({k: v for k, v in changes.items() if k in FIELDS})
    if errors := _validate(merged):
        raise ValidationFailed(errors)
    content.title = merged["title"].strip()
    content.body = merged["body"] or ""
    content.excerpt = (merged["excerpt"] or "").strip() or None
    content.content_type, content.status = merged["content_type"], merged["status"]
    content.body_format = merged["body_format"]
    content.tags = _clean_tags(merged["tags"])
    audit.record(actor, "content.updated", "content", content.id, fields=sorted(changes))
    db.session.commit()
    return content


def delete_content(actor: Actor, content_id: int) -> None:
    """Delete a content item with its schedules, publications and their pending rq-scheduler entries."""
    actor.require_writer()
    content = get_content(actor, content_id)
    cascade.delete_record(actor, "content", content, Publication.content_id, title=content.title)

"""Content items: create, read, update, delete."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from webapp.core.errors import ValidationFailed, lazy_gettext
from webapp.core.search import contains
from webapp.core.validation import character_problem, choice_problem, clean_tags, tags_problem, text_problem
from webapp.domain.content import approvals, variants
from webapp.domain.content.slugs import clean_slug, slug_problem
from webapp.domain.shared import audit, cascade
from webapp.domain.shared.actor import Actor
from webapp.domain.shared.scoped import get_in_workspace
from webapp.extensions import db
from webapp.models import CONTENT_TYPES, Content, EditorialStatus, Publication

STATUSES = tuple(s.value for s in EditorialStatus)
FIELDS = ("title", "body", "excerpt", "content_type", "tags", "status", "body_format", "slug")


def _validate(values: dict) -> dict[str, str]:
    errors: dict[str, str] = {}
    if problem := text_problem(values.get("title"), required=True, max_length=300):
        errors["title"] = problem
    body = values.get("body", "")
    if body is not None and not isinstance(body, str):
        errors["body"] = lazy_gettext("must be text")
    elif body and (problem := character_problem(body)):
        errors["body"] = problem
    if problem := text_problem(values.get("excerpt"), required=False, max_length=2000):
        errors["excerpt"] = problem
    if problem := choice_problem(values.get("content_type", "article"), CONTENT_TYPES):
        errors["content_type"] = problem
    if problem := choice_problem(values.get("status", "draft"), STATUSES):
        errors["status"] = problem
    if problem := choice_problem(values.get("body_format", "markdown"), ("markdown", "html")):
        errors["body_format"] = problem
    if problem := tags_problem(values.get("tags", [])):
        errors["tags"] = problem
    if problem := slug_problem(values.get("slug")):
        errors["slug"] = problem
    return errors


def _base(values: dict) -> dict:
    """Return the cleaned text fields that variants override."""
    return {
        "title": values["title"].strip(),
        "body": values.get("body") or "",
        "excerpt": (values.get("excerpt") or "").strip() or None,
        "tags": clean_tags(values.get("tags", [])),
        "slug": clean_slug(values.get("slug")),
        "body_format": values.get("body_format") or "markdown",
    }


def _check_variants(actor: Actor, raw, values: dict, errors: dict, current: list[dict]) -> list[dict] | None:
    """Validate the given overrides (or re-check the current ones against new base text); None: keep them."""
    overrides = variants.parse(actor, raw, errors)
    if not errors:
        errors.update(variants.limit_problems(actor, _base(values), current if overrides is None else overrides))
    return overrides


def create_content(actor: Actor, /, **values) -> Content:
    """Validate and store a content item (with its per-channel variants) in the actor's workspace; commit."""
    content = add_content(actor, **values)
    db.session.commit()
    return content


def add_content(actor: Actor, /, **values) -> Content:
    """Validate a content item and add it to the current transaction (the caller commits): imports add many."""
    actor.require_writer()
    raw_variants = values.pop("variants", None)
    values = {k: v for k, v in values.items() if k in FIELDS and v is not None}
    errors = _validate(values)
    if "status" not in errors and (problem := approvals.status_problem(actor, None, values.get("status", "draft"))):
        errors["status"] = problem
    overrides = _check_variants(actor, raw_variants, values, errors, [])
    if errors:
        raise ValidationFailed(errors)
    content = Content(
        workspace_id=actor.workspace_id,
        **_base(values),
        content_type=values.get("content_type", "article"),
        status=values.get("status", EditorialStatus.DRAFT.value),
        created_by_id=actor.user_id,
    )
    db.session.add(content)
    variants.replace(actor, content, overrides or [])
    db.session.flush()
    audit.record(actor, "content.created", "content", content.id)
    return content


def get_content(actor: Actor, content_id: int) -> Content:
    """Return a content item of the actor's workspace, or raise NotFound."""
    return get_in_workspace(actor, Content, content_id, "content")


def content_query(actor: Actor, status: str | None = None, q: str | None = None):
    query = select(Content).where(Content.workspace_id == actor.workspace_id)
    if status:
        query = query.where(Content.status == status)
    if q:
        query = query.where(or_(contains(Content.title, q), contains(Content.body, q)))
    # Every listed item shows its variants: load them in one query, not one per item.
    return query.options(selectinload(Content.variants)).order_by(Content.updated_at.desc(), Content.id.desc())


def recent_contents(actor: Actor, limit: int = 200) -> list[Content]:
    """Return the workspace's most recently changed content items (a form's menu of what to schedule)."""
    query = select(Content).where(Content.workspace_id == actor.workspace_id)
    return list(db.session.scalars(query.order_by(Content.updated_at.desc()).limit(limit)))


def _published_parts(content: Content) -> dict:
    """What an approval of the content vouches for, to tell which parts an edit changed: its text, not URL slugs."""
    parts = {f: getattr(content, f) for f in ("title", "body", "excerpt", "content_type", "body_format")}
    texts = [v.overrides() | {"target": v.target} for v in content.variants if v.overrides()]
    return parts | {"tags": list(content.tags or []), "variants": sorted(texts, key=lambda t: t["target"])}


def update_content(actor: Actor, content_id: int, changes: dict) -> Content:
    """Apply a partial update after validating the merged result.

    Where approval is required, an edit of approved content's published text sends it back to review.
    """
    actor.require_writer()
    content = get_content(actor, content_id)
    before, read_status = _published_parts(content), content.status
    merged = {f: getattr(content, f) for f in FIELDS}
    merged.update({k: v for k, v in changes.items() if k in FIELDS})
    errors = _validate(merged)
    if "status" not in errors and (problem := approvals.status_problem(actor, content.status, merged["status"])):
        errors["status"] = problem
    overrides = _check_variants(actor, changes.get("variants"), merged, errors, variants.overrides_of(content))
    if errors:
        raise ValidationFailed(errors)
    for field, value in _base(merged).items():
        setattr(content, field, value)
    content.content_type, content.status = merged["content_type"], merged["status"]
    if overrides is not None:
        variants.replace(actor, content, overrides)
    after = _published_parts(content)
    approvals.reopen_after_edit(actor, content, read_status, [part for part in after if after[part] != before[part]])
    audit.record(actor, "content.updated", "content", content.id, fields=sorted(changes))
    db.session.commit()
    return content


def delete_content(actor: Actor, content_id: int) -> None:
    """Delete a content item with its schedules, publications and their pending rq-scheduler entries."""
    actor.require_writer()
    content = get_content(actor, content_id)
    cascade.delete_record(actor, "content", content, Publication.content_id, title=content.title)

"""Content items and templates in an export, and back: variants and template channels travel by channel name.

A variant targets a platform (`platform`) or one channel, named by `channel` (its name) in an export;
an import also takes `channel_id`. A channel name the workspace does not have is a row error.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from webapp.core.errors import ValidationFailed, lazy_gettext
from webapp.domain.content import content_templates, contents, variants
from webapp.domain.operations.transfer import images
from webapp.domain.operations.transfer.rows import channel, channel_names
from webapp.domain.shared.actor import Actor
from webapp.extensions import db
from webapp.models import Content

# The flat columns: all a CSV carries (and the start of every JSON row).
CONTENT_COLUMNS = ("id", *contents.FIELDS)
# A JSON row adds the nested parts a CSV cannot hold.
CONTENT_FIELDS = (*CONTENT_COLUMNS, "variants", "images")
TEMPLATE_FIELDS = ("name", *content_templates.STRUCTURE, "variants", "channels", "schedule")


def export_contents(actor: Actor, files: dict[str, bytes] | None = None) -> list[dict]:
    """Return the workspace's content items as rows, with their variants and images (files collected if asked)."""
    names = channel_names(actor)
    query = (
        select(Content)
        .where(Content.workspace_id == actor.workspace_id)
        .options(selectinload(Content.variants), selectinload(Content.media))
        .order_by(Content.id)
    )
    return [
        {c: getattr(item, c) for c in CONTENT_COLUMNS}
        | {
            "variants": [_named(variants.as_dict(v), names) for v in item.variants],
            "images": [images.export_entry(m, files) for m in item.media],
        }
        for item in db.session.scalars(query)
    ]


def export_templates(actor: Actor) -> list[dict]:
    """Return the workspace's templates, their channels and variant targets by channel name."""
    names = channel_names(actor)
    return [
        {f: getattr(t, f) for f in ("name", *content_templates.STRUCTURE)}
        | {
            "variants": [_named(o, names) for o in t.variants or []],
            "channels": [names[i] for i in t.channel_ids or [] if i in names],
            "schedule": t.schedule,
        }
        for t in content_templates.list_templates(actor)
    ]


def _named(override: dict, names: dict[int, str]) -> dict:
    target = (
        {"platform": override["platform"]}
        if override.get("platform")
        else {"channel": names.get(override["channel_id"])}
    )
    return target | {f: override.get(f) for f in variants.OVERRIDE_FIELDS}


def _with_ids(actor: Actor, raw, errors: dict[str, str]):
    """Turn variants naming their channel (`channel`) into the service's shape (`channel_id`)."""
    if not isinstance(raw, list):
        return raw  # the service names the problem
    shaped = []
    for index, item in enumerate(raw):
        if isinstance(item, dict) and "channel" in item:
            item = {k: v for k, v in item.items() if k != "channel"}
            item["channel_id"] = channel(actor, raw[index]["channel"], f"variants[{index}].channel", errors)
        if isinstance(item, dict) and item.get("platform") is None:
            item.pop("platform", None)
        shaped.append(item)
    return shaped


def import_content(actor: Actor, row: dict, files: dict[str, bytes]) -> tuple[Content, list[images.Pending]]:
    """Add one content row with its variants (the caller commits) and return its images, checked, to store."""
    errors: dict[str, str] = {}
    shaped = _with_ids(actor, row.get("variants"), errors)
    pending = images.check(row.get("images"), files, errors)
    try:
        values = {k: row[k] for k in contents.FIELDS if k in row}
        content = contents.add_content(actor, **values, variants=None if errors else shaped)
    except ValidationFailed as exc:
        raise ValidationFailed(errors | exc.fields) from None
    if errors:
        raise ValidationFailed(errors)
    for image in pending:
        image.content = content
    return content, pending


def import_templates(actor: Actor, raw) -> list[dict]:
    """Add a document's templates (the caller commits); return problems as rows without a number.

    A template's problem is {"row": null, "field": "templates[0].name", "message": …} (templates count from 0).
    """
    if raw in (None, []):
        return []
    if not isinstance(raw, list):
        return [{"row": None, "field": "templates", "message": "must be a list of templates"}]
    problems = []
    for index, item in enumerate(raw):
        errors: dict[str, str] = {}
        try:
            if not isinstance(item, dict):
                raise ValidationFailed({"template": lazy_gettext("must be an object of named fields")})
            values = {k: item[k] for k in TEMPLATE_FIELDS if k in item}
            values["variants"] = _with_ids(actor, item.get("variants") or [], errors)
            values["channel_ids"] = [channel(actor, name, "channels", errors) for name in item.get("channels") or []]
            if errors:
                raise ValidationFailed(errors)
            content_templates.add_template(actor, values)
        except ValidationFailed as exc:
            problems.extend(
                {"row": None, "field": f"templates[{index}].{f}", "message": m} for f, m in exc.fields.items()
            )
    return problems

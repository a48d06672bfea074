"""The content editor: base text and its per-platform and per-channel variants side by side, with live previews."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext, ngettext
from jinja2_fragments.flask import render_block

from webapp.adapters import ADAPTERS, PLATFORMS
from webapp.adapters.keys import title_slug
from webapp.core.errors import ValidationFailed
from webapp.domain.channels import channels
from webapp.domain.content import content_templates, contents, previews, variants
from webapp.models import VARIANT_FIELDS, Channel, Content
from webapp.web.auth import ui_actor
from webapp.web.forms import ChannelForm, ContentTextForm, EmptyForm, attach_errors

# Registered inside the contents blueprint: endpoints are "contents.editor.*", URLs under /contents.
bp = Blueprint("editor", __name__)

# The channel form's own platform labels ("WordPress", "Shopify blog", ...), so the two pages agree.
PLATFORM_NAMES = {choice.value: choice.label for choice in ChannelForm.platform.kwargs["choices"]}
# Platforms whose posts have a URL slug: only their columns offer one.
SLUG_PLATFORMS = frozenset(p for p, adapter in ADAPTERS.items() if adapter.takes_slug)
# A variant's fields by name, in the page's language; the slug keeps its name, as the platforms call it.
FIELD_LABELS = {
    "title": lazy_gettext("title"),
    "body": lazy_gettext("body"),
    "excerpt": lazy_gettext("excerpt"),
    "tags": lazy_gettext("tags"),
    "slug": "slug",
}
SLUG_HINT = lazy_gettext("The post's URL on WordPress, Ghost and Shopify; blank: made from the title.")


class BaseTextForm(ContentTextForm):
    """The base version; the editorial status changes on the review page, never here."""


@dataclass(frozen=True)
class Target:
    """One column of the editor: every channel of a platform, or one channel."""

    key: str  # platform:mastodon | channel:3 (the service's target name)
    slug: str  # platform-mastodon | channel-3 (form field names and element ids)
    label: str
    platform: str
    channel_id: int | None = None

    def field_name(self, field: str) -> str:
        return f"v-{self.slug}-{field}"

    def empty(self) -> dict:
        return {"platform": None if self.channel_id else self.platform, "channel_id": self.channel_id}

    @property
    def fields(self) -> tuple[str, ...]:
        """Return the fields this column offers: the text, and the slug where the platform's posts have one."""
        return variants.OVERRIDE_FIELDS if self.platform in SLUG_PLATFORMS else VARIANT_FIELDS


def targets(workspace_channels: list[Channel], overrides: list[dict]) -> list[Target]:
    """Columns: each platform in use (or already overridden), then each channel."""
    used = {c.platform for c in workspace_channels} | {o["platform"] for o in overrides if o.get("platform")}
    columns = [
        Target(f"platform:{p}", f"platform-{p}", _("every %(platform)s channel", platform=PLATFORM_NAMES[p]), p)
        for p in PLATFORMS
        if p in used
    ]
    columns += [
        Target(f"channel:{c.id}", f"channel-{c.id}", f"{c.name} ({PLATFORM_NAMES[c.platform]})", c.platform, c.id)
        for c in workspace_channels
    ]
    return columns


def split_tags(text: str | None) -> list[str]:
    return [t.strip() for t in (text or "").split(",") if t.strip()]


def base_from_form(form: BaseTextForm) -> dict:
    return {
        "title": (form.title.data or "").strip(),
        "body": form.body.data or "",
        "excerpt": (form.excerpt.data or "").strip() or None,
        "tags": split_tags(form.tags.data),
        "slug": (form.slug.data or "").strip() or None,
        "body_format": form.body_format.data or "markdown",
    }


def overrides_from_form(columns: list[Target]) -> list[dict]:
    """Read every column's fields from the posted form; a blank field is inherited (None)."""
    found = []
    for target in columns:
        override = target.empty()
        for field in target.fields:
            raw = request.form.get(target.field_name(field), "")
            if field == "tags":
                override[field] = split_tags(raw) or None
            else:
                override[field] = raw if raw.strip() else None
        found.append(override)
    return found


def _form_for(content: Content) -> BaseTextForm:
    form = BaseTextForm(obj=content)
    if request.method == "GET":
        form.tags.data = ", ".join(content.tags or [])
    return form


def _column_errors(error: ValidationFailed | None) -> dict[str, str]:
    # The service names problems "variants.<target>" or "variants.<target>.<field>".
    if error is None:
        return {}
    return {k.removeprefix("variants."): v for k, v in error.fields.items() if k.startswith("variants.")}


def _editor(content: Content, form: BaseTextForm, overrides: list[dict], error=None, status: int = 200):
    actor = ui_actor()
    workspace_channels = channels.list_channels(actor)
    columns = targets(workspace_channels, overrides)
    base = base_from_form(form)
    by_target = {variants.target_of(o): o for o in overrides}
    found = previews.previews(
        workspace_channels,
        base,
        overrides,
        content_id=content.id,
        content_type=form.content_type.data,
        images=content.media,
    )
    # What each column would inherit for a blank field: the base, or for a channel its platform's override.
    inherits = {
        t.key: variants.resolve_fields(base, by_target.get(f"platform:{t.platform}") if t.channel_id else None)
        for t in columns
    }
    return render_template(
        "contents/edit.html",
        content=content,
        form=form,
        columns=columns,
        values=by_target,
        inherits=inherits,
        column_errors=_column_errors(error),
        slug_hint=SLUG_HINT,
        field_labels=FIELD_LABELS,
        previews=found,
        slugs=_slugs(found),
        channels=workspace_channels,
        template_form=EmptyForm(),
    ), status


def _slugs(found: list) -> dict[int, str | None]:
    """Return the URL slug each blog channel's post would get, by channel id (None: the platform picks one)."""
    return {
        p.channel.id: p.resolved.fields["slug"] or title_slug(p.resolved.fields["title"] or "") or None
        for p in found
        if p.channel.platform in SLUG_PLATFORMS
    }


@bp.get("/<int:content_id>/edit")
def edit(content_id: int):
    content = contents.get_content(ui_actor(), content_id)
    return _editor(content, _form_for(content), variants.overrides_of(content))


@bp.post("/<int:content_id>/edit")
def update(content_id: int):
    actor = ui_actor()
    content = contents.get_content(actor, content_id)  # another workspace's id is a 404 before anything else
    form = _form_for(content)
    columns = targets(channels.list_channels(actor), variants.overrides_of(content))
    overrides = overrides_from_form(columns)
    if not form.validate_on_submit():
        abort(400)
    changes = {**base_from_form(form), "content_type": form.content_type.data, "variants": overrides}
    try:
        contents.update_content(actor, content_id, changes)
    except ValidationFailed as exc:
        # Variant problems are shown in their own column; the rest beside the base fields.
        attach_errors(form, ValidationFailed({k: v for k, v in exc.fields.items() if not k.startswith("variants")}))
        return _editor(content, form, overrides, exc, 422)
    flash(
        ngettext(
            "Content '%(title)s' saved with %(num)d variant.",
            "Content '%(title)s' saved with %(num)d variants.",
            len(content.variants),
            title=content.title,
        ),
        "ok",
    )
    return redirect(url_for("contents.editor.edit", content_id=content_id), 303)


@bp.post("/preview")
def preview():
    """Render the previews of the posted, unsaved editor form; nothing is stored."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    actor = ui_actor()
    content_id = request.form.get("content_id", "")
    content = contents.get_content(actor, int(content_id)) if content_id.isdigit() else None
    form = BaseTextForm()
    workspace_channels = channels.list_channels(actor)
    stored = variants.overrides_of(content) if content else []
    overrides = overrides_from_form(targets(workspace_channels, stored))
    found = previews.previews(
        workspace_channels,
        base_from_form(form),
        overrides,
        content_id=content.id if content else 0,
        content_type=form.content_type.data or "article",
        images=content.media if content else (),
    )
    response = render_block(
        "contents/edit.html", "previews", previews=found, slugs=_slugs(found), field_labels=FIELD_LABELS
    )
    return response, 200, {"Vary": "HX-Request"}


@bp.post("/<int:content_id>/template")
def save_template(content_id: int):
    actor = ui_actor()
    content = contents.get_content(actor, content_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    values = {
        "name": request.form.get("name", ""),
        "channel_ids": [int(i) for i in request.form.getlist("channel_ids") if i.isdigit()],
        "schedule": _schedule_from_form(),
    }
    try:
        template = content_templates.save_as_template(actor, content.id, values)
    except ValidationFailed as exc:
        problems = "; ".join(f"{k} {v}" for k, v in exc.fields.items())
        flash(_("Template not saved: %(problems)s", problems=problems), "error")
        return redirect(url_for("contents.editor.edit", content_id=content_id), 303)
    flash(_("Template '%(name)s' saved.", name=template.name), "ok")
    return redirect(url_for("content_templates.index"), 303)


def _schedule_from_form() -> dict | None:
    form = request.form
    kind = form.get("schedule_kind", "none")
    if kind == "cron":
        return {"cron": form.get("cron", ""), "timezone": form.get("schedule_timezone", "")}
    if kind == "relative":
        days = form.get("after_days", "")
        return {
            "after_days": int(days) if days.isdigit() else days,
            "at": form.get("at", ""),
            "timezone": form.get("schedule_timezone", ""),
        }
    return None

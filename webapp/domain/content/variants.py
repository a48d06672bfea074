"""Per-channel variants: overrides of a content item's text, resolved field by field for each channel.

Resolution order, field by field: the channel's override, then its platform's override, then the
base (the content item's own fields). Publishing, the editor, previews and the API all resolve here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select

from webapp.adapters import ADAPTERS, PLATFORMS, ContentPayload, PermanentError, PublishRequest
from webapp.adapters.base import MediaAttachment
from webapp.adapters.mastodon import DEFAULT_MAX_CHARACTERS, DEFAULT_URL_CHARACTERS, MastodonAdapter
from webapp.core.errors import lazy_gettext
from webapp.core.phrases import said
from webapp.core.validation import clean_tags, is_id, tags_problem, text_problem
from webapp.domain.content.slugs import clean_slug, slug_problem
from webapp.domain.shared.actor import Actor
from webapp.extensions import db
from webapp.models import VARIANT_FIELDS, Channel, Content, ContentVariant

# Where a resolved field came from, as the editor and the API say it.
BASE, PLATFORM, CHANNEL = "base", "platform", "channel"
# What an override may set: the text, and the URL slug of a blog post (WordPress, Ghost, Shopify).
OVERRIDE_FIELDS = (*VARIANT_FIELDS, "slug")
ALLOWED_KEYS = {"platform", "channel_id", *OVERRIDE_FIELDS}
MAX_LENGTHS = {"title": 300, "excerpt": 2000}


@dataclass(frozen=True)
class Resolved:
    """A channel's text after resolution, with the source of each field."""

    fields: dict  # title, body, excerpt, tags, slug
    sources: dict  # field -> base | platform | channel

    def inherited(self, field: str) -> bool:
        return self.sources[field] == BASE


def target_of(override: dict) -> str:
    """Name an override's target: 'platform:mastodon' or 'channel:3' (also its error-field prefix)."""
    return f"platform:{override['platform']}" if override.get("platform") else f"channel:{override['channel_id']}"


def resolve_fields(base: dict, platform_override: dict | None = None, channel_override: dict | None = None) -> Resolved:
    """Resolve title, body, excerpt, tags and slug: channel override, else platform override, else base."""
    fields, sources = {}, {}
    for field in OVERRIDE_FIELDS:
        for source, override in ((CHANNEL, channel_override), (PLATFORM, platform_override)):
            if override and override.get(field) is not None:
                fields[field], sources[field] = override[field], source
                break
        else:
            fields[field], sources[field] = base.get(field), BASE
    fields["tags"] = list(fields["tags"] or [])
    return Resolved(fields, sources)


def resolve_for(base: dict, overrides: list[dict], channel: Channel) -> Resolved:
    """Resolve a channel's text from the base fields and a list of override dicts."""
    by_target = {target_of(o): o for o in overrides}
    return resolve_fields(base, by_target.get(f"platform:{channel.platform}"), by_target.get(f"channel:{channel.id}"))


def base_of(content: Content) -> dict:
    return {f: getattr(content, f) for f in OVERRIDE_FIELDS}


def overrides_of(content: Content) -> list[dict]:
    """Return the content item's stored overrides as API-shaped dicts (inherited fields as None)."""
    return [as_dict(v) for v in content.variants]


def as_dict(variant: ContentVariant) -> dict:
    return {"platform": variant.platform, "channel_id": variant.channel_id} | {
        f: getattr(variant, f) for f in OVERRIDE_FIELDS
    }


def resolution(content: Content, channel: Channel) -> Resolved:
    """Resolve a stored content item's text for one channel."""
    return resolve_for(base_of(content), overrides_of(content), channel)


def resolve(content: Content, channel: Channel) -> ContentPayload:
    """Return the payload an adapter gets for this content on this channel (the resolved variant)."""
    return payload(content.id, content.content_type, resolution(content, channel), content.body_format)


def payload(content_id: int, content_type: str, resolved: Resolved, body_format: str = "markdown") -> ContentPayload:
    """Build the adapters' payload; variants are written in the content's body_format."""
    fields = resolved.fields
    return ContentPayload(
        id=content_id,
        title=fields["title"] or "",
        body=fields["body"] or "",
        excerpt=fields["excerpt"],
        content_type=content_type,
        tags=tuple(fields["tags"]),
        slug=fields.get("slug"),
        body_format=body_format,
    )


def sample_request(
    content: ContentPayload, channel: Channel | None = None, media: tuple[MediaAttachment, ...] = ()
) -> PublishRequest:
    """Describe a publication that does not exist yet (previews and checks): ids and key are placeholders."""
    return PublishRequest(
        publication_id=0,
        idempotency_key="hrd-preview",
        scheduled_for=datetime.now(UTC).replace(microsecond=0),
        channel_id=channel.id if channel else 0,
        channel_name=channel.name if channel else "",
        content=content,
        media=media,
    )


class _OfflineMastodon(MastodonAdapter):
    # Checking while the author types must not call the instance: judge by Mastodon's default limits.
    def _limits(self) -> tuple[int, int]:
        return DEFAULT_MAX_CHARACTERS, DEFAULT_URL_CHARACTERS


def platform_problem(platform: str, content: ContentPayload, media: tuple[MediaAttachment, ...] = ()) -> str | None:
    """Run the platform adapter's own content check (text and images) without any network call; return its complaint."""
    adapter_type = _OfflineMastodon if platform == "mastodon" else ADAPTERS[platform]
    try:
        adapter_type({}, {}).check_content(sample_request(content, media=media))
    except PermanentError as exc:
        return said(exc.message)  # the adapter's Sentence, in the reader's language
    return None


def parse(actor: Actor, raw, errors: dict[str, str]) -> list[dict] | None:
    """Validate a list of overrides (API or form shape); return cleaned dicts, recording problems in `errors`.

    None means "no change". Each item names one target, `platform` or `channel_id` (a channel of the
    actor's workspace), and any of title, body, excerpt, tags; a missing, null or blank field is inherited.
    """
    if raw is None:
        return None
    if not isinstance(raw, list):
        errors["variants"] = lazy_gettext("must be a list of overrides")
        return None
    channel_ids = {
        c
        for (c,) in db.session.execute(
            select(Channel.id).where(Channel.workspace_id == actor.workspace_id, Channel.archived_at.is_(None))
        )
    }
    cleaned, seen = [], set()
    for index, item in enumerate(raw):
        where = f"variants[{index}]"
        if problem := _target_problem(item, channel_ids):
            errors[where] = problem
            continue
        override = {"platform": item.get("platform"), "channel_id": item.get("channel_id")}
        target = target_of(override)
        if target in seen:
            errors[where] = lazy_gettext("a second override for %(target)s", target=target)
            continue
        seen.add(target)
        for field in OVERRIDE_FIELDS:
            value = item.get(field)
            if problem := _field_problem(field, value):
                errors[f"variants.{target}.{field}"] = problem
            override[field] = _clean(field, value)
        cleaned.append(override)
    return cleaned


def _target_problem(item, channel_ids: set[int]) -> str | None:
    if not isinstance(item, dict):
        return lazy_gettext("must be an object")
    if unknown := sorted(set(item) - ALLOWED_KEYS):
        return lazy_gettext("unknown field(s): %(unknown)s", unknown=", ".join(unknown))
    platform, channel_id = item.get("platform"), item.get("channel_id")
    if (platform is None) == (channel_id is None):
        return lazy_gettext("give either platform or channel_id")
    if platform is not None and platform not in PLATFORMS:
        return lazy_gettext("platform must be one of %(platforms)s", platforms=", ".join(PLATFORMS))
    if channel_id is not None and not (is_id(channel_id) and channel_id in channel_ids):
        return lazy_gettext("unknown channel id")  # another workspace's channel reads as unknown
    return None


def _field_problem(field: str, value) -> str | None:
    if value is None:
        return None
    if field == "tags":
        return tags_problem(value)
    if field == "slug":
        return slug_problem(value)
    if field in MAX_LENGTHS:
        return text_problem(value, required=False, max_length=MAX_LENGTHS[field])
    return None if isinstance(value, str) else lazy_gettext("must be text")


def _clean(field: str, value):
    if field == "tags":
        return clean_tags(value) if isinstance(value, list) else None
    if field == "slug":
        return clean_slug(value)
    if not isinstance(value, str) or not value.strip():
        return None  # blank text is inherited
    return value if field == "body" else value.strip()


def limit_problems(actor: Actor, base: dict, overrides: list[dict]) -> dict[str, str]:
    """Check each override's resolved text against its platform's limits; return problems by target."""
    channels = {c.id: c for c in db.session.scalars(select(Channel).where(Channel.workspace_id == actor.workspace_id))}
    errors = {}
    for override in overrides:
        if override.get("platform"):
            platform = override["platform"]
            resolved = resolve_fields(base, override)
        elif channel := channels.get(override["channel_id"]):
            platform = channel.platform
            resolved = resolve_for(base, overrides, channel)
        else:
            continue  # a template's channel that was deleted since
        if not any(override.get(f) is not None for f in OVERRIDE_FIELDS):
            continue  # an override of nothing is the base, judged where it is published
        body_format = base.get("body_format") or "markdown"
        if problem := platform_problem(platform, payload(0, "article", resolved, body_format)):
            errors[f"variants.{target_of(override)}"] = problem
    return errors


def replace(actor: Actor, content: Content, overrides: list[dict]) -> None:
    """Store exactly these overrides for the content item (the caller commits); empty ones are dropped."""
    wanted = {target_of(o): o for o in overrides if any(o.get(f) is not None for f in OVERRIDE_FIELDS)}
    # Update in place: a delete plus an insert for the same target would meet the unique constraint first.
    for variant in list(content.variants):
        override = wanted.pop(variant.target, None)
        if override is None:
            content.variants.remove(variant)
        else:
            for field in OVERRIDE_FIELDS:
                setattr(variant, field, override.get(field))
    for override in wanted.values():
        content.variants.append(ContentVariant(workspace_id=actor.workspace_id, **override))

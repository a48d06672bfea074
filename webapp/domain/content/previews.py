"""Previews: how a content item will look on each of the workspace's channels, built from the adapters' own code.

Nothing here sends or stores anything: the author's unsaved text is resolved per channel and handed to
the same functions the adapters publish with (the Mastodon status text and count, the blog body
conversion, the webhook's JSON document), in the body's format. A blog body is shown as HTML after
nh3 has sanitised it: an author's script, event handlers and javascript: links never run inside Herald.
The content's stored images go with it, as each platform takes them: a blog's featured image (the
first) and its figures, a status's attachments, the webhook's `media` list; the adapters' checks judge
them too (Mastodon's four images, Shopify's fetchable URL).
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup

from webapp.adapters.html import preview_html
from webapp.adapters.mastodon import (
    DEFAULT_MAX_CHARACTERS,
    DEFAULT_URL_CHARACTERS,
    MAX_MEDIA,
    status_length,
    status_text,
)
from webapp.adapters.webhook import encode, publication_payload
from webapp.domain.content import media as media_service
from webapp.domain.content import variants
from webapp.models import Channel, Media

BLOG_PLATFORMS = ("wordpress", "ghost", "shopify")
# How many of the content's images each platform shows (the adapters send exactly these).
IMAGES_SHOWN = {"mastodon": MAX_MEDIA, "shopify": 1}  # WordPress and Ghost: all (the first featured)


@dataclass(frozen=True)
class Preview:
    channel: Channel
    kind: str  # status | article | webhook
    resolved: variants.Resolved
    problem: str | None  # what the platform's own check would refuse, or None
    status: str = ""  # Mastodon: the status text exactly as posted
    length: int = 0  # Mastodon: its length as Mastodon counts it
    limit: int = DEFAULT_MAX_CHARACTERS
    body_html: Markup = Markup("")  # blogs: the body as the platform receives it, sanitised for showing here
    json_body: str = ""  # webhook: the exact request body
    # The stored images this platform shows, in order: a blog's first is its featured image.
    images: tuple[Media, ...] = ()

    @property
    def featured(self) -> Media | None:
        return self.images[0] if self.images else None

    @property
    def figures(self) -> tuple[Media, ...]:
        """A blog's images after the featured one, shown after the body as the adapters add them."""
        return self.images[1:]


def previews(
    channels: list[Channel],
    base: dict,
    overrides: list[dict],
    *,
    content_id: int = 0,
    content_type: str = "article",
    images: list[Media] | tuple[Media, ...] = (),
) -> list[Preview]:
    """Return one preview per channel for the given (possibly unsaved) base text and overrides, with stored images."""
    images = tuple(images)
    attachments = media_service.attachments_of(images) if images else ()
    return [_preview(channel, base, overrides, content_id, content_type, images, attachments) for channel in channels]


def _preview(
    channel: Channel,
    base: dict,
    overrides: list[dict],
    content_id: int,
    content_type: str,
    images: tuple[Media, ...],
    attachments: tuple,
) -> Preview:
    resolved = variants.resolve_for(base, overrides, channel)
    payload = variants.payload(content_id, content_type, resolved, base.get("body_format") or "markdown")
    shown = IMAGES_SHOWN.get(channel.platform, len(images))
    common = {
        "channel": channel,
        "resolved": resolved,
        "problem": variants.platform_problem(channel.platform, payload, attachments),
        "images": images[:shown],
    }
    if channel.platform == "mastodon":
        text = status_text(payload)
        return Preview(kind="status", status=text, length=status_length(text, DEFAULT_URL_CHARACTERS), **common)
    if channel.platform in BLOG_PLATFORMS:
        return Preview(kind="article", body_html=Markup(preview_html(payload.body, payload.body_format)), **common)
    body = encode(publication_payload(variants.sample_request(payload, channel, attachments))).decode("utf-8")
    return Preview(kind="webhook", json_body=body, **common)

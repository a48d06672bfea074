"""A content item as one channel will receive it: the resolved variant, field sources and the platform's verdict."""

from __future__ import annotations

from flask import jsonify

from webapp.domain.channels import channels
from webapp.domain.content import contents, media, variants
from webapp.web.api.base import actor, bp


@bp.get("/contents/<int:content_id>/channels/<int:channel_id>/variant")
def get_variant(content_id: int, channel_id: int):
    content = contents.get_content(actor(), content_id)
    channel = channels.get_channel(actor(), channel_id)
    resolved = variants.resolution(content, channel)
    payload = variants.payload(content.id, content.content_type, resolved, content.body_format)
    return jsonify(
        {
            "content_id": content.id,
            "channel_id": channel.id,
            "platform": channel.platform,
            **resolved.fields,
            "sources": resolved.sources,
            "problem": variants.platform_problem(channel.platform, payload, media.attachments(content)),
        }
    )

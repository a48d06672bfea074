"""Channel endpoints."""

from __future__ import annotations

from flask import jsonify

from webapp.domain.channels import channels
from webapp.domain.publishing.publications import paginate
from webapp.web.api.base import actor, bp, json_body, listing, page_args
from webapp.web.api.serializers import channel_json


@bp.post("/channels")
def create_channel():
    data = json_body()
    channel = channels.create_channel(
        actor(),
        name=data.get("name"),
        platform=data.get("platform"),
        settings=data.get("settings", {}),
        credentials=data.get("credentials", {}),
        timezone=data.get("timezone") or "UTC",
        rules=data.get("rules"),
    )
    return jsonify(channel_json(channel)), 201


@bp.get("/channels")
def list_channels():
    page, per_page = page_args()
    items, total = paginate(channels.channel_query(actor()), page, per_page)
    return listing(items, total, page, per_page, channel_json)


@bp.get("/channels/<int:channel_id>")
def get_channel(channel_id: int):
    return jsonify(channel_json(channels.get_channel(actor(), channel_id)))


@bp.patch("/channels/<int:channel_id>")
def update_channel(channel_id: int):
    return jsonify(channel_json(channels.update_channel(actor(), channel_id, json_body())))


@bp.delete("/channels/<int:channel_id>")
def delete_channel(channel_id: int):
    channels.delete_channel(actor(), channel_id)
    return "", 204


@bp.post("/channels/<int:channel_id>/check")
def check_channel(channel_id: int):
    result = channels.check_channel(actor(), channel_id)
    return jsonify({"ok": result.ok, "message": result.message, "http_status": result.http_status})


@bp.post("/channels/<int:channel_id>/queue")
def add_to_queue(channel_id: int):
    from webapp.domain.publishing import schedules
    from webapp.web.api.serializers import schedule_json

    data = json_body()
    channels.get_channel(actor(), channel_id)  # another workspace's channel is 404, like every id in a path
    schedule = schedules.add_to_queue(actor(), channel_id, data.get("content_id"), data.get("priority"))
    return jsonify(schedule_json(schedule, schedules.publications_of(schedule))), 201


@bp.post("/channels/<int:channel_id>/resume")
def resume_channel(channel_id: int):
    from webapp.domain.publishing import failures

    current = actor()
    resumed = failures.resume_channel(current, channels.get_channel(current, channel_id))
    return jsonify({"resumed": resumed, "channel": channel_json(channels.get_channel(current, channel_id))})

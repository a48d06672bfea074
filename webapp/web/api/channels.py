"""Channel endpoints."""

from __future__ import annotations

from flask import jsonify, request

from webapp.core.errors import ValidationFailed
from webapp.core.phrases import said
from webapp.core.time import format_utc
from webapp.domain.channels import channels
from webapp.domain.publishing import channel_control
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
    """Archive the channel: 409 while publications are pending on it, unless `?pending=cancel` cancels them."""
    pending = request.args.get("pending")
    if pending not in (None, "cancel"):
        raise ValidationFailed({"pending": "must be 'cancel' (or absent: refuse while publications are pending)"})
    channel_control.delete_channel(actor(), channel_id, cancel_pending=pending == "cancel")
    return "", 204


@bp.post("/channels/<int:channel_id>/pause")
def pause_channel(channel_id: int):
    current = actor()
    held = channel_control.pause_channel(current, channel_id)
    return jsonify({"held": held, "channel": channel_json(channels.get_channel(current, channel_id))})


@bp.post("/channels/<int:channel_id>/breaker/reset")
def reset_breaker(channel_id: int):
    current = actor()
    released = channel_control.reset_breaker(current, channel_id)
    return jsonify(
        {"released": released, "state": state_json(channel_control.state(channels.get_channel(current, channel_id)))}
    )


@bp.get("/channels/<int:channel_id>/state")
def channel_state(channel_id: int):
    return jsonify(state_json(channel_control.state(channels.get_channel(actor(), channel_id))))


def state_json(state: channel_control.ChannelState) -> dict:
    limits = state.limits
    return {
        "health": state.channel.health,
        "paused_at": format_utc(state.channel.paused_at),
        "breaker": {
            "state": limits.breaker if limits.known else "unknown",
            "open_until": format_utc(limits.open_until),
            "failures": limits.failures,
        },
        "rate_limit": {
            "per_minute": limits.rate_per_minute,
            "tokens": None if limits.tokens is None else round(limits.tokens, 3),
            "next_token_at": format_utc(limits.next_token_at),
        },
        "held": state.held,
        "waiting_for_rate_limit": state.rate_waiting,
        "waiting_for_circuit": state.circuit_waiting,
        "in_flight": {"max": limits.max_in_flight, "now": limits.in_flight},
        "waiting_for_slot": state.slot_waiting,
        "pending": state.pending,
    }


@bp.post("/channels/<int:channel_id>/check")
def check_channel(channel_id: int):
    result = channels.check_channel(actor(), channel_id)
    return jsonify({"ok": result.ok, "message": said(result.message), "http_status": result.http_status})


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
    current = actor()
    resumed = channel_control.resume_channel(current, channel_id)
    return jsonify({"resumed": resumed, "channel": channel_json(channels.get_channel(current, channel_id))})

"""Publish now, from a content item or a schedule: the chosen channels in, the monitor of the new run out."""

from __future__ import annotations

from flask import flash, redirect, url_for


def chosen(formdata) -> dict:
    """The publish-now form's choices as rescheduling.publish_now takes them."""
    return {
        "channel_ids": [int(v) for v in formdata.getlist("channel_ids") if v.isdigit()],
        "allow_conflicts": formdata.get("allow_conflicts") == "y",
    }


def published_now(made: list):
    """Say what was sent and show it live: the monitor, filtered to the new schedule's publications."""
    flash(f"Publishing now on {len(made)} channel(s).", "ok")
    return redirect(url_for("publications.index", q=f"schedule:{made[0].schedule_id}"), 303)

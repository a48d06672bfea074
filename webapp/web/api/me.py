"""The key's own user's dashboard layout: GET, PUT and DELETE /me/dashboard-layout.

The layout belongs to the person (the same in every workspace), so any key, a viewer's too, reads and changes its
own user's only.
"""

from __future__ import annotations

from flask import g, jsonify

from webapp.domain.accounts import preferences
from webapp.models import User
from webapp.web.api.base import ApiError, actor, bp, json_body


def layout_json(user: User) -> dict:
    return {"panels": preferences.dashboard_layout(user), "default": preferences.is_default(user)}


def _user() -> User:
    return g.api_user


@bp.get("/me/dashboard-layout")
def get_dashboard_layout():
    return jsonify(layout_json(_user()))


@bp.put("/me/dashboard-layout")
def put_dashboard_layout():
    body = json_body()
    if unknown := sorted(set(body) - {"panels"}):
        fields = dict.fromkeys(unknown, "is not a layout field")
        raise ApiError(422, "validation_failed", "Unknown field(s): " + ", ".join(unknown) + ".", fields)
    if "panels" not in body:
        raise ApiError(422, "validation_failed", "panels is required.", {"panels": "is required"})
    preferences.set_dashboard_layout(actor(), body["panels"])
    return jsonify(layout_json(_user()))


@bp.delete("/me/dashboard-layout")
def reset_dashboard_layout():
    preferences.reset_dashboard_layout(actor())
    return jsonify(layout_json(_user()))

"""The key's own user: GET and PATCH /me (language and timezone), GET, PUT and DELETE /me/dashboard-layout.

The profile and the layout belong to the person (the same in every workspace), so any key, a viewer's too, reads
and changes its own user's only. The language (`locale`) is also the one the API's error messages speak.
"""

from __future__ import annotations

from flask import g, jsonify
from flask_babel import gettext, refresh

from webapp.domain.accounts import accounts, preferences
from webapp.models import User
from webapp.web.api.base import ApiError, actor, bp, json_body


def layout_json(user: User) -> dict:
    return {"panels": preferences.dashboard_layout(user), "default": preferences.is_default(user)}


def _user() -> User:
    return g.api_user


PROFILE_FIELDS = ("locale", "timezone")


def profile_json(user: User) -> dict:
    return {"id": user.id, "email": user.email, "locale": user.locale, "timezone": user.timezone}


def _refuse_unknown(body: dict, known: tuple[str, ...], problem: str) -> None:
    if unknown := sorted(set(body) - set(known)):
        message = gettext("Unknown field(s): %(fields)s.", fields=", ".join(unknown))
        raise ApiError(422, "validation_failed", message, dict.fromkeys(unknown, problem))


@bp.get("/me")
def get_me():
    return jsonify(profile_json(_user()))


@bp.patch("/me")
def update_me():
    body = json_body()
    _refuse_unknown(body, PROFILE_FIELDS, gettext("is not a profile field"))
    accounts.update_profile(actor(), _user(), body)
    refresh()  # the answer (and any later message of this request) speaks the language just chosen
    return jsonify(profile_json(_user()))


@bp.get("/me/dashboard-layout")
def get_dashboard_layout():
    return jsonify(layout_json(_user()))


@bp.put("/me/dashboard-layout")
def put_dashboard_layout():
    body = json_body()
    _refuse_unknown(body, ("panels",), gettext("is not a layout field"))
    if "panels" not in body:
        message = gettext("%(name)s is required.", name="panels")
        raise ApiError(422, "validation_failed", message, {"panels": gettext("is required")})
    preferences.set_dashboard_layout(actor(), body["panels"])
    return jsonify(layout_json(_user()))


@bp.delete("/me/dashboard-layout")
def reset_dashboard_layout():
    preferences.reset_dashboard_layout(actor())
    return jsonify(layout_json(_user()))

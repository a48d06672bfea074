"""The key's own user in the OpenAPI description: the profile's operations, and the profile's and the dashboard
layout's JSON Schemas (merged by openapi.py)."""

from __future__ import annotations

from webapp.domain.accounts.accounts import LOCALES
from webapp.domain.accounts.preferences import PANELS
from webapp.web.api.openapi_schemas import ID, TIMEZONE, array, enum, nullable, obj, record, string

BOOLEAN = {"type": "boolean"}


def me_operations(op) -> tuple:
    """Return the profile's operations, built with openapi.py's `op`."""
    return (
        op("GET /me", "get_me", "The key's own user: email, language and timezone", 200, "Profile"),
        op("PATCH /me", "update_me", "Change the key's own user's language and/or timezone (any role)", 200,
           "Profile", body="ProfileUpdate"),
    )  # fmt: skip


LOCALE = {
    "type": ["string", "null"],
    "enum": [*LOCALES, None],
    "description": "The UI's language, also the one this API's error messages speak; null: the browser's "
    "(`Accept-Language`), else English.",
}


def me_schemas() -> dict:
    """Return the components for the profile and the dashboard layout."""
    panels = ", ".join(f"`{p}`" for p in PANELS)
    return {
        "Profile": record(
            {"id": ID, "email": string(), "locale": LOCALE, "timezone": TIMEZONE},
            additionalProperties=False,
            description="The API key's own user (the same in every workspace).",
        ),
        "ProfileUpdate": obj(
            {"locale": {**LOCALE, "enum": [*LOCALES, "", None]}, "timezone": TIMEZONE},
            additionalProperties=False,
            description="Absent fields stay; an unknown language or timezone is a 422 that changes nothing.",
        ),
        "DashboardLayout": record(
            {
                "panels": array(
                    record({"id": enum(PANELS), "collapsed": BOOLEAN, "hidden": BOOLEAN}, additionalProperties=False),
                    description=f"Every panel once, top to bottom: {panels}.",
                ),
                "default": {**BOOLEAN, "description": "No arrangement is saved: the default layout."},
            },
            additionalProperties=False,
            description="The API key's own user's dashboard: per person, the same in every workspace.",
        ),
        "DashboardLayoutUpdate": obj(
            {
                "panels": nullable(
                    array(
                        obj({"id": string(), "collapsed": BOOLEAN, "hidden": BOOLEAN}, required=("id",)),
                        description="Panels in order; unknown ids are dropped, a repeated one counts once, and "
                        "missing panels are added after the rest (shown, expanded). null: the default layout.",
                    )
                ),
            },
            required=("panels",),
            additionalProperties=False,
        ),
    }

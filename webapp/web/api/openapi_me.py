"""JSON Schemas of the key's own user's dashboard layout (components merged into the OpenAPI description)."""

from __future__ import annotations

from webapp.domain.accounts.preferences import PANELS
from webapp.web.api.openapi_schemas import array, enum, nullable, obj, record, string

BOOLEAN = {"type": "boolean"}


def me_schemas() -> dict:
    """Return the components for the dashboard layout."""
    panels = ", ".join(f"`{p}`" for p in PANELS)
    return {
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

"""The API reference a person reads: /api/docs renders /api/v1/openapi.json with the vendored Swagger UI.

Public like the document it shows (under /api/ no sign-in is asked), and under the site's strict CSP unchanged:
the viewer needs no inline script or style (tests/integration/test_browser_manners.py fails on any violation).
"""

from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("api_docs", __name__)

SWAGGER_UI = "vendor/swagger-ui-5.36.0"


@bp.get("/api/docs")
def page():
    return render_template("api_docs/index.html", swagger_ui=SWAGGER_UI)

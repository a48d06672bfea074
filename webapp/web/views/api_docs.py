"""The API reference a person reads: /api/docs renders /api/v1/openapi.json with the vendored Swagger UI."""

from __future__ import annotations

from flask import Blueprint, make_response, render_template

from webapp.web.security import API_DOCS_CSP

bp = Blueprint("api_docs", __name__)

SWAGGER_UI = "vendor/swagger-ui-5.36.0"


@bp.get("/api/docs")
def page():
    # Public like the document it shows (under /api/ no sign-in is asked); its own CSP, set before the default's.
    response = make_response(render_template("api_docs/index.html", swagger_ui=SWAGGER_UI))
    response.headers["Content-Security-Policy"] = API_DOCS_CSP
    return response

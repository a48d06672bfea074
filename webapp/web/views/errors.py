"""Error pages for the browser; JSON bodies for anything under /api."""

from __future__ import annotations

from flask import Flask, render_template, request
from flask_babel import gettext
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from webapp.core.errors import Conflict, Forbidden, NotFound
from webapp.domain.shared import unit_of_work


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def register(app: Flask) -> None:
    @app.errorhandler(NotFound)
    def service_not_found(exc: NotFound):
        unit_of_work.rollback()
        return render_template("errors/error.html", code=404, message=gettext("Not found.")), 404

    @app.errorhandler(Forbidden)
    def service_forbidden(exc: Forbidden):
        unit_of_work.rollback()
        return render_template("errors/error.html", code=403, message=exc.message), 403

    @app.errorhandler(Conflict)
    def service_conflict(exc: Conflict):
        # A page whose view does not answer a race itself (the API answers 409 in JSON): say what happened.
        unit_of_work.rollback()
        return render_template("errors/error.html", code=409, message=exc.message), 409

    @app.errorhandler(RequestEntityTooLarge)
    def body_too_large(exc: RequestEntityTooLarge):
        # Werkzeug's own text names no limit; say which one, for the API and the browser alike.
        limit = app.config["MAX_CONTENT_LENGTH"]
        shown = f"{limit / 1024 / 1024:g} MiB" if limit >= 1024 * 1024 else f"{limit} bytes"
        return http_error(
            RequestEntityTooLarge(gettext("The request body is larger than the %(limit)s limit.", limit=shown))
        )

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        from webapp.web.api.base import error_response, http_message

        if _wants_json():
            code = (exc.name or "error").lower().replace(" ", "_")
            return error_response(exc.code or 500, code, http_message(exc))
        return render_template("errors/error.html", code=exc.code, message=http_message(exc)), exc.code

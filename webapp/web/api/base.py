"""The JSON API's blueprint and what its endpoint modules share: Bearer-key auth, JSON errors, pagination helpers.

Errors speak the request's language: the API key's user's setting, else Accept-Language, else English
(`webapp.web.i18n.select_locale`). `error.code` never changes with it; `message` and each field's problem are
rendered here, at the edge, from the domain's lazily translated texts.
"""

from __future__ import annotations

from flask import Blueprint, current_app, g, jsonify, request
from flask_babel import LazyString, gettext, lazy_gettext, refresh
from werkzeug.exceptions import HTTPException

from webapp.core.errors import Conflict, Forbidden, NotFound, RateLimited, ServiceError, ValidationFailed
from webapp.core.validation import is_id
from webapp.domain.accounts.accounts import authenticate_api_key
from webapp.domain.shared import unit_of_work
from webapp.domain.shared.actor import Actor
from webapp.extensions import csrf
from webapp.infra import ratelimit
from webapp.web.auth import SAFE_METHODS, require_role
from webapp.web.paging import MAX_PAGE

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # API clients authenticate with a Bearer key, never a cookie

STATUS_FOR = {ValidationFailed: 422, NotFound: 404, Forbidden: 403, Conflict: 409, RateLimited: 429}
MAX_PER_PAGE = 200
PUBLIC_ENDPOINTS = {"api.openapi"}
# A viewer's key changes nothing: every non-GET call is refused to it except these, which save nothing
# or only the key's own user's notification settings (nothing of the workspace's).
VIEWER_MAY_POST = {"api.preview_schedule", "api.update_notification_settings"}
# The key's own user's dashboard layout: a viewer arranges their own dashboard too.
VIEWER_MAY_POST |= {"api.put_dashboard_layout", "api.reset_dashboard_layout"}
# ... and their own language and timezone.
VIEWER_MAY_POST |= {"api.update_me"}


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, fields: dict | None = None, **extra):
        super().__init__(message)
        self.status, self.code, self.message, self.fields, self.extra = (
            status,
            code,
            message,
            fields or {},
            extra,
        )


# What a status says when its exception carries only Werkzeug's own English text.
HTTP_MESSAGES = {
    400: lazy_gettext("The request is not valid."),
    404: lazy_gettext("Nothing is found at this address."),
    405: lazy_gettext("This method is not allowed at this address."),
    413: lazy_gettext("The request body is too large."),
    415: lazy_gettext("This content type is not supported here."),
    500: lazy_gettext("Something went wrong on the server."),
}


def invalid(fields: dict) -> ApiError:
    """The 422 of API.md for request fields the API layer itself refuses, in the reader's language."""
    return ApiError(422, "validation_failed", gettext("Some fields are not valid."), fields)


def rendered(value):
    """A message, or a structure of them (fields, skipped reasons), as plain text in the request's language."""
    if isinstance(value, LazyString):
        return str(value)
    if isinstance(value, dict):
        return {key: rendered(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [rendered(item) for item in value]
    return value


def http_message(exc: HTTPException) -> str:
    """An HTTP error's text: its own when it was given one, else the status's, translated."""
    if exc.description != type(exc).description or exc.code not in HTTP_MESSAGES:
        return str(exc.description or exc.name)
    return str(HTTP_MESSAGES[exc.code])


def error_response(status: int, code: str, message: str, fields: dict | None = None, **extra):
    fields, extra = rendered(fields), rendered(extra)
    body = {"error": {"code": code, "message": str(message), **({"fields": fields} if fields else {}), **extra}}
    response = jsonify(body)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="herald"'
    return response


@bp.before_request
def authenticate():
    g.pop("api_user", None)  # a test's app context outlives its requests: no key is known yet
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return error_response(401, "unauthorized", gettext("Send an API key as 'Authorization: Bearer <key>'."))
    found = authenticate_api_key(token.strip())  # saves the key's last_used_at
    if found is None:
        return error_response(401, "unauthorized", gettext("The API key is not valid or was revoked."))
    key, membership = found
    g.api_user = key.user
    refresh()  # from here on the request speaks the key's user's language (i18n.select_locale)
    config = current_app.config
    verdict = ratelimit.hit(f"api:{key.id}", config["API_RATE_LIMIT"], config["API_RATE_WINDOW_S"])
    if not verdict.allowed:
        response = error_response(429, "rate_limited", gettext("Too many requests for this API key; slow down."))
        response.headers["Retry-After"] = str(verdict.retry_after)
        return response
    g.api_actor = Actor(key.user_id, membership.workspace_id, membership.role, "api", request.remote_addr)
    # Refused before the body is read, so a viewer gets the same answer whatever they send.
    if request.method not in SAFE_METHODS and request.endpoint not in VIEWER_MAY_POST:
        require_role("edit", g.api_actor)  # a 403 in JSON (handle_service_error)
    return None


def actor() -> Actor:
    return g.api_actor


def json_document():
    """Return the request's parsed JSON, or None when it is not JSON (or nests deeper than Python can parse)."""
    try:
        return request.get_json(silent=True)
    except RecursionError:
        return None


def json_body() -> dict:
    """Return the request's JSON object, or answer 400 for anything else."""
    data = json_document()
    if not isinstance(data, dict):
        raise ApiError(400, "bad_request", gettext("The request body must be a JSON object."))
    return data


def page_args() -> tuple[int, int]:
    try:
        page = int(request.args.get("page", 1))
        per_page = int(request.args.get("per_page", 50))
    except ValueError:
        raise ApiError(422, "validation_failed", gettext("page and per_page must be whole numbers.")) from None
    if not 1 <= page <= MAX_PAGE or not 1 <= per_page <= MAX_PER_PAGE:
        message = gettext(
            "page must be 1..%(max_page)s and per_page 1..%(max_per_page)s.",
            max_page=MAX_PAGE,
            max_per_page=MAX_PER_PAGE,
        )
        raise ApiError(422, "validation_failed", message)
    return page, per_page


def int_arg(name: str) -> int | None:
    raw = request.args.get(name)
    if raw in (None, ""):
        return None
    if not (raw.isascii() and raw.isdigit()) or not is_id(int(raw)):
        message = gettext("%(name)s must be an id.", name=name)
        raise ApiError(422, "validation_failed", message, {name: gettext("must be an id")})
    return int(raw)


def listing(items, total: int, page: int, per_page: int, serialize):
    return jsonify({"items": [serialize(i) for i in items], "page": page, "per_page": per_page, "total": total})


@bp.errorhandler(ApiError)
def handle_api_error(exc: ApiError):
    unit_of_work.rollback()
    return error_response(exc.status, exc.code, exc.message, exc.fields, **exc.extra)


@bp.errorhandler(ServiceError)
def handle_service_error(exc: ServiceError):
    unit_of_work.rollback()  # nothing is written when a request fails
    extra = getattr(exc, "extra", {})
    response = error_response(STATUS_FOR.get(type(exc), 400), exc.code, exc.message, exc.fields, **extra)
    if isinstance(exc, RateLimited):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


@bp.errorhandler(HTTPException)
def handle_http_error(exc: HTTPException):
    unit_of_work.rollback()
    code = (exc.name or "error").lower().replace(" ", "_")
    return error_response(exc.code or 500, code, http_message(exc))

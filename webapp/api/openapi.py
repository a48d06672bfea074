"""The OpenAPI 3.1 description of /api/v1, built from one table of operations (served at /api/v1/openapi.json)."""

from __future__ import annotations

from dataclasses import dataclass

from webapp.api import MAX_PER_PAGE, PUBLIC_ENDPOINTS
from webapp.api.openapi_schemas import INSTANT_INPUT, TIMEZONE, enum, integer, ref, schemas, string
from webapp.models import CONTENT_TYPES, EditorialStatus, PublicationStatus, ScheduleStatus

ERRORS = {
    400: ("BadRequest", "The body is not a JSON object (malformed JSON)."),
    401: ("Unauthorized", "No API key, or one that is not valid or was revoked."),
    403: ("Forbidden", "The key's role in the workspace may not do this."),
    404: ("NotFound", "No such record in the caller's workspace (another workspace's records read as absent)."),
    409: ("Conflict", "The record's state does not allow this."),
    422: ("ValidationFailed", "Some fields or parameters are not valid; `error.fields` names them."),
}
PAGING = ("page", "per_page")


@dataclass(frozen=True)
class Op:
    method: str
    path: str
    operation_id: str  # the view's name: the Flask endpoint is "api.<operation_id>"
    summary: str
    ok: tuple[int, str | dict | None]  # success status and its body: a schema's name, a schema, or None
    body: str | None = None  # request schema
    query: tuple[str, ...] = ()
    errors: tuple[int, ...] = ()  # besides those implied by auth, role, body, path ids and query


OPERATIONS = (
    Op("post", "/channels", "create_channel", "Add a channel", (201, "Channel"), body="ChannelCreate"),
    Op("get", "/channels", "list_channels", "List the workspace's channels", (200, "ChannelList")),
    Op("get", "/channels/{channel_id}", "get_channel", "Show a channel", (200, "Channel")),
    Op("patch", "/channels/{channel_id}", "update_channel", "Change a channel", (200, "Channel"), "ChannelUpdate"),
    Op("delete", "/channels/{channel_id}", "delete_channel", "Delete a channel", (204, None)),
    Op("post", "/channels/{channel_id}/check", "check_channel", "Run a live connection check", (200, "ChannelCheck")),
    Op("post", "/contents", "create_content", "Write a content item", (201, "Content"), body="ContentCreate"),
    Op("get", "/contents", "list_contents", "List content", (200, "ContentList"), query=(*PAGING, "status", "q")),
    Op("get", "/contents/{content_id}", "get_content", "Show a content item", (200, "Content")),
    Op("patch", "/contents/{content_id}", "update_content", "Change a content item", (200, "Content"), "ContentUpdate"),
    Op("delete", "/contents/{content_id}", "delete_content", "Delete a content item", (204, None)),
    Op("post", "/schedules", "create_schedule", "Schedule content on channels", (201, "Schedule"), "ScheduleCreate"),
    Op(
        "get",
        "/schedules",
        "list_schedules",
        "List schedules",
        (200, "ScheduleList"),
        query=(*PAGING, "schedule_status", "channel_id"),
    ),
    Op("get", "/schedules/{schedule_id}", "get_schedule", "Show a schedule and its publications", (200, "Schedule")),
    Op(
        "get",
        "/publications",
        "list_publications",
        "List publications, latest due first",
        (200, "PublicationList"),
        query=(
            *PAGING,
            "publication_status",
            "channel_id",
            "schedule_id",
            "content_type",
            "from",
            "to",
            "timezone",
            "q",
        ),
    ),
    Op(
        "get",
        "/publications/{publication_id}",
        "get_publication",
        "Show a publication and its attempts",
        (200, "Publication"),
    ),
    Op("get", "/metrics", "metrics", "Overview figures of the caller's workspace", (200, "Metrics")),
    Op("get", "/openapi.json", "openapi", "This description (no key needed)", (200, {"type": "object"})),
)


def _query(name: str, schema: dict, description: str) -> dict:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


def parameters() -> dict:
    """Return the `components.parameters`: path ids and query filters."""
    ids = {
        f"path.{name}_id": {"name": f"{name}_id", "in": "path", "required": True, "schema": integer(minimum=1)}
        for name in ("channel", "content", "schedule", "publication")
    }
    instant = "Due at or after (`from`) / before (`to`) this instant."
    return {
        **ids,
        "page": _query("page", integer(minimum=1, default=1), "Page number, from 1."),
        "per_page": _query("per_page", integer(minimum=1, maximum=MAX_PER_PAGE, default=50), "Items per page."),
        "status": _query("status", enum(EditorialStatus), "Only content with this editorial status."),
        "schedule_status": _query("status", enum(ScheduleStatus), "Only schedules with this status."),
        "publication_status": _query("status", string(), "Comma-separated: " + ", ".join(PublicationStatus)),
        "channel_id": _query("channel_id", integer(minimum=1), "Only those on this channel."),
        "schedule_id": _query("schedule_id", integer(minimum=1), "Only those of this schedule."),
        "content_type": _query("content_type", enum(CONTENT_TYPES), "Only content of this type."),
        "from": _query("from", INSTANT_INPUT, instant),
        "to": _query("to", INSTANT_INPUT, instant),
        "timezone": _query("timezone", TIMEZONE, "Zone of a naive `from`/`to`."),
        "q": _query("q", string(), "Text in the title (or body); for publications also an exact idempotency key."),
    }


def _json(schema: dict) -> dict:
    return {"application/json": {"schema": schema}}


def error_responses() -> dict:
    responses = {name: {"description": text, "content": _json(ref("Error"))} for name, text in ERRORS.values()}
    responses["Unauthorized"]["headers"] = {
        "WWW-Authenticate": {"schema": string(), "description": 'Bearer realm="herald"'}
    }
    return responses


def _error_codes(op: Op, public: bool) -> list[int]:
    codes = set(op.errors)
    if not public:
        codes.add(401)
    if op.method != "get" and not public:
        codes.add(403)
    if "{" in op.path:
        codes.add(404)
    if op.body:
        codes.update((400, 422))
    if any(name in PAGING or name in ("channel_id", "schedule_id", "from", "to") for name in op.query):
        codes.add(422)
    return sorted(codes)


def operation(op: Op) -> dict:
    public = f"api.{op.operation_id}" in PUBLIC_ENDPOINTS
    status, schema = op.ok
    success = {"description": "No content." if schema is None else op.summary}
    if schema is not None:
        success["content"] = _json(ref(schema) if isinstance(schema, str) else schema)
    path_ids = [f"path.{part[1:-1]}" for part in op.path.split("/") if part.startswith("{")]
    result = {
        "operationId": op.operation_id,
        "summary": op.summary,
        "tags": [op.path.split("/")[1].removesuffix(".json")],
        "responses": {
            str(status): success,
            **{str(code): ref(ERRORS[code][0], "responses") for code in _error_codes(op, public)},
        },
    }
    if params := [ref(name, "parameters") for name in (*path_ids, *op.query)]:
        result["parameters"] = params
    if op.body:
        result["requestBody"] = {"required": True, "content": _json(ref(op.body))}
    if public:
        result["security"] = []
    return result


def document() -> dict:
    """Return the OpenAPI 3.1 description of every /api/v1 endpoint."""
    paths: dict[str, dict] = {}
    for op in OPERATIONS:
        paths.setdefault(op.path, {})[op.method] = operation(op)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Herald API",
            "version": "1",
            "description": "Schedule content to publishing channels. Send `Authorization: Bearer <api key>`.",
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearerAuth": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer", "description": "An API key."}},
            "schemas": schemas(),
            "parameters": parameters(),
            "responses": error_responses(),
        },
    }

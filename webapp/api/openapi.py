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
VALIDATED_QUERY = {*PAGING, "channel_id", "schedule_id", "from", "to"}
PATH_IDS = ("channel_id", "content_id", "schedule_id", "publication_id", "bulk_id")


@dataclass(frozen=True)
class Op:
    method: str
    path: str
    operation_id: str  # the view's name: the Flask endpoint is "api.<operation_id>"
    summary: str
    ok: dict  # status -> a schema's name, an inline schema, or None for no body
    body: str | None = None  # the request schema's name
    optional_body: bool = False
    query: tuple[str, ...] = ()
    conflict: bool = False  # may answer 409


def op(route: str, operation_id: str, summary: str, status: int = 200, schema=None, **extra) -> Op:
    method, path = route.split(" ")
    return Op(method.lower(), path, operation_id, summary, extra.pop("ok", None) or {status: schema}, **extra)


SCHEDULE_ID = "/schedules/{schedule_id}"
PUBLICATION_FILTERS = ("publication_status", "channel_id", "schedule_id", "content_type", "from", "to", "timezone", "q")
OPERATIONS = (
    op("POST /channels", "create_channel", "Add a channel", 201, "Channel", body="ChannelCreate"),
    op("GET /channels", "list_channels", "List the workspace's channels", 200, "ChannelList"),
    op("GET /channels/{channel_id}", "get_channel", "Show a channel", 200, "Channel"),
    op("PATCH /channels/{channel_id}", "update_channel", "Change a channel", 200, "Channel", body="ChannelUpdate"),
    op("DELETE /channels/{channel_id}", "delete_channel", "Delete a channel", 204),
    op("POST /channels/{channel_id}/check", "check_channel", "Run a live connection check", 200, "ChannelCheck"),
    op("POST /channels/{channel_id}/queue", "add_to_queue", "Queue into the next free slot", 201, "Schedule",
       body="QueueRequest"),
    op("POST /channels/{channel_id}/resume", "resume_channel", "Clear a held channel; its held publications run again",
       200, "ChannelResumed"),
    op("POST /contents", "create_content", "Write a content item", 201, "Content", body="ContentCreate"),
    op("GET /contents", "list_contents", "List content", 200, "ContentList", query=(*PAGING, "status", "q")),
    op("GET /contents/{content_id}", "get_content", "Show a content item", 200, "Content"),
    op("PATCH /contents/{content_id}", "update_content", "Change a content item", 200, "Content", body="ContentUpdate"),
    op("DELETE /contents/{content_id}", "delete_content", "Delete a content item", 204),
    op("POST /schedules", "create_schedule", "Schedule content", 201, "Schedule", body="ScheduleCreate"),
    op("GET /schedules", "list_schedules", "List schedules", 200, "ScheduleList",
       query=(*PAGING, "schedule_status", "channel_id")),
    op("POST /schedules/preview", "preview_schedule", "Preview the next runs; nothing is saved", 200,
       "SchedulePreview", body="SchedulePreviewRequest"),
    op(f"GET {SCHEDULE_ID}", "get_schedule", "Show a schedule and its publications", 200, "Schedule"),
    op(f"PATCH {SCHEDULE_ID}", "update_schedule", "Reschedule", 200, "Schedule", body="ScheduleUpdate", conflict=True),
    op(f"DELETE {SCHEDULE_ID}", "delete_schedule", "Delete a schedule", 204, conflict=True),
    op(f"POST {SCHEDULE_ID}/pause", "pause_schedule", "Pause", 200, "Schedule", conflict=True),
    op(f"POST {SCHEDULE_ID}/resume", "resume_schedule", "Resume", 200, "Schedule", conflict=True),
    op(f"POST {SCHEDULE_ID}/clone", "clone_schedule", "Copy into a new active schedule", 201, "Schedule",
       body="ScheduleClone", optional_body=True),
    op("GET /publications", "list_publications", "List publications, latest due first", 200, "PublicationList",
       query=(*PAGING, *PUBLICATION_FILTERS)),
    op("GET /publications/{publication_id}", "get_publication", "Show a publication and its attempts", 200,
       "Publication"),
    op("POST /publications/bulk", "bulk_publications", "Act on many publications (over 1,000: in the background)",
       ok={200: "BulkResult", 202: "BulkStarted"}, body="BulkRequest"),
    op("GET /publications/bulk/{bulk_id}", "get_bulk", "Progress of a background bulk action", 200, "BulkStatus"),
    op("POST /publish-now", "publish_now", "Publish at the next whole second", 201, "PublicationItems",
       body="PublishNow"),
    op("GET /metrics", "metrics", "Overview figures of the caller's workspace", 200, "Metrics"),
    op("GET /openapi.json", "openapi", "This description (no key needed)", 200, {"type": "object"}),
)  # fmt: skip


def _query(name: str, schema: dict, description: str) -> dict:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


def parameters() -> dict:
    """Return the `components.parameters`: path ids and query filters."""
    instant = "Due at or after (`from`) / before (`to`) this instant."
    return {
        **{f"path.{n}": {"name": n, "in": "path", "required": True, "schema": integer(minimum=1)} for n in PATH_IDS},
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
    implied = {
        401: not public,
        403: op.method != "get" and not public,
        404: "{" in op.path,
        400: op.body is not None,
        409: op.conflict,
        422: op.body is not None or bool(VALIDATED_QUERY.intersection(op.query)),
    }
    return sorted(code for code, applies in implied.items() if applies)


def _success(op: Op, schema) -> dict:
    if schema is None:
        return {"description": "Done; no body."}
    return {"description": op.summary, "content": _json(ref(schema) if isinstance(schema, str) else schema)}


def operation(op: Op) -> dict:
    public = f"api.{op.operation_id}" in PUBLIC_ENDPOINTS
    path_ids = [f"path.{part[1:-1]}" for part in op.path.split("/") if part.startswith("{")]
    result = {
        "operationId": op.operation_id,
        "summary": op.summary,
        "tags": [op.path.split("/")[1].removesuffix(".json")],
        "responses": {
            **{str(status): _success(op, schema) for status, schema in op.ok.items()},
            **{str(code): ref(ERRORS[code][0], "responses") for code in _error_codes(op, public)},
        },
    }
    if params := [ref(name, "parameters") for name in (*path_ids, *op.query)]:
        result["parameters"] = params
    if op.body:
        result["requestBody"] = {"required": not op.optional_body, "content": _json(ref(op.body))}
    if public:
        result["security"] = []
    return result


def document() -> dict:
    """Return the OpenAPI 3.1 description of every /api/v1 endpoint."""
    paths: dict[str, dict] = {}
    for entry in OPERATIONS:
        paths.setdefault(entry.path, {})[entry.method] = operation(entry)
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

"""The OpenAPI 3.1 description of /api/v1, built from one table of operations (served at /api/v1/openapi.json)."""

from __future__ import annotations

from dataclasses import dataclass

from webapp.models import CONTENT_TYPES, EditorialStatus, PublicationStatus, ScheduleStatus
from webapp.web.api.base import MAX_PER_PAGE, PUBLIC_ENDPOINTS
from webapp.web.api.openapi_alerts import (
    ALERT_PATH_IDS,
    ALERT_VALIDATED_QUERY,
    alert_operations,
    alert_parameters,
    alert_schemas,
)
from webapp.web.api.openapi_channels import channel_schemas
from webapp.web.api.openapi_me import me_operations, me_schemas
from webapp.web.api.openapi_media import media_schemas, use_multipart
from webapp.web.api.openapi_notifications import notification_operations, notification_schemas
from webapp.web.api.openapi_occurrences import occurrence_schemas
from webapp.web.api.openapi_schemas import ID, INSTANT_INPUT, TIMEZONE, enum, integer, ref, schemas, string
from webapp.web.api.openapi_team import team_schemas
from webapp.web.api.openapi_transfer import transfer_schemas, use_export_media_types
from webapp.web.api.openapi_variants import variant_schemas
from webapp.web.api.openapi_webhooks import webhook_schemas

ERRORS = {
    400: ("BadRequest", "The body is not a JSON object (malformed JSON)."),
    401: ("Unauthorized", "No API key, or one that is not valid or was revoked."),
    403: ("Forbidden", "The key's role in the workspace may not do this."),
    404: ("NotFound", "No such record in the caller's workspace (another workspace's records read as absent)."),
    409: ("Conflict", "The record's state does not allow this."),
    422: ("ValidationFailed", "Some fields or parameters are not valid; `error.fields` names them."),
}
PAGING = ("page", "per_page")
VALIDATED_QUERY = {*PAGING, "channel_id", "schedule_id", "from", "to", "transfer_kind", "transfer_format", "pending"}
VALIDATED_QUERY |= {"occurrence_count"}
PATH_IDS = ("channel_id", "content_id", "schedule_id", "publication_id", "bulk_id", "template_id", "media_id")
PATH_IDS += ("membership_id", "invitation_id")
PATH_IDS += ("subscription_id", "delivery_id")
PATH_IDS += ALERT_PATH_IDS
VALIDATED_QUERY |= ALERT_VALIDATED_QUERY
WEBHOOK_ID = "/webhooks/{subscription_id}"


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
    owner_only: bool = False  # a read that other roles are refused (403)


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
    op("DELETE /channels/{channel_id}", "delete_channel",
       "Delete (archive) a channel; 409 while publications are pending unless ?pending=cancel", 204,
       query=("pending",), conflict=True),
    op("POST /channels/{channel_id}/check", "check_channel", "Run a live connection check", 200, "ChannelCheck"),
    op("POST /channels/{channel_id}/queue", "add_to_queue", "Queue into the next free slot", 201, "Schedule",
       body="QueueRequest"),
    op("POST /channels/{channel_id}/resume", "resume_channel", "Clear a held channel; its held publications run again",
       200, "ChannelResumed"),
    op("POST /channels/{channel_id}/pause", "pause_channel", "Pause a channel; its waiting publications are held",
       200, "ChannelPaused", conflict=True),
    op("POST /channels/{channel_id}/breaker/reset", "reset_breaker",
       "Close the channel's circuit breaker; what waited for it is due now", 200, "BreakerReset"),
    op("GET /channels/{channel_id}/state", "channel_state",
       "The channel's live state: circuit, rate limit, held and pending publications", 200, "ChannelState"),
    op("POST /contents", "create_content", "Write a content item", 201, "Content", body="ContentCreate"),
    op("GET /contents", "list_contents", "List content", 200, "ContentList", query=(*PAGING, "status", "q")),
    op("GET /contents/{content_id}", "get_content", "Show a content item", 200, "Content"),
    op("PATCH /contents/{content_id}", "update_content", "Change a content item", 200, "Content", body="ContentUpdate"),
    op("DELETE /contents/{content_id}", "delete_content", "Delete a content item", 204),
    op("GET /contents/{content_id}/channels/{channel_id}/variant", "get_variant",
       "The content as this channel gets it: resolved fields, their sources, the platform's verdict", 200,
       "ResolvedVariant"),
    op("POST /contents/{content_id}/media", "upload_media",
       "Attach an image (multipart: file, alt_text); its bytes are decoded and verified", 201, "Media",
       body="MediaUpload"),
    op("GET /contents/{content_id}/media", "list_media", "The content's images, the featured one first", 200,
       "MediaList"),
    op("GET /contents/{content_id}/media/{media_id}", "get_media", "Show an image's metadata", 200, "Media"),
    op("DELETE /contents/{content_id}/media/{media_id}", "delete_media", "Remove an image and its stored file", 204),
    op("POST /templates", "create_template", "Save a content item as a template", 201, "Template",
       body="TemplateCreate"),
    op("GET /templates", "list_templates", "List the workspace's templates by name", 200, "TemplateList",
       query=PAGING),
    op("GET /templates/{template_id}", "get_template", "Show a template", 200, "Template"),
    op("PATCH /templates/{template_id}", "update_template", "Rename a template or change its channels or schedule",
       200, "Template", body="TemplateUpdate"),
    op("DELETE /templates/{template_id}", "delete_template", "Delete a template", 204),
    op("POST /templates/{template_id}/start", "start_template", "Start a draft from a template (and schedule it)",
       201, "TemplateStarted", body="TemplateStart"),
    op("POST /contents/{content_id}/submit", "submit_content", "Submit for review (draft → review)", 200, "Content",
       body="ReviewComment", optional_body=True, conflict=True),
    op("POST /contents/{content_id}/approve", "approve_content",
       "Approve (review → approved); publications held for approval run again", 200, "Content",
       body="ReviewComment", optional_body=True, conflict=True),
    op("POST /contents/{content_id}/reject", "reject_content", "Reject with a comment (review → draft)", 200,
       "Content", body="RejectRequest", conflict=True),
    op("GET /contents/{content_id}/reviews", "list_reviews", "The content's review history, oldest first", 200,
       "ReviewList"),
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
    op(f"GET {SCHEDULE_ID}/occurrences", "list_occurrences", "A recurring schedule's next occurrences", 200,
       "OccurrenceList", query=("occurrence_count",), conflict=True),
    op(f"POST {SCHEDULE_ID}/occurrences/skip", "skip_occurrence", "Skip one occurrence (the next by default)", 200,
       "Occurrence", body="OccurrenceSkip", optional_body=True, conflict=True),
    op(f"POST {SCHEDULE_ID}/occurrences/move", "move_occurrence", "Move one occurrence to another time", 200,
       "Occurrence", body="OccurrenceMove", conflict=True),
    op(f"POST {SCHEDULE_ID}/occurrences/restore", "restore_occurrence", "Undo a skip or a move", 200,
       "Occurrence", body="OccurrenceRestore", conflict=True),
    op("GET /publications", "list_publications", "List publications, latest due first", 200, "PublicationList",
       query=(*PAGING, *PUBLICATION_FILTERS)),
    op("GET /publications/{publication_id}", "get_publication", "Show a publication and its attempts", 200,
       "Publication"),
    op("POST /publications/{publication_id}/mark-published", "mark_publication_published",
       "Record an unconfirmed publication as published, at the address a person found it", 200, "Publication",
       body="MarkPublished", conflict=True),
    op("POST /publications/bulk", "bulk_publications", "Act on many publications (over 1,000: in the background)",
       ok={200: "BulkResult", 202: "BulkStarted"}, body="BulkRequest"),
    op("GET /publications/bulk/{bulk_id}", "get_bulk", "Progress of a background bulk action", 200, "BulkStatus"),
    op("POST /schedules/bulk", "bulk_schedules", "Act on many schedules (over 1,000: in the background)",
       ok={200: "BulkResult", 202: "BulkStarted"}, body="ScheduleBulkRequest"),
    op("GET /schedules/bulk/{bulk_id}", "get_schedules_bulk", "Progress of a background bulk action", 200,
       "BulkStatus"),
    op("POST /contents/bulk", "bulk_contents", "Approve or archive many content items (over 1,000: in the background)",
       ok={200: "BulkResult", 202: "BulkStarted"}, body="ContentBulkRequest"),
    op("GET /contents/bulk/{bulk_id}", "get_contents_bulk", "Progress of a background bulk action", 200,
       "BulkStatus"),
    op("POST /publish-now", "publish_now", "Publish at the next whole second", 201, "PublicationItems",
       body="PublishNow"),
    op("GET /metrics", "metrics", "Overview figures of the caller's workspace", 200, "Metrics"),
    op("GET /notifications/settings", "get_notification_settings",
       "The key's own user's notification settings (the webhook URL is never shown)", 200, "NotificationSettings"),
    op("PATCH /notifications/settings", "update_notification_settings",
       "Change the key's own user's notification settings; absent fields stay", 200, "NotificationSettings",
       body="NotificationSettingsUpdate"),
    *notification_operations(op),
    *me_operations(op),
    op("GET /me/dashboard-layout", "get_dashboard_layout", "The key's own user's dashboard layout", 200,
       "DashboardLayout"),
    op("PUT /me/dashboard-layout", "put_dashboard_layout",
       "Arrange the key's own user's dashboard (validated and completed)", 200, "DashboardLayout",
       body="DashboardLayoutUpdate"),
    op("DELETE /me/dashboard-layout", "reset_dashboard_layout", "Reset the key's own user's dashboard layout", 200,
       "DashboardLayout"),
    op("GET /workspace", "get_workspace", "The API key's workspace and the key owner's role there", 200, "Workspace"),
    op("PATCH /workspace", "update_workspace", "Rename the workspace or change whether content needs approval (owner)",
       200, "Workspace", body="WorkspaceUpdate"),
    op("GET /members", "list_members", "The workspace's members, owners first", 200, "MemberList"),
    op("PATCH /members/{membership_id}", "update_member", "Change a member's role (owner; a last owner stays one)",
       200, "Member", body="MemberUpdate", conflict=True),
    op("DELETE /members/{membership_id}", "remove_member",
       "Remove a member and revoke their API keys here (owner; never the last owner)", 204, conflict=True),
    op("POST /members/{membership_id}/transfer", "transfer_ownership",
       "Make a member the owner; the acting owner becomes an editor (owner)", 200, "Member", conflict=True),
    op("POST /invitations", "create_invitation",
       "Invite an email with a role (owner); the one-time link is in this answer only", 201, "InvitationCreated",
       body="InvitationCreate"),
    op("GET /invitations", "list_invitations", "Pending invitations, newest first (owner)", 200, "InvitationList",
       owner_only=True),
    op("DELETE /invitations/{invitation_id}", "revoke_invitation", "Revoke an invitation: its link stops working "
       "(owner)", 204),
    op("POST /webhooks", "create_webhook", "Subscribe a URL to events; the signing secret is in this answer only",
       201, "WebhookCreated", body="WebhookCreate"),
    op("GET /webhooks", "list_webhooks", "List the workspace's webhook subscriptions", 200, "WebhookList",
       query=PAGING),
    op(f"GET {WEBHOOK_ID}", "get_webhook", "Show a webhook subscription", 200, "Webhook"),
    op(f"PATCH {WEBHOOK_ID}", "update_webhook", "Change a subscription's URL, events or whether it is active", 200,
       "Webhook", body="WebhookUpdate"),
    op(f"DELETE {WEBHOOK_ID}", "delete_webhook", "Delete a subscription and its delivery log", 204),
    op(f"GET {WEBHOOK_ID}/deliveries", "list_webhook_deliveries", "The subscription's delivery log, newest first",
       200, "WebhookDeliveryList", query=PAGING),
    op(f"POST {WEBHOOK_ID}/test", "test_webhook", "Queue a signed test event to the subscription's URL", 201,
       "WebhookDelivery"),
    op(f"POST {WEBHOOK_ID}/deliveries/{{delivery_id}}/redeliver", "redeliver_webhook",
       "Send a finished delivery again: same body and event id, fresh attempts", 200, "WebhookDelivery",
       conflict=True),
    op("GET /export", "export_records", "Download contents or schedules as JSON, CSV or ZIP", 200, "Export",
       query=("transfer_kind", "transfer_format")),
    op("POST /import", "import_records", "Import rows (JSON or text/csv): all of them, or none if any is wrong",
       201, "ImportResult", body="ImportRows", query=("transfer_kind",)),
    *alert_operations(op),
    op("GET /openapi.json", "openapi", "This description (no key needed)", 200, {"type": "object"}),
)  # fmt: skip


def _query(name: str, schema: dict, description: str) -> dict:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


def parameters() -> dict:
    """Return the `components.parameters`: path ids and query filters."""
    instant = "Due at or after (`from`) / before (`to`) this instant."
    return {
        # Ids are 32-bit: a larger number is answered 404, whatever the method.
        **{f"path.{n}": {"name": n, "in": "path", "required": True, "schema": ID} for n in PATH_IDS},
        "page": _query("page", integer(minimum=1, default=1), "Page number, from 1."),
        "occurrence_count": _query("count", integer(minimum=1, maximum=50, default=10), "How many occurrences."),
        "per_page": _query("per_page", integer(minimum=1, maximum=MAX_PER_PAGE, default=50), "Items per page."),
        "status": _query("status", enum(EditorialStatus), "Only content with this editorial status."),
        "schedule_status": _query("status", enum(ScheduleStatus), "Only schedules with this status."),
        "publication_status": _query("status", string(), "Comma-separated: " + ", ".join(PublicationStatus)),
        "channel_id": _query("channel_id", integer(minimum=1), "Only those on this channel."),
        **alert_parameters(_query),
        "schedule_id": _query("schedule_id", integer(minimum=1), "Only those of this schedule."),
        "content_type": _query("content_type", enum(CONTENT_TYPES), "Only content of this type."),
        "from": _query("from", INSTANT_INPUT, instant),
        "to": _query("to", INSTANT_INPUT, instant),
        "timezone": _query("timezone", TIMEZONE, "Zone of a naive `from`/`to`."),
        "q": _query("q", string(), "Text in the title (or body); for publications also an exact idempotency key."),
        "transfer_kind": _query("kind", enum(("contents", "schedules")), "What to export or import."),
        "transfer_format": _query(
            "format", enum(("json", "csv", "zip")), "The export's format (default json; zip: contents with images)."
        ),
        "pending": _query("pending", enum(("cancel",)), "`cancel`: cancel the channel's pending publications first."),
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
        403: (op.method != "get" or op.owner_only) and not public,
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
    use_multipart(paths)
    use_export_media_types(paths)
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
            "schemas": {
                **schemas(),
                **alert_schemas(),
                **variant_schemas(),
                **channel_schemas(),
                **media_schemas(),
                **me_schemas(),
                **notification_schemas(),
                **occurrence_schemas(),
                **team_schemas(),
                **transfer_schemas(),
                **webhook_schemas(),
            },
            "parameters": parameters(),
            "responses": error_responses(),
        },
    }

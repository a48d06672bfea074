"""The OpenAPI description: well formed, complete against the URL map, and served without a key."""

from __future__ import annotations

import json
import re

import pytest

from webapp.domain.operations import bulk
from webapp.web.api import PUBLIC_ENDPOINTS
from webapp.web.api.openapi import document

from .helpers import soon, webhook_body
from .test_metrics import CONTRACT_KEYS

DOC = document()
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
RULE_VARIABLE = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")
CONTRACT_SCHEMAS = {
    "Channel",
    "ChannelCreate",
    "Content",
    "ContentCreate",
    "Schedule",
    "ScheduleCreate",
    "Publication",
    "Attempt",
    "Metrics",
    "Error",
    "ChannelList",
    "ContentList",
    "ScheduleList",
    "PublicationList",
}
OPERATIONS = [(path, method, op) for path, item in DOC["paths"].items() for method, op in item.items()]
PROTECTED = [(path, method) for path, method, op in OPERATIONS if op.get("security") != []]


def api_rules(app):
    return [rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1/")]


def documented_path(rule) -> str:
    return RULE_VARIABLE.sub(r"{\1}", rule.rule.removeprefix("/api/v1"))


def rule_methods(rule) -> set[str]:
    return {m.lower() for m in rule.methods} - {"head", "options"}


def refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


def resolve(pointer: str):
    assert pointer.startswith("#/"), pointer
    node = DOC
    for part in pointer[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def test_the_description_is_served_without_an_api_key(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.json == json.loads(json.dumps(DOC))


def test_the_document_declares_openapi_3_1_with_info_and_the_api_base_path():
    assert DOC["openapi"].startswith("3.1.")
    assert DOC["info"]["title"] and DOC["info"]["version"]
    assert DOC["servers"] == [{"url": "/api/v1"}]


def test_every_ref_resolves():
    pointers = set(refs(DOC))
    assert pointers
    for pointer in pointers:
        assert isinstance(resolve(pointer), dict), pointer


def test_every_api_route_in_the_url_map_is_documented_with_its_methods(app):
    for rule in api_rules(app):
        documented = set(DOC["paths"].get(documented_path(rule), {}))
        assert rule_methods(rule) <= documented, rule.rule


def test_every_documented_operation_exists_in_the_url_map(app):
    served: dict[str, set[str]] = {}
    for rule in api_rules(app):
        served.setdefault(documented_path(rule), set()).update(rule_methods(rule))
    assert {path: set(item) for path, item in DOC["paths"].items()} == served


def test_each_operation_id_is_the_name_of_the_view_that_serves_it(app):
    endpoints = {
        (documented_path(rule), method): rule.endpoint for rule in api_rules(app) for method in rule_methods(rule)
    }
    for path, method, op in OPERATIONS:
        assert f"api.{op['operationId']}" == endpoints[(path, method)]


def test_operation_ids_are_unique():
    ids = [op["operationId"] for _, _, op in OPERATIONS]
    assert len(ids) == len(set(ids))


def test_every_operation_has_a_summary_a_2xx_response_and_only_known_methods():
    for path, method, op in OPERATIONS:
        assert method in HTTP_METHODS
        assert path.startswith("/")
        assert op["summary"]
        assert any(code.startswith("2") for code in op["responses"]), (path, method)
        assert all(re.fullmatch(r"[1-5]\d\d", code) for code in op["responses"])


def test_every_path_variable_is_a_required_integer_path_parameter():
    for path, method, op in OPERATIONS:
        declared = {
            p["name"]: p for p in (resolve(ref["$ref"]) for ref in op.get("parameters", [])) if p["in"] == "path"
        }
        assert set(declared) == set(re.findall(r"{(\w+)}", path)), (path, method)
        assert all(p["required"] is True and p["schema"]["type"] == "integer" for p in declared.values())


def test_parameters_have_a_name_a_location_and_a_schema():
    for name, parameter in DOC["components"]["parameters"].items():
        assert parameter["in"] in {"path", "query"}, name
        assert parameter["name"] and parameter["schema"]["type"], name


def test_bearer_auth_is_the_global_security_scheme():
    assert DOC["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "An API key.",
    }
    assert DOC["security"] == [{"bearerAuth": []}]


def test_only_the_public_endpoints_opt_out_of_bearer_auth():
    public = {f"api.{op['operationId']}" for _, _, op in OPERATIONS if op.get("security") == []}
    assert public == PUBLIC_ENDPOINTS == {"api.openapi"}


@pytest.mark.parametrize(("path", "method"), PROTECTED)
def test_every_protected_operation_answers_401_without_a_key_as_documented(client, path, method):
    url = "/api/v1" + re.sub(r"{\w+}", "1", path)
    response = client.open(url, method=method.upper(), json={})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="herald"'
    assert DOC["paths"][path][method]["responses"]["401"] == {"$ref": "#/components/responses/Unauthorized"}


def test_error_responses_for_400_to_422_all_use_the_error_schema():
    responses = DOC["components"]["responses"]
    names = {"BadRequest", "Unauthorized", "Forbidden", "NotFound", "Conflict", "ValidationFailed"}
    assert set(responses) == names
    for response in responses.values():
        assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}


def test_the_error_schema_requires_code_and_message_and_maps_fields_to_messages():
    error = DOC["components"]["schemas"]["Error"]["properties"]["error"]
    assert error["required"] == ["code", "message"]
    assert error["properties"]["fields"]["additionalProperties"] == {"type": "string"}


def test_operations_with_a_json_body_document_400_and_422():
    for path, method, op in OPERATIONS:
        if "requestBody" in op:
            assert {"400", "422"} <= set(op["responses"]), (path, method)


def test_an_owner_only_read_documents_the_403_other_roles_get():
    # Writes document 403 (viewers); GET /invitations is also refused to editors (test_team_api.py).
    assert "403" in DOC["paths"]["/invitations"]["get"]["responses"]
    assert "403" not in DOC["paths"]["/members"]["get"]["responses"]


def test_the_contract_s_schemas_are_components():
    assert set(DOC["components"]["schemas"]) >= CONTRACT_SCHEMAS


def test_the_metrics_schema_lists_exactly_the_contract_s_keys():
    metrics = DOC["components"]["schemas"]["Metrics"]
    assert set(metrics["properties"]) == set(metrics["required"])
    assert set(metrics["required"]) == CONTRACT_KEYS  # what GET /metrics answers (test_metrics.py)


def test_list_envelopes_have_items_page_per_page_and_total():
    for name in ("ChannelList", "ContentList", "ScheduleList", "PublicationList"):
        assert DOC["components"]["schemas"][name]["required"] == ["items", "page", "per_page", "total"]


@pytest.fixture
def served(api, monkeypatch):
    """Create one of each record through the API; return what the API answered to each request, by schema."""
    channel = api("POST", "/channels", json=webhook_body())
    content = api("POST", "/contents", json={"title": "Launch", "tags": ["news"]})
    ids = {"content_id": content.json["id"], "channel_ids": [channel.json["id"]]}
    schedule = api("POST", "/schedules", json={**ids, "run_at": soon().isoformat()})
    publication_id = schedule.json["publications"][0]["id"]
    monkeypatch.setattr(bulk, "INLINE_LIMIT", 0)  # so that one publication makes a background bulk action
    started = api("POST", "/publications/bulk", json={"action": "pause", "filter": {"status": "scheduled"}})
    answers = {
        "Channel": [channel, api("GET", f"/channels/{channel.json['id']}")],
        "Content": [content, api("GET", f"/contents/{content.json['id']}")],
        "Schedule": [schedule, api("GET", f"/schedules/{schedule.json['id']}")],
        "Publication": [api("GET", f"/publications/{publication_id}")],
        "PublicationItems": [api("POST", "/publish-now", json=ids)],
        "SchedulePreview": [
            api("POST", "/schedules/preview", json={"cron": "30 9 * * mon-fri", "timezone": "Europe/Paris"}),
            api("POST", "/schedules/preview", json={"run_at": soon().isoformat()}),
        ],
        "BulkResult": [api("POST", "/publications/bulk", json={"action": "cancel", "ids": [publication_id]})],
        "BulkStarted": [started],
        "BulkStatus": [api("GET", f"/publications/bulk/{started.json['bulk_id']}")],
        "ChannelResumed": [api("POST", f"/channels/{channel.json['id']}/resume")],
        "Metrics": [api("GET", "/metrics")],
        "Error": [api("POST", "/channels", json={}), api("GET", "/channels/999"), api("POST", "/contents")],
    }
    for name in ("Channel", "Content", "Schedule", "Publication"):
        answers[f"{name}List"] = [api("GET", f"/{name.lower()}s")]
    return answers


SERVED = ["Channel", "Content", "Schedule", "Publication", "ChannelList", "ContentList", "ScheduleList"]
SERVED += ["PublicationList", "PublicationItems", "SchedulePreview", "BulkResult", "BulkStarted", "BulkStatus"]
SERVED += ["ChannelResumed", "Metrics", "Error"]


@pytest.mark.parametrize("schema", SERVED)
def test_the_api_s_answers_conform_to_their_documented_schema(served, assert_schema, schema):
    for response in served[schema]:
        assert response.status_code < 500
        assert_schema(response.json, schema)

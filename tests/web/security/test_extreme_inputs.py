"""Out-of-range input at the edge is a 4xx or a sensible page, never a 500: every GET route of the URL map is fed
ids past any column's range and query parameters with numbers and dates past any sane bound, and every JSON
route a body nested deeper than a parser can follow.
"""

from __future__ import annotations

import pytest

from tests.web.api.conftest import schedule_for  # noqa: F401 - the workspace_a fixture builds a schedule with it
from tests.web.api.test_isolation import RECORD_FOR, workspace_a  # noqa: F401 - workspace A's records

from .route_walk import real_values, sign_in, urls_for
from .test_no_change_on_get import fetch, get_routes

HUGE = 10**20
# Every paging, counting and date parameter any list, calendar, report or API reads, at once and far out of range.
EXTREME_QUERY = "&".join(
    f"{name}={value}"
    for name, value in {
        "page": HUGE,
        "per_page": HUGE,
        "limit": HUGE,
        "count": HUGE,
        "max_runs": HUGE,
        "days": HUGE,
        "from": "0001-01-01",
        "to": "9999-12-31",
        "date": "9999-12-31",
        "due_from": "0001-01-01T00:00:00Z",
        "due_to": "9999-12-31T23:59:59Z",
        "since": "0001-01-01T00:00:00Z",
        "start": "0001-01-01",
        "end": "9999-12-31",
    }.items()
)


@pytest.fixture
def routes_and_values(app, workspace_a):  # noqa: F811
    return workspace_a, real_values(app, workspace_a)


def _server_errors(app, client, rules, records, values, **kwargs) -> dict[str, int]:
    failed = {}
    for rule in rules:
        for url in urls_for(app, rule, records, values):
            joined = f"{url}{'&' if '?' in url else '?'}{EXTREME_QUERY}"
            status = fetch(app, client, joined, **kwargs).status_code
            if status >= 500 and url != "/healthz":  # /healthz is 503 here: no worker runs in unit tests
                failed[joined] = status
    return failed


def test_ids_past_any_column_are_not_found(app, routes_and_values):
    alpha, values = routes_and_values
    huge_ids = dict.fromkeys(RECORD_FOR.values(), HUGE)
    owner = sign_in(app, alpha["email"])
    headers = {"Authorization": f"Bearer {alpha['key']}"}

    id_rules = [rule for rule in app.url_map.iter_rules() if "GET" in rule.methods and "<int" in rule.rule]
    failed = {}
    for rule in id_rules:
        client, kwargs = (app.test_client(), {"headers": headers}) if rule.endpoint.startswith("api.") else (owner, {})
        for url in urls_for(app, rule, huge_ids, values):
            status = fetch(app, client, url, **kwargs).status_code
            if status >= 500 or status == 200:
                failed[url] = status
    assert failed == {}


def test_numbers_and_dates_past_any_bound_never_make_a_server_error(app, routes_and_values):
    alpha, values = routes_and_values
    owner = sign_in(app, alpha["email"])
    headers = {"Authorization": f"Bearer {alpha['key']}"}

    failed = _server_errors(app, owner, get_routes(app, api=False), alpha["records"], values)
    failed |= _server_errors(
        app, app.test_client(), get_routes(app, api=True), alpha["records"], values, headers=headers
    )

    assert failed == {}


def test_json_nested_too_deep_is_a_bad_request(app, routes_and_values):
    alpha, values = routes_and_values
    headers = {"Authorization": f"Bearer {alpha['key']}", "Content-Type": "application/json"}
    body = "[" * 100_000 + "]" * 100_000
    client = app.test_client()

    writes = [
        r for r in app.url_map.iter_rules() if r.endpoint.startswith("api.") and {"POST", "PATCH", "PUT"} & r.methods
    ]
    statuses = {}
    for rule in writes:
        method = sorted({"POST", "PATCH", "PUT"} & rule.methods)[0]
        for url in urls_for(app, rule, alpha["records"], values):
            with app.app_context():
                statuses[f"{method} {url}"] = client.open(url, method=method, data=body, headers=headers).status_code

    assert len(statuses) >= 20
    assert {k: v for k, v in statuses.items() if v >= 500} == {}
    # Where a body is read at all, it is refused as a bad request (routes taking no body may ignore it).
    assert statuses["POST /api/v1/contents"] == 400


def test_a_huge_number_in_a_json_body_is_a_validation_error(api):
    response = api("POST", "/contents", json={"title": "Launch", "body": "x"})
    assert response.status_code == 201, response.json
    content_id = response.json["id"]

    for body in ({"max_runs": HUGE}, {"priority": HUGE}, {"grace_minutes": HUGE}, {"channel_ids": [HUGE]}):
        answer = api(
            "POST", "/schedules", json={"content_id": content_id, "cron": "0 9 * * *", "timezone": "UTC", **body}
        )
        assert answer.status_code == 422, (body, answer.json)

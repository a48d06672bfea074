"""Workspace isolation, generated from the URL map: every id route answers 404 to a member of another workspace.

A new route with an `<int:...>` variable must get an entry in RECORD_FOR, or the first test fails.
"""

from __future__ import annotations

import re

import pytest

from tests.media_files import image_bytes
from webapp.domain.accounts import accounts, invitations
from webapp.domain.content import content_templates, media
from webapp.domain.integrations import outbound_webhooks, subscriptions
from webapp.domain.operations import bulk
from webapp.domain.shared import alerts
from webapp.extensions import db

from .helpers import soon

PASSWORD = "Correct-Horse-42!"
INT_VARIABLE = re.compile(r"<int(?:\([^)]*\))?:(\w+)>")
# Each id variable of the URL map -> the key of workspace A's record it names.
RECORD_FOR = {
    "channel_id": "channel",
    "content_id": "content",
    "schedule_id": "schedule",
    "publication_id": "publication",
    "bulk_id": "bulk",
    "key_id": "api_key",
    "membership_id": "membership",
    "invitation_id": "invitation",
    "workspace_id": "workspace",
    "subscription_id": "subscription",
    "delivery_id": "delivery",
    "template_id": "template",
    "media_id": "media",
    "alert_id": "alert",
}
# Routes that break the rule today, each with its bug (none now: keep the mechanism for the next one).
KNOWN_BUGS: dict[str, str] = {}
SECRET_NAMES = {"channel": "Alpha private channel", "content": "Alpha private launch"}


def id_routes(app):
    """Yield (rule, method) for every route with an int variable, HEAD and OPTIONS aside."""
    for rule in app.url_map.iter_rules():
        if INT_VARIABLE.search(rule.rule):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield rule, method


def url_for_a(app, rule, records: dict) -> str:
    values = {name: records[RECORD_FOR[name]] for name in INT_VARIABLE.findall(rule.rule)}
    return app.url_map.bind("herald.test").build(rule.endpoint, values)


@pytest.fixture
def workspace_a(client, make, schedule_for, monkeypatch):
    """Workspace A's member (signed-up email, key) and one record of each kind, ids by record name."""
    user = make.user(email="alpha@example.test")
    actor = make.actor(user)
    channel = make.channel(actor, name=SECRET_NAMES["channel"])
    content = make.content(actor, title=SECRET_NAMES["content"])
    schedule, publications = schedule_for(actor, content, [channel], run_at=soon(hours=3))
    records = {"channel": channel.id, "content": content.id, "schedule": schedule.id}
    records["publication"] = publications[0].id
    key_record, key = accounts.create_api_key(user)
    records["api_key"] = key_record.id
    records["membership"] = accounts.membership_for(user.id).id
    records["invitation"] = invitations.create_invitation(actor, "alpha-invitee@example.test", "viewer")[0].id
    records["workspace"] = actor.workspace_id
    subscription, _ = subscriptions.create_subscription(actor, "https://alpha.example.test/hook", ["schedule.missed"])
    records["subscription"], records["delivery"] = (
        subscription.id,
        outbound_webhooks.send_test(actor, subscription.id).id,
    )
    records["template"] = content_templates.save_as_template(actor, content.id, {"name": "Alpha template"}).id
    records["media"] = media.add_media(actor, content.id, image_bytes(), "alpha.png", "Alpha private image").id
    records["alert"] = alerts.publication_alert(publications[0], "failure", "Alpha private failure").id
    db.session.commit()
    monkeypatch.setattr(bulk, "INLINE_LIMIT", 0)  # so that one publication makes a background bulk action
    started = client.post(
        "/api/v1/publications/bulk",
        json={"action": "pause", "ids": [publications[0].id]},
        headers={"Authorization": f"Bearer {key}"},
    )
    records["bulk"] = started.json["bulk_id"]
    return {"email": user.email, "key": key, "records": records}


@pytest.fixture
def outsider_b(app, auth):
    """A member of workspace B, signed in on `client` through the real sign-up form, with an API key."""
    assert auth.sign_up(email="mallory@example.test").status_code == 303
    return accounts.create_api_key(accounts.find_user("mallory@example.test"))[1]


def outsider_answers(app, client, records: dict, key: str, endpoints=None) -> dict[str, int]:
    """Call every id route (or only `endpoints`) with A's ids as B; return status by 'METHOD url'."""
    answers = {}
    for rule, method in id_routes(app):
        if endpoints is None or rule.endpoint in endpoints:
            url = url_for_a(app, rule, records)
            answers[f"{method} {url}"] = (rule.endpoint, call(client, method, url, key).status_code)
    return answers


def call(client, method: str, url: str, key: str):
    if url.startswith("/api/"):
        return client.open(url, method=method, json={}, headers={"Authorization": f"Bearer {key}"})
    return client.open(url, method=method, data={})


def test_every_int_variable_in_the_url_map_names_a_known_record(app):
    names = {name for rule, _ in id_routes(app) for name in INT_VARIABLE.findall(rule.rule)}
    assert names, "no id routes found: the pattern no longer matches the URL map"
    assert names <= set(RECORD_FOR), f"map {sorted(names - set(RECORD_FOR))} to a record of workspace A"


def test_the_id_routes_include_api_and_browser_pages(app):
    rules = {rule.rule for rule, _ in id_routes(app)}
    assert any(r.startswith("/api/v1/") for r in rules)
    assert any(not r.startswith("/api/") for r in rules)


def test_a_member_of_another_workspace_gets_404_on_every_id_route(app, client, workspace_a, outsider_b, unchanged):
    with unchanged():
        answers = outsider_answers(app, client, workspace_a["records"], outsider_b)
    assert len(answers) >= 10
    wrong = {route: status for route, (endpoint, status) in answers.items() if status != 404}
    assert {route: status for route, status in wrong.items() if answers[route][0] not in KNOWN_BUGS} == {}


def test_the_api_s_404_for_another_workspace_s_record_is_the_json_error(app, client, workspace_a, outsider_b):
    url = f"/api/v1/channels/{workspace_a['records']['channel']}"
    response = call(client, "GET", url, outsider_b)
    assert response.json == {"error": {"code": "not_found", "message": "channel not found"}}


def test_the_member_of_a_gets_2xx_on_the_same_get_urls(app, workspace_a):
    member = app.test_client()
    assert member.post("/signin", data={"email": workspace_a["email"], "password": PASSWORD}).status_code == 303
    answers = {}
    for rule, method in id_routes(app):
        if method == "GET":
            url = url_for_a(app, rule, workspace_a["records"])
            answers[url] = call(member, method, url, workspace_a["key"]).status_code
    assert len(answers) >= 5
    assert {route: status for route, status in answers.items() if status != 200} == {}


@pytest.mark.parametrize("path", ["/channels", "/contents", "/schedules", "/publications"])
def test_b_s_api_lists_never_include_a_s_records(client, make, workspace_a, outsider_b, path):
    own = client.post(
        "/api/v1/contents", json={"title": "Bravo note"}, headers={"Authorization": f"Bearer {outsider_b}"}
    )
    assert own.status_code == 201
    response = client.get(f"/api/v1{path}", headers={"Authorization": f"Bearer {outsider_b}"})
    assert response.status_code == 200
    expected = [own.json["id"]] if path == "/contents" else []
    assert [item["id"] for item in response.json["items"]] == expected


@pytest.mark.parametrize(
    "query",
    ["/publications?channel_id={channel}", "/publications?schedule_id={schedule}", "/schedules?channel_id={channel}"],
)
def test_b_s_filters_by_a_s_ids_find_nothing(client, workspace_a, outsider_b, query):
    url = "/api/v1" + query.format(**workspace_a["records"])
    response = client.get(url, headers={"Authorization": f"Bearer {outsider_b}"})
    assert (response.status_code, response.json["items"], response.json["total"]) == (200, [], 0)


@pytest.mark.parametrize("page", ["/", "/channels/", "/contents/", "/schedules/", "/dashboard/publications"])
def test_b_s_pages_never_show_a_s_records(app, client, workspace_a, outsider_b, page):
    response = client.get(page)
    assert response.status_code == 200
    assert not any(name in response.get_data(as_text=True) for name in SECRET_NAMES.values())


@pytest.mark.parametrize("page", ["/", "/channels/", "/contents/", "/schedules/"])
def test_a_s_own_pages_do_show_a_s_records(app, workspace_a, page):
    member = app.test_client()
    member.post("/signin", data={"email": workspace_a["email"], "password": PASSWORD})
    text = member.get(page).get_data(as_text=True)
    assert any(name in text for name in SECRET_NAMES.values())


def test_an_id_beyond_the_database_s_integer_range_is_404(api):
    assert api("GET", f"/channels/{2**63}").status_code == 404


@pytest.mark.parametrize("too_big", [2**31, 2**63])
def test_an_id_past_the_integer_range_is_404_for_every_route_and_method(app, client, outsider_b, too_big, unchanged):
    records = dict.fromkeys(RECORD_FOR.values(), too_big)
    with unchanged():
        answers = {url: status for url, (_, status) in outsider_answers(app, client, records, outsider_b).items()}
    assert any(url.startswith(("DELETE /api/", "PATCH /api/", "POST /api/")) for url in answers)
    assert {url: status for url, status in answers.items() if status != 404} == {}
    assert call(client, "DELETE", f"/api/v1/channels/{too_big}", outsider_b).json["error"]["code"] == "not_found"

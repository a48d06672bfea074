"""Script payloads stored in every text field come back escaped on every page of the URL map."""

from __future__ import annotations

import re

import pytest

from tests.api.test_isolation import INT_VARIABLE, RECORD_FOR
from tests.conftest import PASSWORD
from webapp.extensions import db
from webapp.models import User
from webapp.services import accounts, alerts, approvals, schedules
from webapp.services.lifecycle import Work

PAYLOAD = '<script>alert("xss")</script>'
ATTRIBUTE_PAYLOAD = '"><img src=x onerror=alert(1)>'
RAW = (PAYLOAD, ATTRIBUTE_PAYLOAD, "<img src=x", "<script>alert")
# Pages that are not HTML built from stored text, or never end.
SKIPPED_ENDPOINTS = {"static", "stream.events"}


def _p(label: str) -> str:
    return f"{label} {PAYLOAD} {ATTRIBUTE_PAYLOAD}"


@pytest.fixture
def hostile(app, client, make):
    """A signed-in owner whose workspace holds a payload in every text field; record ids by RECORD_FOR name."""
    user = make.user(email="xss@example.test")
    user.timezone = "UTC"
    db.session.commit()
    owner = make.actor(user, source="ui")
    content = make.content(
        owner, title=_p("title"), body=_p("body"), excerpt=_p("excerpt"), tags=[_p("t")[:60]], status="review"
    )
    channel = make.channel(owner, name=_p("channel")[:120])
    schedule = schedules.create_schedule(
        owner, {"content_id": content.id, "channel_ids": [channel.id], "cron": "0 9 * * *", "timezone": "UTC"}
    )
    publication = schedules.publications_of(schedule)[0]
    publication.last_error, publication.hold_reason = _p("error"), _p("held")
    alerts.raise_alert(owner.workspace_id, "failure", _p("alert"), publication_id=publication.id)
    approvals.submit(owner, make.content(owner, title="second"), _p("comment"))
    approvals.reject(owner, content, _p("reject"))  # the only writer may review their own content
    Work().commit()
    accounts.create_api_key(user, name=_p("key")[:120])
    assert client.post("/signin", data={"email": user.email, "password": PASSWORD}).status_code == 303
    records = {"content": content.id, "channel": channel.id, "schedule": schedule.id, "publication": publication.id}
    return records


def _pages(app, records: dict):
    """Yield (endpoint, url) for every GET page of the URL map this test can fill in, built from the rule itself."""
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.rule.startswith("/api/") or rule.endpoint in SKIPPED_ENDPOINTS:
            continue
        names = INT_VARIABLE.findall(rule.rule)
        if any(RECORD_FOR.get(n) not in records for n in names) or len(rule.arguments) != len(names):
            continue  # a variable this test has no record for (tokens, other kinds)
        built = rule.build({n: records[RECORD_FOR[n]] for n in names})
        if built is not None:
            yield rule.endpoint, built[1]


def _raw_payloads(html: str) -> list[str]:
    return [raw for raw in RAW if raw in html]


def test_every_html_page_escapes_stored_payloads(app, client, hostile):
    pages = dict(_pages(app, hostile))
    assert {"contents.index", "contents.review", "channels.index", "publications.show", "alerts.index"} <= set(pages)
    seen_payload_pages, leaks = [], {}
    for endpoint, url in sorted(pages.items()):
        response = client.get(url)
        if "text/html" not in response.content_type:
            continue
        html = response.get_data(as_text=True)
        if "&lt;script&gt;alert(&#34;xss&#34;)&lt;/script&gt;" in html or "&lt;script&gt;" in html:
            seen_payload_pages.append(endpoint)
        if found := _raw_payloads(html):
            leaks[url] = found
    assert leaks == {}
    # The payloads really are on the pages (escaped), or this test would prove nothing.
    expected = {"contents.index", "contents.review", "channels.index", "publications.show", "alerts.index"}
    assert expected | {"settings.index", "schedules.index"} <= set(seen_payload_pages)


@pytest.mark.parametrize(
    ("url", "data"),
    [
        ("/contents/", {"title": "", "body": PAYLOAD, "tags": PAYLOAD}),
        ("/schedules/", {"cron": PAYLOAD, "kind": "recurring", "timezone": PAYLOAD}),
        ("/settings/timezone", {"timezone": PAYLOAD}),
        ("/channels/", {"name": PAYLOAD, "platform": "webhook", "timezone": PAYLOAD}),
    ],
)
def test_refused_input_is_echoed_escaped(client, hostile, url, data):
    response = client.post(url, data=data)
    assert response.status_code in (400, 422)
    assert _raw_payloads(response.get_data(as_text=True)) == []


@pytest.mark.parametrize("query", [f"?q={PAYLOAD}", f"?status={PAYLOAD}", f"?q={ATTRIBUTE_PAYLOAD}&page=x"])
@pytest.mark.parametrize("path", ["/contents/", "/dashboard/publications", "/schedules/", "/alerts/"])
def test_query_strings_are_escaped(client, hostile, path, query):
    response = client.get(path + query)
    assert response.status_code < 500
    assert _raw_payloads(response.get_data(as_text=True)) == []


def test_a_sign_up_with_a_payload_email_is_refused_escaped(client):
    response = client.post("/signup", data={"email": PAYLOAD, "password": PASSWORD, "timezone": ATTRIBUTE_PAYLOAD})
    assert response.status_code == 422
    assert _raw_payloads(response.get_data(as_text=True)) == []
    assert db.session.query(User).count() == 0
    assert not re.search(r"<script>alert", response.get_data(as_text=True))

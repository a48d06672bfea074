"""Script payloads stored in every text field come back escaped on every page of the URL map."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from markupsafe import escape

from tests.conftest import PASSWORD
from tests.media_files import image_bytes
from tests.web.api.test_isolation import INT_VARIABLE, RECORD_FOR
from webapp.domain.accounts import accounts, invitations, workspaces
from webapp.domain.content import approvals, content_templates, contents, media
from webapp.domain.integrations import outbound_webhooks, subscriptions
from webapp.domain.publishing import schedules
from webapp.domain.publishing.lifecycle import Work
from webapp.domain.shared import alerts
from webapp.extensions import db
from webapp.models import Membership, Publication, User, utcnow

PAYLOAD = '<script>alert("xss")</script>'
ATTRIBUTE_PAYLOAD = '"><img src=x onerror=alert(1)>'
RAW = (PAYLOAD, ATTRIBUTE_PAYLOAD, "<img src=x", "<script>alert")
# Pages that are not HTML built from stored text, or never end.
SKIPPED_ENDPOINTS = {"static", "stream.events"}


def _p(label: str) -> str:
    return f"{label} {PAYLOAD} {ATTRIBUTE_PAYLOAD}"


def _email(label: str) -> str:
    """An address the sign-up rules accept that is also a script (emails may not hold spaces)."""
    return f'<script>alert("{label}")</script>@evil.test'


OWNER_EMAIL = _email("owner")
# Each stored field's label -> the page that must show it (escaped). Labels name the field they are stored in.
SHOWN_ON = {
    "title": "contents.index",
    "body": "contents.review",
    "excerpt": "contents.review",
    "channel": "channels.index",
    "error": "publications.show",
    "held": "publications.show",
    "alert": "alerts.index",
    "comment": "contents.review",
    "reject": "contents.review",
    "key": "settings.index",
    "workspace": "members.index",
    "template": "content_templates.index",
    "variant-title": "contents.editor.edit",
    "variant-body": "contents.editor.edit",
    "channel-excerpt": "contents.editor.edit",
    "alt": "media.index",
    "file": "media.index",
    "health": "health.page",
    "delivery": "integrations.show_subscription",
    "second-channel": "schedules.index",
}
EMAILS_SHOWN_ON = {
    "owner": "notifications.edit",
    "member": "members.index",
    "invitee": "members.index",
}
HOOK_URL = 'https://hooks.example.test/"><script>alert("hook")</script>'


@pytest.fixture
def hostile(app, client, make, media_folder):
    """A signed-in owner whose workspace holds a payload in every text field; record ids by RECORD_FOR name."""
    user = make.user(email=OWNER_EMAIL)
    user.timezone = "UTC"
    db.session.commit()
    owner = make.actor(user, source="ui")
    workspaces.rename_workspace(owner, _p("workspace"))
    content = make.content(
        owner, title=_p("title"), body=_p("body"), excerpt=_p("excerpt"), tags=[_p("t")[:60]], status="review"
    )
    channel = make.channel(owner, name=_p("channel")[:120])
    channel.health_message = _p("health")
    contents.update_content(
        owner,
        content.id,
        {
            "variants": [
                {"platform": "webhook", "title": _p("variant-title"), "body": _p("variant-body")},
                {"channel_id": channel.id, "excerpt": _p("channel-excerpt")},
            ]
        },
    )
    schedule = schedules.create_schedule(
        owner, {"content_id": content.id, "channel_ids": [channel.id], "cron": "0 9 * * *", "timezone": "UTC"}
    )
    publication = schedules.publications_of(schedule)[0]
    publication.last_error, publication.hold_reason = _p("error"), _p("held")
    second = make.channel(owner, name=_p("second-channel")[:120])
    schedules.create_schedule(  # the second channel waits for the first: its hold reason names it
        owner,
        {
            "content_id": content.id,
            "channel_ids": [channel.id, second.id],
            "run_at": (utcnow() + timedelta(hours=2)).isoformat(),
            "chain": [{"channel_id": second.id, "after_channel_id": channel.id}],
        },
    )
    alerts.raise_alert(owner.workspace_id, "failure", _p("alert"), publication_id=publication.id)
    approvals.reject(owner, content, _p("reject"))  # the only writer may review their own content
    approvals.submit(owner, content, _p("comment"))
    Work().commit()
    accounts.create_api_key(user, name=_p("key")[:120])
    template = content_templates.save_as_template(owner, content.id, {"name": _p("template")[:120]})
    image = media.add_media(owner, content.id, image_bytes(), _p("file"), _p("alt"))
    member = make.user(email=_email("member"))
    db.session.add(Membership(workspace_id=owner.workspace_id, user_id=member.id, role="viewer"))
    db.session.commit()
    invitation, _ = invitations.create_invitation(owner, _email("invitee"), "editor")
    subscription, _ = subscriptions.create_subscription(owner, HOOK_URL, ["schedule.missed"])
    delivery = outbound_webhooks.send_test(owner, subscription.id)
    delivery.last_error, delivery.response_excerpt = _p("delivery"), _p("response")
    db.session.commit()
    assert client.post("/signin", data={"email": user.email, "password": PASSWORD}).status_code == 303
    records = {"content": content.id, "channel": channel.id, "schedule": schedule.id, "publication": publication.id}
    records |= {"template": template.id, "media": image.id, "subscription": subscription.id}
    records |= {"delivery": delivery.id, "invitation": invitation.id, "workspace": owner.workspace_id}
    yield records
    app.extensions.pop(media.EXTENSION, None)


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


def _shown(html: str, text: str) -> bool:
    return str(escape(text)) in html


def test_each_stored_field_comes_back_escaped_on_the_page_that_shows_it(app, client, hostile):
    pages = {}
    for endpoint, url in _pages(app, hostile):
        response = client.get(url)
        if "text/html" in response.content_type:
            pages[endpoint] = response.get_data(as_text=True)
    assert {e: _raw_payloads(html) for e, html in pages.items() if _raw_payloads(html)} == {}

    missing = [label for label, endpoint in SHOWN_ON.items() if not _shown(pages[endpoint], f"{label} {PAYLOAD}")]
    missing += [label for label, endpoint in EMAILS_SHOWN_ON.items() if not _shown(pages[endpoint], _email(label))]
    assert missing == []
    assert _shown(pages["integrations.index"], HOOK_URL) and _shown(pages["integrations.show_subscription"], HOOK_URL)
    # A chained publication's hold reason names the channel it waits for.
    assert _shown(pages["publications.index"], f"on channel {PAYLOAD}")
    # The newer pages each show some payload: the header's workspace name and email at least, escaped.
    newer = ("calendar.index", "analytics.index", "integrations.index", "notifications.edit", "health.page")
    newer += ("audit.index", "members.index", "content_templates.index", "contents.editor.edit", "media.index")
    assert all(_shown(pages[e], _p("workspace")) and _shown(pages[e], OWNER_EMAIL) for e in newer)


def test_the_audit_log_shows_stored_details_escaped(client, hostile):
    html = client.get("/audit/?per_page=200").get_data(as_text=True)

    assert _raw_payloads(html) == []
    for text in (_p("workspace"), _email("invitee"), HOOK_URL, _p("key")[:120]):
        assert _shown(html, text), text


def test_the_calendar_shows_stored_titles_escaped(client, hostile):
    # The list of the publication's own month: the current one may not hold it, late on a month's last day.
    due = db.session.get(Publication, hostile["publication"]).due_at
    html = client.get(f"/calendar/?view=list&date={due:%Y-%m-%d}").get_data(as_text=True)

    assert _raw_payloads(html) == [] and _shown(html, f"title {PAYLOAD}")


def test_an_invitation_link_shows_the_workspace_and_inviter_escaped(app, hostile):
    invitation, token = invitations.create_invitation(_owner_actor(), _email("stranger"), "viewer")
    visitor = app.test_client()  # signed out: the page that creates the account

    html = visitor.get(f"/invitations/{token}").get_data(as_text=True)

    assert _raw_payloads(html) == []
    assert _shown(html, _p("workspace")) and _shown(html, _email("stranger"))


def _owner_actor():
    from webapp.domain.shared.actor import Actor

    user = db.session.scalar(db.select(User).filter_by(email=OWNER_EMAIL))
    membership = accounts.membership_for(user.id)
    return Actor(user.id, membership.workspace_id, membership.role, "ui")


@pytest.mark.parametrize(
    ("url", "data"),
    [
        ("/contents/", {"title": "", "body": PAYLOAD, "tags": PAYLOAD}),
        ("/schedules/", {"cron": PAYLOAD, "kind": "recurring", "timezone": PAYLOAD}),
        ("/settings/timezone", {"timezone": PAYLOAD}),
        ("/channels/", {"name": PAYLOAD, "platform": "webhook", "timezone": PAYLOAD}),
        ("/members/invitations", {"email": PAYLOAD, "role": ATTRIBUTE_PAYLOAD}),
        ("/workspaces/rename", {"name": PAYLOAD * 5}),
        ("/workspaces/", {"name": ATTRIBUTE_PAYLOAD * 5}),
        ("/integrations/webhooks", {"url": PAYLOAD, "events": ATTRIBUTE_PAYLOAD}),
        ("/settings/notifications/", {"slack_url": PAYLOAD, "quiet_start": ATTRIBUTE_PAYLOAD, "digest_hour": PAYLOAD}),
    ],
)
def test_refused_input_is_echoed_escaped(client, hostile, url, data):
    response = client.post(url, data=data)
    assert response.status_code in (400, 422)
    assert _raw_payloads(response.get_data(as_text=True)) == []


@pytest.mark.parametrize(
    "rows",
    [
        [["title", "body", "status"], [PAYLOAD, ATTRIBUTE_PAYLOAD, PAYLOAD]],
        [["title", "status"], ["", ATTRIBUTE_PAYLOAD]],
        [["title", "content_type", "tags"], ["fine", PAYLOAD, ATTRIBUTE_PAYLOAD]],
    ],
)
def test_a_refused_import_names_its_problems_escaped(client, hostile, rows):
    text = io.StringIO()
    csv.writer(text).writerows(rows)
    upload = (io.BytesIO(text.getvalue().encode()), "rows.csv")
    response = client.post("/integrations/import", data={"kind": "contents", "file": upload})

    assert response.status_code == 422 and "row" in response.get_data(as_text=True)
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

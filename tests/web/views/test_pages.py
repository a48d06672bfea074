"""The browser pages: forms with errors beside their fields, and htmx fragments."""

from datetime import UTC, datetime, timedelta
from html import unescape
from zoneinfo import ZoneInfo

import pytest
import time_machine

from webapp.extensions import db
from webapp.models import Channel, Content, Publication, Schedule

HX = {"HX-Request": "true"}
GHOST_KEY = "6489ab6489ab6489ab6489ab:" + "ab" * 32
# The forms schedule at fixed times in 2031, which must be in the future whatever today is.
NOW = datetime(2030, 12, 2, 10, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _clock():
    """Freeze the clock at NOW for every test here (autouse fixtures run first, so before any sign-up or form)."""
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def signed_in(client, auth):
    auth.sign_up("ada@example.test", timezone="Europe/Paris")
    return client


def _add_channel(client, **overrides):
    data = {
        "name": "Blog hook",
        "platform": "webhook",
        "settings.url": "http://127.0.0.1:9/hook",
        "credentials.secret": "s3cret-value",
        "timezone": "UTC",
    }
    data.update(overrides)
    return client.post("/channels/", data=data)


def _add_content(client, **overrides):
    data = {"title": "Launch day", "body": "We launched.", "content_type": "article", "status": "approved"}
    data.update(overrides)
    return client.post("/contents/", data=data)


def test_adding_a_webhook_channel_stores_it_with_encrypted_credentials(signed_in):
    response = _add_channel(signed_in)

    assert response.status_code == 303
    channel = db.session.query(Channel).one()
    assert channel.settings == {"url": "http://127.0.0.1:9/hook"}
    assert "s3cret-value" not in channel.credentials_encrypted
    page = signed_in.get("/channels/").get_data(as_text=True)
    assert "Blog hook" in page and "s3cret-value" not in page


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"settings.url": "ftp://example.com/x"}, "settings.url", "must be an http(s) URL"),
        ({"settings.url": "javascript:alert(1)"}, "settings.url", "must be an http(s) URL"),
        ({"credentials.secret": ""}, "credentials.secret", "is required"),
        ({"name": ""}, "name", "is required"),
        ({"timezone": "Nowhere/City"}, "timezone", "unknown timezone"),
    ],
)
def test_a_bad_channel_shows_the_error_beside_the_field(signed_in, overrides, field, message):
    response = _add_channel(signed_in, **overrides)

    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'id="{field}-error"' in html and message in html
    assert db.session.query(Channel).count() == 0


def test_an_empty_title_is_refused_beside_the_field(signed_in):
    response = _add_content(signed_in, title="   ")

    assert response.status_code == 422
    assert 'id="title-error"' in response.get_data(as_text=True)
    assert db.session.query(Content).count() == 0


def test_content_text_is_escaped_on_the_page(signed_in):
    _add_content(signed_in, title="<script>alert(1)</script>")

    html = signed_in.get("/contents/").get_data(as_text=True)

    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def _schedule_form(client, run_at: str, timezone: str = "Europe/Paris", **overrides):
    channel = db.session.query(Channel).one()
    content = db.session.query(Content).one()
    data = {
        "content_id": content.id,
        "channel_ids": [channel.id],
        "run_at": run_at,
        "timezone": timezone,
        "priority": "normal",
    }
    data.update(overrides)
    return client.post("/schedules/", data=data)


def test_scheduling_reads_the_wall_clock_time_in_the_stated_zone(signed_in):
    _add_channel(signed_in)
    _add_content(signed_in)
    # Noon two days ahead: never inside a DST gap (New York skips 02:00-03:00), even if NOW moves.
    local = (datetime.now(ZoneInfo("America/New_York")) + timedelta(days=2)).replace(
        hour=12, minute=0, second=0, microsecond=0
    )

    response = _schedule_form(signed_in, local.strftime("%Y-%m-%dT%H:%M"), timezone="America/New_York")

    assert response.status_code == 303
    publication = db.session.query(Publication).one()
    assert publication.due_at == local.astimezone(ZoneInfo("UTC"))
    assert publication.status == "scheduled"


@pytest.mark.parametrize(
    ("run_at", "overrides", "field", "message"),
    [
        ("2001-01-01T09:00", {}, "run_at", "must be in the future"),
        ("", {}, "run_at", "is required"),
        ("not a date", {}, "run_at", "not a valid date"),
        ("2031-01-01T09:00", {"timezone": "Mars/Base"}, "timezone", "unknown timezone"),
        ("2031-01-01T09:00", {"channel_ids": []}, "channel_ids", "non-empty list"),
        ("2031-01-01T09:00", {"channel_ids": [999999]}, "channel_ids", "unknown channel"),
    ],
)
def test_a_bad_schedule_shows_the_error_and_stores_nothing(signed_in, run_at, overrides, field, message):
    _add_channel(signed_in)
    _add_content(signed_in)

    response = _schedule_form(signed_in, run_at, **overrides)

    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    assert db.session.query(Schedule).count() == 0 and db.session.query(Publication).count() == 0


@pytest.mark.parametrize(
    ("path", "block_id"), [("/dashboard/publications", "publications"), ("/dashboard/metrics", "metrics")]
)
def test_dashboard_parts_render_as_fragments_for_htmx_and_whole_pages_otherwise(signed_in, path, block_id):
    fragment = signed_in.get(path, headers=HX)
    page = signed_in.get(path)

    assert fragment.status_code == page.status_code == 200
    assert fragment.get_data(as_text=True).lstrip().startswith(f'<section id="{block_id}"')
    assert "<html" not in fragment.get_data(as_text=True)
    assert "<html" in page.get_data(as_text=True)
    assert "HX-Request" in fragment.headers["Vary"] and "HX-Request" in page.headers["Vary"]


def test_a_boosted_request_gets_the_whole_page(signed_in):
    response = signed_in.get("/dashboard/publications", headers={**HX, "HX-Boosted": "true"})

    assert "<html" in response.get_data(as_text=True)


def test_the_dashboard_lists_a_scheduled_publication_in_the_users_zone(signed_in):
    _add_channel(signed_in)
    _add_content(signed_in)
    _schedule_form(signed_in, "2031-01-01T09:00")

    html = signed_in.get("/").get_data(as_text=True)

    assert "Launch day" in html and "scheduled" in html
    assert "2031-01-01 09:00:00 CET" in html  # the profile zone is Europe/Paris
    assert 'sse-connect="/events"' in html


def test_the_publication_detail_page_shows_the_idempotency_key(signed_in):
    _add_channel(signed_in)
    _add_content(signed_in)
    _schedule_form(signed_in, "2031-01-01T09:00")
    publication = db.session.query(Publication).one()

    full = signed_in.get(f"/publications/{publication.id}")
    fragment = signed_in.get(f"/publications/{publication.id}", headers=HX)

    assert publication.idempotency_key in full.get_data(as_text=True)
    assert fragment.get_data(as_text=True).lstrip().startswith('<section id="publication-detail"')


def test_a_recurring_schedule_from_the_form_runs_in_its_zone(signed_in):
    _add_channel(signed_in)
    _add_content(signed_in)

    response = _schedule_form(signed_in, "", kind="recurring", cron="30 9 * * *", timezone="Asia/Tokyo")

    assert response.status_code == 303
    schedule = db.session.query(Schedule).one()
    assert (schedule.cron, schedule.timezone) == ("30 9 * * *", "Asia/Tokyo")
    due = db.session.query(Publication).one().due_at
    assert due.astimezone(ZoneInfo("Asia/Tokyo")).strftime("%H:%M") == "09:30"


def test_a_recurring_schedule_needs_a_valid_rule(signed_in):
    _add_channel(signed_in)
    _add_content(signed_in)

    response = _schedule_form(signed_in, "", kind="recurring", cron="61 * * * *")

    assert response.status_code == 422
    assert "out of range" in response.get_data(as_text=True)
    assert db.session.query(Schedule).count() == 0


def test_the_cron_preview_fragment_reads_the_rule_and_lists_ten_runs(signed_in):
    response = signed_in.get("/schedules/preview?cron=30+9+*+*+mon-fri&timezone=Europe/Paris", headers=HX)

    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<div id="cron-preview"')
    assert "At 09:30, Monday through Friday, Europe/Paris" in html
    assert html.count("<tr><td>") == 10


def test_the_cron_preview_lists_no_more_runs_than_stop_after_allows(signed_in):
    response = signed_in.get("/schedules/preview?cron=30+9+*+*+*&timezone=UTC&max_runs=3", headers=HX)

    assert response.get_data(as_text=True).count("<tr><td>") == 3


def test_the_cron_and_stop_after_fields_ask_htmx_for_the_live_preview(signed_in):
    _add_channel(signed_in)
    _add_content(signed_in)

    html = signed_in.get("/schedules/").get_data(as_text=True)

    # htmx reads hx-* attributes only: an hx_get spelling would leave the preview dead in the browser.
    # The rule, its zone, window, run count, clash policy and the channel boxes each ask again (schedules/_form.html).
    assert html.count('hx-get="/schedules/preview"') == 7 and "hx_get" not in html
    assert "#schedule-form [name='timezone'], #schedule-form [name='max_runs']" in unescape(html)


def test_the_cron_preview_explains_a_bad_rule(signed_in):
    response = signed_in.get("/schedules/preview?cron=nonsense&timezone=UTC", headers=HX)

    assert 'class="error"' in response.get_data(as_text=True)


def test_a_channel_with_rules_from_the_form(signed_in):
    response = _add_channel(signed_in, weekdays=["mon", "wed"], time_slots="09:00, 17:30", daily_limit="2")

    assert response.status_code == 303
    channel = db.session.query(Channel).one()
    assert channel.rules == {"weekdays": ["mon", "wed"], "time_slots": ["09:00", "17:30"], "daily_limit": 2}


def test_a_bad_time_slot_shows_beside_its_field(signed_in):
    response = _add_channel(signed_in, time_slots="9am")

    assert response.status_code == 422
    assert 'id="time_slots-error"' in response.get_data(as_text=True)


def test_a_rule_conflict_shows_the_reason_and_offers_free_slots_that_schedule_in_one_click(signed_in):
    _add_channel(signed_in, time_slots="09:00", timezone="Europe/Paris")
    _add_content(signed_in)

    refused = _schedule_form(signed_in, "2031-03-04T10:00")  # Paris time, not a slot

    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "not one of the channel" in html
    assert 'name="use_slot" value="2031-03-05T08:00:00Z"' in html

    accepted = _schedule_form(signed_in, "2031-03-04T10:00", use_slot="2031-03-05T08:00:00Z")

    assert accepted.status_code == 303
    assert db.session.query(Publication).one().due_at.isoformat() == "2031-03-05T08:00:00+00:00"


@pytest.mark.parametrize(
    ("platform", "fields"),
    [
        (
            "wordpress",
            {
                "settings.url": "https://blog.example.test",
                "credentials.username": "ada",
                "credentials.app_password": "abcd efgh ijkl mnop",
                "settings.categories": "News, Launches",
            },
        ),
        ("ghost", {"settings.url": "https://ghost.example.test", "credentials.admin_api_key": GHOST_KEY}),
        (
            "shopify",
            {
                "settings.shop_domain": "shop.myshopify.com",
                "settings.blog_id": "123",
                "credentials.access_token": "shpat_x",
            },
        ),
        (
            "mastodon",
            {
                "settings.url": "https://masto.example.test",
                "credentials.access_token": "tok",
                "settings.visibility": "unlisted",
            },
        ),
    ],
)
def test_every_platform_can_be_added_from_the_form(signed_in, platform, fields):
    response = signed_in.post(
        "/channels/", data={"name": f"My {platform}", "platform": platform, "timezone": "UTC", **fields}
    )

    assert response.status_code == 303, response.get_data(as_text=True)
    channel = db.session.query(Channel).one()
    assert channel.platform == platform
    if platform == "wordpress":
        assert channel.settings["categories"] == ["News", "Launches"]


def test_the_platform_fields_fragment_asks_for_that_platforms_credentials(signed_in):
    html = signed_in.get("/channels/fields?platform=ghost", headers=HX).get_data(as_text=True)

    assert html.lstrip().startswith('<div id="platform-fields"')
    assert 'name="credentials.admin_api_key" type="password"' in html


def test_a_failed_channel_form_never_echoes_the_secret(signed_in):
    response = _add_channel(signed_in, **{"settings.url": "ftp://x", "credentials.secret": "do-not-echo-me"})

    html = response.get_data(as_text=True)
    assert "do-not-echo-me" not in html and 'value="ftp://x"' in html


@pytest.mark.parametrize(("action", "status"), [("pause", "paused"), ("cancel", "cancelled")])
def test_schedule_actions_from_the_list(signed_in, action, status):
    _add_channel(signed_in)
    _add_content(signed_in)
    _schedule_form(signed_in, "2031-01-01T09:00")
    schedule = db.session.query(Schedule).one()

    response = signed_in.post(f"/schedules/{schedule.id}/{action}")

    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Schedule, schedule.id).status == status
    assert db.session.query(Publication).one().status == status


def test_a_refused_schedule_action_says_why(signed_in):
    _add_channel(signed_in)
    _add_content(signed_in)
    _schedule_form(signed_in, "2031-01-01T09:00")
    schedule = db.session.query(Schedule).one()
    signed_in.post(f"/schedules/{schedule.id}/cancel")

    page = signed_in.post(f"/schedules/{schedule.id}/resume", follow_redirects=True).get_data(as_text=True)

    assert "was not changed" in page


def test_cloning_and_deleting_a_schedule_from_the_list(signed_in):
    _add_channel(signed_in)
    _add_content(signed_in)
    _schedule_form(signed_in, "2031-01-01T09:00")
    original = db.session.query(Schedule).one()

    signed_in.post(f"/schedules/{original.id}/clone")
    signed_in.post(f"/schedules/{original.id}/delete")

    remaining = db.session.query(Schedule).all()
    assert [s.id for s in remaining] != [original.id] and len(remaining) == 1


def test_approved_content_can_be_added_to_a_channels_queue(signed_in):
    _add_channel(signed_in, time_slots="09:00")
    _add_content(signed_in)
    content = db.session.query(Content).one()
    channel = db.session.query(Channel).one()

    response = signed_in.post(f"/contents/{content.id}/queue", data={"channel_id": str(channel.id)})

    assert response.status_code == 303
    publication = db.session.query(Publication).one()
    assert publication.due_at.strftime("%H:%M") == "09:00"  # the channel's slot (UTC channel)


def test_the_dashboard_shows_what_needs_attention_and_the_status_strip(signed_in):
    _add_channel(signed_in)
    _add_content(signed_in)
    _schedule_form(signed_in, "2031-01-01T09:00")
    db.session.query(Publication).update({"status": "failed", "due_at": datetime.now(ZoneInfo("UTC"))})
    db.session.commit()

    fragment = signed_in.get("/dashboard/overview", headers=HX).get_data(as_text=True)

    assert fragment.lstrip().startswith('<section id="overview"')
    assert "1 failed" in fragment and "scheduler:" in fragment and "workers: 0" in fragment


def test_the_publication_detail_shows_a_timeline_and_the_actions_that_apply(signed_in):
    _add_channel(signed_in)
    _add_content(signed_in)
    _schedule_form(signed_in, "2031-01-01T09:00")
    publication = db.session.query(Publication).one()

    html = signed_in.get(f"/publications/{publication.id}").get_data(as_text=True)

    assert '<ol class="timeline">' in html and "due 2031-01-01 09:00:00 CET" in html
    assert f'action="/publications/{publication.id}/pause"' in html
    assert f'action="/publications/{publication.id}/retry"' not in html  # not while scheduled


def test_pausing_from_the_detail_page(signed_in):
    _add_channel(signed_in)
    _add_content(signed_in)
    _schedule_form(signed_in, "2031-01-01T09:00")
    publication = db.session.query(Publication).one()

    response = signed_in.post(f"/publications/{publication.id}/pause")

    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Publication, publication.id).status == "paused"


def test_a_blank_grace_takes_the_install_s_default_which_the_new_form_shows(signed_in, app, monkeypatch):
    monkeypatch.setitem(app.config, "DEFAULT_GRACE_MINUTES", 15)
    _add_channel(signed_in)
    _add_content(signed_in)

    assert 'name="grace_minutes" type="number" value="15"' in signed_in.get("/schedules/").get_data(as_text=True)
    local = (datetime.now(ZoneInfo("Europe/Paris")) + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    assert _schedule_form(signed_in, local, grace_minutes="").status_code == 303
    assert db.session.query(Schedule).one().grace_minutes == 15

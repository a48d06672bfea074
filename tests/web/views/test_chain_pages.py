"""Chained publications in the pages: the schedule form's chain link, and "waiting for" on the monitor and detail."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from webapp.extensions import db
from webapp.models import Channel, Content, Publication, Schedule, User


@pytest.fixture
def two_channels(client, auth, make):
    auth.sign_up("ada@example.test", timezone="Europe/Paris")
    for name in ("blog", "social"):
        client.post(
            "/channels/",
            data={
                "name": name,
                "platform": "webhook",
                "settings.url": "http://127.0.0.1:9/hook",
                "credentials.secret": "s3cret-value",
                "timezone": "UTC",
            },
        )
    make.content(make.actor(db.session.query(User).one()), title="Launch", body="{{ published.url }}")
    blog, social = db.session.query(Channel).order_by(Channel.id).all()
    return client, blog, social


def _form(blog, social, **overrides):
    local = (datetime.now(ZoneInfo("Europe/Paris")) + timedelta(days=2)).replace(second=0, microsecond=0)
    data = {
        "content_id": db.session.query(Content).one().id,
        "channel_ids": [blog.id, social.id],
        "run_at": local.strftime("%Y-%m-%dT%H:%M"),
        "timezone": "Europe/Paris",
        "priority": "normal",
        "chain_channel_id": social.id,
        "chain_after_channel_id": blog.id,
    }
    return {**data, **overrides}


def test_the_schedule_form_offers_the_chain_link_labelled(two_channels):
    client, _, _ = two_channels

    page = client.get("/schedules/").get_data(as_text=True)

    assert '<label for="chain_channel_id">Then publish on</label>' in page
    assert '<label for="chain_after_channel_id">once this channel has published</label>' in page


def test_the_form_saves_the_chain_and_the_monitor_and_detail_say_what_b_waits_for(two_channels):
    client, blog, social = two_channels

    response = client.post("/schedules/", data=_form(blog, social))

    assert response.status_code == 303
    schedule = db.session.query(Schedule).one()
    assert schedule.chain == [{"channel_id": social.id, "after_channel_id": blog.id}]
    first = db.session.query(Publication).filter_by(channel_id=blog.id).one()
    second = db.session.query(Publication).filter_by(channel_id=social.id).one()
    reason = f"waiting for #{first.id} on blog"
    assert reason in client.get("/publications/").get_data(as_text=True)
    detail = client.get(f"/publications/{second.id}").get_data(as_text=True)
    assert reason in detail
    assert f'href="/publications/{first.id}"' in detail


def test_a_chain_link_to_an_unticked_channel_shows_the_error_and_stores_nothing(two_channels):
    client, blog, social = two_channels

    response = client.post("/schedules/", data=_form(blog, social, channel_ids=[blog.id]))

    assert response.status_code == 422
    assert "must be among the schedule&#39;s channel_ids" in response.get_data(as_text=True)
    assert db.session.query(Schedule).count() == 0

"""The notification settings page: labelled fields, saving, the webhook URL never shown back, a test message."""

import pytest

from tests.adapters.receiver import Receiver
from tests.mailbox import deliver_queued_mail
from webapp.extensions import db
from webapp.models import Membership, Notification, NotificationSettings


@pytest.fixture
def slack():
    with Receiver() as r:
        yield r


@pytest.fixture
def signed_in(client, auth):
    auth.sign_up("ada@example.test", timezone="Europe/Paris")
    return client


def test_the_page_labels_every_field_and_is_linked_from_settings(signed_in):
    page = signed_in.get("/settings/notifications/").get_data(as_text=True)

    assert "Email me at ada@example.test</label>" in page
    for label in ("Slack-compatible webhook URL", "Quiet hours from", "Quiet hours until", "Daily digest at"):
        assert f">{label}</label>" in page
    assert "a publication failed</label>" in page and "a daily digest</label>" in page
    assert 'href="/settings/notifications/"' in signed_in.get("/settings/").get_data(as_text=True)


def test_saving_stores_the_choices_and_never_shows_the_url_again(signed_in, slack):
    response = signed_in.post(
        "/settings/notifications/",
        data={
            "email_enabled": "y",
            "slack_url": slack.url,
            "kinds": ["failure", "digest"],
            "quiet_start": "22:00",
            "quiet_end": "07:00",
            "digest_hour": "9",
        },
    )

    assert response.status_code == 303
    settings = db.session.query(NotificationSettings).one()
    assert (settings.email_enabled, settings.kinds, settings.digest_hour) == (True, ["failure", "digest"], 9)
    assert (settings.quiet_start, settings.quiet_end) == ("22:00", "07:00")
    page = signed_in.get("/settings/notifications/").get_data(as_text=True)
    assert slack.url not in page and "A URL is stored, encrypted" in page


def test_a_bad_time_shows_the_error_and_stores_nothing(signed_in):
    response = signed_in.post(
        "/settings/notifications/", data={"quiet_start": "22:00", "quiet_end": "7pm", "digest_hour": "8"}
    )

    assert response.status_code == 422
    assert "must be a time as HH:MM" in response.get_data(as_text=True)
    assert db.session.query(NotificationSettings).count() == 0


def test_the_test_button_sends_a_message_to_the_webhook(signed_in, slack):
    signed_in.post("/settings/notifications/", data={"slack_url": slack.url, "digest_hour": "8"})

    response = signed_in.post("/settings/notifications/test")
    deliver_queued_mail()

    assert response.status_code == 303
    [request] = slack.requests
    assert request.json()["text"].endswith("/settings/notifications/")
    assert db.session.query(Notification).one().status == "sent"


def test_a_viewer_may_set_their_own_notifications(signed_in, slack):
    db.session.query(Membership).update({"role": "viewer"})
    db.session.commit()

    saved = signed_in.post(
        "/settings/notifications/", data={"slack_url": slack.url, "kinds": ["failure"], "digest_hour": "8"}
    )
    tested = signed_in.post("/settings/notifications/test")

    assert (saved.status_code, tested.status_code) == (303, 303)
    assert db.session.query(NotificationSettings).one().kinds == ["failure"]
    assert db.session.query(Notification).filter_by(medium="slack").count() == 1

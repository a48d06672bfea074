"""A URL Herald would call that points inside its own network is a 422 naming the field, in every place it is
saved: a channel's site, a webhook subscription, a Slack-compatible URL; "test connection" never shows the
answer of a refused target."""

from __future__ import annotations

import pytest

from tests.adapters.receiver import Receiver
from webapp.adapters import targets

INSIDE = "inside the network Herald runs in"


def _webhook(url: str) -> dict:
    return {"name": "hook", "platform": "webhook", "settings": {"url": url}, "credentials": {"secret": "s3cret-s3cret"}}


@pytest.mark.parametrize("url", ["http://127.0.0.1:6379/", "http://localhost/", "http://[::1]/x", "http://10.0.0.7/"])
def test_a_channel_aimed_inside_the_network_is_refused_by_field(api, strict_targets, url):
    response = api("POST", "/channels", json=_webhook(url))

    assert response.status_code == 422
    assert INSIDE in response.json["error"]["fields"]["settings.url"]
    assert api("GET", "/channels").json["total"] == 0


@pytest.mark.parametrize("platform", ["wordpress", "ghost", "mastodon"])
def test_every_platform_s_site_url_is_checked(api, strict_targets, platform):
    body = {
        "name": platform,
        "platform": platform,
        "settings": {"url": "http://169.254.169.254/latest/meta-data/"},
        "credentials": {"username": "u", "application_password": "p", "admin_api_key": "a:b", "access_token": "t"},
    }

    response = api("POST", "/channels", json=body)

    assert response.status_code == 422
    assert "cloud metadata address" in response.json["error"]["fields"]["settings.url"]


def test_the_metadata_address_is_refused_even_where_private_targets_are_allowed(api):
    response = api("POST", "/channels", json=_webhook("http://169.254.169.254/"))

    assert response.status_code == 422 and "cloud metadata" in response.json["error"]["fields"]["settings.url"]


def test_a_subscription_and_a_slack_url_are_checked_too(api, strict_targets):
    hook = api("POST", "/webhooks", json={"url": "http://127.0.0.1:9/x", "events": ["publication.failed"]})
    slack = api("PATCH", "/notifications/settings", json={"slack_url": "http://192.168.1.1/hooks/x"})

    assert hook.status_code == 422 and INSIDE in hook.json["error"]["fields"]["url"]
    assert slack.status_code == 422 and INSIDE in slack.json["error"]["fields"]["slack_url"]


def test_test_connection_to_a_refused_target_shows_none_of_its_answer(api):
    with Receiver() as internal:
        internal.respond(200, body={"private": "the answer of an internal service"})
        channel = api("POST", "/channels", json=_webhook(internal.url)).json  # allowed here: loopback is listed
        before = targets.policy()
        targets.set_policy(targets.TargetPolicy())  # the operator removes loopback from the allow-list
        try:
            check = api("POST", f"/channels/{channel['id']}/check")
        finally:
            targets.set_policy(before)

        assert internal.requests == []
    assert (
        check.json["ok"] is False
        and "settings.url is refused: 127.0.0.1 is a loopback address" in check.json["message"]
    )
    assert "internal service" not in check.get_data(as_text=True)

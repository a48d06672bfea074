"""Done when: a WordPress that rejects the channel's password makes the owner's own Slack-compatible webhook and
the workspace's team webhook hear about it within a minute, with a link to the channel's edit form.

Real processes (web, worker, scheduler), the real WordPress peer, a real local HTTP receiver as the webhooks.
"""

from __future__ import annotations

import json
import time

from tests.adapters.wordpress_site import WordPressSite, wordpress_fixture, wordpress_session  # noqa: F401

WITHIN_S = 60.0


def test_rejected_wordpress_credentials_reach_the_owner_s_and_the_team_s_webhooks_with_the_fix_link(
    stack, own_user, receiver, wordpress: WordPressSite
):
    api = own_user("told")
    mine, team = receiver.hook(), receiver.hook()
    assert api.call("PATCH", "/notifications/settings", json={"kinds": ["channel_unhealthy"], "slack_url": mine}).ok
    put = api.call("PUT", "/workspace/notifications", json={"kinds": ["channel_unhealthy"], "slack_url": team})
    assert put.status_code == 200, put.text
    body = wordpress.channel_body()
    body["credentials"]["app_password"] = "abcd efgh ijkl mnop qrst uvwx"  # a well-formed, wrong one
    channel = api.create("/channels", body)
    content = api.create("/contents", {"title": "Told in time", "body": "Hello", "status": "approved"})

    started = time.monotonic()
    [publication] = api.create("/publish-now", {"content_id": content["id"], "channel_ids": [channel["id"]]})["items"]
    [to_me] = receiver.wait_for(mine, 1, timeout=WITHIN_S)
    [to_team] = receiver.wait_for(team, 1, timeout=WITHIN_S)
    took = time.monotonic() - started

    link = f"{stack.base_url}/channels/{channel['id']}#edit"
    for delivery in (to_me, to_team):
        text = json.loads(delivery.body)["text"]
        assert f"Channel {channel['name']} rejected its credentials" in text and text.endswith(link)
    held = api.publication(publication["id"])
    assert held["status"] == "paused" and took < WITHIN_S
    print(f"\ncredentials rejected -> both webhooks told in {took:.1f} s")

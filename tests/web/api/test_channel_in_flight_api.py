"""The in-flight cap through the API: the rule is set like rate_per_minute, the channel's state reports it."""

from webapp.domain.channels import channels
from webapp.domain.publishing import throttle
from webapp.extensions import db
from webapp.models import Channel


def test_the_api_sets_the_cap_and_the_state_reports_it(api, make, owner, assert_schema):
    created = api("POST", "/channels", json={
        "name": "capped", "platform": "webhook", "settings": {"url": "http://127.0.0.1:9/hook"},
        "credentials": {"secret": "s3cret"}, "rules": {"max_in_flight": 3},
    })  # fmt: skip
    assert created.status_code == 201, created.json
    assert created.json["rules"]["max_in_flight"] == 3
    throttle.admit(db.session.get(Channel, created.json["id"]), 7)

    state = api("GET", f"/channels/{created.json['id']}/state").json

    assert state["in_flight"] == {"max": 3, "now": 1} and state["waiting_for_slot"] == 0
    assert_schema(state, "ChannelState")
    refused = api("PATCH", f"/channels/{created.json['id']}", json={"rules": {"max_in_flight": -1}})
    assert refused.status_code == 422 and "rules.max_in_flight" in refused.json["error"]["fields"]


def test_another_workspaces_channel_state_is_not_found(api, make):
    stranger = make.actor()
    theirs = make.channel(stranger)
    channels.update_channel(stranger, theirs.id, {"rules": {"max_in_flight": 1}})

    assert api("GET", f"/channels/{theirs.id}/state").status_code == 404

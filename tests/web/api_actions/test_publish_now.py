"""POST /publish-now: a one-time schedule due at the next whole second, answered as its publications."""

import pytest

from tests.web.api_actions.support import reload, scheduled_job_ids
from webapp.extensions import db
from webapp.infra import dispatch
from webapp.models import Publication, utcnow


def test_publish_now_answers_201_with_the_publications_due_within_a_second(api, make, owner):
    channels = [make.channel(owner).id, make.channel(owner).id]
    body = {"content_id": make.content(owner).id, "channel_ids": channels, "priority": "critical"}
    before = utcnow()

    response = api("POST", "/publish-now", json=body)

    items = response.json["items"]
    assert response.status_code == 201
    assert [p["channel_id"] for p in items] == channels
    assert {p["status"] for p in items} == {"scheduled"} and {p["priority"] for p in items} == {"critical"}
    publication = db.session.get(Publication, items[0]["id"])
    assert 0 < (publication.due_at - before).total_seconds() <= 1 and publication.due_at.microsecond == 0
    assert scheduled_job_ids() == {dispatch.job_id(reload(db.session.get(Publication, p["id"]))) for p in items}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"channel_ids": [1]}, "content_id"),
        ({"content_id": 1, "channel_ids": []}, "channel_ids"),
        ({"content_id": 1, "channel_ids": [1], "priority": "asap"}, "priority"),
    ],
)
def test_an_invalid_publish_now_is_422_and_writes_nothing(api, owner, unchanged, body, field):
    with unchanged():
        response = api("POST", "/publish-now", json=body)

    assert response.status_code == 422
    assert field in response.json["error"]["fields"]


def test_another_workspace_s_content_and_channels_read_as_unknown(api, make, outsider, unchanged):
    stranger = outsider[1]
    body = {"content_id": make.content(stranger).id, "channel_ids": [make.channel(stranger).id]}

    with unchanged():
        response = api("POST", "/publish-now", json=body)

    assert response.status_code == 422
    assert set(response.json["error"]["fields"]) == {"content_id", "channel_ids"}


def test_a_viewer_gets_403(api, make, owner, viewer_key, unchanged):
    body = {"content_id": make.content(owner).id, "channel_ids": [make.channel(owner).id]}

    with unchanged():
        response = api("POST", "/publish-now", key_override=viewer_key, json=body)

    assert response.status_code == 403

"""SQL-injection strings in searches, filters and ids are just text: no error, no other rows, no change."""

from __future__ import annotations

import pytest

from tests.web.api.helpers import soon
from webapp.domain.publishing import schedules

INJECTIONS = (
    "' OR '1'='1",
    "1 OR 1=1",
    "x'; DROP TABLE contents; --",
    '" OR ""="',
    "1) UNION SELECT id, email, password_hash FROM users --",
    "%' --",
)


@pytest.fixture
def two_workspaces(api, make, owner, outsider):
    """The caller has one plain item; another workspace has a secret one."""
    mine = make.content(owner, title="Plain words")
    _, stranger = outsider
    secret = make.content(stranger, title="Secret of another workspace")
    channel = make.channel(stranger)
    schedules.create_schedule(stranger, {"content_id": secret.id, "channel_ids": [channel.id], "run_at": soon()})
    return mine, secret


@pytest.mark.parametrize("text", INJECTIONS)
@pytest.mark.parametrize("path", ["/contents?q={}", "/publications?q={}", "/contents?status={}"])
def test_injections_in_search_and_filters_find_nothing_and_change_nothing(api, two_workspaces, unchanged, path, text):
    with unchanged():
        response = api("GET", path.format(text))
    assert response.status_code in (200, 422)
    if response.status_code == 200:
        assert response.json["items"] == []


@pytest.mark.parametrize("text", INJECTIONS)
@pytest.mark.parametrize(
    "path", ["/publications?channel_id={}", "/schedules?channel_id={}", "/publications?schedule_id={}"]
)
def test_injections_in_id_filters_are_refused(api, two_workspaces, unchanged, path, text):
    with unchanged():
        response = api("GET", path.format(text))
    assert response.status_code == 422


@pytest.mark.parametrize("text", INJECTIONS)
def test_injections_in_path_ids_are_404(api, client, two_workspaces, unchanged, text):
    with unchanged():
        assert api("GET", f"/contents/{text}").status_code == 404
        assert api("DELETE", f"/contents/{text}").status_code in (404, 405)


@pytest.mark.parametrize("wildcard", ["%", "_", "\\"])
def test_like_wildcards_are_searched_literally(api, make, owner, wildcard):
    make.content(owner, title="No wildcard here")
    literal = make.content(owner, title=f"100{wildcard} sure")
    for path in ("/contents?q={}", "/publications?q={}"):
        response = api("GET", path.format(wildcard.replace("%", "%25")))
        assert response.status_code == 200
    found = api("GET", "/contents?q=" + wildcard.replace("%", "%25")).json["items"]
    assert [item["id"] for item in found] == [literal.id]


def test_injections_in_the_browser_search_are_harmless(client, auth, make):
    auth.sign_up()
    for text in INJECTIONS:
        for path in ("/contents/", "/dashboard/publications"):
            assert client.get(path, query_string={"q": text}).status_code == 200

"""POST /publications/{id}/mark-published: an unconfirmed publication a person found on the platform."""

from __future__ import annotations

from tests.domain.publishing.test_recovery import waiting_for_a_person
from webapp.extensions import db
from webapp.models import Publication


def _unconfirmed_in(actor, make) -> int:
    return waiting_for_a_person(make, actor.workspace_id)


def test_it_answers_the_published_publication(api, api_key, make, assert_schema):
    pid = _unconfirmed_in(api_key[1], make)

    response = api("POST", f"/publications/{pid}/mark-published", json={"url": "https://blog.example/p/9"})

    assert response.status_code == 200
    assert_schema(response.json, "Publication")
    assert (response.json["status"], response.json["external_url"]) == ("published", "https://blog.example/p/9")


def test_bad_input_and_wrong_status_are_refused_as_the_contract_says(api, api_key, make):
    pid = _unconfirmed_in(api_key[1], make)

    missing = api("POST", f"/publications/{pid}/mark-published", json={})
    assert missing.status_code == 422 and set(missing.json["error"]["fields"]) == {"url"}
    api("POST", f"/publications/{pid}/mark-published", json={"url": "https://blog.example/p/9"})
    again = api("POST", f"/publications/{pid}/mark-published", json={"url": "https://blog.example/p/9"})
    assert again.status_code == 409 and again.json["error"]["code"] == "conflict"


def test_another_workspace_gets_404_and_a_viewer_403(api, api_key, make, outsider, viewer_key):
    pid = _unconfirmed_in(api_key[1], make)
    stranger_key, _ = outsider

    assert (
        api(
            "POST", f"/publications/{pid}/mark-published", key_override=stranger_key, json={"url": "https://x.example/"}
        )
    ).status_code == 404
    assert (
        api("POST", f"/publications/{pid}/mark-published", key_override=viewer_key, json={"url": "https://x.example/"})
    ).status_code == 403
    assert db.session.get(Publication, pid).status == "unconfirmed"

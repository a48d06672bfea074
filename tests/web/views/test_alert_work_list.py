"""The alerts page as a work list: open by default, resolve and reopen (plain and htmx), what happened since,
and links that land on an element their page has."""

from __future__ import annotations

import re

import pytest

from webapp.domain.shared import alerts
from webapp.extensions import db
from webapp.models import Alert, Channel, PublicationStatus

HX = {"HX-Request": "true"}
LINK = re.compile(r'<a href="(/(?:publications|channels|schedules)/[^"#]*)(?:#([^"]+))?">')


@pytest.fixture
def listed(ada, make):
    publication = make.publication(ada, make.content(ada))
    failure = alerts.publication_alert(publication, "failure", "Post failed: 400")
    stuck = alerts.raise_alert(ada.workspace_id, "needs_intervention", "stopped", publication_id=publication.id)
    channel = alerts.raise_alert(ada.workspace_id, "channel_unhealthy", "rejected", channel_id=publication.channel_id)
    held = alerts.raise_alert(ada.workspace_id, "conflict", "no slot", channel_id=publication.channel_id)
    db.session.commit()
    return {"failure": failure.id, "stuck": stuck.id, "channel": channel.id, "held": held.id, "pub": publication}


def test_the_page_lists_open_alerts_with_a_resolve_button_each(client, listed):
    response = client.get("/alerts/")

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.count('data-state="open"') == 4
    assert f'hx-post="/alerts/{listed["failure"]}/resolve"' in html
    assert 'aria-current="page">open</a>' in html


def test_resolving_takes_it_off_the_open_list_and_names_who_on_the_resolved_list(client, listed):
    response = client.post(f"/alerts/{listed['failure']}/resolve")

    assert response.status_code == 303 and response.headers["Location"] == "/alerts/"
    assert f'id="alert-{listed["failure"]}"' not in client.get("/alerts/").get_data(as_text=True)
    resolved = client.get("/alerts/?status=resolved").get_data(as_text=True)
    assert f'id="alert-{listed["failure"]}"' in resolved and "by ada@example.test" in resolved


def test_an_htmx_resolve_answers_the_list_fragment_in_place(client, listed):
    response = client.post(f"/alerts/{listed['failure']}/resolve?status=all", headers=HX)

    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "HX-Request" in response.headers["Vary"]
    assert html.lstrip().startswith('<section id="alert-list">')
    assert f'hx-post="/alerts/{listed["failure"]}/reopen?status=all"' in html


def test_reopening_puts_it_back_and_a_second_resolve_changes_nothing(client, listed):
    client.post(f"/alerts/{listed['failure']}/resolve")
    resolved_at = db.session.get(Alert, listed["failure"]).resolved_at
    client.post(f"/alerts/{listed['failure']}/resolve")  # another tab: harmless
    assert db.session.get(Alert, listed["failure"]).resolved_at == resolved_at

    client.post(f"/alerts/{listed['failure']}/reopen")

    db.session.expire_all()
    assert db.session.get(Alert, listed["failure"]).resolved_at is None


def test_another_workspace_cannot_resolve_by_url(client, auth, listed):
    auth.sign_out()
    auth.sign_up("mallory@example.test")

    assert client.post(f"/alerts/{listed['failure']}/resolve").status_code == 404
    assert db.session.get(Alert, listed["failure"]).resolved_at is None


def test_each_alert_says_what_happened_since(client, listed):
    publication = listed["pub"]
    publication.attempts_count, publication.status = 2, PublicationStatus.PUBLISHED.value
    db.session.get(Channel, publication.channel_id).health = "healthy"
    db.session.commit()

    html = client.get("/alerts/?status=all").get_data(as_text=True)

    assert "publication now" in html and "published</span>, 2 attempts" in html
    assert "by itself: its cause went away" in html  # the failure and the channel alert resolved themselves


def test_every_link_lands_on_an_element_its_page_has(client, listed):
    html = client.get("/alerts/").get_data(as_text=True)
    links = set(LINK.findall(html))

    assert {path.split("/")[1] for path, _ in links} == {"publications", "channels", "schedules"}
    assert (f"/channels/{listed['pub'].channel_id}", "platform-fields") in links  # fix the credentials there
    for path, anchor in links:
        target = client.get(path)
        assert target.status_code == 200, path
        if anchor:
            assert f'id="{anchor}"' in target.get_data(as_text=True), (path, anchor)


def test_a_viewer_sees_the_list_without_buttons_and_links_to_what_they_can_see(client, auth, listed, make):
    from webapp.models import Membership, User

    viewer = make.user("vera@example.test")
    db.session.add(Membership(workspace_id=listed["pub"].workspace_id, user_id=viewer.id, role="viewer"))
    db.session.query(User).filter_by(id=viewer.id).update({"last_workspace_id": listed["pub"].workspace_id})
    db.session.commit()
    auth.sign_out()
    auth.sign_in("vera@example.test")

    html = client.get("/alerts/").get_data(as_text=True)

    assert "/resolve" not in html
    for path, anchor in set(LINK.findall(html)):
        assert not anchor or f'id="{anchor}"' in client.get(path).get_data(as_text=True), (path, anchor)

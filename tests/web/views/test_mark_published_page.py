"""The publication page of an unconfirmed publication: what Herald knows, and a form to mark it published."""

from __future__ import annotations

from tests.domain.publishing.test_recovery import waiting_for_a_person
from webapp.extensions import db
from webapp.models import Membership, Publication, User


def _unconfirmed_of(email: str, make) -> int:
    """An unconfirmed webhook publication, waiting for a person, in the workspace of the signed-up `email`."""
    user = db.session.query(User).filter_by(email=email).one()
    return waiting_for_a_person(make, db.session.query(Membership).filter_by(user_id=user.id).one().workspace_id)


def test_the_page_says_why_it_waits_and_offers_retry_cancel_and_mark_published(client, ada, make):
    pid = _unconfirmed_of("ada@example.test", make)

    html = client.get(f"/publications/{pid}").get_data(as_text=True)

    assert "waiting for you: webhook cannot be asked whether the post arrived" in html
    assert '<label for="url">Address of the post</label>' in html and "Mark published" in html
    assert f'action="/publications/{pid}/retry"' in html and f'action="/publications/{pid}/cancel"' in html


def test_a_bad_address_is_shown_beside_the_field_and_nothing_changes(client, ada, make):
    pid = _unconfirmed_of("ada@example.test", make)

    response = client.post(f"/publications/{pid}/mark-published", data={"url": "javascript:alert(1)"})

    assert response.status_code == 422
    assert "must be an http(s) address" in response.get_data(as_text=True)
    assert db.session.get(Publication, pid).status == "unconfirmed"


def test_marking_it_published_shows_it_published_with_its_link(client, ada, make):
    pid = _unconfirmed_of("ada@example.test", make)

    response = client.post(f"/publications/{pid}/mark-published", data={"url": "https://blog.example/p/1"})

    assert response.status_code == 303
    html = client.get(f"/publications/{pid}").get_data(as_text=True)
    assert 'href="https://blog.example/p/1"' in html and "Mark published" not in html


def test_another_workspace_gets_404(client, auth, make):
    auth.sign_up("ada@example.test")
    pid = _unconfirmed_of("ada@example.test", make)
    auth.sign_out()
    auth.sign_up("eve@example.test")

    assert client.post(f"/publications/{pid}/mark-published", data={"url": "https://x.example/p"}).status_code == 404
    assert db.session.get(Publication, pid).status == "unconfirmed"

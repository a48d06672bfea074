"""What an adapter says in its own words (a connection that failed, a connection check's answer, a setting it refuses)
reads in the reader's language, through the API and on the pages, while the stored text stays English."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from tests.adapters.receiver import Receiver
from webapp.adapters.base import PermanentError
from webapp.adapters.http import send
from webapp.core import phrases
from webapp.domain.accounts import accounts
from webapp.domain.publishing import publisher
from webapp.domain.shared.actor import Actor
from webapp.extensions import db
from webapp.infra import dispatch
from webapp.models import Attempt, Membership, Publication, User


@pytest.fixture
def refusing_port() -> Iterator[int]:
    """A loopback port that refuses connections: bound, never listening."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running


@pytest.fixture
def german_key_owner(api_key):
    actor = api_key[1]
    accounts.set_locale(actor, db.session.get(User, actor.user_id), "de")
    return actor


def _failed_to_connect(make, actor, port: int) -> Publication:
    channel = make.channel(actor, url=f"http://127.0.0.1:{port}/hook", name="Blog")
    publication = make.publication(actor, make.content(actor), channel)
    dispatch.unschedule_publication(publication)
    publisher.mark_queued([publication.id])
    assert publisher.execute(publication.id) == "retrying"
    return db.session.get(Publication, publication.id)


def test_a_connection_that_failed_reads_in_the_key_owners_language(api, german_key_owner, make, refusing_port):
    publication = _failed_to_connect(make, german_key_owner, refusing_port)

    read = api("GET", f"/publications/{publication.id}").json

    where = f"127.0.0.1:{refusing_port}: Connection refused"  # the host, and the system's own words
    assert read["last_error"] == f"transient: keine Verbindung möglich: {where}"
    assert [a["error_message"] for a in read["attempts"]] == [f"keine Verbindung möglich: {where}"]
    assert publication.last_error == f"transient: could not connect: {where}"  # the column keeps English
    assert db.session.scalar(select(Attempt.error_message)) == f"could not connect: {where}"


def test_a_german_reader_sees_the_failed_connection_in_german_on_the_publications_page(
    client, auth, make, refusing_port
):
    auth.sign_up("dora@example.test")
    assert client.post("/settings/language", data={"locale": "de"}).status_code == 303
    user = db.session.scalar(select(User).where(User.email == "dora@example.test"))
    membership = db.session.scalar(select(Membership).where(Membership.user_id == user.id))
    actor = Actor(user.id, membership.workspace_id, membership.role, "ui")
    publication = _failed_to_connect(make, actor, refusing_port)

    page = client.get(f"/publications/{publication.id}").get_data(as_text=True)

    assert f"keine Verbindung möglich: 127.0.0.1:{refusing_port}: Connection refused" in page
    assert "could not connect" not in page


def test_a_connection_check_answers_in_the_key_owners_language(api, german_key_owner, make, receiver):
    receiver.respond(200, body="pong")
    channel = make.channel(german_key_owner, url=receiver.url, name="Blog")

    checked = api("POST", f"/channels/{channel.id}/check").json

    assert checked["ok"] is True
    assert checked["message"] == "der Empfänger antwortete mit HTTP 200: pong"
    assert api("GET", f"/channels/{channel.id}").json["health_message"] == checked["message"]
    db.session.expire_all()
    assert db.session.get(type(channel), channel.id).health_message == "receiver answered HTTP 200: pong"


def test_a_setting_the_platform_refuses_is_named_in_the_key_owners_language(api, german_key_owner):
    answer = api(
        "POST",
        "/channels",
        json={
            "name": "Shop",
            "platform": "shopify",
            "settings": {"shop_domain": "not a shop", "blog_id": "x"},
            "credentials": {"access_token": "shpat_0123456789"},
        },
    )

    assert answer.status_code == 422
    fields = answer.json["error"]["fields"]
    assert fields["settings.shop_domain"] == "muss ihr-shop.myshopify.com sein"
    assert fields["settings.blog_id"] == "muss eine Blog-ID sein (123 oder gid://shopify/Blog/123)"


def test_a_target_refused_before_sending_is_said_in_the_readers_language(app, strict_targets, receiver):
    with pytest.raises(PermanentError) as refused:
        send("POST", receiver.url, json={"x": 1}, timeout=5)

    with force_locale("de"):
        said = phrases.said(refused.value.message)
    assert said.startswith("abgelehnt, bevor etwas gesendet wurde: 127.0.0.1: 127.0.0.1 ist eine Loopback-Adresse")
    assert refused.value.message.startswith("refused before sending anything: 127.0.0.1: 127.0.0.1 is a loopback")
    assert receiver.requests == []

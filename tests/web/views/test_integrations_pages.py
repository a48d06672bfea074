"""The integrations page: webhook subscriptions and their delivery log, import/export, the calendar feed."""

from __future__ import annotations

import io
import json
import re

from webapp.domain.integrations import outbound_webhooks, subscriptions
from webapp.extensions import db
from webapp.models import Content, Membership, WebhookDelivery, WebhookSubscription


def _create(client, url="https://hooks.example.test/in", events=("schedule.missed", "channel.unhealthy")):
    return client.post("/integrations/webhooks", data={"url": url, "events": list(events)})


def test_the_page_shows_its_three_sections(client, ada):
    response = client.get("/integrations/")
    text = response.get_data(as_text=True)

    assert response.status_code == 200
    for label in ("Outbound webhooks", "Import and export", "Calendar feed", "Receiver URL", "Add subscription"):
        assert label in text


def test_creating_a_subscription_shows_its_secret_once(client, ada):
    response = _create(client)

    assert response.status_code == 201
    secret = re.search(r'<code id="new-secret">([^<]+)</code>', response.get_data(as_text=True)).group(1)
    [subscription] = db.session.query(WebhookSubscription).all()
    assert subscriptions.secret_of(subscription) == secret
    assert subscription.events == ["schedule.missed", "channel.unhealthy"]
    assert secret not in client.get("/integrations/").get_data(as_text=True)


def test_a_bad_url_is_shown_beside_the_field_and_nothing_is_stored(client, ada):
    response = _create(client, url="ftp://example.test/x")

    assert response.status_code == 422
    assert "Receiver URL must be an http(s) URL" in response.get_data(as_text=True)
    assert db.session.query(WebhookSubscription).count() == 0


def test_send_test_event_and_redeliver_from_the_log(client, ada):
    _create(client)
    subscription = db.session.query(WebhookSubscription).one()

    response = client.post(f"/integrations/webhooks/{subscription.id}/test")
    assert (response.status_code, response.headers["Location"]) == (303, f"/integrations/webhooks/{subscription.id}")
    delivery = db.session.query(WebhookDelivery).one()
    assert delivery.event == "test"
    outbound_webhooks.deliver(delivery.id)  # nothing listens on the example host: the attempt fails and waits

    page = client.get(f"/integrations/webhooks/{subscription.id}").get_data(as_text=True)
    assert "Delivery log" in page and "could not connect" in page
    delivery.status = "failed"
    db.session.commit()
    assert client.post(f"/integrations/deliveries/{delivery.id}/redeliver").status_code == 303
    db.session.refresh(delivery)
    assert (delivery.status, delivery.attempts) == ("pending", 0)


def test_the_delivery_log_is_an_htmx_fragment(client, ada):
    _create(client)
    subscription = db.session.query(WebhookSubscription).one()

    response = client.get(f"/integrations/webhooks/{subscription.id}", headers={"HX-Request": "true"})

    text = response.get_data(as_text=True)
    assert text.lstrip().startswith('<div id="delivery-log">') and "<html" not in text
    assert "HX-Request" in response.headers["Vary"]


def test_disable_and_delete_a_subscription(client, ada):
    _create(client)
    subscription = db.session.query(WebhookSubscription).one()
    url = f"/integrations/webhooks/{subscription.id}"

    assert client.post(url, data={"url": subscription.url, "events": ["schedule.missed"]}).status_code == 303
    db.session.refresh(subscription)
    assert (subscription.active, subscription.events) == (False, ["schedule.missed"])
    assert client.post(f"{url}/delete").status_code == 303
    assert db.session.query(WebhookSubscription).count() == 0


def test_owners_can_reveal_the_secret_and_others_cannot(client, ada):
    _create(client)
    subscription = db.session.query(WebhookSubscription).one()

    response = client.post(f"/integrations/webhooks/{subscription.id}/reveal")
    assert subscriptions.secret_of(subscription) in response.get_data(as_text=True)

    db.session.query(Membership).filter_by(user_id=ada.user_id).update({"role": "editor"})
    db.session.commit()
    assert client.post(f"/integrations/webhooks/{subscription.id}/reveal").status_code == 403


def test_an_upload_with_a_bad_row_imports_nothing_and_lists_the_problems(client, ada):
    rows = [{"title": "Good"}, {"title": ""}, {"title": "Also good", "status": "bogus"}]
    upload = (io.BytesIO(json.dumps(rows).encode()), "posts.json")

    response = client.post("/integrations/import", data={"kind": "contents", "file": upload})

    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "2 of 3 rows have errors; nothing was imported." in text
    assert "<td>2</td><td>title</td>" in text and "<td>3</td><td>status</td>" in text
    assert db.session.query(Content).count() == 0


def test_a_csv_upload_imports_every_row_and_export_downloads_them(client, ada):
    upload = (io.BytesIO(b'title,tags\r\nOne,a\r\nTwo,"b, c"\r\n'), "posts.csv")

    response = client.post("/integrations/import", data={"kind": "contents", "file": upload})

    assert (response.status_code, response.headers["Location"]) == (303, "/integrations/")
    exported = client.get("/integrations/export?kind=contents&format=json")
    assert exported.headers["Content-Disposition"].startswith("attachment;")
    assert [(i["title"], i["tags"]) for i in exported.json["items"]] == [("One", ["a"]), ("Two", ["b", "c"])]


def test_the_calendar_feed_url_is_shown_once_and_works(client, ada, app):
    response = client.post("/integrations/calendar")

    assert response.status_code == 201
    url = re.search(r'<code id="feed-url">([^<]+)</code>', response.get_data(as_text=True)).group(1)
    path = url.split("herald.test", 1)[1]
    anonymous = app.test_client()
    assert anonymous.get(path).status_code == 200
    assert client.post("/integrations/calendar/revoke").status_code == 303
    assert anonymous.get(path).status_code == 404

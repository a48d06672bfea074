"""The in-flight cap on the channel's page and in the API: the rule is set like rate_per_minute, the state shows it."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from webapp.domain.publishing import throttle
from webapp.extensions import db

NOW = datetime(2030, 12, 2, 10, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _clock(monkeypatch):
    monkeypatch.setattr(throttle, "clock", lambda: NOW.timestamp())
    with time_machine.travel(NOW, tick=False):
        yield


def test_the_channel_form_sets_the_cap_and_the_page_shows_calls_under_way_and_who_waits(client, ada, make):
    hook = make.channel(ada, name="Blog hook")
    form = {"name": "Blog hook", "settings.url": "http://127.0.0.1:9/hook", "timezone": "UTC", "max_in_flight": "2"}

    response = client.post(f"/channels/{hook.id}", data=form)

    assert response.status_code == 303
    db.session.expire_all()
    assert hook.rules == {"max_in_flight": 2}
    throttle.admit(hook, 1)
    waiting = make.publication(ada, make.content(ada, status="approved"), hook, run_at=NOW + timedelta(hours=1))
    waiting.status, waiting.hold_reason = "retrying", f"{throttle.SLOT_WAIT} (2 in flight); at the latest 10:00:30 UTC"
    db.session.commit()
    html = client.get(f"/channels/{hook.id}").get_data(as_text=True)
    assert "1 of 2" in html and "1 waiting for a slot</span>" in html
    assert 'name="max_in_flight"' in html and 'value="2"' in html


def test_a_cap_out_of_range_is_refused_next_to_the_field_and_changes_nothing(client, ada, make):
    hook = make.channel(ada, name="Blog hook")
    form = {"name": "Blog hook", "settings.url": "http://127.0.0.1:9/hook", "timezone": "UTC", "max_in_flight": "5000"}

    response = client.post(f"/channels/{hook.id}", data=form)

    assert response.status_code == 422
    assert "must be a whole number from 0 to 1,000" in response.get_data(as_text=True)
    db.session.expire_all()
    assert not hook.rules

"""A publication's detail page: every attempt with its times, duration, HTTP status, error and response excerpt."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from webapp.domain.publishing import schedules
from webapp.extensions import db
from webapp.models import Attempt


def test_each_attempt_shows_its_duration_status_error_and_excerpt(client, ada, make):
    channel, content = make.channel(ada), make.content(ada)
    run_at = datetime.now(UTC) + timedelta(hours=1)
    schedule = schedules.create_schedule(ada, {"content_id": content.id, "channel_ids": [channel.id], "run_at": run_at})
    (publication,) = schedules.publications_of(schedule)
    started = datetime(2030, 1, 1, 9, 0, tzinfo=UTC)
    failed = Attempt(
        publication_id=publication.id,
        number=1,
        started_at=started,
        finished_at=started + timedelta(milliseconds=1500),
        outcome="transient",
        error_class="transient",
        error_message="upstream busy",
        http_status=503,
        response_excerpt='{"error": "try later"}',
    )
    running = Attempt(publication_id=publication.id, number=2, started_at=started + timedelta(minutes=1))
    db.session.add_all([failed, running])
    db.session.commit()

    html = client.get(f"/publications/{publication.id}").get_data(as_text=True)

    assert '<th scope="col">duration</th>' in html
    assert "<td>1500 ms</td>" in html  # finished 1.5 s after it started
    second = re.search(r"<tr><td>2</td>(.*?)</tr>", html, re.S).group(1)
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td>(.*?)</td>", second, re.S)]
    assert cells[1:3] == ["—", "—"]  # the running attempt has neither a finish nor a duration yet
    assert "<td>503</td>" in html and "transient: upstream busy" in html
    assert "{&#34;error&#34;: &#34;try later&#34;}" in html
    assert "attempt 1, HTTP 503: transient: upstream busy" in html  # the timeline says it too
    assert publication.idempotency_key in html


def test_the_timeline_lists_what_people_did_and_who(client, ada, make):
    channel, content = make.channel(ada), make.content(ada)
    run_at = datetime.now(UTC) + timedelta(hours=1)
    schedule = schedules.create_schedule(ada, {"content_id": content.id, "channel_ids": [channel.id], "run_at": run_at})
    (publication,) = schedules.publications_of(schedule)

    client.post(f"/publications/{publication.id}/pause")
    client.post(f"/publications/{publication.id}/resume")
    client.post(f"/publications/{publication.id}/cancel")

    html = client.get(f"/publications/{publication.id}").get_data(as_text=True)
    steps = re.findall(r"(paused|resumed|cancelled) by ada@example\.test \(ui\)", html)
    assert steps == ["paused", "resumed", "cancelled"]  # in the order they happened


def test_only_an_http_address_from_the_platform_becomes_a_link(client, ada, make):
    channel, content = make.channel(ada), make.content(ada)
    run_at = datetime.now(UTC) + timedelta(hours=1)
    schedule = schedules.create_schedule(ada, {"content_id": content.id, "channel_ids": [channel.id], "run_at": run_at})
    (publication,) = schedules.publications_of(schedule)

    for answered, linked in (("javascript:alert(document.cookie)", False), ("https://blog.example/p/1", True)):
        publication.external_url, publication.external_id = answered, None
        db.session.commit()
        html = client.get(f"/publications/{publication.id}").get_data(as_text=True)

        assert ('href="' + answered + '"' in html) is linked
        assert answered in html  # shown as text either way

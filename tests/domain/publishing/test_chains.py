"""Chained publications: B goes out after A has published, with A's URL and title, and never with a broken link."""

from datetime import timedelta

import pytest
from sqlalchemy import event

from tests.adapters.receiver import Receiver
from webapp.adapters.base import ContentPayload, PublishRequest
from webapp.adapters.html import to_html
from webapp.core.errors import ValidationFailed
from webapp.domain.publishing import chains, lifecycle, publisher, schedules
from webapp.domain.publishing.reconcile import reconcile
from webapp.extensions import db
from webapp.infra import dispatch
from webapp.infra.queues import get_redis
from webapp.models import Publication, Schedule, utcnow


@pytest.fixture
def blog():
    with Receiver() as r:
        r.respond(200, body={"id": "a1", "url": "https://blog.example/hello?a=1&b=2"})
        yield r


@pytest.fixture
def social():
    with Receiver() as r:
        r.respond(200, body={"id": "b1"})
        yield r


def _chain(make, blog_url, social_url, *, body="New post: {{ published.title }} {{published.url}}", **extra):
    """Schedule one content on a blog channel (A) and a social channel (B) that waits for it."""
    actor = make.actor()
    a = make.channel(actor, url=blog_url, name="blog")
    b = make.channel(actor, url=social_url, name="social")
    content = make.content(actor, status="approved", title="Hello <world>", body=body)
    data = {
        "content_id": content.id,
        "channel_ids": [a.id, b.id],
        "run_at": utcnow() + timedelta(hours=1),
        "chain": [{"channel_id": b.id, "after_channel_id": a.id}],
        **extra,
    }
    schedule = schedules.create_schedule(actor, data)
    by_channel = {p.channel_id: p for p in schedules.publications_of(schedule)}
    return actor, schedule, by_channel[a.id], by_channel[b.id]


def _run(publication: Publication) -> str:
    # What the scheduler and a worker do when its job falls due.
    dispatch.unschedule_publication(publication)
    publisher.mark_queued([publication.id])
    outcome = publisher.execute(publication.id)
    db.session.expire_all()
    return outcome


def test_the_dependent_publication_waits_visibly_with_no_rq_scheduler_entry(make, blog, social):
    _, schedule, a, b = _chain(make, blog.url, social.url)

    assert schedule.chain == [{"channel_id": b.channel_id, "after_channel_id": a.channel_id}]
    assert (b.status, b.after_publication_id, b.hold_reason) == ("scheduled", a.id, f"waiting for #{a.id} on blog")
    assert a.has_dependents and not b.has_dependents
    assert dispatch.scheduled_time(a) is not None
    assert dispatch.scheduled_time(b) is None


def test_when_a_publishes_b_is_dispatched_at_once_with_a_url_and_title_in_its_text(make, blog, social):
    _, _, a, b = _chain(make, blog.url, social.url)

    assert _run(a) == "published"

    assert (b.status, b.hold_reason) == ("scheduled", None)
    assert dispatch.scheduled_time(b) is not None
    assert dispatch.scheduled_time(b) <= (utcnow() + timedelta(seconds=2)).timestamp()  # now, not in an hour
    assert _run(b) == "published"
    [sent] = social.requests
    assert sent.json()["content"]["body"] == "New post: Hello <world> https://blog.example/hello?a=1&b=2"


def test_b_claimed_before_a_has_published_goes_back_to_waiting_and_sends_nothing(make, blog, social):
    _, _, a, b = _chain(make, blog.url, social.url)

    assert _run(b) == "waiting"

    assert social.requests == []
    assert (b.status, b.hold_reason, b.attempts_count) == ("scheduled", f"waiting for #{a.id} on blog", 0)
    assert _run(a) == "published"
    assert dispatch.scheduled_time(b) is not None  # the publish released it all the same


def test_when_a_fails_b_is_held_with_the_reason_and_a_later_retry_of_a_releases_it(make, blog, social):
    blog.respond(422, body={"error": "rejected"})
    actor, _, a, b = _chain(make, blog.url, social.url)

    assert _run(a) == "failed"

    assert b.status == "paused"
    assert b.hold_reason.startswith(f"held: chained after #{a.id} on blog, which failed (permanent:")
    assert _run(b) == "skipped" and social.requests == []

    blog.respond(200, body={"id": "a1", "url": "https://blog.example/ok"})
    work = lifecycle.Work()
    lifecycle.retry_publication(db.session.get(Publication, a.id), work)
    work.commit()
    assert _run(a) == "published"

    assert (b.status, b.hold_reason) == ("scheduled", None)
    assert _run(b) == "published"
    assert "https://blog.example/ok" in social.requests[0].json()["content"]["body"]


def test_cancelling_a_holds_b(make, blog, social):
    actor, _, a, b = _chain(make, blog.url, social.url)
    work = lifecycle.Work()

    lifecycle.cancel_publication(db.session.get(Publication, a.id), work)
    work.commit()

    db.session.expire_all()
    assert b.status == "paused" and "which was cancelled" in b.hold_reason


def test_a_missed_a_holds_b(make, blog, social):
    _, schedule, a, b = _chain(make, blog.url, social.url, missed_policy="skip", grace_minutes=0)
    a.due_at = b.due_at = utcnow() - timedelta(minutes=5)
    db.session.commit()

    _run(a)  # the scheduler finds it past its grace

    assert a.status == "missed"
    assert b.status == "paused" and "which was missed" in b.hold_reason


def test_a_published_without_a_url_holds_b_that_needs_one(make, blog, social):
    blog.respond(200, body={"id": "a1"})  # no URL in the reply
    _, _, a, b = _chain(make, blog.url, social.url)

    _run(a)
    assert _run(b) == "waiting"

    assert b.status == "paused" and "published without a URL" in b.hold_reason
    assert social.requests == []


def test_b_that_only_uses_the_title_goes_out_without_a_url(make, blog, social):
    blog.respond(200, body={"id": "a1"})
    _, _, a, b = _chain(make, blog.url, social.url, body="Just out: {{ published.title }}")

    _run(a)

    assert _run(b) == "published"
    assert social.requests[0].json()["content"]["body"] == "Just out: Hello <world>"


def test_the_reconciler_restores_a_but_never_b_before_a_has_published(make, blog, social):
    _, _, a, b = _chain(make, blog.url, social.url)
    get_redis().flushdb()  # a Redis restart loses every entry

    reconcile()

    assert dispatch.scheduled_time(a) is not None
    assert dispatch.scheduled_time(b) is None
    db.session.expire_all()
    assert b.status == "scheduled"


def test_the_reconciler_dispatches_a_released_b_whose_entry_was_lost(make, blog, social):
    _, _, a, b = _chain(make, blog.url, social.url)
    _run(a)
    get_redis().flushdb()

    reconcile()

    db.session.expire_all()
    assert dispatch.scheduled_time(b) is not None


def test_the_reconciler_holds_b_when_a_ended_without_the_usual_signal(make, blog, social):
    _, _, a, b = _chain(make, blog.url, social.url)
    a.status, a.last_error = "failed", "permanent: gone"
    db.session.commit()

    assert reconcile()["chain_held"] == 1

    db.session.expire_all()
    assert b.status == "paused" and "which failed (permanent: gone)" in b.hold_reason


def test_resuming_a_paused_b_while_a_is_pending_puts_it_back_to_waiting_without_a_job(make, blog, social):
    actor, schedule, a, b = _chain(make, blog.url, social.url)
    lifecycle.pause_schedule(actor, schedule.id)
    lifecycle.resume_schedule(actor, schedule.id)

    db.session.expire_all()
    assert (b.status, b.hold_reason) == ("scheduled", f"waiting for #{a.id} on blog")
    assert dispatch.scheduled_time(b) is None
    assert dispatch.scheduled_time(a) is not None


def test_each_occurrence_of_a_recurring_schedule_is_chained(make, blog, social):
    _, schedule, a, b = _chain(make, blog.url, social.url, run_at=None, cron="0 9 * * *", timezone="UTC")

    [a2, b2] = sorted(schedules.advance(schedule, a.due_at + timedelta(seconds=1)), key=lambda p: p.channel_id)
    db.session.commit()

    assert b2.after_publication_id == a2.id and a2.has_dependents
    assert b.after_publication_id == a.id


@pytest.mark.parametrize(
    ("chain", "problem"),
    [
        ("b after a", "must be a list"),
        ([{"channel_id": "B"}], 'needs a "channel_id" and an "after_channel_id"'),
        ([{"channel_id": "B", "after_channel_id": 999999}], "must be among the schedule's channel_ids"),
        ([{"channel_id": "B", "after_channel_id": "B"}], "cannot wait for itself"),
        (
            [{"channel_id": "B", "after_channel_id": "A"}, {"channel_id": "B", "after_channel_id": "C"}],
            "one channel only",
        ),
        (
            [
                {"channel_id": "B", "after_channel_id": "A"},
                {"channel_id": "C", "after_channel_id": "B"},
                {"channel_id": "A", "after_channel_id": "C"},
            ],
            "form a loop",
        ),
    ],
)
def test_a_bad_chain_is_refused_and_nothing_is_saved(make, chain, problem):
    actor = make.actor()
    ids = {name: make.channel(actor).id for name in "ABC"}
    if isinstance(chain, list):
        chain = [{k: ids.get(v, v) for k, v in link.items()} for link in chain]
    data = {
        "content_id": make.content(actor).id,
        "channel_ids": list(ids.values()),
        "run_at": utcnow() + timedelta(hours=1),
        "chain": chain,
    }

    with pytest.raises(ValidationFailed) as caught:
        schedules.create_schedule(actor, data)

    assert problem in caught.value.fields["chain"]
    assert db.session.query(Schedule).count() == 0


def test_a_chain_of_three_runs_in_order(make, blog, social):
    actor = make.actor()
    a, b, c = (make.channel(actor, url=blog.url, name=n) for n in ("one", "two", "three"))
    data = {
        "content_id": make.content(actor, status="approved").id,
        "channel_ids": [a.id, b.id, c.id],
        "run_at": utcnow() + timedelta(hours=1),
        "chain": [{"channel_id": c.id, "after_channel_id": b.id}, {"channel_id": b.id, "after_channel_id": a.id}],
    }
    pa, pb, pc = schedules.publications_of(schedules.create_schedule(actor, data))

    assert _run(pa) == "published"
    assert dispatch.scheduled_time(pc) is None and pc.hold_reason == f"waiting for #{pb.id} on two"
    assert _run(pb) == "published"
    assert _run(pc) == "published"


def test_substitution_is_one_pass_over_exactly_two_names():
    values = {"url": "https://x.example/{{ published.title }}", "title": "T"}
    template = "{{ published.url }} {{ published.title }} {{ config.SECRET_KEY }} {{published.body}}"

    text = chains.substitute(template, values)

    assert text == "https://x.example/{{ published.title }} T {{ config.SECRET_KEY }} {{published.body}}"


def test_an_html_body_gets_escaped_values(make, blog, social):
    _, _, a, b = _chain(make, blog.url, social.url, body="<p>{{ published.title }}: {{ published.url }}</p>")
    _run(a)
    request = PublishRequest(
        b.id,
        b.idempotency_key,
        b.due_at,
        b.channel_id,
        "social",
        ContentPayload(1, "t", b.content.body, None, "a", (), body_format="html"),
    )

    filled = chains.fill_placeholders(db.session.get(Publication, b.id), request)

    assert filled.content.body == "<p>Hello &lt;world&gt;: https://blog.example/hello?a=1&amp;b=2</p>"


def test_a_markdown_body_gets_the_values_as_they_are_and_markdown_escapes_them(make, blog, social):
    _, _, a, b = _chain(make, blog.url, social.url, body="[{{ published.title }}]({{ published.url }})")
    _run(a)
    request = PublishRequest(
        b.id, b.idempotency_key, b.due_at, b.channel_id, "social", ContentPayload(1, "t", b.content.body, None, "a", ())
    )

    filled = chains.fill_placeholders(db.session.get(Publication, b.id), request)

    assert filled.content.body == "[Hello <world>](https://blog.example/hello?a=1&b=2)"
    assert (
        to_html(filled.content.body)
        == '<p><a href="https://blog.example/hello?a=1&amp;b=2">Hello &lt;world&gt;</a></p>\n'
    )


def test_publishing_outside_a_chain_never_looks_for_dependents(make, blog):
    actor = make.actor()
    channel = make.channel(actor, url=blog.url)
    data = {"content_id": make.content(actor, status="approved").id, "channel_ids": [channel.id]}
    [publication] = schedules.publications_of(
        schedules.create_schedule(actor, {**data, "run_at": utcnow() + timedelta(hours=1)})
    )
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert chains.release(publication) == []
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert statements == []

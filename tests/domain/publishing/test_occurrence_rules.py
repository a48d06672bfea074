"""Channel rules apply to every occurrence of a recurring series, as the schedule's clash policy says."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from webapp.domain.publishing import schedules
from webapp.extensions import db
from webapp.models import Alert, Publication, PublicationChange

from .series_play import play

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2027, 3, 1, 11, 0, tzinfo=UTC)  # noon in Paris


def _series(make, actor, channels, cron, tz="Europe/Paris", **extra):
    content = make.content(actor, status="approved")
    data = {"content_id": content.id, "channel_ids": [c.id for c in channels], "cron": cron, "timezone": tz, **extra}
    return schedules.create_schedule(actor, data, now=NOW)


def _one_time(make, actor, channel, run_at: datetime):
    content = make.content(actor, status="approved")
    data = {"content_id": content.id, "channel_ids": [channel.id], "run_at": run_at, "allow_conflicts": True}
    return schedules.create_schedule(actor, data, now=NOW)


def test_a_minutely_series_on_a_daily_limit_channel_publishes_once_a_day(make, monkeypatch):
    actor = make.actor()
    channel = make.channel(actor, rules={"daily_limit": 1}, timezone="UTC")
    channel_id, schedule_id = channel.id, _series(make, actor, [channel], "* * * * *", tz="UTC").id

    published = play(schedule_id, monkeypatch, limit=3)

    # 11:01 on the 1st, then midnight on each following day: never twice in a day, and no backlog waits.
    assert [p.due_at for p in published] == [
        datetime(2027, 3, 1, 11, 1, tzinfo=UTC),
        datetime(2027, 3, 2, 0, 0, tzinfo=UTC),
        datetime(2027, 3, 3, 0, 0, tzinfo=UTC),
    ]
    assert db.session.query(Publication).filter_by(schedule_id=schedule_id).count() == 4  # the 4th day waits
    alerts = db.session.query(Alert).filter_by(channel_id=channel_id, kind="conflict").order_by(Alert.id).all()
    # One alert per walk, not one per skipped run.
    assert len(alerts) == 3
    assert "skipped its run of 1 Mar 11:02 and 777 more run(s) to 1 Mar 23:59" in alerts[0].message
    assert "daily limit (clash policy move)" in alerts[0].message


def test_an_hourly_series_on_a_daily_limit_channel_keeps_to_local_days_across_the_dst_change(make, monkeypatch):
    actor = make.actor()
    channel = make.channel(actor, rules={"daily_limit": 1}, timezone="Europe/Paris")
    content = make.content(actor, status="approved")
    data = {"content_id": content.id, "channel_ids": [channel.id], "cron": "0 * * * *", "timezone": "Europe/Paris"}
    schedule_id = schedules.create_schedule(actor, data, now=datetime(2027, 3, 27, 12, 30, tzinfo=UTC)).id

    published = play(schedule_id, monkeypatch, limit=3)

    local = [p.due_at.astimezone(PARIS) for p in published]
    assert [t.date().isoformat() for t in local] == ["2027-03-27", "2027-03-28", "2027-03-29"]
    # 28 March is 23 hours long in Paris: its first run is still at local midnight.
    assert local[1].hour == 0 and local[1].utcoffset() == timedelta(hours=1)
    assert local[2].hour == 0 and local[2].utcoffset() == timedelta(hours=2)


@pytest.fixture
def spaced(make):
    """A channel needing two hours between posts; `clash()` adds a post at 08:30 Paris on 3 March."""
    actor = make.actor()
    channel = make.channel(actor, rules={"min_spacing_minutes": 120}, timezone="Europe/Paris")
    return actor, channel, lambda: _one_time(make, actor, channel, datetime(2027, 3, 3, 7, 30, tzinfo=UTC))


def _second_run(make, spaced, policy, extra_channels=()):
    """A daily 09:00 Paris series (first run 2 March); its second run, 3 March, meets the 08:30 post."""
    actor, channel, clash = spaced
    schedule = _series(make, actor, [channel, *extra_channels], "0 9 * * *", clash_policy=policy)
    first = schedules.publications_of(schedule)[0]
    clash()
    created = schedules.advance_due([schedule.id], now=first.due_at + timedelta(seconds=1))
    return db.session.get(type(schedule), schedule.id), created


def _local(publication) -> str:
    return publication.due_at.astimezone(PARIS).strftime("%d %H:%M")


def test_the_move_policy_moves_a_clashing_occurrence_to_the_channels_next_free_slot(make, spaced):
    schedule, [moved] = _second_run(make, spaced, "move")

    assert _local(moved) == "03 10:30" and moved.occurrence == 2
    [change] = db.session.query(PublicationChange).filter_by(publication_id=moved.id).all()
    assert change.detail == "3 Mar 09:00: moved to 10:30, min spacing"
    assert schedule.next_run_at == moved.due_at


def test_the_skip_policy_skips_a_clashing_occurrence_with_an_alert(make, spaced):
    schedule, [next_one] = _second_run(make, spaced, "skip")

    assert _local(next_one) == "04 09:00" and next_one.occurrence == 2  # 3 March was skipped
    [alert] = db.session.query(Alert).filter_by(channel_id=spaced[1].id, kind="conflict").all()
    assert f"Schedule #{schedule.id} skipped its run of 3 Mar 09:00 on {spaced[1].name}: min spacing" in alert.message


def test_the_publish_policy_publishes_anyway_and_says_so(make, spaced):
    _, [published] = _second_run(make, spaced, "publish")

    assert _local(published) == "03 09:00"
    [change] = db.session.query(PublicationChange).filter_by(publication_id=published.id).all()
    assert change.detail == "3 Mar 09:00: published anyway, min spacing"


def test_each_channel_meets_its_own_rules(make, spaced):
    free = make.channel(spaced[0])
    schedule, created = _second_run(make, spaced, "move", [free])

    assert {p.channel_id: _local(p) for p in created} == {spaced[1].id: "03 10:30", free.id: "03 09:00"}
    assert schedule.next_run_at.astimezone(PARIS).strftime("%H:%M") == "09:00"


def test_a_move_never_lands_after_the_series_next_run(make):
    actor = make.actor()
    # Only 17:30 is a slot, and the series runs every hour: a move to 17:30 would overtake later runs.
    channel = make.channel(actor, rules={"time_slots": ["17:30"]}, timezone="Europe/Paris")
    schedule = _series(make, actor, [channel], "0 * * * *", allow_conflicts=True)

    first = schedules.publications_of(schedule)[0]

    [moved] = schedules.advance_due([schedule.id], now=first.due_at + timedelta(seconds=1))

    # 14:00, 15:00 and 16:00 are skipped (17:30 comes after their next run); 17:00 moves to 17:30.
    assert _local(moved) == "01 17:30"
    [change] = db.session.query(PublicationChange).filter_by(publication_id=moved.id).all()
    assert change.detail == "1 Mar 17:00: moved to 17:30, not a time slot"
    [alert] = db.session.query(Alert).filter_by(channel_id=channel.id, kind="conflict").all()
    assert "skipped its run of 1 Mar 14:00 and 2 more run(s) to 1 Mar 16:00" in alert.message


def test_the_default_clash_policy_is_move(make):
    actor = make.actor()
    schedule = _series(make, actor, [make.channel(actor)], "0 9 * * *")
    assert schedule.clash_policy == "move"

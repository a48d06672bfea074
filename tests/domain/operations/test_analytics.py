"""Analytics over known publishing history: exact figures, in a timezone with a half-hour offset."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from webapp.core.errors import ValidationFailed
from webapp.domain.operations import analytics
from webapp.extensions import db
from webapp.models import Attempt, Publication, Schedule

KOLKATA = ZoneInfo("Asia/Kolkata")  # UTC+05:30: a UTC hour straddles two local hours
NOVEMBER = analytics.Range(date(2026, 11, 1), date(2026, 11, 14), KOLKATA)  # Sun 1 .. Sat 14 November
_serial = itertools.count(1)


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def add(actor, channel, content, due, status, lateness=None, attempts=()) -> Publication:
    """Store one publication (and its attempts: (start, duration ms or None, error class or None))."""
    n = next(_serial)
    schedule = Schedule(workspace_id=actor.workspace_id, content_id=content.id, run_at=due, status="completed")
    db.session.add(schedule)
    db.session.flush()
    publication = Publication(
        workspace_id=actor.workspace_id,
        schedule_id=schedule.id,
        channel_id=channel.id,
        content_id=content.id,
        idempotency_key=f"hrd-analytics-{n}",
        status=status,
        due_at=due,
        lateness_ms=lateness,
    )
    db.session.add(publication)
    db.session.flush()
    for number, (started, took_ms, error_class) in enumerate(attempts, start=1):
        finished = None if took_ms is None else started + timedelta(milliseconds=took_ms)
        outcome = error_class or ("running" if finished is None else "published")
        db.session.add(
            Attempt(
                publication_id=publication.id,
                number=number,
                started_at=started,
                finished_at=finished,
                outcome=outcome,
                error_class=error_class,
            )
        )
    db.session.commit()
    return publication


@pytest.fixture
def history(make):
    """Two channels, two content types, eight publications in range and three that must not count."""
    owner = make.actor()
    blog = make.channel(owner, name="Blog")
    toots = make.channel(owner, name="Toots")
    toots.platform = "mastodon"
    article = make.content(owner, title="Essay", content_type="article")
    social = make.content(owner, title="Note", content_type="social")
    mon9, tue9 = utc(2026, 11, 2, 3, 30), utc(2026, 11, 3, 3, 30)  # 09:00 IST on Monday and Tuesday
    add(owner, blog, article, mon9, "published", 200, [(mon9, 1000, None)])
    add(owner, blog, article, mon9, "published", 400, [(mon9, 2000, None)])
    add(owner, blog, social, tue9, "published", 1000, [(tue9, 3000, None)])
    retries = [(tue9, 500, "transient"), (tue9 + timedelta(minutes=1), 1500, "transient")]
    add(owner, blog, social, tue9, "failed", 90_000, [*retries, (tue9 + timedelta(minutes=5), 6000, "permanent")])
    add(owner, toots, social, utc(2026, 11, 10, 18, 45), "published", 50, [(utc(2026, 11, 10, 18, 45), 250, None)])
    add(owner, toots, article, utc(2026, 11, 10, 18, 15), "missed")  # 23:45 IST, Tuesday 10th
    add(owner, blog, article, utc(2026, 11, 14, 18, 29, 59), "cancelled")  # 23:59:59 IST, the last second
    add(owner, toots, article, utc(2026, 10, 31, 18, 30), "paused", attempts=[(utc(2026, 11, 2), None, None)])
    # Outside: a second before the range (23:59:59 IST on 31 October), the first second after it,
    # and another workspace's publication on a day inside it.
    add(owner, blog, article, utc(2026, 10, 31, 18, 29, 59), "published", 5)
    add(owner, blog, article, utc(2026, 11, 14, 18, 30), "published", 5)
    stranger = make.actor()
    theirs = make.channel(stranger, name="Theirs")
    add(stranger, theirs, make.content(stranger), mon9, "failed", 7, [(mon9, 9000, "auth")])
    return owner


def test_totals_count_publications_due_in_the_user_s_days(history):
    totals = analytics.report(history.workspace_id, NOVEMBER)["totals"]

    assert totals == {"due": 8, "published": 4, "failed": 1, "missed": 1, "cancelled": 1, "success_rate": 0.8}


def test_success_rate_per_local_day(history):
    figures = analytics.report(history.workspace_id, NOVEMBER)

    by_day = {p["start"].day: (p["published"], p["failed"], p["rate"]) for p in figures["success"]}
    assert figures["granularity"] == "day" and len(by_day) == 14
    assert by_day[2] == (2, 0, 1.0)
    assert by_day[3] == (1, 1, 0.5)
    assert by_day[11] == (1, 0, 1.0)  # 18:45 UTC on the 10th is 00:15 IST on the 11th
    assert by_day[10] == (0, 0, None)  # only a missed run
    assert by_day[1] == (0, 0, None)


def test_a_long_range_counts_by_week_from_monday(history):
    figures = analytics.report(history.workspace_id, analytics.Range(date(2026, 9, 1), date(2026, 11, 30), KOLKATA))

    weeks = {p["start"]: (p["published"], p["failed"]) for p in figures["success"]}
    assert figures["granularity"] == "week"
    assert weeks[date(2026, 10, 26)] == (1, 0)  # 31 October's publication, in the week from Monday 26th
    assert weeks[date(2026, 11, 2)] == (3, 1)
    assert weeks[date(2026, 11, 9)] == (2, 0)  # 11th and the 15th's first second
    assert min(weeks) == date(2026, 8, 31)


def test_execution_time_average_and_p95_of_finished_attempts(history):
    execution = analytics.report(history.workspace_id, NOVEMBER)["execution"]

    # 250, 500, 1000, 1500, 2000, 3000, 6000 ms: the running attempt and the stranger's are left out.
    assert execution == {"attempts": 7, "avg_ms": 2036, "p95_ms": 6000}


def test_lateness_p50_p95_and_on_time_share_per_channel(history):
    lateness = analytics.report(history.workspace_id, NOVEMBER)["lateness"]

    assert lateness == [
        {"channel": "Blog", "platform": "webhook", "count": 4, "p50_ms": 1000, "p95_ms": 90_000, "on_time_rate": 0.75},
        {"channel": "Toots", "platform": "mastodon", "count": 1, "p50_ms": 50, "p95_ms": 50, "on_time_rate": 1.0},
    ]


def test_errors_by_class_most_frequent_first(history):
    assert analytics.report(history.workspace_id, NOVEMBER)["errors"] == [
        {"error_class": "transient", "count": 2},
        {"error_class": "permanent", "count": 1},
    ]


def test_distribution_by_platform_and_content_type(history):
    figures = analytics.report(history.workspace_id, NOVEMBER)

    assert figures["platforms"] == [
        {"name": "webhook", "count": 5, "published": 3},
        {"name": "mastodon", "count": 3, "published": 1},
    ]
    assert figures["content_types"] == [
        {"name": "article", "count": 5, "published": 2},
        {"name": "social", "count": 3, "published": 2},
    ]


def test_the_heatmap_counts_by_local_weekday_and_hour(history):
    heat = analytics.report(history.workspace_id, NOVEMBER)["heatmap"]

    found = {(d, h): n for d in range(7) for h in range(24) if (n := heat[d][h])}
    # Mon 09, Tue 09, Wed 00:15, Tue 23:45, Sun 00:00; the cancelled one is not drawn.
    assert found == {(0, 9): 2, (1, 9): 2, (2, 0): 1, (1, 23): 1, (6, 0): 1}


def test_best_times_say_when_there_is_too_little_history(history):
    best = analytics.report(history.workspace_id, NOVEMBER)["best"]

    assert best == {"enough": False, "finished": 6, "slots": []}


def test_best_times_rank_hours_by_on_time_success(make):
    owner = make.actor()
    channel, content = make.channel(owner), make.content(owner)

    def run(due, count, status, lateness):
        for _ in range(count):
            add(owner, channel, content, due, status, lateness)

    run(utc(2026, 11, 2, 3, 30), 10, "published", 100)  # Mon 09 IST: 10 of 10 on time
    run(utc(2026, 11, 3, 4, 30), 6, "published", 100)  # Tue 10: 6 of 10
    run(utc(2026, 11, 3, 4, 45), 4, "failed", 100)
    run(utc(2026, 11, 4, 5, 30), 2, "published", 100)  # Wed 11: too few to rank
    run(utc(2026, 11, 5, 6, 30), 3, "published", 120_000)  # Thu 12: published, but late

    best = analytics.report(owner.workspace_id, NOVEMBER)["best"]

    assert best["enough"] is True and best["finished"] == 25
    assert [(s["weekday"], s["hour"], s["good"], s["finished"], s["rate"]) for s in best["slots"]] == [
        (0, 9, 10, 10, 1.0),
        (1, 10, 6, 10, 0.6),
        (3, 12, 0, 3, 0.0),
    ]


def test_an_empty_range_has_no_figures_but_no_errors(make):
    figures = analytics.report(make.actor().workspace_id, NOVEMBER)

    assert figures["totals"]["success_rate"] is None
    assert figures["execution"] == {"attempts": 0, "avg_ms": None, "p95_ms": None}
    assert figures["lateness"] == figures["errors"] == figures["platforms"] == []


def test_csv_rows_flatten_every_figure(history):
    rows = analytics.csv_rows(analytics.report(history.workspace_id, NOVEMBER))

    assert rows[0] == ("figure", "group", "measure", "value")
    assert ("range", "", "timezone", "Asia/Kolkata") in rows
    assert ("totals", "", "success_rate", 0.8) in rows
    assert ("success_by_day", "2026-11-03", "rate", 0.5) in rows
    assert ("execution", "", "p95_ms", 6000) in rows
    assert ("lateness", "Blog", "p95_ms", 90_000) in rows
    assert ("errors", "transient", "count", 2) in rows
    assert ("platforms", "mastodon", "published", 1) in rows
    assert ("content_types", "social", "count", 3) in rows
    assert ("hour_of_week", "Tue 23:00", "publications", 1) in rows


@pytest.mark.parametrize(
    ("first", "last", "problems"),
    [
        ("2026-13-01", "", {"from": "is not a date (YYYY-MM-DD)"}),
        ("yesterday", "2026-11-02", {"from": "is not a date (YYYY-MM-DD)"}),
        ("", "20261102", {"to": "is not a date (YYYY-MM-DD)"}),
        ("9999-12-01", "9999-12-31", {"from": "is not a date (YYYY-MM-DD)", "to": "is not a date (YYYY-MM-DD)"}),
        ("2026-11-05", "2026-11-01", {"to": "must not be before From"}),
        ("2025-01-01", "2026-11-01", {"to": "must be within 366 days of From"}),
    ],
)
def test_a_bad_range_names_the_field(first, last, problems):
    with pytest.raises(ValidationFailed) as caught:
        analytics.parse_range(first, last, "UTC", date(2026, 11, 22))

    assert caught.value.fields == problems


def test_an_empty_range_is_the_last_30_days():
    rng = analytics.parse_range("", None, "Asia/Kolkata", date(2026, 11, 22))

    assert (rng.first, rng.last, rng.days) == (date(2026, 10, 24), date(2026, 11, 22), 30)
    assert rng.start == utc(2026, 10, 23, 18, 30)

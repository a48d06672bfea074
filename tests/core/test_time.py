"""Tests for the pure time layer: instants, timezones, DST rules and cron occurrences."""

import zoneinfo
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from webapp.core.time import (
    TimeInputError,
    ceil_to_second,
    describe_cron,
    format_utc,
    localize,
    occurrences,
    parse_instant,
    preview,
    utcnow,
    validate_cron,
    validate_timezone,
)

NEW_YORK = "America/New_York"
LONDON = "Europe/London"
SYDNEY = "Australia/Sydney"
LORD_HOWE = "Australia/Lord_Howe"


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def runs(*args, **kwargs) -> list[str]:
    return [format_utc(run) for run in occurrences(*args, **kwargs)]


# --- The 2027 transitions the DST tests rely on (found by scanning zoneinfo, checked here) ----------

# zone, (spring-forward gap start, gap end) and (fall-back repeated start, repeated end), in wall time.
TRANSITIONS_2027 = [
    (NEW_YORK, ("2027-03-14T02:00", "2027-03-14T03:00"), ("2027-11-07T01:00", "2027-11-07T02:00")),
    (LONDON, ("2027-03-28T01:00", "2027-03-28T02:00"), ("2027-10-31T01:00", "2027-10-31T02:00")),
    (SYDNEY, ("2027-10-03T02:00", "2027-10-03T03:00"), ("2027-04-04T02:00", "2027-04-04T03:00")),
    (
        LORD_HOWE,
        ("2027-10-03T02:00", "2027-10-03T02:30"),
        ("2027-04-04T01:30", "2027-04-04T02:00"),
    ),
]


def _exists(wall: datetime, tz: zoneinfo.ZoneInfo) -> bool:
    return wall.replace(tzinfo=tz).astimezone(UTC).astimezone(tz).replace(tzinfo=None) == wall


@pytest.mark.parametrize(("zone", "gap", "repeated"), TRANSITIONS_2027)
def test_the_2027_transitions_are_where_the_tests_expect_them(zone, gap, repeated):
    tz = zoneinfo.ZoneInfo(zone)
    gap_start, gap_end = (datetime.fromisoformat(text) for text in gap)
    assert _exists(gap_start - timedelta(seconds=1), tz)
    assert not _exists(gap_start, tz)
    assert not _exists(gap_end - timedelta(seconds=1), tz)
    assert _exists(gap_end, tz)
    start, end = (datetime.fromisoformat(text) for text in repeated)
    first, second = (start.replace(tzinfo=tz, fold=fold) for fold in (0, 1))
    assert first.utcoffset() > second.utcoffset()
    assert (end - timedelta(seconds=1)).replace(tzinfo=tz, fold=1).utcoffset() == second.utcoffset()
    assert (start - timedelta(seconds=1)).replace(tzinfo=tz, fold=1).utcoffset() == first.utcoffset()
    assert end.replace(tzinfo=tz, fold=1).utcoffset() == second.utcoffset()


# --- DST: a rule in the gap, in the repeated hour, and outside both, for the day before, of, after --

# Each case lists the expected runs; the search starts at midnight UTC of the first one's day.
DST_CASES = [
    # America/New_York: 2027-03-14 02:00 EST -> 03:00 EDT; 2027-11-07 02:00 EDT -> 01:00 EST.
    (NEW_YORK, "30 2 * * *", "2027-03-13T07:30:00Z 2027-03-14T07:00:00Z 2027-03-15T06:30:00Z"),
    (NEW_YORK, "0 4 * * *", "2027-03-13T09:00:00Z 2027-03-14T08:00:00Z 2027-03-15T08:00:00Z"),
    (NEW_YORK, "30 1 * * *", "2027-11-06T05:30:00Z 2027-11-07T05:30:00Z 2027-11-08T06:30:00Z"),
    (NEW_YORK, "0 4 * * *", "2027-11-06T08:00:00Z 2027-11-07T09:00:00Z 2027-11-08T09:00:00Z"),
    # Europe/London: 2027-03-28 01:00 GMT -> 02:00 BST; 2027-10-31 02:00 BST -> 01:00 GMT.
    (LONDON, "30 1 * * *", "2027-03-27T01:30:00Z 2027-03-28T01:00:00Z 2027-03-29T00:30:00Z"),
    (LONDON, "0 9 * * *", "2027-03-27T09:00:00Z 2027-03-28T08:00:00Z 2027-03-29T08:00:00Z"),
    (LONDON, "30 1 * * *", "2027-10-30T00:30:00Z 2027-10-31T00:30:00Z 2027-11-01T01:30:00Z"),
    (LONDON, "0 9 * * *", "2027-10-30T08:00:00Z 2027-10-31T09:00:00Z 2027-11-01T09:00:00Z"),
    # Australia/Sydney: 2027-04-04 03:00 AEDT -> 02:00 AEST; 2027-10-03 02:00 AEST -> 03:00 AEDT.
    (SYDNEY, "30 2 * * *", "2027-04-02T15:30:00Z 2027-04-03T15:30:00Z 2027-04-04T16:30:00Z"),
    (SYDNEY, "0 9 * * *", "2027-04-02T22:00:00Z 2027-04-03T23:00:00Z 2027-04-04T23:00:00Z"),
    (SYDNEY, "30 2 * * *", "2027-10-01T16:30:00Z 2027-10-02T16:00:00Z 2027-10-03T15:30:00Z"),
    (SYDNEY, "0 9 * * *", "2027-10-01T23:00:00Z 2027-10-02T22:00:00Z 2027-10-03T22:00:00Z"),
    # Australia/Lord_Howe moves 30 minutes: 2027-04-04 02:00 +11 -> 01:30 +10:30 and
    # 2027-10-03 02:00 +10:30 -> 02:30 +11.
    (LORD_HOWE, "45 1 * * *", "2027-04-02T14:45:00Z 2027-04-03T14:45:00Z 2027-04-04T15:15:00Z"),
    (LORD_HOWE, "0 9 * * *", "2027-04-02T22:00:00Z 2027-04-03T22:30:00Z 2027-04-04T22:30:00Z"),
    (LORD_HOWE, "15 2 * * *", "2027-10-01T15:45:00Z 2027-10-02T15:30:00Z 2027-10-03T15:15:00Z"),
    (LORD_HOWE, "0 9 * * *", "2027-10-01T22:30:00Z 2027-10-02T22:00:00Z 2027-10-03T22:00:00Z"),
]
DST_CASE_IDS = [
    f"{city}-{case}"
    for city, cases in [
        ("new-york", ["gap", "spring-outside", "repeated", "fall-outside"]),
        ("london", ["gap", "spring-outside", "repeated", "fall-outside"]),
        ("sydney", ["repeated", "fall-outside", "gap", "spring-outside"]),
        ("lord-howe", ["repeated", "fall-outside", "gap", "spring-outside"]),
    ]
    for case in cases
]


@pytest.mark.parametrize(("zone", "rule", "expected"), DST_CASES, ids=DST_CASE_IDS)
def test_daily_rule_follows_herald_dst_rules_around_each_transition(zone, rule, expected):
    after = utc(expected[:10] + "T00:00Z")
    assert " ".join(runs(rule, zone, after, 3)) == expected


def test_daily_0230_in_new_york_runs_at_gap_end_on_spring_forward_and_once_on_fall_back():
    assert runs("30 2 * * *", NEW_YORK, utc("2027-03-12T00:00Z"), 10, ends_at=utc("2027-03-17T00:00Z")) == [
        "2027-03-12T07:30:00Z",
        "2027-03-13T07:30:00Z",
        "2027-03-14T07:00:00Z",  # 02:30 does not exist: 03:00 EDT, not 03:30
        "2027-03-15T06:30:00Z",
        "2027-03-16T06:30:00Z",
    ]
    assert runs("30 2 * * *", NEW_YORK, utc("2027-11-05T00:00Z"), 4) == [
        "2027-11-05T06:30:00Z",
        "2027-11-06T06:30:00Z",
        "2027-11-07T07:30:00Z",  # 02:30 EST, after the repeated hour
        "2027-11-08T07:30:00Z",
    ]


def test_rule_in_repeated_hour_runs_once_at_first_occurrence():
    assert runs("30 1 * * *", NEW_YORK, utc("2027-11-07T00:00Z"), 2) == [
        "2027-11-07T05:30:00Z",  # 01:30 EDT; not again at 01:30 EST = 06:30Z
        "2027-11-08T06:30:00Z",
    ]


def test_quarter_hourly_rule_pauses_during_the_repeated_hour():
    assert runs("*/15 * * * *", NEW_YORK, utc("2027-11-07T05:30Z"), 4) == [
        "2027-11-07T05:45:00Z",  # 01:45 EDT
        "2027-11-07T07:00:00Z",  # 02:00 EST: 01:00-01:45 EST already ran as EDT
        "2027-11-07T07:15:00Z",
        "2027-11-07T07:30:00Z",
    ]


def test_after_inside_second_pass_of_repeated_hour_skips_to_next_new_wall_time():
    assert runs("*/15 * * * *", NEW_YORK, utc("2027-11-07T06:20Z"), 2) == [
        "2027-11-07T07:00:00Z",
        "2027-11-07T07:15:00Z",
    ]


@pytest.mark.parametrize(
    ("zone", "rule", "after", "expected"),
    [
        (
            NEW_YORK,
            "0,15,30,45 2 * * *",
            "2027-03-14T00:00Z",
            ["2027-03-14T07:00:00Z", "2027-03-15T06:00:00Z"],
        ),
        (
            NEW_YORK,
            "*/15 * * * *",
            "2027-03-14T06:40Z",
            ["2027-03-14T06:45:00Z", "2027-03-14T07:00:00Z", "2027-03-14T07:15:00Z"],
        ),
        (
            LORD_HOWE,
            "0,15,30 2 * * *",
            "2027-10-02T00:00Z",
            ["2027-10-02T15:30:00Z", "2027-10-03T15:00:00Z"],
        ),
        (
            LONDON,
            "0-59/20 1 * * *",
            "2027-03-28T00:00Z",
            ["2027-03-28T01:00:00Z", "2027-03-29T00:00:00Z"],
        ),
    ],
)
def test_several_rule_times_inside_one_gap_run_once_at_gap_end(zone, rule, after, expected):
    assert runs(rule, zone, utc(after), len(expected)) == expected


def test_rule_on_a_skipped_calendar_day_runs_when_the_day_ends():
    # Samoa skipped 2011-12-30 entirely, moving from -10:00 to +14:00 at midnight.
    assert runs("0 9 * * *", "Pacific/Apia", utc("2011-12-29T00:00Z"), 3) == [
        "2011-12-29T19:00:00Z",
        "2011-12-30T10:00:00Z",  # 2011-12-30 09:00 never happened: the gap ends 2011-12-31 00:00 +14
        "2011-12-30T19:00:00Z",
    ]


def test_day_31_rule_skips_short_months():
    assert runs("0 12 31 * *", LONDON, utc("2027-01-01T00:00Z"), 7) == [
        "2027-01-31T12:00:00Z",
        "2027-03-31T11:00:00Z",
        "2027-05-31T11:00:00Z",
        "2027-07-31T11:00:00Z",
        "2027-08-31T11:00:00Z",
        "2027-10-31T12:00:00Z",
        "2027-12-31T12:00:00Z",
    ]


def test_ends_at_is_inclusive_and_stops_the_search():
    found = runs("0 9 * * *", "UTC", utc("2027-01-01T00:00Z"), 10, ends_at=utc("2027-01-03T09:00Z"))
    assert found == ["2027-01-01T09:00:00Z", "2027-01-02T09:00:00Z", "2027-01-03T09:00:00Z"]


def test_ends_at_before_first_run_gives_nothing():
    assert runs("0 9 * * *", "UTC", utc("2027-01-01T00:00Z"), 10, ends_at=utc("2027-01-01T08:59Z")) == []


def test_starts_at_is_inclusive_when_later_than_after():
    found = runs("0 9 * * *", "UTC", utc("2027-01-01T00:00Z"), 2, starts_at=utc("2027-02-01T09:00Z"))
    assert found == ["2027-02-01T09:00:00Z", "2027-02-02T09:00:00Z"]


def test_after_wins_when_later_than_starts_at_and_is_exclusive():
    found = runs("0 9 * * *", "UTC", utc("2027-03-01T09:00Z"), 1, starts_at=utc("2027-01-01T00:00Z"))
    assert found == ["2027-03-02T09:00:00Z"]


def test_after_with_microseconds_is_exclusive_of_the_earlier_whole_second():
    assert runs("0 9 * * *", "UTC", utc("2027-03-01T08:59:59.999999Z"), 1) == ["2027-03-01T09:00:00Z"]


def test_never_firing_rule_terminates_with_no_runs():
    assert occurrences("0 0 31 2 *", NEW_YORK, utc("2027-01-01T00:00Z"), 10) == []
    assert occurrences("0 0 30 2 *", "UTC", utc("2027-01-01T00:00Z"), 10) == []


def test_leap_day_rule_crosses_the_skipped_century_leap_year():
    assert runs("0 0 29 2 *", "UTC", utc("2096-03-01T00:00Z"), 2) == [
        "2104-02-29T00:00:00Z",
        "2108-02-29T00:00:00Z",
    ]


def test_zero_count_gives_no_runs():
    assert occurrences("* * * * *", "UTC", utc("2027-01-01T00:00Z"), 0) == []


def test_occurrences_rejects_naive_after():
    with pytest.raises(ValueError, match="after must be timezone-aware"):
        occurrences("* * * * *", "UTC", datetime(2027, 1, 1), 1)


def test_occurrences_reports_bad_rule_and_zone_by_field():
    with pytest.raises(TimeInputError) as bad_rule:
        occurrences("61 * * * *", "UTC", utc("2027-01-01T00:00Z"), 1)
    with pytest.raises(TimeInputError) as bad_zone:
        occurrences("0 * * * *", "Mars/Base", utc("2027-01-01T00:00Z"), 1)
    assert (bad_rule.value.field, bad_zone.value.field) == ("cron", "timezone")


# --- preview ------------------------------------------------------------------------------------


def test_preview_gives_description_zone_and_utc_with_local_times():
    result = preview("30 9 * * mon-fri", "Europe/Paris", after=utc("2026-11-28T00:00Z"), count=2)
    assert result == {
        "description": "At 09:30, Monday through Friday",
        "timezone": "Europe/Paris",
        "occurrences": [
            {"utc": "2026-11-30T08:30:00Z", "local": "2026-11-30T09:30:00+01:00"},
            {"utc": "2026-12-01T08:30:00Z", "local": "2026-12-01T09:30:00+01:00"},
        ],
    }


def test_preview_shows_gap_run_at_the_local_gap_end():
    result = preview("30 2 * * *", NEW_YORK, after=utc("2027-03-14T00:00Z"), count=1)
    assert result["occurrences"] == [{"utc": "2027-03-14T07:00:00Z", "local": "2027-03-14T03:00:00-04:00"}]


def test_preview_defaults_to_ten_runs_from_now():
    before = utcnow()
    result = preview("* * * * *", "UTC")
    assert len(result["occurrences"]) == 10
    assert utc(result["occurrences"][0]["utc"]) > before


def test_preview_starts_from_starts_at():
    result = preview("0 9 * * *", "UTC", after=utc("2027-01-01T00:00Z"), count=1, starts_at=utc("2027-06-01T00:00Z"))
    assert result["occurrences"] == [{"utc": "2027-06-01T09:00:00Z", "local": "2027-06-01T09:00:00+00:00"}]


# --- parse_instant --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "zone", "expected"),
    [
        ("2026-12-01T09:30:00Z", None, "2026-12-01T09:30:00+00:00"),
        ("2026-12-01t09:30:00z", None, "2026-12-01T09:30:00+00:00"),
        ("2026-12-01T09:30:00+01:00", None, "2026-12-01T08:30:00+00:00"),
        ("2026-12-01T09:30:00+01:00", NEW_YORK, "2026-12-01T08:30:00+00:00"),
        ("2026-12-01T09:30:00-05:30", None, "2026-12-01T15:00:00+00:00"),
        ("2026-12-01T09:30:00.250Z", None, "2026-12-01T09:30:00.250000+00:00"),
        ("2026-12-01T09:30:00", "Europe/Paris", "2026-12-01T08:30:00+00:00"),
        ("2026-12-01 09:30", "Europe/Paris", "2026-12-01T08:30:00+00:00"),
        ("  2026-07-01T09:30:00  ", "Europe/Paris", "2026-07-01T07:30:00+00:00"),
        ("2027-03-14T02:30:00", NEW_YORK, "2027-03-14T07:00:00+00:00"),
        ("2027-11-07T01:30:00", NEW_YORK, "2027-11-07T05:30:00+00:00"),
        ("2027-10-03T02:15:00", LORD_HOWE, "2027-10-02T15:30:00+00:00"),
    ],
    ids=[
        "z",
        "lower-case-t-and-z",
        "offset",
        "offset-beats-timezone",
        "negative-offset",
        "fraction",
        "naive-with-timezone",
        "space-and-no-seconds",
        "surrounding-space",
        "naive-in-gap",
        "naive-in-repeated-hour",
        "naive-in-half-hour-gap",
    ],
)
def test_parse_instant_gives_aware_utc(value, zone, expected):
    parsed = parse_instant(value, zone)
    assert parsed.tzinfo is UTC
    assert parsed.isoformat() == expected


@pytest.mark.parametrize(
    ("value", "zone", "field", "field_out", "message"),
    [
        (
            "2026-12-01T09:30:00",
            None,
            "run_at",
            "run_at",
            "has no timezone offset; add one or give a timezone",
        ),
        (
            "2026-12-01T09:30:00",
            "",
            "starts_at",
            "starts_at",
            "has no timezone offset; add one or give a timezone",
        ),
        ("tomorrow", "UTC", "run_at", "run_at", "is not an ISO 8601 date and time"),
        ("", "UTC", "run_at", "run_at", "is not an ISO 8601 date and time"),
        ("2026-12-01", "UTC", "run_at", "run_at", "is not an ISO 8601 date and time"),
        ("12/01/2026 09:30", "UTC", "run_at", "run_at", "is not an ISO 8601 date and time"),
        ("2026-13-01T09:30:00Z", None, "run_at", "run_at", "is not an ISO 8601 date and time"),
        ("2026-02-30T09:30:00Z", None, "ends_at", "ends_at", "is not an ISO 8601 date and time"),
        ("2026-12-01T09:30:00 Europe/Paris", None, "run_at", "run_at", "is not an ISO 8601 date and time"),
        ("2026-12-01T09:30:00", "Mars/Base", "run_at", "timezone", "unknown timezone 'Mars/Base'"),
    ],
    ids=[
        "naive-without-zone",
        "naive-with-empty-zone",
        "word",
        "empty",
        "date-only",
        "us-format",
        "month-13",
        "february-30",
        "zone-name-suffix",
        "unknown-zone",
    ],
)
def test_parse_instant_rejects_with_field_and_message(value, zone, field, field_out, message):
    with pytest.raises(TimeInputError) as caught:
        parse_instant(value, zone, field=field)
    assert (caught.value.field, caught.value.message) == (field_out, message)


def test_parse_instant_rejects_non_string():
    with pytest.raises(TimeInputError, match="run_at: is not an ISO 8601 date and time"):
        parse_instant(20261201, "UTC")  # type: ignore[arg-type]


# --- localize, validate_timezone, small helpers ----------------------------------------------------


def test_localize_rejects_aware_datetime():
    with pytest.raises(ValueError, match="naive"):
        localize(datetime(2027, 1, 1, tzinfo=UTC), zoneinfo.ZoneInfo(NEW_YORK))


def test_localize_keeps_fraction_outside_transitions():
    assert localize(datetime(2027, 1, 1, 9, 0, 0, 500), zoneinfo.ZoneInfo(NEW_YORK)) == utc(
        "2027-01-01T14:00:00.000500Z"
    )


@pytest.mark.parametrize("name", ["UTC", "Europe/Paris", "America/Argentina/Buenos_Aires", "EST5EDT", "US/Eastern"])
def test_validate_timezone_accepts_iana_names(name):
    assert validate_timezone(name).key == name


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (None, "is required"),
        ("", "is required"),
        ("Mars/Base", "unknown timezone 'Mars/Base'"),
        ("europe/paris", "unknown timezone 'europe/paris'"),
        ("localtime", "unknown timezone 'localtime'"),
        ("../../etc/passwd", "unknown timezone '../../etc/passwd'"),
        ("/usr/share/zoneinfo/UTC", "unknown timezone '/usr/share/zoneinfo/UTC'"),
        ("America", "unknown timezone 'America'"),
    ],
)
def test_validate_timezone_rejects_unknown_names(name, message):
    with pytest.raises(TimeInputError) as caught:
        validate_timezone(name, field="channel_timezone")
    assert (caught.value.field, caught.value.message) == ("channel_timezone", message)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2027-01-01T12:00:00.000000Z", "2027-01-01T12:00:00Z"),
        ("2027-01-01T12:00:00.001000Z", "2027-01-01T12:00:01Z"),
        ("2027-01-01T12:00:00.000001Z", "2027-01-01T12:00:01Z"),
        ("2027-12-31T23:59:59.500000Z", "2028-01-01T00:00:00Z"),
    ],
)
def test_ceil_to_second_rounds_up_fractions_only(value, expected):
    assert format_utc(ceil_to_second(utc(value))) == expected


def test_format_utc_converts_to_utc_and_passes_none():
    assert format_utc(datetime.fromisoformat("2026-12-01T09:30:00.9+01:00")) == "2026-12-01T08:30:00Z"
    assert format_utc(None) is None


def test_format_utc_rejects_naive():
    with pytest.raises(ValueError, match="timezone-aware"):
        format_utc(datetime(2027, 1, 1))


def test_utcnow_is_aware_utc():
    assert utcnow().tzinfo is UTC


# --- validate_cron and describe_cron --------------------------------------------------------------


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("30 9 * * mon-fri", "30 9 * * mon-fri"),
        ("  30  9 *\t* MON-FRI ", "30 9 * * mon-fri"),
        ("0 */2 1,15 jan-jun 0-7", "0 */2 1,15 jan-jun 0-7"),
        ("5-59/10 9-17/2 * * *", "5-59/10 9-17/2 * * *"),
        ("@daily", "0 0 * * *"),
        ("@HOURLY", "0 * * * *"),
        ("@weekly", "0 0 * * 0"),
        ("@monthly", "0 0 1 * *"),
        ("@yearly", "0 0 1 1 *"),
        ("5-5 3-3/2 * * mon-MON", "5 3 * * mon"),
    ],
)
def test_validate_cron_normalises(expr, expected):
    assert validate_cron(expr) == expected


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("", "is required"),
        (
            "0 0 * * * *",
            "must have 5 fields (minute hour day-of-month month day-of-week), not 6; "
            "seconds and years are not supported",
        ),
        (
            "0 0 0 1 1 * 2027",
            "must have 5 fields (minute hour day-of-month month day-of-week), not 7; "
            "seconds and years are not supported",
        ),
        ("every day", "must have 5 fields (minute hour day-of-month month day-of-week), not 2"),
        (
            "@reboot",
            "'@reboot' is not supported; use 5 fields or one of "
            "@yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly",
        ),
        ("61 * * * *", "minute '61' is out of range 0-59"),
        ("0 24 * * *", "hour '24' is out of range 0-23"),
        ("0 0 0 * *", "day-of-month '0' is out of range 1-31"),
        ("0 0 32 * *", "day-of-month '32' is out of range 1-31"),
        ("0 0 * 13 *", "month '13' is out of range 1-12"),
        ("0 0 * * 8", "day-of-week '8' is out of range 0-7"),
        ("a b c d e", "minute 'a' is not a number"),
        ("0 0 * Foo *", "month 'Foo' is not a number or a month name"),
        ("0 0 * * funday", "day-of-week 'funday' is not a number or a day name"),
        ("-1 * * * *", "minute '-1' is not a number or a range"),
        ("0 0 * * mon-", "day-of-week 'mon-' is not a number or a range"),
        ("5-1 * * * *", "minute range '5-1' runs backwards"),
        ("0 0 * * fri-mon", "day-of-week range 'fri-mon' runs backwards"),
        ("1,,2 * * * *", "minute '1,,2' has an empty list item"),
        ("*/0 * * * *", "minute step '0' must be a whole number of at least 1"),
        ("*/x * * * *", "minute step 'x' must be a whole number of at least 1"),
        ("5/10 * * * *", "minute step '5/10' needs '*' or a range before the '/'"),
        ("0 0 L * *", "day-of-month 'L' is not a number"),
        ("0 0 ? * *", "day-of-month '?' is not a number"),
        ("0 0 * * 1#2", "day-of-week '1#2' is not a number or a day name"),
        ("H * * * *", "minute 'H' is not a number"),
        ("\u0663 * * * *", "minute '\u0663' is not a number"),
    ],
)
def test_validate_cron_rejects_with_reason(expr, message):
    with pytest.raises(TimeInputError) as caught:
        validate_cron(expr)
    assert (caught.value.field, caught.value.message) == ("cron", message)


@pytest.mark.parametrize(
    ("expr", "description"),
    [
        ("30 9 * * mon-fri", "At 09:30, Monday through Friday"),
        ("0 14 * * *", "At 14:00"),
        ("*/15 * * * *", "Every 15 minutes"),
        ("@daily", "At 00:00"),
        ("0 0 * * 7", "At 00:00, only on Sunday"),
        ("0 9 1,15 * mon", "At 09:00, on day 1 and 15 of the month, or on Monday"),
        ("0 0 31 * *", "At 00:00, on day 31 of the month"),
        ("30 9 * jan-mar MON", "At 09:30, only on Monday, January through March"),
    ],
)
def test_describe_cron_uses_plain_english_and_a_24_hour_clock(expr, description):
    assert describe_cron(expr) == description


def test_describe_cron_rejects_invalid_rule():
    with pytest.raises(TimeInputError, match="cron: minute '99' is out of range 0-59"):
        describe_cron("99 * * * *")


# --- Properties -----------------------------------------------------------------------------------

# (low, high) per field; day-of-week uses 0-6 here, with 7 only ever as a single value for Sunday.
_RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 6))
_DST_ZONES = [NEW_YORK, LONDON, SYDNEY, LORD_HOWE, "Europe/Dublin", "UTC"]


@st.composite
def _field(draw, low: int, high: int) -> tuple[str, frozenset[int]]:
    kind = draw(st.sampled_from(["star", "value", "list", "range", "step", "range-step"]))
    if kind == "star":
        return "*", frozenset(range(low, high + 1))
    if kind == "value":
        value = draw(st.integers(low, high))
        return str(value), frozenset({value})
    if kind == "list":
        values = draw(st.lists(st.integers(low, high), min_size=1, max_size=4, unique=True))
        return ",".join(map(str, values)), frozenset(values)
    if kind == "step":
        step = draw(st.integers(1, high - low + 1))
        return f"*/{step}", frozenset(range(low, high + 1, step))
    first = draw(st.integers(low, high))
    last = draw(st.integers(first, high))
    if kind == "range":
        return f"{first}-{last}", frozenset(range(first, last + 1))
    step = draw(st.integers(1, high - low + 1))
    return f"{first}-{last}/{step}", frozenset(range(first, last + 1, step))


@st.composite
def _rules(draw) -> tuple[str, list[frozenset[int]]]:
    texts, sets = [], []
    for index, (low, high) in enumerate(_RANGES):
        text, values = draw(_field(low, high))
        if values == frozenset(range(low, high + 1)):
            text = "*"  # croniter treats a written-out full day field as '*' only sometimes
        if index == 4 and text == "0" and draw(st.booleans()):
            text = "7"
        texts.append(text)
        sets.append(values)
    return " ".join(texts), sets


def _matches(wall: datetime, rule: str, sets: list[frozenset[int]]) -> bool:
    minutes, hours, days, months, weekdays = sets
    if wall.minute not in minutes or wall.hour not in hours or wall.month not in months:
        return False
    day_star, weekday_star = (part == "*" for part in rule.split()[2:5:2])
    day_ok, weekday_ok = wall.day in days, (wall.weekday() + 1) % 7 in weekdays
    # Vixie cron: when both day fields are restricted, either may match.
    return day_ok or weekday_ok if not (day_star or weekday_star) else day_ok and weekday_ok


def _is_gap_end_for(run: datetime, tz: zoneinfo.ZoneInfo, rule: str, sets: list[frozenset[int]]) -> bool:
    end = run.astimezone(tz).replace(tzinfo=None)
    start = (run - timedelta(seconds=1)).astimezone(tz).replace(tzinfo=None) + timedelta(seconds=1)
    wall = start
    while wall < end:
        if _matches(wall, rule, sets):
            return True
        wall += timedelta(minutes=1)
    return False


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rule=_rules(),
    zone=st.sampled_from(sorted(zoneinfo.available_timezones() - {"localtime", "Factory"})),
    after=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2060, 1, 1)),
    count=st.integers(1, 25),
)
def test_occurrences_are_ascending_whole_second_utc_runs_of_the_rule(rule, zone, after, count):
    text, sets = rule
    tz = zoneinfo.ZoneInfo(zone)
    after = after.replace(tzinfo=UTC)
    found = occurrences(text, zone, after, count)
    assert len(found) <= count
    assert all(run.tzinfo is UTC and run.microsecond == 0 for run in found)
    assert all(earlier < later for earlier, later in pairwise(found))
    assert not found or found[0] > after
    for run in found:
        wall = run.astimezone(tz).replace(tzinfo=None)
        is_first_pass = run.astimezone(tz).fold == 0
        assert (_matches(wall, text, sets) and is_first_pass) or _is_gap_end_for(run, tz, text, sets)


def _reference_runs(text: str, sets: list[frozenset[int]], tz: zoneinfo.ZoneInfo, start, end) -> list[datetime]:
    """Find runs minute by minute in UTC: first-pass wall times that match, and gap ends."""
    found = []
    instant = start.replace(second=0, microsecond=0)
    previous_wall = instant.astimezone(tz).replace(tzinfo=None)
    while instant <= end:
        local = instant.astimezone(tz)
        wall = local.replace(tzinfo=None)
        skipped = previous_wall + timedelta(minutes=1)
        in_gap = False
        while skipped < wall:
            in_gap = in_gap or _matches(skipped, text, sets)
            skipped += timedelta(minutes=1)
        if instant > start and (in_gap or (local.fold == 0 and _matches(wall, text, sets))):
            found.append(instant)
        previous_wall = wall
        instant += timedelta(minutes=1)
    return found


@settings(max_examples=60, deadline=None)
@given(
    rule=_rules(),
    transition=st.sampled_from([(zone, text) for zone, *walls in TRANSITIONS_2027 for text, _ in walls]),
    hours_before=st.integers(0, 30),
)
def test_occurrences_match_a_minute_by_minute_reference_around_transitions(rule, transition, hours_before):
    text, sets = rule
    zone, wall = transition
    tz = zoneinfo.ZoneInfo(zone)
    start = localize(datetime.fromisoformat(wall), tz) - timedelta(hours=hours_before)
    end = start + timedelta(hours=36)
    expected = _reference_runs(text, sets, tz, start, end)
    assert occurrences(text, zone, start, 10_000, ends_at=end) == expected


@settings(max_examples=100, deadline=None)
@given(rule=_rules())
def test_every_rule_in_the_dialect_validates_and_describes(rule):
    text, _ = rule
    normalised = validate_cron(text)
    assert validate_cron(normalised) == normalised
    assert describe_cron(text)

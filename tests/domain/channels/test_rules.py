"""Channel rules, judged in the channel's timezone."""

from datetime import UTC, datetime, timedelta

import pytest

from webapp.domain.channels import rules

PARIS = "Europe/Paris"


def _at(y, mo, d, h, mi=0):
    return datetime(y, mo, d, h, mi, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"weekdays": ["mon", "funday"]}, "rules.weekdays"),
        ({"weekdays": []}, "rules.weekdays"),
        ({"time_slots": ["9:00"]}, "rules.time_slots"),
        ({"time_slots": ["24:00"]}, "rules.time_slots"),
        ({"min_spacing_minutes": 0}, "rules.min_spacing_minutes"),
        ({"daily_limit": "3"}, "rules.daily_limit"),
        ({"hourly_limit": 3}, "rules"),
        ({"daily_limit": 10**20}, "rules.daily_limit"),  # would overflow a database integer
        ({"monthly_limit": 310_001}, "rules.monthly_limit"),
        ({"min_spacing_minutes": 10**9}, "rules.min_spacing_minutes"),
        ({"rate_per_minute": -1}, "rules.rate_per_minute"),
        ({"rate_per_minute": 10**20}, "rules.rate_per_minute"),
        ({"time_slots": ["09:00"] * 1441}, "rules.time_slots"),
    ],
)
def test_bad_rules_are_refused_by_field(raw, field):
    assert field in rules.validate(raw)


def test_a_bound_says_the_range():
    assert rules.validate({"daily_limit": 10**20}) == {"rules.daily_limit": "must be a whole number from 1 to 10,000"}
    assert rules.validate({"rate_per_minute": 0, "daily_limit": 10_000}) == {}


def test_good_rules_pass():
    raw = {"weekdays": ["mon", "fri"], "time_slots": ["09:00", "17:30"], "min_spacing_minutes": 60, "daily_limit": 2}
    assert rules.validate(raw) == {}


def test_a_day_outside_the_allowed_weekdays_clashes_in_the_channels_zone():
    # 2027-03-05 23:30 UTC is Saturday 00:30 in Paris.
    found = rules.clashes(rules.parse({"weekdays": ["fri"]}), PARIS, _at(2027, 3, 5, 23, 30), [])

    assert [c.rule for c in found] == ["weekday"]
    assert "sat" in found[0].message


def test_a_time_outside_the_slots_clashes_and_a_slot_does_not():
    slot_rules = rules.parse({"time_slots": ["09:00"]})

    assert rules.clashes(slot_rules, PARIS, _at(2027, 3, 5, 8, 0), []) == []  # 09:00 CET
    assert [c.rule for c in rules.clashes(slot_rules, PARIS, _at(2027, 3, 5, 9, 0), [])] == ["time_slot"]


def test_min_spacing_names_the_clashing_publications():
    found = rules.clashes(
        rules.parse({"min_spacing_minutes": 60}),
        PARIS,
        _at(2027, 3, 5, 9),
        [(7, _at(2027, 3, 5, 9, 30)), (8, _at(2027, 3, 5, 12))],
    )

    assert [(c.rule, c.publication_ids) for c in found] == [("min_spacing", (7,))]


def test_the_daily_limit_counts_the_local_day():
    # 23:30 UTC on the 4th is already the 5th in Paris, so it counts towards the 5th.
    others = [(1, _at(2027, 3, 4, 23, 30)), (2, _at(2027, 3, 5, 10))]

    found = rules.clashes(rules.parse({"daily_limit": 2}), PARIS, _at(2027, 3, 5, 15), others)

    assert [(c.rule, c.publication_ids) for c in found] == [("daily_limit", (1, 2))]


@pytest.mark.parametrize(("rule", "others", "clash"), [("weekly_limit", 3, True), ("monthly_limit", 3, True)])
def test_weekly_and_monthly_limits(rule, others, clash):
    existing = [(i, _at(2027, 3, 2, 10) + timedelta(hours=i)) for i in range(others)]  # Tue 2 March

    found = rules.clashes(rules.parse({rule: others}), PARIS, _at(2027, 3, 4, 10), existing)

    assert bool(found) is clash


def test_free_slots_skip_taken_and_disallowed_times():
    channel_rules = rules.parse({"weekdays": ["mon", "wed"], "time_slots": ["09:00", "17:00"], "daily_limit": 1})
    monday_nine = _at(2027, 3, 8, 8)  # 09:00 CET, already taken

    slots = rules.free_slots(channel_rules, PARIS, _at(2027, 3, 6, 12), [(1, monday_nine)], count=3)

    # Monday 17:00 is out: that day already has its one publication. Each slot is an alternative.
    assert slots == [_at(2027, 3, 10, 8), _at(2027, 3, 10, 16), _at(2027, 3, 15, 8)]


def test_free_slots_without_slot_rules_are_quarter_hours_after_spacing():
    channel_rules = rules.parse({"min_spacing_minutes": 60})

    slots = rules.free_slots(channel_rules, "UTC", _at(2027, 3, 5, 9, 0), [(1, _at(2027, 3, 5, 9, 20))], count=2)

    assert slots == [_at(2027, 3, 5, 10, 30), _at(2027, 3, 5, 10, 45)]

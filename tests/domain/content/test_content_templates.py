"""Content templates: saved from a content item, renamed, deleted, and the start of new items (and schedules)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from webapp.core.errors import Forbidden, NotFound, ValidationFailed
from webapp.domain.channels import channels
from webapp.domain.content import content_templates
from webapp.domain.publishing import from_template, schedules
from webapp.extensions import db
from webapp.models import Content, ContentTemplate, Schedule

NOW = datetime(2030, 3, 4, 10, 0, tzinfo=UTC)  # a Monday; 11:00 in Paris


@pytest.fixture
def owner(make):
    return make.actor()


@pytest.fixture
def hook(make, owner):
    return make.channel(owner, name="hook")


@pytest.fixture
def article(make, owner, hook):
    return make.content(
        owner,
        title="Weekly news",
        body="## This week\n\n- item",
        excerpt="Summary",
        content_type="newsletter",
        tags=["weekly"],
        variants=[{"platform": "mastodon", "body": "New issue out"}, {"channel_id": hook.id, "title": "Hook title"}],
    )


def _save(owner, content, **values):
    return content_templates.save_as_template(owner, content.id, {"name": "Weekly", **values})


def _count(model) -> int:
    return db.session.query(model).count()


def test_saving_a_template_copies_the_structure_tags_variants_channels_and_schedule(owner, article, hook):
    rule = {"cron": "0 9 * * mon", "timezone": "Europe/Paris"}
    template = _save(owner, article, channel_ids=[hook.id], schedule=rule)
    assert (template.name, template.title, template.body, template.excerpt) == (
        "Weekly",
        "Weekly news",
        "## This week\n\n- item",
        "Summary",
    )
    assert (template.content_type, template.tags, template.channel_ids) == ("newsletter", ["weekly"], [hook.id])
    assert template.schedule == rule
    assert [(v["platform"], v["channel_id"]) for v in template.variants] == [("mastodon", None), (None, hook.id)]


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"name": " "}, "name", "is required"),
        ({"name": "n" * 121}, "name", "must be at most 120 characters"),
        ({"channel_ids": "1"}, "channel_ids", "must be a list of channel ids"),
        ({"channel_ids": [999]}, "channel_ids", "unknown channel id(s): 999"),
        ({"schedule": "daily"}, "schedule", "must be an object with cron or after_days and at, and a timezone"),
        ({"schedule": {"cron": "61 * * * *", "timezone": "UTC"}}, "schedule.cron", None),
        (
            {"schedule": {"cron": "0 9 * * *", "timezone": "Mars/Base"}},
            "schedule.timezone",
            "unknown timezone 'Mars/Base'",
        ),
        ({"schedule": {"cron": "0 9 * * *"}}, "schedule.timezone", "is required"),
        ({"schedule": {"after_days": -1, "at": "09:00", "timezone": "UTC"}}, "schedule.after_days", None),
        (
            {"schedule": {"after_days": 1, "at": "9am", "timezone": "UTC"}},
            "schedule.at",
            "must be a time of day as HH:MM",
        ),
        (
            {"schedule": {"cron": "0 9 * * *", "after_days": 1, "timezone": "UTC"}},
            "schedule",
            "give either cron or after_days and at, not both",
        ),
    ],
)
def test_invalid_template_settings_are_refused_and_nothing_is_written(owner, article, values, field, message):
    with pytest.raises(ValidationFailed) as error:
        _save(owner, article, **values)
    assert field in error.value.fields
    if message:
        assert error.value.fields[field] == message
    db.session.rollback()
    assert _count(ContentTemplate) == 0


def test_template_names_are_unique_per_workspace_only(make, owner, article):
    _save(owner, article)
    with pytest.raises(ValidationFailed) as error:
        _save(owner, article)
    assert error.value.fields == {"name": "is already used by another template"}
    other = make.actor()
    assert _save(other, make.content(other)).name == "Weekly"


def test_another_workspace_cannot_read_change_delete_or_start_a_template(make, owner, article):
    template = _save(owner, article)
    outsider = make.actor()
    for call in (
        lambda: content_templates.get_template(outsider, template.id),
        lambda: content_templates.update_template(outsider, template.id, {"name": "Mine"}),
        lambda: content_templates.delete_template(outsider, template.id),
        lambda: from_template.start_from_template(outsider, template.id),
    ):
        with pytest.raises(NotFound):
            call()
    assert content_templates.list_templates(outsider) == []
    with pytest.raises(ValidationFailed) as error:
        content_templates.save_as_template(outsider, article.id, {"name": "Stolen"})
    assert error.value.fields == {"content_id": "unknown content id"}


def test_a_viewer_cannot_save_or_start_templates(make, owner, article):
    template = _save(owner, article)
    viewer = make.actor(role="viewer")
    with pytest.raises(Forbidden):
        from_template.start_from_template(viewer, template.id)


def test_renaming_and_deleting_a_template(owner, article):
    template = _save(owner, article)
    content_templates.update_template(owner, template.id, {"name": "  Monday issue "})
    assert content_templates.get_template(owner, template.id).name == "Monday issue"
    content_templates.delete_template(owner, template.id)
    assert content_templates.list_templates(owner) == []
    assert _count(Content) == 1  # the item it came from stays


def test_starting_from_a_template_makes_a_draft_with_its_structure_and_variants(owner, article, hook):
    template = _save(owner, article)
    content, schedule = from_template.start_from_template(owner, template.id, title="Issue 12")
    assert schedule is None
    assert (content.title, content.body, content.excerpt, content.content_type, content.tags, content.status) == (
        "Issue 12",
        "## This week\n\n- item",
        "Summary",
        "newsletter",
        ["weekly"],
        "draft",
    )
    assert [(v.platform, v.channel_id, v.title, v.body) for v in content.variants] == [
        ("mastodon", None, None, "New issue out"),
        (None, hook.id, "Hook title", None),
    ]


def test_a_variant_for_a_channel_deleted_since_is_left_out(owner, article, hook):
    template = _save(owner, article)
    channels.delete_channel(owner, hook.id)
    content, _ = from_template.start_from_template(owner, template.id)
    assert content.title == "Weekly news"
    assert [v.platform for v in content.variants] == ["mastodon"]


def test_starting_with_a_relative_default_schedules_it_that_many_days_later_at_the_local_time(owner, article, hook):
    rule = {"after_days": 1, "at": "09:30", "timezone": "Europe/Paris"}
    template = _save(owner, article, channel_ids=[hook.id], schedule=rule)
    content, schedule = from_template.start_from_template(owner, template.id, schedule=True, now=NOW)
    assert schedule.content_id == content.id
    assert schedule.run_at == datetime(2030, 3, 5, 8, 30, tzinfo=UTC)  # 09:30 CET the next day
    assert [c.id for c in schedule.channels] == [hook.id]


def test_a_same_day_time_already_past_moves_to_the_next_day(owner, article, hook):
    rule = {"after_days": 0, "at": "08:00", "timezone": "Europe/Paris"}
    template = _save(owner, article, channel_ids=[hook.id], schedule=rule)
    _, schedule = from_template.start_from_template(owner, template.id, schedule=True, now=NOW)
    assert schedule.run_at == datetime(2030, 3, 5, 7, 0, tzinfo=UTC)


def test_starting_with_a_cron_default_makes_a_recurring_schedule(owner, article, hook):
    template = _save(
        owner, article, channel_ids=[hook.id], schedule={"cron": "0 9 * * mon", "timezone": "Europe/Paris"}
    )
    _, schedule = from_template.start_from_template(owner, template.id, schedule=True, now=NOW)
    assert (schedule.cron, schedule.timezone) == ("0 9 * * mon", "Europe/Paris")
    assert schedule.next_run_at == datetime(2030, 3, 11, 8, 0, tzinfo=UTC)


def test_scheduling_needs_a_default_and_channels(owner, article, hook):
    bare = _save(owner, article)
    with pytest.raises(ValidationFailed) as error:
        from_template.start_from_template(owner, bare.id, schedule=True, now=NOW)
    assert error.value.fields == {"schedule": "this template has no default schedule"}
    rule = {"after_days": 1, "at": "09:00", "timezone": "UTC"}
    no_channels = content_templates.save_as_template(owner, article.id, {"name": "No channels", "schedule": rule})
    with pytest.raises(ValidationFailed) as error:
        from_template.start_from_template(owner, no_channels.id, schedule=True, now=NOW)
    assert error.value.fields == {"schedule": "this template has no channels to schedule on"}
    assert _count(Content) == 1  # nothing started


def test_a_default_time_that_breaks_a_channel_rule_refuses_the_start_before_writing(make, owner, article):
    sundays_only = make.channel(owner, name="sundays", rules={"weekdays": ["sun"]})
    rule = {"after_days": 1, "at": "09:00", "timezone": "UTC"}  # a Tuesday
    template = _save(owner, article, channel_ids=[sundays_only.id], schedule=rule)
    with pytest.raises(ValidationFailed) as error:
        from_template.start_from_template(owner, template.id, schedule=True, now=NOW)
    assert list(error.value.fields) == ["schedule"]
    assert "conflicts with channel rules" in error.value.fields["schedule"]
    db.session.rollback()
    assert (_count(Content), _count(Schedule)) == (1, 0)


def test_the_default_schedule_is_described_in_words():
    describe = content_templates.describe_schedule
    assert describe(None) == "no default schedule"
    assert describe({"cron": "30 9 * * 1-5", "timezone": "Europe/Paris"}) == (
        "At 09:30, Monday through Friday (Europe/Paris)"
    )
    assert describe({"after_days": 1, "at": "09:00", "timezone": "UTC"}) == "the next day at 09:00 (UTC)"
    assert describe({"after_days": 3, "at": "18:15", "timezone": "UTC"}) == "3 days later at 18:15 (UTC)"


def test_schedules_started_from_templates_enqueue_like_any_other(owner, article, hook, redis_conn):
    template = _save(
        owner, article, channel_ids=[hook.id], schedule={"after_days": 2, "at": "10:00", "timezone": "UTC"}
    )
    _, schedule = from_template.start_from_template(owner, template.id, schedule=True)
    assert len(schedules.publications_of(schedule)) == 1

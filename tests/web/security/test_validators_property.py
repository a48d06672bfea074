"""Property-based: any input to the content, channel and schedule services, and to the cron dialect,
gives either a valid stored record or ValidationFailed naming the fields, and nothing half-written."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from webapp.adapters import PLATFORMS
from webapp.core import recurrence
from webapp.core.errors import LazyText, ValidationFailed
from webapp.domain.channels import channels
from webapp.domain.content import contents
from webapp.domain.publishing import schedules
from webapp.extensions import db
from webapp.models import CONTENT_TYPES, Channel, Content, EditorialStatus, Priority, Schedule

from .strategies import either, json_values, texts

PROPERTY = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
FUTURE = datetime(2030, 1, 1, tzinfo=UTC)


def _counts() -> dict[str, int]:
    return {t.name: db.session.scalar(select(func.count()).select_from(t)) for t in db.metadata.sorted_tables}


def _attempt(call, allowed_fields):
    """Run `call`; on ValidationFailed check its field messages and that no row was written."""
    before = _counts()
    try:
        return call()
    except ValidationFailed as exc:
        db.session.rollback()
        assert exc.fields, "a validation failure must name at least one field"
        # A message is text, or lazy text (webapp.core.errors.LazyText) rendered in the reader's language.
        assert all(
            isinstance(k, str) and isinstance(v, str | LazyText) and str(v).strip() for k, v in exc.fields.items()
        )
        assert {k.split(".")[0] for k in exc.fields} <= set(allowed_fields), exc.fields
        assert _counts() == before
        return None


@pytest.fixture
def owner(make):
    return make.actor()


CONTENT_FIELDS = {
    "title": either(st.text(min_size=1, max_size=300)),
    "body": either(st.text()),
    "excerpt": either(st.text(max_size=2000)),
    "content_type": either(st.sampled_from(CONTENT_TYPES)),
    "tags": either(st.lists(st.text(min_size=1, max_size=60), max_size=5)),
    "status": either(st.sampled_from([s.value for s in EditorialStatus])),
    "body_format": either(st.sampled_from(["markdown", "html"])),
}


@PROPERTY
@given(values=st.fixed_dictionaries({}, optional=CONTENT_FIELDS))
def test_any_content_is_stored_whole_or_refused_by_field(owner, values):
    content = _attempt(lambda: contents.create_content(owner, **values), CONTENT_FIELDS)
    if content is not None:
        db.session.expire_all()
        stored = db.session.get(Content, content.id)
        assert stored.title == values["title"].strip() and stored.workspace_id == owner.workspace_id
        assert all(isinstance(t, str) and t for t in stored.tags)


@PROPERTY
@given(changes=st.fixed_dictionaries({}, optional=CONTENT_FIELDS))
def test_any_content_update_applies_whole_or_changes_nothing(owner, make, changes):
    content = make.content(owner, title="Original", body="Body")
    updated = _attempt(lambda: contents.update_content(owner, content.id, changes), CONTENT_FIELDS)
    db.session.expire_all()
    stored = db.session.get(Content, content.id)
    if updated is None:
        assert (stored.title, stored.body) == ("Original", "Body")
    elif "title" in changes:
        assert stored.title == changes["title"].strip()


WEBHOOK_SETTINGS = st.fixed_dictionaries(
    {"url": st.sampled_from(["https://example.test/hook", "http://127.0.0.1:9/h"])}
)
CHANNEL_FIELDS = {
    "name": either(st.text(min_size=1, max_size=120)),
    "platform": either(st.sampled_from(PLATFORMS)),
    "settings": either(WEBHOOK_SETTINGS),
    "credentials": either(st.fixed_dictionaries({"secret": st.text(min_size=1, max_size=40)})),
    "timezone": either(st.sampled_from(["UTC", "Europe/Paris", "America/New_York"])),
    "rules": either(
        st.fixed_dictionaries(
            {},
            optional={
                "weekdays": either(st.lists(st.sampled_from(["mon", "tue", "sat"]), max_size=3)),
                "slots": either(st.lists(st.sampled_from(["09:00", "13:30"]), max_size=2)),
                "min_spacing_minutes": either(st.integers(0, 600)),
                "daily_limit": either(st.integers(1, 10)),
            },
        )
    ),
}


@PROPERTY
@given(
    values=st.fixed_dictionaries(
        {
            "name": CHANNEL_FIELDS["name"],
            "platform": CHANNEL_FIELDS["platform"],
            "settings": CHANNEL_FIELDS["settings"],
            "credentials": CHANNEL_FIELDS["credentials"],
        },
        optional={"timezone": CHANNEL_FIELDS["timezone"], "rules": CHANNEL_FIELDS["rules"]},
    )
)
def test_any_channel_is_stored_whole_or_refused_by_field(owner, values):
    channel = _attempt(lambda: channels.create_channel(owner, **values), CHANNEL_FIELDS)
    if channel is not None:
        db.session.expire_all()
        stored = db.session.get(Channel, channel.id)
        assert stored.name == values["name"].strip() and stored.platform == values["platform"]


@PROPERTY
@given(changes=st.fixed_dictionaries({}, optional=CHANNEL_FIELDS))
def test_any_channel_update_applies_whole_or_changes_nothing(owner, make, changes):
    channel = make.channel(owner)
    original = channel.name
    updated = _attempt(lambda: channels.update_channel(owner, channel.id, changes), CHANNEL_FIELDS)
    db.session.expire_all()
    if updated is None:
        assert db.session.get(Channel, channel.id).name == original


def _iso(dt: datetime) -> str:
    return dt.isoformat().replace("+00:00", "Z")


INSTANTS = st.datetimes(min_value=datetime(2029, 1, 1), max_value=datetime(2035, 1, 1)).map(
    lambda d: _iso(d.replace(tzinfo=UTC))
)
SCHEDULE_FIELDS = {
    "content_id": either(st.just("CONTENT")),
    "channel_ids": either(st.just("CHANNELS")),
    "run_at": either(INSTANTS),
    "cron": either(st.sampled_from(["0 9 * * mon-fri", "*/15 * * * *", "@daily", "0 0 29 2 *", "0 9 31 4 *"])),
    "timezone": either(st.sampled_from(["UTC", "Europe/Paris", "Asia/Kathmandu"])),
    "starts_at": either(INSTANTS),
    "ends_at": either(INSTANTS),
    "max_runs": either(st.integers(1, 5)),
    "priority": either(st.sampled_from([p.value for p in Priority])),
    "missed_policy": either(st.sampled_from(["run_late", "skip"])),
    "grace_minutes": either(st.integers(0, 120)),
    "allow_conflicts": either(st.booleans()),
}


@PROPERTY
@given(data=st.fixed_dictionaries({}, optional=SCHEDULE_FIELDS))
def test_any_schedule_is_stored_whole_or_refused_by_field(owner, make, data):
    content, channel = make.content(owner), make.channel(owner)
    data = dict(data)
    if data.get("content_id") == "CONTENT":
        data["content_id"] = content.id
    if data.get("channel_ids") == "CHANNELS":
        data["channel_ids"] = [channel.id]
    schedule = _attempt(
        lambda: schedules.create_schedule(owner, data, now=FUTURE - timedelta(days=400)), SCHEDULE_FIELDS
    )
    if schedule is not None:
        db.session.expire_all()
        stored = db.session.get(Schedule, schedule.id)
        assert stored.next_run_at is not None and schedules.publications_of(stored)


@PROPERTY
@given(
    rule=st.one_of(
        texts,
        json_values,
        st.lists(st.sampled_from(["*", "5", "1-3", "*/2", "mon", "jan", "7", "L"]), min_size=1, max_size=6).map(
            " ".join
        ),
    )
)
def test_any_cron_text_is_a_rule_or_a_rule_error(rule):
    try:
        normalised = recurrence.normalise(rule)
    except recurrence.RuleError as exc:
        assert str(exc)
        return
    assert recurrence.normalise(normalised) == normalised  # normalising is idempotent
    assert recurrence.describe(normalised)
    first = next(recurrence.wall_times(normalised, datetime(2030, 1, 1)), None)
    assert first is None or first > datetime(2030, 1, 1)


# Deterministic companions: every text field of every service meets every hostile text, on every database.

HOSTILE = ("a\x00b", "\ud800", "x" * 70_000, "' OR 1=1 --")
TEXT_FIELDS = {
    "content": ("title", "body", "excerpt", "content_type", "status", "body_format", "tags"),
    "channel": ("name", "platform", "timezone", "settings.url", "credentials.secret"),
    "schedule": ("run_at", "cron", "timezone", "priority", "missed_policy"),
}


def _creation(kind: str, owner, make, field: str, text: str):
    """Return a call that creates a record of `kind` with `text` in `field` (other rows made beforehand)."""
    if kind == "content":
        values = {"title": "T", field: [text] if field == "tags" else text}
        return lambda: contents.create_content(owner, **values)
    if kind == "channel":
        values = {
            "name": "C",
            "platform": "webhook",
            "settings": {"url": "https://example.test/h"},
            "credentials": {"secret": "s"},
            "timezone": "UTC",
        }
        head, _, key = field.partition(".")
        if key:
            values[head] = {**values[head], key: text}
        else:
            values[head] = text
        return lambda: channels.create_channel(owner, **values)
    data = {"content_id": make.content(owner).id, "channel_ids": [make.channel(owner).id], "timezone": "UTC"}
    data.update({"cron": "0 9 * * *"} if field != "run_at" else {})
    data[field] = text
    return lambda: schedules.create_schedule(owner, data, now=FUTURE - timedelta(days=400))


@pytest.mark.parametrize("text", HOSTILE, ids=["nul", "surrogate", "huge", "sql"])
@pytest.mark.parametrize(("kind", "field"), [(k, f) for k, fields in TEXT_FIELDS.items() for f in fields])
def test_every_text_field_takes_hostile_text_whole_or_refuses_it(owner, make, kind, field, text):
    record = _attempt(_creation(kind, owner, make, field, text), [field.split(".")[0]])
    if record is not None:
        db.session.expire_all()
        assert db.session.get(type(record), record.id) is not None

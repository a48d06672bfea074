"""A user's dashboard layout: validated and completed, changed one panel at a time, reset; shortcuts on and off."""

from __future__ import annotations

import pytest

from webapp.core.errors import ValidationFailed
from webapp.domain.accounts import preferences
from webapp.extensions import db
from webapp.models import AuditEvent, User


def panel(id_: str, collapsed: bool = False, hidden: bool = False) -> dict:
    return {"id": id_, "collapsed": collapsed, "hidden": hidden}


def ids(layout: list[dict]) -> list[str]:
    return [entry["id"] for entry in layout]


def test_no_stored_layout_is_the_default_every_panel_shown_and_expanded():
    assert preferences.normalise_layout(None) == [panel(p) for p in preferences.PANELS]


def test_unknown_panels_are_dropped_repeats_count_once_and_missing_ones_are_appended():
    raw = [{"id": "publications", "collapsed": True}, {"id": "gone"}, {"id": "publications"}, {"id": "metrics"}]

    assert preferences.normalise_layout(raw) == [panel("publications", collapsed=True), panel("metrics"),
                                                 panel("overview")]  # fmt: skip


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"id": "metrics"}, "panels"),
        (["metrics"], "panels[0]"),
        ([{"collapsed": True}], "panels[0]"),
        ([{"id": 3}], "panels[0]"),
        ([{"id": "metrics"}, {"id": "overview", "hidden": "yes"}], "panels[1].hidden"),
        ([{"id": "metrics", "collapsed": 1}], "panels[0].collapsed"),
    ],
)
def test_a_malformed_layout_is_refused_naming_the_field(raw, field):
    with pytest.raises(ValidationFailed) as caught:
        preferences.normalise_layout(raw)
    assert list(caught.value.fields) == [field]


def test_a_stored_layout_that_no_longer_validates_reads_as_the_default():
    assert preferences.dashboard_layout(User(dashboard_layout="nonsense")) == preferences.default_layout()


def test_moving_collapsing_and_hiding_are_stored_and_audited(make):
    actor = make.actor(source="ui")

    preferences.change_panel(actor, "publications", "up")
    preferences.change_panel(actor, "publications", "up")
    preferences.change_panel(actor, "metrics", "collapse")
    layout = preferences.change_panel(actor, "overview", "hide")

    assert layout == [panel("publications"), panel("metrics", collapsed=True), panel("overview", hidden=True)]
    assert db.session.get(User, actor.user_id).dashboard_layout == layout
    events = db.session.query(AuditEvent).filter_by(action="user.dashboard_layout_changed")
    changes = [e.details["change"] for e in events]
    assert changes == ["up publications", "up publications", "collapse metrics", "hide overview"]


def test_a_move_skips_hidden_panels_and_stops_at_the_ends(make):
    actor = make.actor(source="ui")
    preferences.change_panel(actor, "overview", "hide")

    # Seen: metrics, publications. Down swaps those two, past the hidden panel between them.
    assert ids(preferences.change_panel(actor, "metrics", "down")) == ["publications", "overview", "metrics"]
    assert ids(preferences.change_panel(actor, "metrics", "down")) == ["publications", "overview", "metrics"]
    assert ids(preferences.change_panel(actor, "publications", "up")) == ["publications", "overview", "metrics"]


def test_an_order_puts_the_named_panels_first_in_that_order(make):
    actor = make.actor(source="ui")

    layout = preferences.order_panels(actor, ["publications", "nonsense", "metrics", "publications"])

    assert ids(layout) == ["publications", "metrics", "overview"]


@pytest.mark.parametrize(("panel_id", "action", "field"), [("nope", "hide", "panel"), ("metrics", "explode", "action")])
def test_an_unknown_panel_or_action_changes_nothing(make, panel_id, action, field):
    actor = make.actor(source="ui")
    with pytest.raises(ValidationFailed) as caught:
        preferences.change_panel(actor, panel_id, action)
    assert list(caught.value.fields) == [field]
    assert db.session.get(User, actor.user_id).dashboard_layout is None


def test_reset_forgets_the_arrangement(make):
    actor = make.actor(source="ui")
    preferences.change_panel(actor, "metrics", "hide")

    assert preferences.reset_dashboard_layout(actor) == preferences.default_layout()
    assert db.session.get(User, actor.user_id).dashboard_layout is None


def test_shortcuts_are_turned_off_and_on_with_an_audit_entry(make):
    actor = make.actor(source="ui")

    preferences.set_shortcuts_enabled(actor, False)
    assert db.session.get(User, actor.user_id).shortcuts_enabled is False
    preferences.set_shortcuts_enabled(actor, True)

    assert db.session.get(User, actor.user_id).shortcuts_enabled is True
    events = db.session.query(AuditEvent).filter_by(action="user.shortcuts_changed").order_by(AuditEvent.id)
    assert [e.details["enabled"] for e in events] == [False, True]

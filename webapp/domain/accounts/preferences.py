"""A user's own preferences: how their dashboard is arranged, and whether single-key shortcuts are on."""

from __future__ import annotations

from webapp.core.errors import ValidationFailed, lazy_gettext
from webapp.domain.shared import audit
from webapp.domain.shared.actor import Actor
from webapp.extensions import db
from webapp.models import User

# The dashboard's panels, in the default order.
PANELS = ("metrics", "overview", "publications")
PANEL_ACTIONS = ("collapse", "expand", "hide", "show", "up", "down")
FLAGS = ("collapsed", "hidden")


def default_layout() -> list[dict]:
    return [{"id": panel, "collapsed": False, "hidden": False} for panel in PANELS]


def normalise_layout(raw) -> list[dict]:
    """Return a complete layout from `raw`: unknown panels dropped, each known one once, missing ones appended.

    A layout that is not a list of objects, or a flag that is not true or false, is a ValidationFailed.
    """
    if raw is None:
        return default_layout()
    if not isinstance(raw, list):
        raise ValidationFailed({"panels": lazy_gettext("must be a list of panels")})
    layout, seen = [], set()
    for index, entry in enumerate(raw):
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            raise ValidationFailed({f"panels[{index}]": lazy_gettext('must be an object with a panel "id"')})
        for flag in FLAGS:
            if not isinstance(entry.get(flag, False), bool):
                raise ValidationFailed({f"panels[{index}].{flag}": lazy_gettext("must be true or false")})
        if entry["id"] in PANELS and entry["id"] not in seen:
            seen.add(entry["id"])
            layout.append({"id": entry["id"], **{flag: entry.get(flag, False) for flag in FLAGS}})
    layout += [entry for entry in default_layout() if entry["id"] not in seen]
    return layout


def dashboard_layout(user: User) -> list[dict]:
    """Return the user's dashboard layout, complete and in order (the default when none is stored)."""
    try:
        return normalise_layout(user.dashboard_layout)
    except ValidationFailed:
        return default_layout()  # a stored layout that no longer validates is not the user's fault


def is_default(user: User) -> bool:
    return user.dashboard_layout is None


def _user(actor: Actor) -> User:
    return db.session.get(User, actor.user_id)


def _save(actor: Actor, layout: list[dict] | None, change: str) -> list[dict]:
    user = _user(actor)
    user.dashboard_layout = layout
    audit.record(actor, "user.dashboard_layout_changed", "user", user.id, change=change)
    db.session.commit()
    return dashboard_layout(user)


def set_dashboard_layout(actor: Actor, raw) -> list[dict]:
    """Store the acting user's layout (validated and completed); None goes back to the default."""
    if raw is None:
        return reset_dashboard_layout(actor)
    return _save(actor, normalise_layout(raw), "set")


def reset_dashboard_layout(actor: Actor) -> list[dict]:
    """Forget the acting user's arrangement: the default layout again."""
    return _save(actor, None, "reset")


def change_panel(actor: Actor, panel: str, action: str) -> list[dict]:
    """Collapse, expand, hide, show, or move one panel up or down in the acting user's layout."""
    if panel not in PANELS:
        raise ValidationFailed({"panel": lazy_gettext("is not a dashboard panel")})
    if action not in PANEL_ACTIONS:
        raise ValidationFailed(
            {"action": lazy_gettext("must be one of %(panel_actions)s", panel_actions=", ".join(PANEL_ACTIONS))}
        )
    layout = dashboard_layout(_user(actor))
    index = next(i for i, entry in enumerate(layout) if entry["id"] == panel)
    if action in ("up", "down"):
        # Hidden panels are skipped over: a move is among the panels the user sees.
        step = -1 if action == "up" else 1
        other = index + step
        while 0 <= other < len(layout) and layout[other]["hidden"]:
            other += step
        if 0 <= other < len(layout):
            layout[index], layout[other] = layout[other], layout[index]
    else:
        flag = "collapsed" if action in ("collapse", "expand") else "hidden"
        layout[index][flag] = action in ("collapse", "hide")
    return _save(actor, layout, f"{action} {panel}")


def order_panels(actor: Actor, order: list[str]) -> list[dict]:
    """Put the acting user's panels in `order` (a drag and drop); panels it leaves out keep their relative place."""
    current = dashboard_layout(_user(actor))
    by_id = {entry["id"]: entry for entry in current}
    named = [by_id[panel] for panel in dict.fromkeys(order) if panel in by_id]
    rest = [entry for entry in current if entry not in named]
    return _save(actor, named + rest, "order")


def set_shortcuts_enabled(actor: Actor, enabled: bool) -> None:
    """Turn the acting user's single-key shortcuts on or off."""
    user = _user(actor)
    user.shortcuts_enabled = enabled
    audit.record(actor, "user.shortcuts_changed", "user", user.id, enabled=enabled)
    db.session.commit()

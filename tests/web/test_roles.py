"""One helper decides who may do what: `can(ability)` (the templates' global too), `require_role`, `@requires_role`."""

from __future__ import annotations

import pytest

from webapp.core.errors import Forbidden
from webapp.domain.shared.actor import Actor
from webapp.models import Role
from webapp.web import auth

MAY = {  # (role, ability): allowed
    ("owner", "edit"): True,
    ("owner", "own"): True,
    ("editor", "edit"): True,
    ("editor", "own"): False,
    ("viewer", "edit"): False,
    ("viewer", "own"): False,
}


def _actor(role: str) -> Actor:
    return Actor(1, 1, role, "ui")


@pytest.mark.parametrize(("role", "ability"), MAY)
def test_each_role_has_exactly_its_abilities(role, ability):
    assert auth.role_can(role, ability) is MAY[role, ability]
    assert auth.can(ability, _actor(role)) is MAY[role, ability]


def test_the_table_covers_every_role_and_the_writers_the_services_accept():
    assert {role for role, _ in MAY} == {r.value for r in Role}
    for role in Role:  # "edit" is what Actor.require_writer lets through
        try:
            _actor(role.value).require_writer()
            writer = True
        except Forbidden:
            writer = False
        assert auth.role_can(role.value, "edit") is writer


def test_an_unknown_or_missing_role_can_do_nothing():
    assert not auth.role_can(None, "edit") and not auth.role_can("", "own") and not auth.role_can("admin", "edit")


@pytest.mark.parametrize(
    ("role", "ability", "message"),
    [
        ("viewer", "edit", "Your role in this workspace is read-only."),
        ("editor", "own", "Only an owner of this workspace can do that."),
    ],
)
def test_require_role_refuses_with_the_same_words_as_before(role, ability, message):
    with pytest.raises(Forbidden) as refused:
        auth.require_role(ability, _actor(role))
    assert refused.value.message == message
    with pytest.raises(Forbidden, match="the audit log"):
        auth.require_role(ability, _actor(role), "Not for you: the audit log")
    auth.require_role(ability, _actor("owner"))  # no refusal


def test_templates_ask_the_same_helper(app):
    assert app.jinja_env.globals["can"] is auth.can


def test_signed_out_nobody_can_anything(app):
    with app.test_request_context("/"):
        assert auth.can("edit") is False
        with pytest.raises(Forbidden):
            auth.require_role("edit")

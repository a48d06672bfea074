"""The dashboard in the user's arrangement: each panel's buttons post a change (no JavaScript needed), htmx swaps
the panels in place, reset goes back to the default, and a viewer arranges their own dashboard too."""

from __future__ import annotations

import re

import pytest

from tests.conftest import PASSWORD
from webapp.extensions import db
from webapp.models import Membership, User

HTMX = {"HX-Request": "true", "HX-Target": "dashboard-panels"}


def panel_order(html: str) -> list[str]:
    return re.findall(r'<section class="panel[^"]*" id="panel-(\w+)"', html)


def stored(email: str = "ada@example.test"):
    db.session.expire_all()
    return db.session.query(User).filter_by(email=email).one().dashboard_layout


def test_the_default_dashboard_shows_every_panel_in_the_fixed_order_with_its_buttons(client, ada):
    html = client.get("/").get_data(as_text=True)

    assert panel_order(html) == ["metrics", "overview", "publications"]
    assert html.count('name="action" value="collapse"') == 3 and html.count('name="action" value="hide"') == 3
    assert 'value="up"' in html and "reset layout" not in html  # nothing to reset yet
    for live in ('id="metrics"', 'id="overview"', 'id="publications"', 'hx-trigger="sse:publication"'):
        assert live in html


def test_a_moved_and_collapsed_panel_stays_so_on_the_next_visit(client, ada):
    moved = client.post("/dashboard/layout", data={"panel": "publications", "action": "up"})
    client.post("/dashboard/layout", data={"panel": "metrics", "action": "collapse"})

    assert moved.status_code == 303 and moved.headers["Location"] == "/#panel-publications"
    html = client.get("/").get_data(as_text=True)
    assert panel_order(html) == ["metrics", "publications", "overview"]
    assert '<section class="panel collapsed" id="panel-metrics"' in html
    assert 'id="panel-metrics-body" hidden' in html and 'aria-expanded="false"' in html
    assert "reset layout" in html


def test_a_hidden_panel_is_left_out_and_offered_back(client, ada):
    client.post("/dashboard/layout", data={"panel": "overview", "action": "hide"})

    html = client.get("/").get_data(as_text=True)
    assert panel_order(html) == ["metrics", "publications"] and 'id="overview"' not in html
    assert 'aria-label="show: needs attention"' in html

    client.post("/dashboard/layout", data={"panel": "overview", "action": "show"})
    assert panel_order(client.get("/").get_data(as_text=True)) == ["metrics", "overview", "publications"]


def test_with_htmx_the_change_answers_the_panels_alone(client, ada):
    response = client.post("/dashboard/layout", data={"panel": "metrics", "action": "down"}, headers=HTMX)

    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "HX-Request" in response.headers["Vary"]
    assert html.lstrip().startswith('<div id="dashboard-panels"') or 'id="dashboard-panels"' in html[:400]
    assert "<html" not in html and panel_order(html) == ["overview", "metrics", "publications"]
    assert 'hx-trigger="sse:publication"' in html  # the live parts keep listening in their new place


def test_a_drag_and_drop_order_is_stored(client, ada):
    response = client.post("/dashboard/layout", data={"order": "publications,overview"}, headers=HTMX)

    assert response.status_code == 200
    assert [p["id"] for p in stored()] == ["publications", "overview", "metrics"]


def test_reset_layout_goes_back_to_the_default(client, ada):
    client.post("/dashboard/layout", data={"panel": "metrics", "action": "hide"})

    response = client.post("/dashboard/layout/reset")

    assert response.status_code == 303 and stored() is None
    assert panel_order(client.get("/").get_data(as_text=True)) == ["metrics", "overview", "publications"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"panel": "nope", "action": "hide"}, "panel is not a dashboard panel"),
        ({"panel": "metrics", "action": "explode"}, "action must be one of"),
    ],
)
def test_a_bad_change_is_a_422_that_changes_nothing(client, ada, data, message):
    response = client.post("/dashboard/layout", data=data)

    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert stored() is None


def test_layout_changes_are_not_taken_on_get(client, ada):
    assert client.get("/dashboard/layout").status_code == 405
    assert client.get("/dashboard/layout/reset").status_code == 405


def test_each_user_has_their_own_layout_and_a_viewer_may_arrange_theirs(client, ada, make):
    client.post("/dashboard/layout", data={"panel": "metrics", "action": "hide"})
    client.post("/signout")
    viewer = make.user(email="vera@example.test")
    db.session.add(Membership(workspace_id=ada.workspace_id, user_id=viewer.id, role="viewer"))
    db.session.commit()
    assert client.post("/signin", data={"email": viewer.email, "password": PASSWORD}).status_code == 303

    assert panel_order(client.get("/").get_data(as_text=True)) == ["metrics", "overview", "publications"]
    assert client.post("/dashboard/layout", data={"panel": "publications", "action": "collapse"}).status_code == 303
    assert stored("vera@example.test")[2]["collapsed"] is True
    assert [p["hidden"] for p in stored()] == [True, False, False]  # Ada's own is untouched

"""The dashboard layout through the API: the key's own user's, validated and completed, reset; a viewer's too."""

from __future__ import annotations

import pytest

from webapp.domain.accounts.preferences import default_layout


def test_a_user_who_arranged_nothing_reads_the_default(api, assert_schema):
    response = api("GET", "/me/dashboard-layout")

    assert response.status_code == 200
    assert_schema(response.json, "DashboardLayout")
    assert response.json == {"panels": default_layout(), "default": True}


def test_put_stores_the_layout_dropping_unknown_panels_and_completing_it(api, assert_schema):
    body = {"panels": [{"id": "publications", "collapsed": True}, {"id": "weather"}, {"id": "metrics", "hidden": True}]}

    response = api("PUT", "/me/dashboard-layout", json=body)

    assert response.status_code == 200
    assert_schema(response.json, "DashboardLayout")
    assert response.json["default"] is False
    assert response.json["panels"] == [
        {"id": "publications", "collapsed": True, "hidden": False},
        {"id": "metrics", "collapsed": False, "hidden": True},
        {"id": "overview", "collapsed": False, "hidden": False},
    ]
    assert api("GET", "/me/dashboard-layout").json == response.json


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "panels"),
        ({"panels": "metrics"}, "panels"),
        ({"panels": [{"id": "metrics", "collapsed": "yes"}]}, "panels[0].collapsed"),
        ({"panels": [], "colour": "red"}, "colour"),
    ],
)
def test_bad_input_is_a_422_naming_the_field_and_changes_nothing(api, body, field):
    response = api("PUT", "/me/dashboard-layout", json=body)

    assert response.status_code == 422
    assert response.json["error"]["code"] == "validation_failed" and field in response.json["error"]["fields"]
    assert api("GET", "/me/dashboard-layout").json["default"] is True


def test_delete_and_a_null_layout_go_back_to_the_default(api):
    api("PUT", "/me/dashboard-layout", json={"panels": [{"id": "overview"}]})

    assert api("DELETE", "/me/dashboard-layout").json == {"panels": default_layout(), "default": True}
    api("PUT", "/me/dashboard-layout", json={"panels": [{"id": "overview"}]})
    assert api("PUT", "/me/dashboard-layout", json={"panels": None}).json["default"] is True


def test_each_key_arranges_only_its_own_user_s_dashboard_and_a_viewer_may(api, viewer_key, outsider):
    api("PUT", "/me/dashboard-layout", json={"panels": [{"id": "overview", "hidden": True}]})

    as_viewer = api("PUT", "/me/dashboard-layout", key_override=viewer_key,
                    json={"panels": [{"id": "metrics", "collapsed": True}]})  # fmt: skip

    assert as_viewer.status_code == 200
    assert api("GET", "/me/dashboard-layout", key_override=outsider[0]).json["default"] is True
    assert api("GET", "/me/dashboard-layout").json["panels"][0] == {"id": "overview", "collapsed": False,
                                                                    "hidden": True}  # fmt: skip

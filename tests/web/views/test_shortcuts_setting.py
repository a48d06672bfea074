"""Single-key shortcuts can be turned off in settings: the page then says so to keys.js and lists none in `?`."""

from __future__ import annotations

from tests.web.views.test_shortcut_help import help_of
from webapp.extensions import db
from webapp.models import User


def test_turning_shortcuts_off_marks_the_page_and_leaves_only_the_focus_keys_in_the_help(client, ada):
    response = client.post("/settings/shortcuts", data={})

    assert response.status_code == 303
    assert db.session.get(User, ada.user_id).shortcuts_enabled is False
    html = client.get("/").get_data(as_text=True)
    shown, goto = help_of(html)
    assert 'data-shortcuts="off"' in html and "hint-keys" not in html
    assert goto == {} and not {"?", "g", "/", "j", "x", "P"} & shown
    assert {"←", "Enter", "m"} <= shown  # the calendar's keys act only on a focused day or publication


def test_turning_them_on_again_restores_the_help(client, ada):
    client.post("/settings/shortcuts", data={})

    client.post("/settings/shortcuts", data={"shortcuts_enabled": "on"})

    html = client.get("/").get_data(as_text=True)
    assert 'data-shortcuts="off"' not in html and "d" in help_of(html)[1]


def test_the_settings_page_offers_the_switch_and_a_theme_choice(client, ada):
    html = client.get("/settings/").get_data(as_text=True)

    assert 'name="shortcuts_enabled"' in html and "checked" in html.split('name="shortcuts_enabled"')[1][:40]
    assert 'id="theme-choice"' in html and 'value="system"' in html

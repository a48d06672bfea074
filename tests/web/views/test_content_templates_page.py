"""The templates page: list, rename, delete, and start a new item (optionally scheduled) from a template."""

from __future__ import annotations

import pytest

from webapp.domain.content import content_templates, contents
from webapp.extensions import db
from webapp.models import Content, ContentTemplate, Schedule


@pytest.fixture
def hook(ada, make):
    return make.channel(ada, name="Hook")


@pytest.fixture
def template(ada, hook):
    item = contents.create_content(ada, title="Weekly <digest>", body="Body", tags=["weekly"])
    rule = {"after_days": 1, "at": "09:00", "timezone": "UTC"}
    return content_templates.save_as_template(
        ada, item.id, {"name": "Weekly <b>", "channel_ids": [hook.id], "schedule": rule}
    )


def _html(response) -> str:
    return response.get_data(as_text=True)


def test_the_page_lists_templates_with_channels_and_default_schedule_escaped(client, template):
    page = _html(client.get("/templates/"))
    assert "Weekly &lt;b&gt;" in page and "Weekly <b>" not in page
    assert "Weekly &lt;digest&gt;" in page
    assert "the next day at 09:00 (UTC)" in page
    assert 'aria-label="Start a new item from Weekly &lt;b&gt;"' in page


def test_the_nav_links_to_templates(client, ada):
    assert 'href="/templates/"' in _html(client.get("/contents/"))


def test_renaming_a_template(client, template):
    response = client.post(f"/templates/{template.id}/rename", data={"name": "Monday digest"})
    assert response.status_code == 303
    assert db.session.get(ContentTemplate, template.id).name == "Monday digest"
    assert "renamed to &#39;Monday digest&#39;" in _html(client.get("/templates/"))


def test_a_blank_name_is_refused(client, template):
    response = client.post(f"/templates/{template.id}/rename", data={"name": " "}, follow_redirects=True)
    assert "Not renamed: name is required" in _html(response)
    db.session.expire_all()
    assert db.session.get(ContentTemplate, template.id).name == "Weekly <b>"


def test_deleting_a_template(client, template):
    assert client.post(f"/templates/{template.id}/delete").status_code == 303
    assert db.session.query(ContentTemplate).count() == 0
    assert "No templates yet." in _html(client.get("/templates/"))


def test_starting_a_new_item_opens_its_editor(client, template):
    response = client.post(f"/templates/{template.id}/start", data={"title": "Issue 7"})
    assert response.status_code == 303
    new = db.session.query(Content).filter_by(title="Issue 7").one()
    assert response.headers["Location"].endswith(f"/contents/{new.id}/edit")
    assert (new.body, new.tags, new.status) == ("Body", ["weekly"], "draft")
    assert db.session.query(Schedule).count() == 0


def test_starting_with_schedule_ticked_schedules_it_on_the_template_s_channels(client, template, hook):
    response = client.post(f"/templates/{template.id}/start", data={"title": "", "schedule": "y"})
    assert response.status_code == 303
    schedule = db.session.query(Schedule).one()
    assert [c.id for c in schedule.channels] == [hook.id]
    assert schedule.run_at.strftime("%H:%M") == "09:00"
    assert "started from the template and scheduled" in _html(client.get(response.headers["Location"]))


def test_a_member_of_another_workspace_gets_404_and_nothing_changes(client, template, make, auth):
    auth.sign_out()
    auth.sign_up("mallory@example.test")
    for action, data in (("rename", {"name": "x"}), ("delete", {}), ("start", {})):
        assert client.post(f"/templates/{template.id}/{action}", data=data).status_code == 404
    assert "Weekly" not in _html(client.get("/templates/"))
    assert db.session.query(ContentTemplate).one().name == "Weekly <b>"
    assert db.session.query(Content).count() == 1

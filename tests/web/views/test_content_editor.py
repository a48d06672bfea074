"""The content editor page: variants side by side, inherited fields named, live previews, save as template."""

from __future__ import annotations

import re

import pytest

from webapp.domain.channels import channels
from webapp.domain.content import contents
from webapp.extensions import db
from webapp.models import Content, ContentTemplate, ContentVariant

HX = {"HX-Request": "true"}


@pytest.fixture
def toots(ada):
    return channels.create_channel(
        ada,
        name="Toots",
        platform="mastodon",
        settings={"url": "https://social.example.test"},
        credentials={"access_token": "tok-123456"},
    )


@pytest.fixture
def hook(ada, make):
    return make.channel(ada, name="Hook")


@pytest.fixture
def post(ada, toots):
    return contents.create_content(
        ada,
        title="Launch",
        body="The long article.",
        tags=["launch"],
        variants=[{"platform": "mastodon", "body": "Toot!"}],
    )


def _form(content, **fields) -> dict:
    data = {"title": content.title, "body": content.body, "excerpt": "", "content_type": "article", "tags": "launch"}
    return {**data, **fields}


def _html(response) -> str:
    return response.get_data(as_text=True)


def test_the_editor_shows_the_base_and_each_variant_side_by_side(client, post, toots, hook):
    page = _html(client.get(f"/contents/{post.id}/edit"))
    legends = re.findall(r"<legend>([^<]*)</legend>", page)
    assert legends[:5] == [
        "base",
        "every signed webhook channel",
        "every Mastodon channel",
        "Hook (signed webhook)",
        "Toots (Mastodon)",
    ]
    assert 'name="v-platform-mastodon-body"' in page and ">Toot!</textarea>" in page


def test_the_editor_says_which_fields_are_inherited_and_from_where(client, post, toots):
    page = _html(client.get(f"/contents/{post.id}/edit"))
    assert re.search(r'id="v-platform-mastodon-body-source">overridden here<', page)
    assert re.search(r'id="v-platform-mastodon-title-source">inherited from base<', page)
    assert re.search(rf'id="v-channel-{toots.id}-body-source">inherited from every mastodon channel<', page)
    assert re.search(rf'id="v-channel-{toots.id}-title-source">inherited from base<', page)
    assert f'id="v-channel-{toots.id}-body" name="v-channel-{toots.id}-body" rows="10" placeholder="Toot!"' in page


def test_saving_the_editor_stores_the_variants_and_redirects_back(client, post, toots, hook):
    data = _form(post, **{f"v-channel-{hook.id}-title": "Hook title", "v-platform-mastodon-body": "New toot"})
    response = client.post(f"/contents/{post.id}/edit", data=data)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/contents/{post.id}/edit")
    rows = {(v.platform, v.channel_id): (v.title, v.body) for v in db.session.query(ContentVariant)}
    assert rows == {("mastodon", None): (None, "New toot"), (None, hook.id): ("Hook title", None)}
    assert "saved with 2 variants" in _html(client.get(response.headers["Location"]))


def test_clearing_every_field_of_a_variant_removes_it(client, post, toots):
    response = client.post(f"/contents/{post.id}/edit", data=_form(post, **{"v-platform-mastodon-body": "  "}))
    assert response.status_code == 303
    assert db.session.query(ContentVariant).count() == 0


def test_a_variant_over_the_limit_is_shown_in_its_column_and_nothing_changes(client, post, toots):
    data = _form(post, title="Changed", tags="", **{"v-platform-mastodon-body": "x" * 501})
    response = client.post(f"/contents/{post.id}/edit", data=data)
    assert response.status_code == 422
    page = _html(response)
    column = page[page.index('id="variant-platform-mastodon"') :]
    assert column.index("status is 501 characters") < column.index("</fieldset>")
    db.session.expire_all()
    assert db.session.get(Content, post.id).title == "Launch"
    assert db.session.query(ContentVariant).one().body == "Toot!"


def test_user_text_is_escaped_in_the_editor_and_its_previews(client, ada, hook):
    evil = contents.create_content(
        ada,
        title="<script>alert(1)</script>",
        body="<img src=x onerror=alert(2)>",
        variants=[{"channel_id": hook.id, "excerpt": "<b>x</b>"}],
    )
    page = _html(client.get(f"/contents/{evil.id}/edit"))
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page
    assert "<b>x</b>" not in page


def test_the_preview_renders_each_channel_from_the_unsaved_form_and_changes_nothing(client, post, toots, hook):
    before = (db.session.query(ContentVariant).count(), db.session.get(Content, post.id).updated_at)
    data = _form(post, content_id=str(post.id), **{"v-platform-mastodon-body": "Read https://example.com/" + "a" * 80})
    response = client.post("/contents/preview", data=data, headers=HX)
    assert response.status_code == 200
    assert "HX-Request" in response.headers["Vary"]
    fragment = _html(response)
    assert "<html" not in fragment
    assert "Read https://example.com/" + "a" * 80 in fragment
    assert "37 / 500 characters" in fragment  # "Read " 5 + URL 23 + "\n\n#launch" 9
    assert "&#34;publication_id&#34;:0" in fragment or "&quot;publication_id&quot;:0" in fragment
    assert f"&#34;id&#34;:{post.id}" in fragment or f"&quot;id&quot;:{post.id}" in fragment
    db.session.expire_all()
    assert (db.session.query(ContentVariant).count(), db.session.get(Content, post.id).updated_at) == before


def test_the_preview_marks_a_status_over_the_limit(client, post, toots):
    data = _form(post, tags="", **{"v-platform-mastodon-body": "y" * 501})
    fragment = _html(client.post("/contents/preview", data=data, headers=HX))
    assert 'class="toot-count over">501 / 500 characters' in fragment
    assert "would be refused: status is 501 characters" in fragment


def test_the_preview_escapes_what_the_author_types(client, post, toots, hook):
    data = _form(post, title="<i>t</i>", body="<script>x()</script>", **{"v-platform-mastodon-body": "<b>bold</b>"})
    fragment = _html(client.post("/contents/preview", data=data, headers=HX))
    assert "<script>" not in fragment and "<b>bold</b>" not in fragment and "<i>t</i>" not in fragment
    assert "&lt;b&gt;bold&lt;/b&gt;" in fragment


def test_the_editor_form_posts_to_the_preview_as_the_author_types(client, post):
    page = _html(client.get(f"/contents/{post.id}/edit"))
    form = re.search(r'<form id="editor"[^>]*>', page)[0]
    assert 'hx-post="/contents/preview"' in form
    # Typing redraws the previews, and so does an image uploaded or deleted in the images panel.
    assert 'hx-trigger="input changed delay:300ms, media-changed from:body"' in form
    assert 'hx-target="#previews"' in form


def test_the_preview_needs_the_csrf_token(app, client, post, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    assert client.post("/contents/preview", data=_form(post), headers=HX).status_code == 400


def test_the_preview_of_another_workspace_s_content_is_404(client, post, make):
    outsider = make.actor()
    theirs = make.content(outsider, title="Theirs")
    response = client.post("/contents/preview", data=_form(post, content_id=str(theirs.id)), headers=HX)
    assert response.status_code == 404


def test_saving_as_a_template_from_the_editor(client, post, hook):
    data = {
        "name": "Launch template",
        "channel_ids": [str(hook.id)],
        "schedule_kind": "relative",
        "after_days": "2",
        "at": "10:15",
        "schedule_timezone": "Europe/Paris",
    }
    response = client.post(f"/contents/{post.id}/template", data=data)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/templates/")
    template = db.session.query(ContentTemplate).one()
    assert (template.name, template.channel_ids) == ("Launch template", [hook.id])
    assert template.schedule == {"after_days": 2, "at": "10:15", "timezone": "Europe/Paris"}
    page = _html(client.get("/templates/"))
    assert "Launch template" in page and "2 days later at 10:15 (Europe/Paris)" in page


def test_a_bad_template_schedule_is_reported_and_nothing_is_saved(client, post):
    data = {"name": "T", "schedule_kind": "cron", "cron": "not a rule", "schedule_timezone": "UTC"}
    response = client.post(f"/contents/{post.id}/template", data=data, follow_redirects=True)
    assert "Template not saved: schedule.cron" in _html(response)
    assert db.session.query(ContentTemplate).count() == 0


def test_the_content_list_links_each_item_to_its_editor(client, post):
    assert f'href="/contents/{post.id}/edit"' in _html(client.get("/contents/"))

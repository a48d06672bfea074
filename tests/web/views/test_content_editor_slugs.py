"""The editor's slug fields: the item's own, and one per blog platform and blog channel; errors beside the field."""

from __future__ import annotations

import pytest

from webapp.domain.channels import channels
from webapp.domain.content import contents
from webapp.domain.content.slugs import SLUG_PROBLEM
from webapp.extensions import db
from webapp.models import Content, ContentVariant


@pytest.fixture
def blog(ada):
    return channels.create_channel(
        ada,
        name="Blog",
        platform="wordpress",
        settings={"url": "https://blog.example.test"},
        credentials={"username": "ed", "app_password": "abcd efgh ijkl mnop"},
    )


@pytest.fixture
def item(ada, blog, make):
    make.channel(ada, name="Hook")
    return contents.create_content(ada, title="Launch", body="Body", slug="launch-day")


def _form(item, **fields) -> dict:
    return {"title": item.title, "body": item.body, "content_type": "article", "tags": "", **fields}


def _html(response) -> str:
    return response.get_data(as_text=True)


def test_the_editor_shows_the_slug_and_offers_one_only_to_blog_columns(client, item, blog):
    page = _html(client.get(f"/contents/{item.id}/edit"))

    assert '<label for="slug">Slug</label>' in page and 'value="launch-day"' in page
    assert 'name="v-platform-wordpress-slug"' in page and f'name="v-channel-{blog.id}-slug"' in page
    assert 'name="v-platform-webhook-slug"' not in page  # a webhook post has no URL slug


def test_saving_a_slug_and_a_variant_slug_stores_both(client, item, blog):
    data = _form(item, slug="new-launch", **{f"v-channel-{blog.id}-slug": "blog-launch"})

    response = client.post(f"/contents/{item.id}/edit", data=data)

    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Content, item.id).slug == "new-launch"
    assert [(v.channel_id, v.slug) for v in db.session.query(ContentVariant)] == [(blog.id, "blog-launch")]


def test_a_bad_slug_is_shown_beside_its_field_and_nothing_changes(client, item):
    response = client.post(f"/contents/{item.id}/edit", data=_form(item, title="Changed", slug="Launch Day!"))

    assert response.status_code == 422
    page = _html(response)
    assert f'<p class="error" id="slug-error">Slug {SLUG_PROBLEM}</p>' in page
    db.session.expire_all()
    assert (db.session.get(Content, item.id).title, db.session.get(Content, item.id).slug) == ("Launch", "launch-day")


def test_a_bad_variant_slug_is_shown_in_its_column_and_nothing_changes(client, item, blog):
    response = client.post(f"/contents/{item.id}/edit", data=_form(item, **{"v-platform-wordpress-slug": "a--b"}))

    assert response.status_code == 422
    page = _html(response)
    column = page[page.index('id="variant-platform-wordpress"') :]
    assert column.index(f"slug {SLUG_PROBLEM}") < column.index("</fieldset>")
    assert db.session.query(ContentVariant).count() == 0


def test_each_blog_preview_shows_the_url_slug_its_post_would_get(client, item, blog):
    page = _html(client.get(f"/contents/{item.id}/edit"))
    preview = page[page.index(f'aria-label="Preview on {blog.name}"') :]
    assert preview.index("URL slug: launch-day") < preview.index("</article>")
    assert page.count("URL slug:") == 1  # the webhook's preview has none

    data = _form(item, slug="", title="Café déjà vu", content_id=str(item.id))
    fragment = _html(client.post("/contents/preview", data=data, headers={"HX-Request": "true"}))
    assert "URL slug: cafe-deja-vu" in fragment  # from the unsaved title, as the adapter will make it


def test_a_new_item_may_get_its_slug_on_the_create_form(client, ada):
    page = _html(client.get("/contents/"))
    assert '<label for="slug">Slug</label>' in page

    bad = client.post(
        "/contents/", data={"title": "Spring", "content_type": "article", "status": "draft", "slug": "No Way"}
    )
    good = client.post(
        "/contents/", data={"title": "Spring", "content_type": "article", "status": "draft", "slug": "spring-26"}
    )

    assert bad.status_code == 422 and SLUG_PROBLEM in _html(bad)
    assert good.status_code == 303
    assert db.session.query(Content).filter_by(title="Spring").one().slug == "spring-26"

"""A body's format on the create form and the editor, and the previews it drives: HTML shown sanitised."""

from __future__ import annotations

import pytest

from webapp.domain.content import contents
from webapp.extensions import db
from webapp.models import Content

from . import test_content_editor, test_content_editor_slugs

toots, blog = test_content_editor.toots, test_content_editor_slugs.blog  # the editor tests' fixtures

HX = {"HX-Request": "true"}
HOSTILE = (
    'Hello <b>world</b><script>alert(1)</script><img src="https://e.org/x.png" onerror="alert(2)">'
    '<a href="javascript:alert(3)">j</a><p onclick="alert(4)">p</p>'
)


@pytest.fixture
def item(ada, blog):
    return contents.create_content(ada, title="Launch", body="Body")


def _form(item, **fields) -> dict:
    return {"title": item.title, "body": item.body, "content_type": "article", "tags": "", **fields}


def _preview(client, item, **fields) -> str:
    response = client.post("/contents/preview", data=_form(item, content_id=str(item.id), **fields), headers=HX)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_preview_of_an_html_body_renders_its_markup_without_script_handlers_or_script_links(client, item):
    fragment = _preview(client, item, body=HOSTILE, body_format="html")

    assert "Hello <b>world</b>" in fragment
    assert "<script>alert(1)" not in fragment and "onerror" not in fragment and "onclick" not in fragment
    assert "javascript:" not in fragment
    assert '<img src="https://e.org/x.png">' in fragment


def test_the_preview_of_the_same_text_as_markdown_shows_the_tags_as_text(client, item):
    fragment = _preview(client, item, body="Hello <b>world</b>", body_format="markdown")

    assert "Hello &lt;b&gt;world&lt;/b&gt;" in fragment and "<b>world</b>" not in fragment


def test_the_preview_renders_a_markdown_table_as_the_blog_receives_it(client, item):
    fragment = _preview(client, item, body="| a | b |\n|---|---|\n| 1 | 2 |")

    assert "<table>" in fragment and "<th>a</th>" in fragment and "<td>2</td>" in fragment


def test_the_mastodon_preview_keeps_a_markdown_link_s_address(client, item, toots):
    fragment = _preview(client, item, body="Read [the post](https://e.org/p) **now**", body_format="markdown")

    assert "Read the post (https://e.org/p) now" in fragment


def test_the_editor_saves_the_body_format_and_shows_it_selected(client, item):
    response = client.post(f"/contents/{item.id}/edit", data=_form(item, body="<p>Hi</p>", body_format="html"))

    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Content, item.id).body_format == "html"
    page = client.get(f"/contents/{item.id}/edit").get_data(as_text=True)
    assert '<option selected value="html">HTML</option>' in page


def test_the_create_form_takes_a_body_format_and_refuses_an_unknown_one(client, ada):
    bad = client.post(
        "/contents/", data={"title": "Spring", "content_type": "article", "status": "draft", "body_format": "rtf"}
    )
    good = client.post(
        "/contents/", data={"title": "Spring", "content_type": "article", "status": "draft", "body_format": "html"}
    )

    assert bad.status_code == 422 and "Not a valid choice" in bad.get_data(as_text=True)
    assert good.status_code == 303
    assert db.session.query(Content).filter_by(title="Spring").one().body_format == "html"

"""The content and variant `slug` through the API: written, validated, read back, exported and imported."""

from __future__ import annotations

import csv
import io

import pytest

from webapp.domain.content.slugs import SLUG_PROBLEM
from webapp.extensions import db
from webapp.models import Content

WORDPRESS = {
    "name": "Blog",
    "platform": "wordpress",
    "settings": {"url": "https://blog.example.test"},
    "credentials": {"username": "ed", "app_password": "abcd efgh ijkl mnop"},
}


@pytest.fixture
def blog(api):
    return api("POST", "/channels", json=WORDPRESS).json


def test_a_content_item_keeps_its_slug_and_answers_it(api, assert_schema):
    created = api("POST", "/contents", json={"title": "Launch", "slug": "our-launch"})

    assert created.status_code == 201
    assert created.json["slug"] == "our-launch"
    assert api("GET", f"/contents/{created.json['id']}").json["slug"] == "our-launch"
    assert_schema(created.json, "Content")


def test_without_a_slug_the_item_answers_null(api):
    assert api("POST", "/contents", json={"title": "Launch"}).json["slug"] is None


@pytest.mark.parametrize("slug", ["Our Launch", "our_launch", "-launch", "x" * 201, 7])
def test_a_bad_slug_is_422_with_the_field_and_nothing_is_made(api, slug):
    response = api("POST", "/contents", json={"title": "Launch", "slug": slug})

    assert response.status_code == 422
    assert response.json["error"]["code"] == "validation_failed"
    assert list(response.json["error"]["fields"]) == ["slug"]
    assert db.session.query(Content).count() == 0


def test_patch_changes_or_clears_the_slug_and_a_bad_one_changes_nothing(api):
    item = api("POST", "/contents", json={"title": "Launch", "slug": "first"}).json

    assert api("PATCH", f"/contents/{item['id']}", json={"slug": "second"}).json["slug"] == "second"
    refused = api("PATCH", f"/contents/{item['id']}", json={"slug": "Third One"})
    assert (refused.status_code, refused.json["error"]["fields"]) == (422, {"slug": SLUG_PROBLEM})
    assert api("GET", f"/contents/{item['id']}").json["slug"] == "second"
    assert api("PATCH", f"/contents/{item['id']}", json={"slug": None}).json["slug"] is None


def test_a_variant_keeps_its_slug_and_the_resolved_variant_names_its_source(api, blog, assert_schema):
    item = api(
        "POST",
        "/contents",
        json={"title": "Launch", "slug": "base-slug", "variants": [{"channel_id": blog["id"], "slug": "blog-slug"}]},
    ).json

    assert item["variants"][0]["slug"] == "blog-slug"
    resolved = api("GET", f"/contents/{item['id']}/channels/{blog['id']}/variant").json
    assert (resolved["slug"], resolved["sources"]["slug"]) == ("blog-slug", "channel")
    assert_schema(resolved, "ResolvedVariant")


def test_a_bad_variant_slug_is_422_under_its_target(api, blog):
    body = {"title": "Launch", "variants": [{"platform": "wordpress", "slug": "Not OK"}]}

    response = api("POST", "/contents", json=body)

    assert response.status_code == 422
    assert response.json["error"]["fields"] == {"variants.platform:wordpress.slug": SLUG_PROBLEM}


def test_the_slug_goes_through_a_json_export_and_import(api):
    api("POST", "/contents", json={"title": "Launch", "slug": "our-launch"})
    exported = api("GET", "/export?kind=contents&format=json").json
    assert exported["items"][0]["slug"] == "our-launch"

    imported = api("POST", "/import?kind=contents", json=exported)

    assert imported.status_code == 201
    assert db.session.get(Content, imported.json["ids"][0]).slug == "our-launch"


def test_the_slug_goes_through_a_csv_export_and_import(api):
    api("POST", "/contents", json={"title": "Launch", "slug": "our-launch"})
    api("POST", "/contents", json={"title": "No slug"})
    exported = api("GET", "/export?kind=contents&format=csv").get_data(as_text=True)
    assert [row["slug"] for row in csv.DictReader(io.StringIO(exported))] == ["our-launch", ""]

    imported = api("POST", "/import?kind=contents", data=exported, headers={"Content-Type": "text/csv"})

    assert imported.status_code == 201
    assert [db.session.get(Content, i).slug for i in imported.json["ids"]] == ["our-launch", None]


def test_an_imported_row_with_a_bad_slug_imports_nothing(api):
    body = "title,slug\r\nGood,good-one\r\nBad,Bad Slug\r\n"

    response = api("POST", "/import?kind=contents", data=body, headers={"Content-Type": "text/csv"})

    assert response.status_code == 422
    assert response.json["error"]["rows"] == [{"row": 2, "field": "slug", "message": SLUG_PROBLEM}]
    assert db.session.query(Content).count() == 0

"""Variants through the API: written with the content, read back, replaced by PATCH, resolved per channel."""

from __future__ import annotations

import pytest

from .helpers import webhook_body

MASTODON = {
    "name": "Toots",
    "platform": "mastodon",
    "settings": {"url": "https://social.example.test"},
    "credentials": {"access_token": "tok-123456"},
}


@pytest.fixture
def hook(api):
    return api("POST", "/channels", json=webhook_body()).json


@pytest.fixture
def toots(api):
    return api("POST", "/channels", json=MASTODON).json


def _content(api, **extra):
    return api("POST", "/contents", json={"title": "Launch", "body": "The long article.", **extra})


def test_content_is_created_with_its_variants_and_reads_them_back(api, hook, assert_schema):
    variants = [{"platform": "mastodon", "body": "Short toot"}, {"channel_id": hook["id"], "tags": []}]
    created = _content(api, variants=variants)
    assert created.status_code == 201
    expected = [
        {
            "platform": "mastodon",
            "channel_id": None,
            "title": None,
            "body": "Short toot",
            "excerpt": None,
            "tags": None,
            "slug": None,
        },
        {
            "platform": None,
            "channel_id": hook["id"],
            "title": None,
            "body": None,
            "excerpt": None,
            "tags": [],
            "slug": None,
        },
    ]
    assert created.json["variants"] == expected
    fetched = api("GET", f"/contents/{created.json['id']}")
    assert fetched.json["variants"] == expected
    assert_schema(fetched.json, "Content")
    assert api("GET", "/contents").json["items"][0]["variants"] == expected


def test_content_without_variants_answers_an_empty_list(api):
    assert _content(api).json["variants"] == []


def test_patch_with_variants_replaces_them_and_without_keeps_them(api):
    content_id = _content(api, variants=[{"platform": "ghost", "title": "Ghost title"}]).json["id"]
    kept = api("PATCH", f"/contents/{content_id}", json={"title": "Renamed"})
    assert [v["platform"] for v in kept.json["variants"]] == ["ghost"]
    replaced = api("PATCH", f"/contents/{content_id}", json={"variants": [{"platform": "wordpress", "excerpt": "E"}]})
    assert [(v["platform"], v["excerpt"]) for v in replaced.json["variants"]] == [("wordpress", "E")]
    cleared = api("PATCH", f"/contents/{content_id}", json={"variants": []})
    assert cleared.json["variants"] == []


def test_a_variant_over_mastodon_s_limit_is_422_and_nothing_is_written(api, unchanged):
    with unchanged():
        response = _content(api, variants=[{"platform": "mastodon", "body": "x" * 501}])
    assert response.status_code == 422
    assert response.json["error"]["fields"] == {
        "variants.platform:mastodon": "status is 501 characters (each URL counts as 23); this instance allows 500"
    }


def test_urls_count_as_23_characters_in_the_api_s_check_too(api):
    body = "https://example.com/" + "a" * 600 + " " + "x" * 476  # 23 + 1 + 476 = 500
    assert _content(api, variants=[{"platform": "mastodon", "body": body}]).status_code == 201


def test_a_patch_whose_base_breaks_an_existing_variant_is_422_and_changes_nothing(api, unchanged):
    content_id = _content(api, body="short", variants=[{"platform": "mastodon", "title": "t"}]).json["id"]
    with unchanged():
        response = api("PATCH", f"/contents/{content_id}", json={"body": "y" * 600})
    assert response.status_code == 422
    assert list(response.json["error"]["fields"]) == ["variants.platform:mastodon"]
    assert api("GET", f"/contents/{content_id}").json["body"] == "short"


def test_another_workspace_s_channel_in_a_variant_is_unknown(api, outsider):
    theirs = api("POST", "/channels", key_override=outsider[0], json=webhook_body()).json
    response = _content(api, variants=[{"channel_id": theirs["id"], "body": "hi"}])
    assert response.status_code == 422
    assert response.json["error"]["fields"] == {"variants[0]": "unknown channel id"}


def test_the_resolved_variant_names_each_field_s_source(api, toots, assert_schema):
    content = _content(
        api,
        tags=["launch"],
        variants=[
            {"platform": "mastodon", "body": "Toot https://example.test"},
            {"channel_id": toots["id"], "tags": ["x"]},
        ],
    ).json
    response = api("GET", f"/contents/{content['id']}/channels/{toots['id']}/variant")
    assert response.status_code == 200
    assert response.json == {
        "content_id": content["id"],
        "channel_id": toots["id"],
        "platform": "mastodon",
        "title": "Launch",
        "body": "Toot https://example.test",
        "excerpt": None,
        "tags": ["x"],
        "slug": None,
        "sources": {"title": "base", "body": "platform", "excerpt": "base", "tags": "channel", "slug": "base"},
        "problem": None,
    }
    assert_schema(response.json, "ResolvedVariant")


def test_the_resolved_variant_reports_what_the_platform_would_refuse(api, toots):
    content = _content(api, body="z" * 510).json
    response = api("GET", f"/contents/{content['id']}/channels/{toots['id']}/variant")
    assert response.json["problem"] == "status is 510 characters (each URL counts as 23); this instance allows 500"


def test_the_resolved_variant_of_another_workspace_s_channel_is_404(api, outsider):
    content = _content(api).json
    theirs = api("POST", "/channels", key_override=outsider[0], json=webhook_body()).json
    assert api("GET", f"/contents/{content['id']}/channels/{theirs['id']}/variant").status_code == 404

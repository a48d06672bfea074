"""A body's format through the API: stored, answered, and the channel's verdict judged on the text it gives."""

from __future__ import annotations

import pytest

MASTODON = {
    "name": "Toots",
    "platform": "mastodon",
    "settings": {"url": "https://social.example.test"},
    "credentials": {"access_token": "tok-123456"},
}
# 600 characters of markup around 10 of text: a short status as HTML, a long one as Markdown.
BODY = '<span title="' + "x" * 580 + '">short text</span>'


@pytest.fixture
def toots(api):
    return api("POST", "/channels", json=MASTODON).json


@pytest.mark.parametrize(
    ("body_format", "problem"),
    [("html", None), ("markdown", "status is 612 characters (each URL counts as 23); this instance allows 500")],
)
def test_the_variant_verdict_reads_the_body_in_its_format(api, toots, body_format, problem):
    created = api("POST", "/contents", json={"title": "Launch", "body": BODY, "body_format": body_format})
    assert (created.status_code, created.json["body_format"]) == (201, body_format)

    answer = api("GET", f"/contents/{created.json['id']}/channels/{toots['id']}/variant").json

    assert answer["problem"] == problem


def test_an_unknown_body_format_is_a_422_naming_the_field(api):
    response = api("POST", "/contents", json={"title": "Launch", "body": "x", "body_format": "rtf"})

    assert response.status_code == 422
    assert "body_format" in response.json["error"]["fields"]

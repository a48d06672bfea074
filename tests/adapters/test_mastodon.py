from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from tests.media_files import attachment
from webapp.adapters.base import AuthError, PermanentError, RateLimited, TransientError
from webapp.adapters.mastodon import MastodonAdapter, status_length, status_text

from .factories import content, publish_request
from .fakes.mastodon import FakeMastodon, mastodon_fixture  # noqa: F401

URL_ERROR = {"settings.url": "must be an http(s) URL"}
TOKEN_ERROR = {"credentials.access_token": "is required"}
LONG_URL = "https://example.org/" + "p" * 300


def adapter(fake: FakeMastodon, *, token: str | None = None, **settings: object) -> MastodonAdapter:
    return MastodonAdapter({"url": fake.url, **settings}, {"access_token": token or fake.access_token}, timeout=5)


def social(body: str, **fields: object):
    return publish_request(content=content(body=body, tags=(), **fields))


@pytest.mark.parametrize(
    ("settings", "credentials", "errors"),
    [
        ({"url": "https://mastodon.social"}, {"access_token": "t"}, {}),
        ({"url": "https://mastodon.social", "visibility": "unlisted"}, {"access_token": "t"}, {}),
        (
            {"url": "https://mastodon.social", "visibility": "friends"},
            {"access_token": "t"},
            {"settings.visibility": "must be one of public, unlisted, private, direct"},
        ),
        ({"url": "mastodon.social"}, {"access_token": "t"}, URL_ERROR),
        ({"url": "https://mastodon.social"}, {"access_token": " "}, TOKEN_ERROR),
        ({}, {}, URL_ERROR | TOKEN_ERROR),
    ],
)
def test_validate_config_reports_each_bad_field(settings, credentials, errors):
    assert MastodonAdapter.validate_config(settings, credentials) == errors


@pytest.mark.parametrize(
    ("text", "length"),
    [
        ("hello", 5),
        (f"read {LONG_URL} now", 5 + 23 + 4),
        (f"see {LONG_URL}.", 4 + 23 + 1),  # trailing punctuation is not part of the URL
        ("hi @alice@example.social", 9),  # a remote mention counts as its local part
        ("café 👍🏽 👨‍👩‍👧 🇫🇷", 10),  # grapheme clusters, not code points
    ],
)
def test_status_length_counts_as_mastodon_does(text, length):
    assert status_length(text) == length


# Mastodon's StatusLengthValidator: twitter-text's URLs (scheme required) as 23, `@user@domain` as `@user`,
# then Ruby's each_grapheme_cluster. Each case is what a Mastodon server counts.
@pytest.mark.parametrize(
    ("text", "length"),
    [
        ("👍🏽", 1),  # an emoji with a skin tone
        ("👨\u200d👩\u200d👧\u200d👦", 1),  # a ZWJ family: 7 code points
        ("🇯🇵", 1),  # a flag: two regional indicators
        ("1\ufe0f\u20e3", 1),  # a keycap
        ("🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f", 1),  # England's flag: tag sequence
        ("e\u0301", 1),  # a combining accent
        ("日本語のテキスト", 8),  # CJK: one each
        ("見てhttps://example.com/a日本語", 2 + 23 + 3),  # a URL ends where CJK text starts
        ("https://example.com/a/b?x=1&y=2#frag", 23),  # path, query and fragment are all the URL
        ("see https://example.com/path?q=1&b=2.", 4 + 23 + 1),
        ("https://a.co", 23),  # a URL shorter than 23 still counts 23
        ("https://en.wikipedia.org/wiki/Foo_(bar)", 23),  # balanced parentheses belong to the URL
        ("(https://example.com/x)", 1 + 23 + 1),  # the enclosing ones do not
        ("example.com/page", 16),  # without a scheme it is text
        ("https://example.test/x", 22),  # so is a host without a known top-level domain, as twitter-text has it
        ("@alice@example.social @bob@mastodon.example and @carol hi", 6 + 1 + 4 + 5 + 6 + 3),  # several mentions
        ("@first.last@example.com", 11),  # dots inside the local part
        ("mail me@example.com", 19),  # an email address is no mention
        ("=@alice@example.social", 22),  # nor is one right after "="
        ("@alice@example.social@x", 23),  # nor one followed by another "@"
        ("https://example.social/@alice@example.social", 23),  # a mention inside a URL is the URL's
        ("@ünïcode@example.com", 20),  # a local part is ASCII
    ],
)
def test_status_length_matches_mastodon_on_edge_cases(text, length):
    assert status_length(text) == length


def test_status_text_is_the_plain_body_followed_by_tags_as_hashtags():
    body = "<p>Launch day #news</p><p>Details &amp; more</p>"

    text = status_text(content(body=body, body_format="html", tags=("news", "Big Deal", "C++")))

    assert text == "Launch day #news\n\nDetails & more\n\n#BigDeal #C"


def test_publish_posts_the_status_with_the_idempotency_key_and_returns_its_id_and_url(mastodon):
    result = adapter(mastodon, visibility="unlisted").publish(publish_request(content=content(tags=("news",))))

    [status] = mastodon.statuses
    assert (result.external_id, result.external_url, result.http_status) == (status["id"], status["url"], 200)
    assert (status["text"], status["visibility"]) == ("Body text\n\n#news", "unlisted")
    [sent] = mastodon.requests
    assert (sent.headers["Idempotency-Key"], sent.headers["Authorization"]) == (
        "pub-42-key",
        f"Bearer {mastodon.access_token}",
    )


def test_a_repeated_key_returns_the_first_status_without_posting_another(mastodon):
    mastodon_adapter = adapter(mastodon)

    first = mastodon_adapter.publish(publish_request())
    second = mastodon_adapter.publish(publish_request())

    assert len(mastodon.statuses) == 1
    assert second.external_id == first.external_id


def test_a_retry_after_a_lost_reply_returns_the_first_status(mastodon):
    mastodon.fail_next(502, "<html>Bad Gateway</html>", path="/api/v1/statuses", after_handling=True)
    mastodon_adapter = adapter(mastodon)

    with pytest.raises(TransientError):
        mastodon_adapter.publish(publish_request())
    result = mastodon_adapter.publish(publish_request())

    assert len(mastodon.statuses) == 1
    assert result.external_id == mastodon.statuses[0]["id"]


def _since(request, moment):
    return replace(request, sent_since=moment)


def test_a_status_posted_since_the_first_attempt_is_found_by_its_text(mastodon):
    mastodon.ignores_idempotency_key = True  # as GoToSocial and Takahē: the key protects nothing
    request = social("Launch day!\n\nRead <all> about it & more")
    before = datetime.now(UTC)
    posted = adapter(mastodon).publish(request)

    found = adapter(mastodon).find_existing(_since(request, before))

    assert found is not None and (found.external_id, found.external_url) == (posted.external_id, posted.external_url)
    assert len(mastodon.statuses) == 1


def test_an_identical_status_from_before_the_first_attempt_is_not_taken_for_this_one(mastodon):
    request = social("Weekly digest")
    adapter(mastodon).publish(request)  # last week's run of the same text

    assert adapter(mastodon).find_existing(_since(request, datetime.now(UTC) + timedelta(hours=1))) is None
    assert (
        adapter(mastodon).find_existing(_since(social("Another text"), datetime.now(UTC) - timedelta(hours=1))) is None
    )


def test_without_the_first_attempt_s_time_the_lookup_refuses_to_guess(mastodon):
    assert MastodonAdapter.supports_lookup is True
    with pytest.raises(TransientError, match="without the time of the first attempt"):
        adapter(mastodon).find_existing(social("Hello"))


def test_takahe_s_html_400_for_a_bad_token_is_a_credentials_problem(mastodon):
    mastodon.fail_next(400, "<html><body><h1>Invalid Bearer token</h1></body></html>", path="/api/v1/statuses",
                       headers={"Content-Type": "text/html"})  # fmt: skip

    with pytest.raises(AuthError, match="HTTP 400: Invalid Bearer token"):
        adapter(mastodon).publish(social("Hello"))


def test_an_image_the_server_fails_on_with_a_500_page_is_permanent(mastodon):
    mastodon.fail_next(500, "<html><h1>Server Error (500)</h1></html>", path="/api/v2/media",
                       headers={"Content-Type": "text/html"})  # fmt: skip

    with pytest.raises(PermanentError, match="the server failed on this image"):
        adapter(mastodon).publish(publish_request(content=content(body="Look", tags=()), media=(attachment(1),)))
    assert mastodon.statuses == []


def test_an_overlong_status_answered_by_takahe_names_its_error(mastodon):
    mastodon.fail_next(400, {"error": "Status is too long"}, path="/api/v1/statuses")

    with pytest.raises(PermanentError, match="HTTP 400 Bad Request: Status is too long"):
        adapter(mastodon).publish(social("Hello"))


def test_a_status_over_the_limit_fails_before_posting_with_a_clear_message(mastodon):
    with pytest.raises(PermanentError, match=r"status is 501 characters .*; this instance allows 500"):
        adapter(mastodon).publish(social("x" * 501))

    assert [r.path for r in mastodon.requests] == ["/api/v2/instance"]
    assert mastodon.statuses == []


def test_urls_count_as_23_characters_so_a_long_link_fits(mastodon):
    adapter(mastodon).publish(social("y" * 470 + " " + LONG_URL))

    assert len(mastodon.statuses) == 1
    assert [r.path for r in mastodon.requests] == ["/api/v1/statuses"]


def test_an_instance_with_a_higher_limit_takes_a_longer_status():
    with FakeMastodon(max_characters=1000) as fake:
        adapter(fake).publish(social("z" * 900))

        assert len(fake.statuses) == 1


def test_an_instance_without_api_v2_is_asked_through_api_v1():
    with FakeMastodon(max_characters=1000, has_v2_instance=False) as fake:
        adapter(fake).publish(social("z" * 900))

        assert [r.path for r in fake.requests] == ["/api/v2/instance", "/api/v1/instance", "/api/v1/statuses"]


def test_empty_content_fails_before_posting(mastodon):
    with pytest.raises(PermanentError, match="no text to post"):
        adapter(mastodon).publish(social("  "))

    assert mastodon.requests == []


def test_a_validation_error_raises_permanent_error_with_mastodons_message(mastodon):
    mastodon.fail_next(422, {"error": "Validation failed: Text character limit of 500 exceeded"})

    with pytest.raises(PermanentError, match=r"HTTP 422 [\w ]+: Validation failed: Text character limit"):
        adapter(mastodon).publish(publish_request())


def test_an_invalid_token_raises_auth_error_with_mastodons_message(mastodon):
    with pytest.raises(AuthError, match="The access token is invalid") as caught:
        adapter(mastodon, token="revoked").publish(publish_request())

    assert caught.value.http_status == 401


def test_429_raises_rate_limited_until_the_rate_limit_reset(mastodon):
    mastodon.posts_remaining = 0

    with pytest.raises(RateLimited, match="Too many requests") as caught:
        adapter(mastodon).publish(publish_request())

    assert 85 <= caught.value.retry_after <= 90


def test_5xx_raises_transient_error(mastodon):
    mastodon.fail_next(503, "<html>Maintenance</html>")

    with pytest.raises(TransientError):
        adapter(mastodon).publish(publish_request())


def test_check_names_the_account_and_the_instances_limit():
    with FakeMastodon(max_characters=5000) as fake:
        result = adapter(fake).check()

    assert (result.ok, result.message, result.http_status) == (
        True,
        "signed in as @herald; statuses up to 5000 characters",
        200,
    )


def test_check_fails_on_an_invalid_token(mastodon):
    result = adapter(mastodon, token="revoked").check()

    assert (result.ok, result.http_status) == (False, 401)
    assert "The access token is invalid" in result.message

"""The Mastodon platform: one status per publication, deduplicated by Mastodon's Idempotency-Key."""

import html
import re
import time
import warnings
from datetime import UTC, datetime, timedelta
from typing import Any

import regex

with warnings.catch_warnings():
    # twitter-text-parser imports pkg_resources, which warns on import (setuptools is locked below 81 for it):
    # every process printed the warning at start, to people who can do nothing about it.
    warnings.filterwarnings("ignore", "pkg_resources is deprecated as an API", UserWarning)
    from twitter_text import extract_urls_with_indices

from .base import (
    AuthError,
    ContentPayload,
    HealthResult,
    MediaAttachment,
    PermanentError,
    PublishRequest,
    PublishResult,
    RemoteMedia,
    TransientError,
)
from .html import to_text
from .http import HttpResponse, raise_for_status
from .media import media_filename, upload_once
from .plaintext import html_to_text
from .sentence import Sentence
from .support import PlatformAdapter, base_url, check_choice, check_text, check_url, result

VISIBILITIES = ("public", "unlisted", "private", "direct")
DEFAULT_MAX_CHARACTERS = 500
DEFAULT_URL_CHARACTERS = 23
MAX_MEDIA = 4  # attachments per status on every Mastodon
# What Mastodon answers (422) for a status whose media is still being processed.
STILL_PROCESSING = "have not finished processing"
_HASHTAG_CHARS = re.compile(r"[^\w]", re.UNICODE)
# Mastodon's Account::MENTION_RE: "@", a local part of ASCII letters, digits and "_" (with "." or "-"
# inside), an optional "@domain"; never right after "=", "/" or a word character (Ruby's [[:word:]]).
_WORD = r"\p{L}\p{M}\p{Nd}\p{Pc}"
_MENTION = regex.compile(
    rf"(?<![=/{_WORD}])@(([a-z0-9_]+(?:[.-]+[a-z0-9_]+)*)(?:@[{_WORD}]+(?:[.-]+[{_WORD}]+)*)?)", regex.IGNORECASE
)
# twitter-text's end_mention_match: a match followed by an at sign, a Latin accented letter or "://" is no mention.
_MENTION_END = regex.compile(
    "[@\uff20\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u00ff\u0100-\u024f\u0253\u0254\u0256\u0257\u0259\u025b"
    "\u0263\u0268\u026f\u0272\u0289\u028b\u02bb\u0300-\u036f\u1e00-\u1eff]|://"
)
_GRAPHEME = regex.compile(r"\X")


class MastodonAdapter(PlatformAdapter):
    platform = "mastodon"
    # Mastodon keeps an Idempotency-Key one hour, and servers that speak its API (GoToSocial, Takahē) ignore
    # it: so a status is looked for among the account's recent ones (same text, posted since the first
    # attempt began) before anything is sent again.
    supports_lookup = True
    # Attaching an image already on a status moves it (Takahē): after an unknown outcome, upload anew.
    uploads_bind_to_one_post = True
    # How far back the lookup reads the account's statuses, and the clock skew it allows.
    LOOKUP_STATUSES = 40
    LOOKUP_SKEW = timedelta(seconds=30)

    @classmethod
    def validate_config(cls, settings: dict[str, Any], credentials: dict[str, Any]) -> dict[str, str]:
        """Return field errors for the instance URL, optional visibility and the access token."""
        errors: dict[str, str] = {}
        check_url(errors, settings)
        check_choice(errors, settings, "visibility", VISIBILITIES)
        check_text(errors, credentials, "access_token")
        return errors

    # Mastodon may answer an upload 202 and process the image in the background: ask this often, this long.
    processing_polls = 5
    processing_poll_s = 1.0

    def check_content(self, request: PublishRequest) -> None:
        """Refuse an empty status, more than 4 images, or a status over the instance's length limit."""
        text = status_text(request.content)
        if not text:
            raise PermanentError(Sentence("content has no text to post"))
        if len(request.media) > MAX_MEDIA:
            raise PermanentError(
                Sentence(
                    "content has %(count)s images; a Mastodon status takes at most %(limit)s",
                    count=len(request.media),
                    limit=MAX_MEDIA,
                )
            )
        if status_length(text, DEFAULT_URL_CHARACTERS) > DEFAULT_MAX_CHARACTERS:
            # Only a long status costs a look at the instance's own limit (many raise it above 500).
            limit, url_chars = self._limits()
            if (length := status_length(text, url_chars)) > limit:
                raise PermanentError(
                    Sentence(
                        "status is %(length)s characters (each URL counts as %(url_chars)s);"
                        " this instance allows %(limit)s",
                        length=length,
                        url_chars=url_chars,
                        limit=limit,
                    )
                )

    def publish(self, request: PublishRequest) -> PublishResult:
        """Post the status with the publication's Idempotency-Key, after checking the instance's length limit."""
        if error := self.config_error():
            raise error
        self.check_content(request)
        text = status_text(request.content)
        status: dict[str, Any] = {"status": text, "visibility": self.settings.get("visibility", "public")}
        if request.media:
            status["media_ids"] = self._attach(request)
        key = {"Idempotency-Key": request.idempotency_key}
        response = self._call("POST", "/api/v1/statuses", json=status, headers=key, check=False)
        if response.status == 422 and STILL_PROCESSING in (mastodon_error(response) or ""):
            # The upload is kept in the ledger: the retry attaches it without sending it again.
            raise TransientError(
                "Mastodon is still processing an image", http_status=422, response_excerpt=response.excerpt
            )
        raise_for_answer(response, self.secrets)
        posted = response.json_object() or {}
        return result(response, posted.get("id"), posted.get("url") or posted.get("uri"))

    def _attach(self, request: PublishRequest) -> list[str]:
        """Upload each image once (with its alt text) and return the media ids, once Mastodon has processed them."""
        ready: set[str] = set()

        def upload(attachment: MediaAttachment) -> RemoteMedia:
            file = (media_filename(request, attachment), attachment.read(), attachment.content_type)
            response = self._call(
                "POST", "/api/v2/media", data={"description": attachment.alt_text}, files={"file": file}
            )
            uploaded = response.json_object() or {}
            if not isinstance(uploaded.get("id"), str | int):
                raise PermanentError("Mastodon accepted the image but answered no id", http_status=response.status)
            remote = RemoteMedia(remote_id=str(uploaded["id"]), remote_url=uploaded.get("url") or None)
            if response.status == 200:  # processed already; 202 means "still processing, url null"
                ready.add(remote.remote_id)
            return remote

        ids = [upload_once(request, a, lambda a=a: upload(a)).remote_id for a in request.media]
        for media_id in ids:
            if media_id not in ready:
                self._wait_until_processed(media_id)
        return ids

    def _wait_until_processed(self, media_id: str) -> None:
        # GET /api/v1/media/:id answers 206 while processing and 200 once done.
        for poll in range(self.processing_polls):
            if self._call("GET", f"/api/v1/media/{media_id}").status == 200:
                return
            if poll + 1 < self.processing_polls:
                time.sleep(self.processing_poll_s)
        raise TransientError(f"Mastodon is still processing image {media_id}; the retry attaches the same upload")

    def find_existing(self, request: PublishRequest) -> PublishResult | None:
        """Find the status among the account's latest ones: the same text, posted since the first attempt began.

        Without `sent_since` the answer would match last week's identical status: refuse to guess.
        """
        if request.sent_since is None:
            raise TransientError("cannot look for the status without the time of the first attempt")
        account = self._call("GET", "/api/v1/accounts/verify_credentials").json_object() or {}
        if not isinstance(account.get("id"), str | int):
            raise TransientError("Mastodon answered no account id")
        response = self._call("GET", f"/api/v1/accounts/{account['id']}/statuses?limit={self.LOOKUP_STATUSES}")
        wanted = _comparable(status_text(request.content))
        since = request.sent_since - self.LOOKUP_SKEW
        for status in response.json_objects():
            posted = _instant(status.get("created_at"))
            # Read as text without link addresses: Mastodon links the URLs and hashtags of the text we sent.
            text = html_to_text(status.get("content") or "", keep_links=False)
            if posted is not None and posted >= since and _comparable(text) == wanted:
                return result(response, status.get("id"), status.get("url") or status.get("uri"))
        return None

    def probe(self) -> HealthResult:
        """Verify the token's account and report the instance's status length limit."""
        response = self._call("GET", "/api/v1/accounts/verify_credentials")
        account = (response.json_object() or {}).get("acct", "?")
        limit, _ = self._limits()
        message = Sentence(
            "signed in as @%(account)s; statuses up to %(limit)s characters", account=account, limit=limit
        )
        return HealthResult(ok=True, message=message, http_status=response.status)

    def _limits(self) -> tuple[int, int]:
        # v2 since Mastodon 4.0; v1 (and max_toot_chars on forks) before that.
        response = self._call("GET", "/api/v2/instance", check=False)
        if response.status == 404:
            response = self._call("GET", "/api/v1/instance")
        raise_for_status(response, self.secrets, mastodon_error)
        instance = response.json_object() or {}
        statuses = (instance.get("configuration") or {}).get("statuses") or {}
        limit = statuses.get("max_characters") or instance.get("max_toot_chars") or DEFAULT_MAX_CHARACTERS
        url_chars = statuses.get("characters_reserved_per_url") or DEFAULT_URL_CHARACTERS
        return int(limit), int(url_chars)

    def _call(self, method: str, path: str, *, check: bool = True, **kwargs) -> HttpResponse:
        """Send one request; with `check`, classify the answer as real Mastodon-API servers give it."""
        response = super()._call(method, path, check=False, **kwargs)
        if check:
            raise_for_answer(response, self.secrets, uploading=(method, path) == ("POST", "/api/v2/media"))
        return response

    def _api_url(self, path: str) -> str:
        return base_url(self.settings["url"]) + path

    def _auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.credentials['access_token']}"}

    def _error_detail(self, response: HttpResponse) -> str | None:
        return mastodon_error(response)


def status_text(content: ContentPayload) -> str:
    """Return the status: the body as plain text (links as "text (url)"), then any tags not in it as hashtags."""
    text = to_text(content.body, content.body_format)
    present = {tag.casefold() for tag in re.findall(r"#(\w+)", text)}
    hashtags = []
    for tag in content.tags:
        name = _HASHTAG_CHARS.sub("", tag)
        if name and name.casefold() not in present:
            present.add(name.casefold())
            hashtags.append(f"#{name}")
    return f"{text}\n\n{' '.join(hashtags)}".strip() if hashtags else text


def status_length(text: str, url_chars: int = DEFAULT_URL_CHARACTERS) -> int:
    """Count a status exactly as Mastodon's StatusLengthValidator does.

    Each URL twitter-text finds (with its scheme) is `url_chars` characters whatever its length, a
    mention `@user@domain` counts as `@user`, and the result is counted in grapheme clusters (an emoji
    with its modifiers or a flag is one character; a CJK character is one).
    """
    entities = [(u["indices"][0], u["indices"][1], "x" * url_chars) for u in extract_urls_with_indices(text, False)]
    if "@" in text:
        for match in _MENTION.finditer(text):
            if not _MENTION_END.match(text, match.end()):
                entities.append((match.start(), match.end(), "@" + match[2]))
    # Like twitter-text's remove_overlapping_entities: by start, dropping any that overlaps the one kept before.
    countable, last = [], 0
    for start, end, replacement in sorted(entities, key=lambda entity: entity[0]):
        if start < last:
            continue
        countable += [text[last:start], replacement]
        last = end
    countable.append(text[last:])
    return len(_GRAPHEME.findall("".join(countable)))


def mastodon_error(response: HttpResponse) -> str | None:
    """Read Mastodon's {"error": "...", "error_description"?} body (or a plain-text one, as Takahē answers)."""
    body = response.json_object() or {}
    error, description = body.get("error"), body.get("error_description")
    if not isinstance(error, str):
        # An HTML error page: its words, without the markup.
        text = html.unescape(re.sub(r"<[^>]*>", " ", response.body.decode("utf-8", errors="replace")))
        return " ".join(text.split())[:200] or None
    return f"{error}: {description}" if isinstance(description, str) and description else error


def raise_for_answer(response: HttpResponse, secrets, *, uploading: bool = False) -> None:
    """Classify what a Mastodon-API server answered, as real servers answer (not only Mastodon itself).

    Takahē answers a bad token with 400 text/html "Invalid Bearer token" (a credentials problem, like a
    401), and an image it cannot decode with a 500 HTML page (the same image fails again: permanent).
    """
    detail = mastodon_error(response) or ""
    if response.status == 400 and "bearer token" in detail.lower():
        raise AuthError(f"HTTP 400: {detail}", http_status=400, response_excerpt=response.excerpt)
    if uploading and response.status == 500 and response.json_object() is None:
        raise PermanentError(
            f"HTTP 500: the server failed on this image ({detail[:120] or 'no detail'}); sending it again won't help",
            http_status=500,
            response_excerpt=response.excerpt,
        )
    raise_for_status(response, secrets, mastodon_error)


def _comparable(text: str) -> str:
    """A status's text as both sides can agree on: whitespace collapsed (servers re-wrap paragraphs)."""
    return " ".join(text.split())


def _instant(value) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)

"""Pieces the platform adapters share: config field checks, results, health answers, lookup-first publishing."""

from abc import abstractmethod
from typing import Any
from urllib.parse import urlsplit

from . import targets
from .base import Adapter, AdapterError, HealthResult, PermanentError, PublishRequest, PublishResult
from .http import HttpResponse, send
from .sentence import Sentence

REQUIRED = Sentence("is required")


def is_http_url(value: object) -> bool:
    """Return True for an absolute http(s) URL with a host and no whitespace."""
    if not isinstance(value, str) or not value or any(c.isspace() for c in value):
        return False
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 -- raises ValueError for a malformed port
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def check_url(errors: dict[str, str], settings: dict[str, Any], field: str = "url") -> None:
    """Record an error unless settings[field] is an http(s) URL Herald may call (targets.py)."""
    if not is_http_url(settings.get(field)):
        errors[f"settings.{field}"] = Sentence("must be an http(s) URL")
    elif refusal := targets.url_refusal(settings[field]):
        errors[f"settings.{field}"] = refusal


def check_text(errors: dict[str, str], section: dict[str, Any], key: str, *, prefix: str = "credentials") -> None:
    """Record an error unless section[key] is a non-blank string."""
    value = section.get(key)
    if not isinstance(value, str) or not value.strip():
        errors[f"{prefix}.{key}"] = REQUIRED


def check_choice(errors: dict[str, str], settings: dict[str, Any], key: str, choices: tuple[str, ...]) -> None:
    """Record an error when the optional setting is present but not one of choices."""
    if key in settings and settings[key] not in choices:
        errors[f"settings.{key}"] = Sentence("must be one of %(choices)s", choices=", ".join(choices))


def base_url(url: str) -> str:
    """Return a site URL without its trailing slash, ready for path joins."""
    return url.rstrip("/")


def require_title(request: PublishRequest, *, max_chars: int | None = None) -> str:
    """Return the stripped title, raising PermanentError before anything is sent when it cannot be used."""
    title = request.content.title.strip()
    if not title:
        raise PermanentError(Sentence("content has no title; this platform requires one"))
    if max_chars is not None and len(title) > max_chars:
        raise PermanentError(
            Sentence(
                "title is %(length)s characters; this platform allows at most %(limit)s",
                length=len(title),
                limit=max_chars,
            )
        )
    return title


def unique_names(names: Any) -> list[str]:
    """Return the non-blank names, trimmed, each once whatever its case (the first spelling wins), in order."""
    seen: dict[str, str] = {}
    for name in names or ():
        if isinstance(name, str) and name.strip():
            seen.setdefault(name.strip().casefold(), name.strip())
    return list(seen.values())


def result(response: HttpResponse, external_id: object, external_url: object) -> PublishResult:
    """Build a PublishResult, keeping only usable id and URL values."""
    usable_id = str(external_id) if isinstance(external_id, str | int) and not isinstance(external_id, bool) else None
    return PublishResult(
        external_id=usable_id or None,
        external_url=external_url if isinstance(external_url, str) and external_url else None,
        http_status=response.status,
        response_excerpt=response.excerpt,
    )


def health_from_error(exc: AdapterError) -> HealthResult:
    """Report a failed check with the platform's own answer."""
    message = exc.message
    if exc.response_excerpt and exc.response_excerpt not in exc.message:
        message = Sentence("%(message)s (%(answer)s)", message=exc.message, answer=exc.response_excerpt)
    return HealthResult(ok=False, message=message, http_status=exc.http_status)


class PlatformAdapter(Adapter):
    """An adapter for a platform's JSON API: one authenticated read (probe) proves the credentials."""

    def check(self) -> HealthResult:
        """Run the platform's authenticated read, reporting any failure instead of raising."""
        if error := self.config_error():
            return HealthResult(ok=False, message=error.message)
        try:
            return self.probe()
        except AdapterError as exc:
            return health_from_error(exc)

    @abstractmethod
    def probe(self) -> HealthResult:
        """Make an authenticated read that proves the credentials; raise AdapterError on failure."""

    @abstractmethod
    def _api_url(self, path: str) -> str:
        """Return the absolute URL of path on the platform's API."""

    @abstractmethod
    def _auth_headers(self) -> dict[str, str]:
        """Return the headers that carry the channel's credentials (and the API version, where it is a header)."""

    @abstractmethod
    def _error_detail(self, response: HttpResponse) -> str | None:
        """Read the platform's error body into a message, or None when it has none."""

    def _call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        data: dict[str, str] | None = None,
        files: dict[str, tuple[str, bytes, str]] | None = None,
        headers: dict[str, str] | None = None,
        check: bool = True,
    ) -> HttpResponse:
        """Send one authenticated request to the platform's API; headers add to (or override) the defaults."""
        return send(
            method,
            self._api_url(path),
            json=json,
            data=data,
            files=files,
            headers={**self._auth_headers(), "Accept": "application/json", **(headers or {})},
            timeout=self.timeout,
            secrets=self.secrets,
            error_detail=self._error_detail,
            check=check,
        )


class LookupFirstAdapter(PlatformAdapter):
    """A platform without idempotency keys: find the key's marker before creating, so a retry never duplicates."""

    supports_lookup = True

    def publish(self, request: PublishRequest) -> PublishResult:
        """Return the post an earlier attempt made for this key, or create it."""
        if error := self.config_error():
            raise error
        self.check_content(request)
        existing = self.lookup(request)
        return existing if existing is not None else self.create(request)

    def find_existing(self, request: PublishRequest) -> PublishResult | None:
        """Return the post made for this key, or None when there is certainly none."""
        if error := self.config_error():
            raise error
        return self.lookup(request)

    @abstractmethod
    def check_content(self, request: PublishRequest) -> None:
        """Raise PermanentError when the content breaks the platform's limits."""

    @abstractmethod
    def lookup(self, request: PublishRequest) -> PublishResult | None:
        """Ask the platform for the post carrying this key's marker."""

    @abstractmethod
    def create(self, request: PublishRequest) -> PublishResult:
        """Create the post, marked with this key."""

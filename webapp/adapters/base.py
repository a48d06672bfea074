"""The adapter contract: what a publish sends, what comes back, and how failures are classified."""

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, ClassVar, Protocol

from .sentence import Sentence, joined


class ErrorClass(StrEnum):
    AUTH = "auth"
    RATE_LIMITED = "rate_limited"
    TRANSIENT = "transient"
    PERMANENT = "permanent"
    UNKNOWN_OUTCOME = "unknown_outcome"


@dataclass(frozen=True)
class ContentPayload:
    id: int
    title: str
    body: str
    excerpt: str | None
    content_type: str
    tags: tuple[str, ...]
    # The slug the author set (on the item or its variant); None: blog platforms derive one from the title.
    slug: str | None = None
    # "markdown" or "html": how the body is written (the content's; its variants are written the same way).
    body_format: str = "markdown"

    def __post_init__(self) -> None:
        # Callers often hold tags as a list (JSON column); keep the payload immutable regardless.
        object.__setattr__(self, "tags", tuple(self.tags))


@dataclass(frozen=True)
class MediaAttachment:
    """One verified image of the content; its bytes come from Herald's storage, read only when sent."""

    id: int
    filename: str
    content_type: str  # decoded from the bytes at upload: image/jpeg, image/png, image/gif or image/webp
    extension: str  # jpg, png, gif, webp
    alt_text: str
    size: int
    width: int
    height: int
    sha256: str
    url: str | None  # a time-limited URL a platform or receiver can fetch, or None when storage has none
    read: Callable[[], bytes] = field(repr=False, compare=False)


@dataclass(frozen=True)
class RemoteMedia:
    """What a platform answered for one uploaded image: its id there and its URL there."""

    remote_id: str
    remote_url: str | None = None


class UploadLedger(Protocol):
    """Where an adapter records each image it uploaded for a publication, so a retry reuses it."""

    def get(self, media_id: int) -> RemoteMedia | None: ...

    def record(self, media_id: int, remote: RemoteMedia) -> None: ...


class MemoryLedger:
    """An UploadLedger held in memory: for previews, checks and tests (publishing uses the database's)."""

    def __init__(self) -> None:
        self.uploads: dict[int, RemoteMedia] = {}

    def get(self, media_id: int) -> RemoteMedia | None:
        return self.uploads.get(media_id)

    def record(self, media_id: int, remote: RemoteMedia) -> None:
        self.uploads[media_id] = remote


@dataclass(frozen=True)
class PublishRequest:
    publication_id: int
    idempotency_key: str
    scheduled_for: datetime
    channel_id: int
    channel_name: str
    content: ContentPayload
    # The content's images in order (the first is the featured one), and the ledger of their uploads.
    media: tuple[MediaAttachment, ...] = ()
    uploads: UploadLedger = field(default_factory=MemoryLedger, repr=False, compare=False)
    # When the first attempt that may have reached the platform began (for lookups by content, not key).
    sent_since: datetime | None = None

    def __post_init__(self) -> None:
        # A naive datetime would be read in the server's local zone and sent as the wrong instant.
        if self.scheduled_for.tzinfo is None or self.scheduled_for.utcoffset() is None:
            raise ValueError("scheduled_for must be timezone-aware")
        object.__setattr__(self, "scheduled_for", self.scheduled_for.astimezone(UTC))
        object.__setattr__(self, "media", tuple(self.media))


@dataclass(frozen=True)
class PublishResult:
    external_id: str | None
    external_url: str | None
    http_status: int | None
    response_excerpt: str | None


@dataclass(frozen=True)
class HealthResult:
    ok: bool
    message: str
    http_status: int | None = None


class AdapterError(Exception):
    # Unclassified failures are treated as "may have happened" so nothing is blindly resent.
    error_class: ClassVar[ErrorClass] = ErrorClass.UNKNOWN_OUTCOME

    def __init__(
        self,
        message: str,
        *,
        http_status: int | None = None,
        retry_after: float | None = None,
        response_excerpt: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.http_status = http_status
        self.retry_after = retry_after
        self.response_excerpt = response_excerpt


class AuthError(AdapterError):
    error_class = ErrorClass.AUTH


class RateLimited(AdapterError):
    error_class = ErrorClass.RATE_LIMITED


class TransientError(AdapterError):
    error_class = ErrorClass.TRANSIENT


class PermanentError(AdapterError):
    error_class = ErrorClass.PERMANENT


class UnknownOutcome(AdapterError):
    error_class = ErrorClass.UNKNOWN_OUTCOME


class Adapter(ABC):
    platform: ClassVar[str]
    # True when find_existing can answer "not published" with certainty, so a resend is safe.
    supports_lookup: ClassVar[bool] = False
    # True when posts get a URL slug (from the title, or the one the author set on the content or a variant).
    takes_slug: ClassVar[bool] = False
    # True when an uploaded image belongs to the one post that attaches it (Mastodon): attaching it to a
    # second post moves it. After an unknown outcome the first post may exist, so images are uploaded anew.
    uploads_bind_to_one_post: ClassVar[bool] = False

    def __init__(self, settings: dict[str, Any], credentials: dict[str, Any], *, timeout: float = 10.0) -> None:
        self.settings = dict(settings)
        self.credentials = dict(credentials)
        self.timeout = timeout

    @classmethod
    @abstractmethod
    def validate_config(cls, settings: dict[str, Any], credentials: dict[str, Any]) -> dict[str, str]:
        """Return field errors keyed like "settings.url", or {} when the configuration is valid."""

    @abstractmethod
    def publish(self, request: PublishRequest) -> PublishResult:
        """Publish the request on the platform, raising an AdapterError subclass on failure."""

    def check_content(self, request: PublishRequest) -> None:  # noqa: B027 - optional hook, no-op by default
        """Raise PermanentError when the content breaks the platform's limits, without sending anything."""

    def find_existing(self, request: PublishRequest) -> PublishResult | None:
        """Look the request up by idempotency key; without supports_lookup, None means "cannot tell"."""
        return None

    @abstractmethod
    def check(self) -> HealthResult:
        """Check the live connection and credentials without publishing anything."""

    @property
    def secrets(self) -> tuple[str, ...]:
        """Return the credential values that must never appear in messages or excerpts."""
        return tuple(value for value in self.credentials.values() if isinstance(value, str) and value)

    def config_error(self) -> AdapterError | None:
        """Return the error a publish with this configuration must raise, or None when it is valid."""
        errors = self.validate_config(self.settings, self.credentials)
        if not errors:
            return None
        problems = [
            Sentence("%(field)s %(problem)s", field=field, problem=problem) for field, problem in sorted(errors.items())
        ]
        # Bad credentials need a person, exactly like a 401; a bad setting fails the publication.
        error_type = AuthError if any(f.startswith("credentials.") for f in errors) else PermanentError
        return error_type(Sentence("invalid channel configuration: %(problems)s", problems=joined(problems, "; ")))

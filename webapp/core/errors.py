"""Domain errors raised by services and translated to responses by views and the API."""

from __future__ import annotations


class ServiceError(Exception):
    """Base for errors a caller can show a person."""

    code = "error"

    def __init__(self, message: str, fields: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class ValidationFailed(ServiceError):
    code = "validation_failed"

    def __init__(self, fields: dict[str, str], message: str = "Some fields are not valid.", **extra):
        super().__init__(message, fields)
        self.extra = extra


class NotFound(ServiceError):
    code = "not_found"


class Forbidden(ServiceError):
    code = "forbidden"


class Conflict(ServiceError):
    code = "conflict"


class RateLimited(ServiceError):
    """Too many of one action in its window; `retry_after` seconds until it is allowed again."""

    code = "rate_limited"

    def __init__(self, message: str, retry_after: int, field: str | None = None):
        super().__init__(message, {field: message} if field else None)
        self.retry_after = retry_after

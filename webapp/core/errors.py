"""Domain errors raised by services and translated to responses by views and the API.

A message (and each field's problem) is a person's text, marked for translation where it is written with this
module's `lazy_gettext`: the domain keeps no request state, and the edge that shows it (a page, the API's error
handler) renders it in the reader's language with `str()` (outside any app, English). `code` is the stable,
untranslated name a program reads.
"""

from __future__ import annotations

from flask_babel import LazyString, gettext
from markupsafe import escape


class LazyText(LazyString):
    """Flask-Babel's lazy string, escaped when a template shows it: its parameters may be what someone typed.

    (Flask-Babel's own `__html__` hands the text to Jinja as safe markup.)
    """

    def __html__(self):
        return escape(str(self))


def lazy_gettext(string: str, **variables) -> LazyText:
    """Mark a message for translation (extracted like Flask-Babel's); translated each time it is shown."""
    return LazyText(gettext, string, **variables)


class ServiceError(Exception):
    """Base for errors a caller can show a person."""

    code = "error"

    def __init__(self, message: str, fields: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class ValidationFailed(ServiceError):
    code = "validation_failed"

    def __init__(self, fields: dict[str, str], message: str | None = None, **extra):
        super().__init__(message or lazy_gettext("Some fields are not valid."), fields)
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

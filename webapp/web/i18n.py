"""The UI's language: which locale and timezone a request speaks, and dates and numbers formatted in them.

Flask-Babel does the gettext plumbing (`_`, `ngettext` in templates; `gettext`, `lazy_gettext` in Python). The
language is the signed-in user's choice (`User.locale`), else the browser's `Accept-Language`, else English.
Catalogs live in webapp/translations/<locale>/LC_MESSAGES/messages.po; `make translations` extracts and updates
them, `make install` compiles them, and a checkout whose .mo is missing or older than its .po compiles it when the
app starts (so a test run straight from pytest speaks every language too).
"""

from __future__ import annotations

import os
import tempfile
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_date as babel_date
from babel.dates import format_datetime as babel_datetime
from babel.dates import format_skeleton, get_datetime_format, get_day_names
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from flask import Flask, g, has_request_context, request
from flask_babel import Babel, get_locale, get_timezone, gettext, lazy_gettext, refresh
from flask_login import current_user
from flask_wtf import FlaskForm
from jinja2 import pass_context

from webapp.core.phrases import INSTANT_FORMATTER, said, shown

TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"
DEFAULT_LOCALE = "en"
# Each language the UI ships, by its code, with its name in itself (what the settings page offers).
LANGUAGES = {"en": "English", "de": "Deutsch", "fr": "Français", "es": "Español"}

# A named way to show an instant: English keeps Herald's fixed house style (an LDML pattern, so names still come
# from Babel); every other language takes its own order and names from a CLDR date skeleton and time skeleton.
INSTANT_FORMATS: dict[str, tuple[str, str | None, str | None]] = {
    "datetime": ("yyyy-MM-dd HH:mm:ss", "yMMdd", "Hms"),
    "minute": ("yyyy-MM-dd HH:mm", "yMMdd", "Hm"),
    "weekday_time": ("EEE dd MMM HH:mm", "MMMEd", "Hm"),
    "weekday_date_time": ("EEE dd MMM yyyy HH:mm", "yMMMEd", "Hm"),
    "day_time": ("EEE dd HH:mm", "Ed", "Hm"),
    "date_time": ("dd MMM HH:mm", "MMMd", "Hm"),
    "time": ("HH:mm:ss", None, "Hms"),
    "hour_minute": ("HH:mm", None, "Hm"),
}
# The same for a calendar day (no time, no zone).
DATE_FORMATS: dict[str, tuple[str, str]] = {
    "full": ("EEEE dd MMMM yyyy", "full"),  # Babel's own full date: CLDR skeletons drop the long weekday
    "month": ("MMMM yyyy", "yMMMM"),
    "day_month": ("dd MMM", "MMMd"),
    "short_day_month": ("d MMM", "MMMd"),
    "day_month_year": ("dd MMM yyyy", "yMMMd"),
    "weekday_day_month": ("EEE dd MMM", "MMMEd"),
}
# The strftime formats callers passed before Babel, read as the named format they meant.
STRFTIME_NAMES = {
    "%Y-%m-%d %H:%M:%S": "datetime",
    "%a %d %b %H:%M": "weekday_time",
    "%a %d %b %Y %H:%M": "weekday_date_time",
    "%a %d %H:%M": "day_time",
    "%H:%M:%S": "time",
    "%H:%M": "hour_minute",
}

# Values Herald stores in English and shows as words (roles, statuses, priorities, actions): each is translated
# when shown (`{{ value | term }}`); a value not listed shows as it is.
TERMS = {
    "owner": lazy_gettext("owner"),
    "editor": lazy_gettext("editor"),
    "viewer": lazy_gettext("viewer"),
    "scheduled": lazy_gettext("scheduled"),
    "queued": lazy_gettext("queued"),
    "publishing": lazy_gettext("publishing"),
    "retrying": lazy_gettext("retrying"),
    "published": lazy_gettext("published"),
    "failed": lazy_gettext("failed"),
    "unconfirmed": lazy_gettext("unconfirmed"),
    "paused": lazy_gettext("paused"),
    "cancelled": lazy_gettext("cancelled"),
    "missed": lazy_gettext("missed"),
    # channels' health
    "healthy": lazy_gettext("healthy"),
    "unhealthy": lazy_gettext("unhealthy"),
    "unknown": lazy_gettext("unknown"),
    # occurrences of a series
    "due": lazy_gettext("due"),
    "moved": lazy_gettext("moved"),
    "skipped": lazy_gettext("skipped"),
    "active": lazy_gettext("active"),
    "completed": lazy_gettext("completed"),
    "needs_intervention": lazy_gettext("needs intervention"),
    "draft": lazy_gettext("draft"),
    "review": lazy_gettext("review"),
    "approved": lazy_gettext("approved"),
    "archived": lazy_gettext("archived"),
    "critical": lazy_gettext("critical"),
    "high": lazy_gettext("high"),
    "normal": lazy_gettext("normal"),
    "low": lazy_gettext("low"),
    # content types
    "article": lazy_gettext("article"),
    "social": lazy_gettext("social"),
    "product_update": lazy_gettext("product update"),
    "announcement": lazy_gettext("announcement"),
    "newsletter": lazy_gettext("newsletter"),
    # review decisions (approved and archived are above)
    "submitted": lazy_gettext("submitted"),
    "rejected": lazy_gettext("rejected"),
    "restored": lazy_gettext("restored"),
    "reopened": lazy_gettext("reopened"),
    "pause": lazy_gettext("pause"),
    "resume": lazy_gettext("resume"),
    "retry": lazy_gettext("retry"),
    "cancel": lazy_gettext("cancel"),
    "delete": lazy_gettext("delete"),
    "clone": lazy_gettext("clone"),
    "approve": lazy_gettext("approve"),
    "archive": lazy_gettext("archive"),
}

babel = Babel()


def _reader():
    """Who reads this request's answer: the API key's user, else the signed-in user (None outside a request)."""
    if not has_request_context():
        return None
    # The API sets g.api_user once the key is known (api/base.py); a page reads the signed-in user.
    user = (g.get("api_user") if request.blueprint == "api" else None) or current_user
    return user if user and user.is_authenticated else None


def select_locale() -> str:
    """The signed-in user's (or the API key's user's) language, else the browser's Accept-Language, else English."""
    user = _reader()
    if user and user.locale in LANGUAGES:
        return user.locale
    if not has_request_context():
        return DEFAULT_LOCALE
    return request.accept_languages.best_match(LANGUAGES) or DEFAULT_LOCALE


def select_timezone() -> str | None:
    """The signed-in user's (or the API key's user's) profile timezone (None: Flask-Babel's default, UTC)."""
    user = _reader()
    return user.timezone if user else None


def locale_code() -> str:
    """The request's language as a BCP 47 tag (`<html lang>`)."""
    return str(get_locale() or DEFAULT_LOCALE).replace("_", "-")


def _skeleton(skeleton: str, value: datetime | date, tz: ZoneInfo | None, locale: str) -> str:
    if isinstance(value, datetime):
        return format_skeleton(skeleton, value, tzinfo=tz, locale=locale)
    return format_skeleton(skeleton, value, locale=locale)


def format_instant(value: datetime | None, fmt: str = "datetime") -> str:
    """Show an instant in the request's timezone and language, followed by the zone's abbreviation ("CET", "IST").

    `fmt` names one of INSTANT_FORMATS (an old strftime format from STRFTIME_NAMES is read as its name).
    """
    if value is None:
        return "—"
    pattern, date_skeleton, time_skeleton = INSTANT_FORMATS[STRFTIME_NAMES.get(fmt, fmt)]
    tz = ZoneInfo(str(get_timezone() or "UTC"))
    local = value.astimezone(tz)
    locale = str(get_locale() or DEFAULT_LOCALE)
    if locale == DEFAULT_LOCALE:
        shown = babel_datetime(local, pattern, tzinfo=tz, locale=locale)
    else:
        time_part = _skeleton(time_skeleton, local, tz, locale) if time_skeleton else ""
        date_part = _skeleton(date_skeleton, local, tz, locale) if date_skeleton else ""
        shown = get_datetime_format("medium", locale=locale).format(time_part, date_part) if date_part else time_part
    return f"{shown} {local.tzname()}"


def format_day(value: date | datetime | None, fmt: str = "full") -> str:
    """Show a calendar day (a date, or a datetime already in the zone it belongs to) in the request's language."""
    if value is None:
        return "—"
    pattern, skeleton = DATE_FORMATS[fmt]
    locale = str(get_locale() or DEFAULT_LOCALE)
    day = value.date() if isinstance(value, datetime) else value
    if locale == DEFAULT_LOCALE:
        return babel_datetime(datetime(day.year, day.month, day.day), pattern, locale=locale)
    if skeleton == "full":
        return babel_date(day, "full", locale=locale)
    return _skeleton(skeleton, day, None, locale)


def format_at(value: datetime, fmt: str) -> str:
    """An instant inside a stored sentence (core/phrases.At), by its format name, in the reader's language and zone."""
    if fmt == "utc":  # the API's form in English text: a reader sees a date and time
        fmt = "datetime"
    if fmt in DATE_FORMATS:  # a day alone: the reader's day, which need not be the schedule's
        return format_day(value.astimezone(ZoneInfo(str(get_timezone() or "UTC"))), fmt)
    return format_instant(value, fmt)


def weekday_names() -> list[str]:
    """Monday to Sunday, abbreviated in the request's language (a month grid's heads)."""
    names = get_day_names("abbreviated", locale=str(get_locale() or DEFAULT_LOCALE))
    return [names[day] for day in range(7)]


def format_duration_ms(value: int | float | None) -> str:
    """A duration: milliseconds under 10 s, else seconds with one decimal, the decimal sign the language's."""
    if value is None:
        return "—"
    locale = str(get_locale() or DEFAULT_LOCALE)
    if abs(value) < 10_000:
        return f"{format_decimal(value, format='0', locale=locale)} ms"
    return f"{format_decimal(value / 1000, format='0.0', locale=locale)} s"


def format_count(value: int | float | None, decimals: int | None = None) -> str:
    """A number in the request's language (grouping and decimal sign), with exactly `decimals` digits if given."""
    if value is None:
        return "—"
    pattern = None if decimals is None else "#,##0." + "0" * decimals if decimals else "#,##0"
    return format_decimal(value, format=pattern, locale=str(get_locale() or DEFAULT_LOCALE))


def term(value: str | None) -> str:
    """A stored value (a role, a status, a priority) in the request's language."""
    return "—" if value is None else str(TERMS.get(value, value))


def system_problems(system: dict) -> list[str]:
    """The status banner's problems (infra.liveness.system_status) in the request's language.

    Read from the status's figures, not its English sentences; a problem this does not know shows as it is.
    """
    if not system.get("redis", True):
        return [gettext("Redis is unreachable")]
    shown = []
    for problem in system.get("problems", []):
        if problem.startswith("the scheduler has never"):
            shown.append(gettext("the scheduler has never reported in: no publication will be queued"))
        elif problem.startswith("the scheduler has been silent"):
            seconds = format_count(round(system.get("scheduler_heartbeat_age_s") or 0))
            shown.append(
                gettext(
                    "the scheduler has been silent for %(seconds)s s: publications are not being queued",
                    seconds=seconds,
                )
            )
        elif problem.startswith("no worker is running"):
            shown.append(gettext("no worker is running: queued publications will wait"))
        else:
            shown.append(problem)
    return shown


def compile_catalogs(directory: Path = TRANSLATIONS, *, only_stale: bool = True) -> list[Path]:
    """Compile each messages.po under directory to its .mo (only those missing or older, by default).

    Written to a temporary file and moved into place, so processes starting together never read half a catalog.
    Fuzzy entries are left out. Returns the .mo files written.
    """
    written = []
    for po_path in sorted(directory.glob("*/LC_MESSAGES/messages.po")):
        mo_path = po_path.with_suffix(".mo")
        if only_stale and mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=po_path.parts[-3])
        handle, temporary = tempfile.mkstemp(dir=mo_path.parent, suffix=".mo.tmp")
        with os.fdopen(handle, "wb") as mo_file:
            write_mo(mo_file, catalog, use_fuzzy=False)
        os.replace(temporary, mo_path)
        written.append(mo_path)
    return written


def init_app(app: Flask) -> None:
    """Install Flask-Babel with Herald's selectors, catalogs and template helpers."""
    if os.access(TRANSLATIONS, os.W_OK):  # a checkout: a stale catalog compiles itself (an install has them built)
        compile_catalogs()
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LOCALE)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    # Flask-Babel keeps the choice on `g`, which outlives a request when an app context was already pushed (the
    # tests, a CLI command): each request chooses again.
    app.before_request(refresh)
    # `{% trans %}` blocks are read with their whitespace collapsed, as babel.cfg extracts them (`trimmed`).
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    app.add_template_global(locale_code, "locale_code")
    app.add_template_global(LANGUAGES, "languages")
    app.add_template_global(system_problems, "system_problems")
    app.add_template_global(weekday_names, "weekday_names")
    app.add_template_filter(per_request(format_instant), "local_time")
    app.add_template_filter(per_request(format_day), "local_date")
    app.add_template_filter(per_request(format_duration_ms), "duration_ms")
    app.add_template_filter(per_request(format_count), "count")
    app.add_template_filter(per_request(term), "term")
    # A sentence Herald stored (an alert, a hold reason, its own error) in the reader's language.
    app.add_template_filter(per_request(shown), "shown")
    app.add_template_filter(per_request(said), "said")  # one just made (pre-flight's problems), not from a record
    app.extensions[INSTANT_FORMATTER] = format_at  # the instants inside those sentences, in the reader's zone


def per_request(language_filter):
    """A filter whose answer depends on the request's language or zone, kept from Jinja's compile-time folding.

    Jinja computes a plain filter on a constant (`{{ "paused" | term }}`) once, when it compiles the template, in
    whatever language that first request spoke; a filter that takes the context is called at each render.
    """

    @pass_context
    def filtered(_context, *args, **kwargs):
        return language_filter(*args, **kwargs)

    return filtered


def language_name(code: str | None) -> str:
    """A language's name in itself; no choice is the browser's language (in the request's language)."""
    return LANGUAGES.get(code or "") or gettext("your browser's language")


def language_form(form: FlaskForm) -> FlaskForm:
    """Offer every shipped language (named in itself) on a form's `locale` field, and the browser's as the default."""
    form.locale.choices = [("", gettext("The browser's language")), *LANGUAGES.items()]
    return form

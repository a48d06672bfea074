"""Sentences Herald stores when something happens (an alert, why a publication is held, Herald's own error), in a
form each reader sees in their own language.

Such a sentence is kept twice on its record: rendered in English in the text column (`Alert.message`,
`Publication.hold_reason`, `Publication.last_error`: what comparisons, prefixes, exports, backups and the audit
read, and all a row written before this had), and untranslated beside it in a JSON column (`<field>_i18n`): the
msgid and its arguments. Assigning a `Phrase` to the text column fills both (`keep_beside`, the models' one setter);
assigning a plain string or None clears the JSON. `render` shows it in the current locale, and falls back to the
English text on anything it cannot read, so a page never fails on a stored sentence.

A Phrase's msgid is extracted like `gettext`'s (the Makefile's `-k Phrase`) and uses `%(name)s` placeholders. Its
arguments are plain values (a name someone typed, a platform's own words: never translated), Phrases (a
sentence inside a sentence, translated with it) or `At`s (an instant: in English in the text column, in the reader's
language and timezone when shown, through the formatter the web layer installs: `INSTANT_FORMATTER`).

An adapter's own sentences (its errors, a connection check's answer) are `Sentence`s (webapp/adapters/sentence.py),
the same msgid and arguments as plain data, since adapters may not import core: wherever one is stored, quoted in a
Phrase or shown (`split`, a Phrase's arguments, `said`), it becomes the Phrase it says.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app, has_app_context
from flask_babel import gettext

from webapp.core.errors import LazyText

log = logging.getLogger(__name__)

PLAIN = (str, int, float, bool, type(None))  # what an argument stores as itself in JSON
UNREADABLE = (KeyError, TypeError, ValueError, AttributeError)  # a stored form or a translation that does not fit
# Where the app keeps the function that shows an `At` in the reader's language and timezone: (datetime, format name)
# -> str. The web layer installs it (webapp/web/i18n.py); core cannot import it, and without it English is shown.
INSTANT_FORMATTER = "phrases.instant_formatter"
# How an `At` reads in English, in the text column, by its format name (the web layer's names for the same shapes).
ENGLISH_INSTANTS = {
    "date_time": "%-d %b %H:%M",
    "hour_minute": "%H:%M",
    "short_day_month": "%-d %b",
    "minute": "%Y-%m-%d %H:%M %Z",  # an instant kept in UTC: "2031-03-03 10:00 UTC"
    "datetime": "%Y-%m-%d %H:%M:%S %Z",
    "time": "%H:%M:%S %Z",  # a wait's end, in UTC: "10:00:30 UTC"
    "utc": "%Y-%m-%dT%H:%M:%SZ",  # as the API writes an instant (core.time.format_utc): kept in UTC
}


@dataclass(frozen=True)
class At:
    """An instant inside a sentence, kept as itself: "3 Mar 10:00" in English, "3. März, 11:00 CET" to a German reader.

    `when` is aware; the English text reads it in the offset it carries (the schedule's zone, say), a reader sees it
    in theirs. `fmt` is one of ENGLISH_INSTANTS.
    """

    when: datetime
    fmt: str = "date_time"

    def __str__(self) -> str:
        return self.when.strftime(ENGLISH_INSTANTS[self.fmt])

    def render(self) -> str:
        formatter = current_app.extensions.get(INSTANT_FORMATTER) if has_app_context() else None
        return formatter(self.when, self.fmt) if formatter else str(self)

    def stored(self) -> dict:
        return {"at": self.when.isoformat(), "format": self.fmt}

    @classmethod
    def load(cls, stored: dict) -> At:
        when = datetime.fromisoformat(stored["at"])
        if when.tzinfo is None or stored["format"] not in ENGLISH_INSTANTS:
            raise ValueError(f"not a stored instant: {stored!r}")
        return cls(when, stored["format"])


class Phrase(str):
    """A sentence that is its English text, and knows how to say itself in the reader's language.

    `Phrase("held: %(why)s", why=Phrase("the channel is paused"))` is the str "held: the channel is paused", so it
    compares, prefixes and concatenates as the English constant it replaces; its msgid and arguments are kept too.
    """

    def __new__(cls, msgid: str, /, **args: Any) -> Phrase:
        # Anything else (a datetime, an enum) is frozen as its text now: the stored form must be JSON.
        args = {name: _argument(value) for name, value in args.items()}
        self = super().__new__(cls, _filled(msgid, args, str))  # a nested Phrase's str, an At's: the English
        self.msgid, self.args = msgid, args
        return self

    def text(self) -> str:
        """The sentence in English, Herald's source language: what the text column holds."""
        return str.__str__(self)

    def render(self) -> str:
        """The sentence in the current locale (English outside a request or `force_locale`)."""
        return _filled(gettext(self.msgid), self.args, _rendered)

    def stored(self) -> dict:
        """The JSON column's form: {"msgid": ..., "args": {name: plain value, or a nested Phrase's stored form}}."""
        args = {name: v.stored() if isinstance(v, (Phrase, At)) else v for name, v in self.args.items()}
        return {"msgid": self.msgid, "args": args}

    @classmethod
    def load(cls, stored: dict) -> Phrase:
        """Read a stored form back; KeyError, TypeError or ValueError when it is not one."""
        msgid, args = stored["msgid"], stored.get("args") or {}
        if not isinstance(msgid, str) or not isinstance(args, dict):
            raise TypeError(f"not a stored phrase: {stored!r}")
        return cls(msgid, **{str(name): _load_arg(value) for name, value in args.items()})

    def __repr__(self) -> str:
        return f"Phrase({self.msgid!r}, **{self.args!r})"


def phrase_of(value: Any) -> Any:
    """An adapter's Sentence as the Phrase it says (its arguments too); anything else as it is.

    Core may not import the adapters (nor they core), so a Sentence (webapp/adapters/sentence.py) is known by its
    shape: a str with a msgid and args that is not a Phrase already.
    """
    if isinstance(value, str) and not isinstance(value, Phrase) and hasattr(value, "msgid") and hasattr(value, "args"):
        return Phrase(value.msgid, **value.args)
    return value


def _argument(value: Any) -> Any:
    value = phrase_of(value)
    return value if isinstance(value, (Phrase, At, *PLAIN)) else str(value)


def _filled(template: str, args: dict, nested) -> str:
    if not args:
        return template  # as gettext: a msgid without arguments is not %-formatted
    return template % {name: nested(v) if isinstance(v, (Phrase, At)) else v for name, v in args.items()}


def _rendered(value: Phrase | At) -> str:
    return value.render()


def joined(parts: list[Phrase | str], separator: str = " ") -> Phrase | str:
    """Sentences (or a list's items) one after the other, each said in the reader's language."""
    whole, *rest = parts
    for part in rest:
        whole = Phrase("%(first)s%(separator)s%(then)s", first=whole, separator=separator, then=part)
    return whole


def _load_arg(value):
    if isinstance(value, dict):
        return At.load(value) if "at" in value else Phrase.load(value)
    if isinstance(value, PLAIN):
        return value
    raise TypeError(f"not a stored argument: {value!r}")


def split(value: Phrase | str | None) -> tuple[str | None, dict | None]:
    """The text column's value and the JSON column's for what is assigned: a Phrase, a plain string, or None."""
    value = phrase_of(value)
    if isinstance(value, Phrase):
        return value.text(), value.stored()
    return (None if value is None else str(value)), None


def keep_beside(record, field: str, value: Phrase | str | None) -> str | None:
    """Set `<field>_i18n` on the record for what is assigned to `field`, and return the text `field` keeps.

    The models call it from a SQLAlchemy validator, so every assignment (one at a time or in a tuple) writes the pair.
    """
    text, stored = split(value)
    setattr(record, f"{field}_i18n", stored)
    return text


def load(stored, text: str | None) -> Phrase | str | None:
    """The stored sentence as a Phrase when the JSON is one and agrees with the text, else the text as it is.

    Disagreeing means the text was written without its phrase (a bulk UPDATE, an older release): the text wins.
    """
    if stored is None or text is None:
        return text
    try:
        phrase = Phrase.load(stored)
        if phrase.text() == text:
            return phrase
    except UNREADABLE:
        log.warning("unreadable stored phrase %r: shown as its text", stored)
    return text


def render(stored, text: str | None) -> str | None:
    """The sentence in the current locale: the stored phrase translated, else the English text. Never raises."""
    return said(load(stored, text))


def said(value: Phrase | str | None) -> str | None:
    """A sentence (a Phrase, or plain text as it is) in the current locale; English if its translation does not fit."""
    value = phrase_of(value)
    if not isinstance(value, Phrase):
        return value
    try:
        return value.render()
    except UNREADABLE:  # a translation whose placeholders do not match its msgid
        log.warning("phrase %r does not render in this language: shown in English", value.msgid)
        return value.text()


def of(record, field: str) -> Phrase | str | None:
    """A record's stored sentence (to quote it inside another one): its Phrase, else its text."""
    return load(getattr(record, f"{field}_i18n", None), getattr(record, field))


def shown(record, field: str) -> str | None:
    """A record's stored sentence in the current locale (`{{ publication | shown("hold_reason") }}`)."""
    return render(getattr(record, f"{field}_i18n", None), getattr(record, field))


def lazily_shown(record, field: str) -> LazyText:
    """The same, rendered when it is turned into text (a notification, once per recipient under `force_locale`)."""
    stored, text = getattr(record, f"{field}_i18n", None), getattr(record, field)
    return LazyText(render, stored, text)

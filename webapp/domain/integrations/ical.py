"""A small RFC 5545 (iCalendar) writer: CRLF lines folded at 75 octets, TEXT values escaped."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

CRLF = "\r\n"
MAX_OCTETS = 75  # RFC 5545 3.1: lines SHOULD NOT be longer than 75 octets, excluding the line break


@dataclass(frozen=True)
class Event:
    uid: str
    start: datetime
    duration: timedelta
    summary: str
    description: str = ""
    url: str | None = None
    updated: datetime | None = None


def escape_text(value: str) -> str:
    """Escape a TEXT value (RFC 5545 3.3.11): backslash, semicolon, comma and line breaks."""
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n")


def fold(line: str) -> str:
    """Fold a content line into pieces of at most 75 octets, never splitting a UTF-8 character."""
    pieces: list[str] = []
    current, size = "", 0
    for char in line:
        width = len(char.encode("utf-8"))
        # Continuation lines start with one space, which counts toward their 75 octets.
        limit = MAX_OCTETS if not pieces else MAX_OCTETS - 1
        if size + width > limit:
            pieces.append(current)
            current, size = "", 0
        current += char
        size += width
    pieces.append(current)
    return (CRLF + " ").join(pieces)


def format_instant(value: datetime) -> str:
    """Format an aware instant as a UTC DATE-TIME (form #2, with the Z)."""
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def format_duration(value: timedelta) -> str:
    minutes = int(value.total_seconds() // 60)
    return f"PT{minutes}M"


def calendar(name: str, events: Iterable[Event], *, now: datetime, prodid: str = "-//Herald//Publications//EN") -> str:
    """Return a whole VCALENDAR document for the events."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{prodid}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(name)}",
    ]
    for item in events:
        lines += [
            "BEGIN:VEVENT",
            f"UID:{item.uid}",
            f"DTSTAMP:{format_instant(now)}",
            f"DTSTART:{format_instant(item.start)}",
            f"DURATION:{format_duration(item.duration)}",
            f"SUMMARY:{escape_text(item.summary)}",
        ]
        if item.description:
            lines.append(f"DESCRIPTION:{escape_text(item.description)}")
        if item.url:
            lines.append(f"URL:{item.url}")
        if item.updated:
            lines.append(f"LAST-MODIFIED:{format_instant(item.updated)}")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + CRLF for line in lines)

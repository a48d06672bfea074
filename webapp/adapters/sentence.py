"""An adapter's own sentence: its English text, with its template and arguments kept for the reader's language.

Adapters import nothing of Herald's outside this package (.importlinter), so they cannot build the Phrases Herald
stores (webapp/core/phrases.py). A `Sentence` is the same thing as plain data: a `str` whose value is the English
text, with `msgid` (the template, `%(name)s` placeholders) and `args` (plain values: a host, a count, a platform's
own words, never translated; or Sentences). Where Herald stores or shows one, it becomes a Phrase with the same
msgid and arguments, so "could not connect: …" reads "Verbindung fehlgeschlagen: …" to a German reader, while
every comparison, log line and test still sees the English text. `make translations` extracts the msgids
(`-k Sentence`).
"""

from __future__ import annotations

from typing import Any


class Sentence(str):
    """`Sentence("could not connect: %(detail)s", detail="127.0.0.1:9: Connection refused")`."""

    msgid: str
    args: dict[str, Any]

    def __new__(cls, msgid: str, /, **args: Any) -> Sentence:
        self = super().__new__(cls, msgid % args if args else msgid)
        self.msgid, self.args = msgid, args
        return self

    def __repr__(self) -> str:
        return f"Sentence({self.msgid!r}, **{self.args!r})"


def joined(parts: list[str], separator: str) -> str:
    """Sentences (or a list's items) one after the other: phrases.joined's msgid, so Herald reads it as one."""
    whole, *rest = parts
    for part in rest:
        whole = Sentence("%(first)s%(separator)s%(then)s", first=whole, separator=separator, then=part)
    return whole

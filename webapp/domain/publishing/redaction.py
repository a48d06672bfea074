"""What a platform said, made safe to store: anything that looks like a credential is taken out, and it is cut short."""

from __future__ import annotations

import re

from webapp.core.phrases import Phrase, phrase_of

MAX_ERROR_LENGTH = 1000
_BEARER = re.compile(r"(?i)(bearer|token|password|secret|key)([\s:=\"']+)([^\s\"',]{6,})")


def redact(text: str | None) -> str | None:
    """Strip anything that looks like a credential from a message before it is stored.

    A sentence (a Phrase, or an adapter's Sentence) keeps its form, so the reader sees it in their language: each
    of its words from outside (a host, the platform's own text) is scrubbed. It is stored as plain scrubbed text
    instead when it is too long to keep whole, or when scrubbing the whole would find more than its parts gave up
    (a credential right after a word of the template: "key: …").
    """
    if text is None:
        return None
    sentence = phrase_of(text)
    if isinstance(sentence, Phrase):
        kept = _scrubbed(sentence)
        if len(kept) <= MAX_ERROR_LENGTH and _scrub(kept.text()) == kept.text():
            return kept
    return _scrub(str.__str__(text))[:MAX_ERROR_LENGTH]


def _scrub(text: str) -> str:
    return _BEARER.sub(r"\1\2[redacted]", text)


def _scrubbed(phrase: Phrase) -> Phrase:
    args = {
        name: _scrubbed(value) if isinstance(value, Phrase) else _scrub(value) if isinstance(value, str) else value
        for name, value in phrase.args.items()
    }
    return Phrase(phrase.msgid, **args)

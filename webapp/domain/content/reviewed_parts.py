"""The parts of content an approval vouches for, and how Herald's note on a decision it took names them.

Editing an approved part sends the content back to review (approvals.reopen_after_edit) with a ``reopened``
decision whose comment, unlike a person's, is Herald's sentence: kept in English in ``ReviewDecision.comment``,
read back from it (the parts are named by their keys, so the sentence is known from its text alone) and shown in
the reader's language, the parts by their names ("content type").
"""

from __future__ import annotations

from webapp.core.phrases import Phrase, joined
from webapp.models import Decision, ReviewDecision

# What an approval vouches for: changing any of these sends approved content back to review (``reopen_after_edit``).
PUBLISHED_PARTS = ("title", "body", "excerpt", "tags", "content_type", "body_format", "variants", "media")
# How the review alert names them ("edited after approval (title, body)"), in its reader's language.
PART_LABELS = {
    "title": Phrase("title"),
    "body": Phrase("body"),
    "excerpt": Phrase("excerpt"),
    "tags": Phrase("tags"),
    "content_type": Phrase("content type"),
    "body_format": Phrase("body format"),
    "variants": Phrase("variants"),
    "media": Phrase("media"),
}


# How the reopened decision's comment starts, in English; the changed parts' keys follow ("…: title, body_format").
REOPENED_NOTE = "edited after approval: "


def edited_after_approval(changed: list[str]) -> str:
    """The reopened decision's comment as stored: "edited after approval: title, body"."""
    return REOPENED_NOTE + ", ".join(changed)


def part_names(changed: list[str]) -> Phrase | str:
    """The changed parts by their names, each in the reader's language ("title, content type")."""
    return joined([PART_LABELS[part] for part in changed], ", ")


def comment_of(decision: ReviewDecision) -> Phrase | str | None:
    """A decision's comment, to show with `said`: Herald's note on a reopening as a Phrase, a person's as typed."""
    text = decision.comment
    if decision.decision != Decision.REOPENED.value or not text or not text.startswith(REOPENED_NOTE):
        return text
    parts = text.removeprefix(REOPENED_NOTE).split(", ")
    if not all(part in PART_LABELS for part in parts):
        return text
    return Phrase("edited after approval: %(parts)s", parts=part_names(parts))

"""Stored sentences: English in the text column, the untranslated phrase beside it, shown in the reader's language,
and the English text whenever the stored phrase cannot be read."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from flask_babel import force_locale

from webapp.adapters.sentence import Sentence
from webapp.core import phrases
from webapp.core.phrases import At, Phrase
from webapp.models import Alert, Publication

PAUSED = "held: the channel is paused; resume the channel to send it"  # a msgid of the catalogs


def test_a_phrase_is_its_english_text_and_compares_as_the_constant_it_replaces():
    phrase = Phrase("waiting for #%(id)s on %(channel)s", id=12, channel="blog")

    assert phrase == "waiting for #12 on blog" and phrase.startswith("waiting for #")
    assert phrase.text() == "waiting for #12 on blog" and type(phrase.text()) is str
    assert {phrase: 1}["waiting for #12 on blog"] == 1


def test_an_adapters_sentence_is_stored_and_quoted_as_the_phrase_it_says(app):
    said = Sentence("could not connect: %(detail)s", detail=Sentence("timed out"))
    outer = Phrase("failed: %(error)s", error=said)

    assert phrases.split(said) == (
        "could not connect: timed out",
        {"msgid": "could not connect: %(detail)s", "args": {"detail": {"msgid": "timed out", "args": {}}}},
    )
    assert isinstance(outer.args["error"], Phrase) and outer == "failed: could not connect: timed out"
    with force_locale("de"):
        assert phrases.said(said) == "keine Verbindung möglich: Zeitüberschreitung"


def test_a_nested_phrase_and_plain_values_round_trip_through_the_stored_form():
    phrase = Phrase("failed (%(error)s)", error=Phrase("no reason given"))
    outer = Phrase("held: chained after #%(id)s on %(channel)s, which %(what)s", id=3, channel="Blog", what=phrase)

    stored = outer.stored()

    assert stored == {
        "msgid": "held: chained after #%(id)s on %(channel)s, which %(what)s",
        "args": {"id": 3, "channel": "Blog", "what": {"msgid": "failed (%(error)s)", "args": {"error": {
            "msgid": "no reason given", "args": {}}}}},
    }  # fmt: skip
    again = Phrase.load(stored)
    assert again == outer and again.args["what"].args["error"].msgid == "no reason given"


def test_an_argument_that_is_not_json_is_kept_as_its_text():
    phrase = Phrase("due %(when)s", when=datetime(2031, 1, 2, 3, 4, tzinfo=UTC))

    assert phrase.stored()["args"]["when"] == "2031-01-02 03:04:00+00:00"


def test_an_instant_is_english_in_its_own_offset_and_round_trips_as_itself():
    paris = datetime(2031, 3, 3, 9, 0, tzinfo=UTC).astimezone(ZoneInfo("Europe/Paris"))
    phrase = Phrase("%(run)s: skipped, %(reason)s", run=At(paris), reason=Phrase("daily limit"))

    assert phrase == "3 Mar 10:00: skipped, daily limit"  # the schedule's zone, as the text column keeps it
    assert phrase.stored()["args"]["run"] == {"at": "2031-03-03T10:00:00+01:00", "format": "date_time"}
    assert Phrase.load(phrase.stored()).args["run"] == At(paris)


def test_an_instant_is_shown_in_the_readers_language_with_its_zone(app, monkeypatch):
    # The reader's own zone: tests/web/i18n/test_stored_sentences.py, with a profile's timezone.
    phrase = Phrase("%(run)s: skipped, %(reason)s", run=At(datetime(2031, 3, 3, 9, 0, tzinfo=UTC)), reason="x")

    with force_locale("de"):
        assert phrases.said(phrase) == "3. März, 09:00 UTC: übersprungen, x"
    monkeypatch.delitem(app.extensions, phrases.INSTANT_FORMATTER)  # an app without the web layer's formatter
    with force_locale("de"):
        assert phrases.said(phrase) == "3 Mar 09:00: übersprungen, x"  # the sentence translated, the instant English


@pytest.mark.parametrize(
    "instant", [{"at": "2031-03-03T10:00:00", "format": "date_time"}, {"at": "soon", "format": "date_time"},
                {"at": "2031-03-03T10:00:00+00:00", "format": "%c"}, {"at": "2031-03-03T10:00:00+00:00"}],
)  # fmt: skip
def test_an_unreadable_instant_shows_the_english_text(app, instant):
    stored = {"msgid": "%(run)s: skipped, %(reason)s", "args": {"run": instant, "reason": "x"}}

    with force_locale("de"):
        assert phrases.render(stored, "3 Mar 10:00: skipped, x") == "3 Mar 10:00: skipped, x"


def test_joined_sentences_keep_each_one_and_the_separator():
    whole = phrases.joined([Phrase("no reason given"), "a platform's words", Phrase("is paused")], "; ")

    assert whole == "no reason given; a platform's words; is paused"
    assert phrases.joined(["alone"]) == "alone"


def test_render_translates_the_sentence_and_its_nested_ones_but_never_a_plain_value(app):
    phrase = Phrase("held for approval: %(problem)s", problem=Phrase("no reason given"))
    plain = Phrase("unconfirmed; lookup failed: %(message)s", message="no reason given")

    with force_locale("de"):
        assert phrases.render(phrase.stored(), phrase) == "zur Freigabe zurückgehalten: kein Grund angegeben"
        assert phrases.render(plain.stored(), plain) == "unbestätigt; Nachfrage fehlgeschlagen: no reason given"
    with force_locale("fr"):
        assert phrases.render(phrase.stored(), phrase) == "retenue pour approbation : aucune raison donnée"
    assert phrases.render(phrase.stored(), phrase) == "held for approval: no reason given"  # outside any locale


@pytest.mark.parametrize(
    "stored",
    [
        None,
        {},
        [1, 2],
        "held",
        {"msgid": 7},
        {"msgid": "waiting for #%(id)s on %(channel)s", "args": {"id": 1}},  # an argument missing
        {"msgid": "waiting for #%(id)s on %(channel)s", "args": {"id": 1, "channel": [1]}},  # not a stored value
        {"msgid": "waiting for #%(id)s on %(channel)s", "args": ["id"]},
        {"msgid": PAUSED, "args": {}},  # a phrase, but not this text's: the text was rewritten without it
    ],
)
def test_anything_unreadable_or_out_of_date_shows_the_english_text(app, stored):
    with force_locale("de"):
        assert phrases.render(stored, "waiting for #1 on blog") == "waiting for #1 on blog"
    assert phrases.render(stored, None) is None


def test_a_translation_whose_placeholders_do_not_fit_falls_back_to_english(app, monkeypatch):
    phrase = Phrase("waiting for #%(id)s on %(channel)s", id=1, channel="blog")
    monkeypatch.setattr(phrases, "gettext", lambda msgid: "wartet auf %(kanal)s")

    assert phrases.render(phrase.stored(), phrase) == "waiting for #1 on blog"


def test_assigning_a_phrase_sets_both_columns_and_a_plain_text_or_none_clears_the_phrase(app):
    publication, alert = Publication(), Alert(message=Phrase(PAUSED))

    publication.hold_reason = Phrase(PAUSED)
    assert (publication.hold_reason, publication.hold_reason_i18n) == (PAUSED, {"msgid": PAUSED, "args": {}})
    assert type(publication.hold_reason) is str and alert.message_i18n == {"msgid": PAUSED, "args": {}}

    publication.hold_reason, publication.last_error = "a person's note", Phrase(PAUSED)
    assert publication.hold_reason_i18n is None and publication.last_error_i18n is not None
    publication.last_error = None
    assert (publication.last_error, publication.last_error_i18n) == (None, None)


def test_shown_reads_a_record_in_the_current_language_and_lazily_when_it_is_turned_into_text(app):
    publication = Publication(hold_reason=Phrase(PAUSED))
    later = phrases.lazily_shown(publication, "hold_reason")

    with force_locale("es"):
        assert (
            phrases.shown(publication, "hold_reason")
            == "retenida: el canal está en pausa; reanuda el canal para enviarla"
        )
        assert str(later).startswith("retenida: el canal")
    with force_locale("de"):
        assert str(later).startswith("zurückgehalten: Der Kanal ist pausiert")
    assert phrases.of(publication, "hold_reason") == PAUSED and isinstance(
        phrases.of(publication, "hold_reason"), Phrase
    )


def test_a_row_written_before_stored_phrases_shows_its_text_as_it_is(app):
    publication = Publication(hold_reason="held: the channel is paused; resume the channel to send it")
    publication.hold_reason_i18n = None  # as migration 0018 leaves every older row

    with force_locale("de"):
        assert phrases.shown(publication, "hold_reason") == PAUSED

"""Swedish first, English and Arabic complete: every string the pages show is translated."""

from __future__ import annotations

import pytest
from django.utils import translation

from frontend.strings import CONSOLE, VISITOR, catalog
from stats import vocab

# Strings that read the same in Swedish as in English.
SAME_IN_SWEDISH = {"13–17", "18–25", "26–40", "41–64"}


@pytest.mark.parametrize("language", ["sv", "ar"])
@pytest.mark.parametrize("strings", [VISITOR, CONSOLE], ids=["visitor", "console"])
def test_every_page_string_is_translated(language: str, strings: dict[str, object]) -> None:
    english = catalog(strings, "en")  # type: ignore[arg-type]
    translated = catalog(strings, language)  # type: ignore[arg-type]
    untranslated = [k for k in strings if translated[k] == english[k] and english[k] not in SAME_IN_SWEDISH]
    assert untranslated == []


@pytest.mark.parametrize("language", ["sv", "ar"])
def test_placeholders_survive_translation(language: str) -> None:
    import re

    for strings in (VISITOR, CONSOLE):
        english = catalog(strings, "en")
        translated = catalog(strings, language)
        for key in strings:
            assert sorted(re.findall(r"\{\w+\}", english[key])) == sorted(re.findall(r"\{\w+\}", translated[key])), key


@pytest.mark.parametrize("language", ["sv", "ar"])
def test_wrapup_vocabularies_are_translated(language: str) -> None:
    with translation.override(language):
        for choices in (vocab.KINDS, vocab.TOPICS):
            for _code, label in choices:
                with translation.override("en"):
                    english = str(label)
                assert str(label) != english


# Easy-read Swedish (lättläst, "sv-ll"): its own catalog, locale/sv_LL, covering every
# text a visitor can read. Where plain Swedish is already as simple as it gets, the
# easy-read text is the same on purpose, and listed here.
EASY_READ = "sv-ll"
SAME_IN_EASY_READ = {
    "title",  # "Chatt": also the tab's title
    "notice_title",  # the neutral tab title must stay neutral
    "larger_text",
    "quick_exit",  # the button a frightened visitor must know at a glance
    "language",
    "queue_position",
    "counsellor",
    "you",
    "typing",
    "message_label",
    "send",
    "end",
    "ended_by_visitor",
    "ended_by_counsellor",
    "feedback_yes",
    "feedback_somewhat",
    "feedback_no",
    "error",
    "send_anyway",
    "edit",
}


def visitor_msgids() -> dict[str, str]:
    """Every msgid a visitor can read, by where it comes from: the page's catalog, the
    texts of a closed page, the numbers' default labels, the opening hours' words."""
    from contacts import info
    from contacts.models import WEEKDAYS

    with translation.override("en"):
        ids = {f"VISITOR[{key}]": text for key, text in catalog(VISITOR, "en").items()}
        ids |= {f"DEFAULT_TEXTS[{key}]": str(text) for key, text in info.DEFAULT_TEXTS.items()}
        ids |= {f"DEFAULT_LABELS[{key}]": str(text) for key, text in info.DEFAULT_LABELS.items()}
        ids |= {"TOO_MANY": str(info.TOO_MANY), "Closed": "Closed"}
        ids |= {f"WEEKDAYS[{day}]": str(name) for day, name in WEEKDAYS}
    return ids


def test_the_easy_read_catalog_has_every_visitor_text() -> None:
    """Read alone, without the fallback to Swedish that hides a gap on the page."""
    import gettext

    from django.conf import settings

    with open(settings.BASE_DIR / "locale" / "sv_LL" / "LC_MESSAGES" / "django.mo", "rb") as mo:
        easy = gettext.GNUTranslations(mo)
    assert [where for where, msgid in visitor_msgids().items() if easy.gettext(msgid) == msgid] == []


def test_easy_read_is_simpler_than_swedish_or_deliberately_the_same() -> None:
    swedish = catalog(VISITOR, "sv")
    easy = catalog(VISITOR, EASY_READ)
    assert sorted(k for k in VISITOR if easy[k] == swedish[k]) == sorted(SAME_IN_EASY_READ)


def test_the_closed_texts_and_labels_have_easy_read_words() -> None:
    from contacts import info

    texts = [*info.DEFAULT_TEXTS.values(), *info.DEFAULT_LABELS.values(), info.TOO_MANY]
    for text in texts:
        with translation.override("sv"):
            swedish = str(text)
        with translation.override(EASY_READ):
            assert str(text) != swedish, swedish


def test_easy_read_keeps_the_placeholders() -> None:
    import re

    english = catalog(VISITOR, "en")
    easy = catalog(VISITOR, EASY_READ)
    for key in VISITOR:
        assert sorted(re.findall(r"\{\w+\}", english[key])) == sorted(re.findall(r"\{\w+\}", easy[key])), key

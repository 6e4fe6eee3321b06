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

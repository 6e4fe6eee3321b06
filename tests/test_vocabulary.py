"""Every label list people read names exactly the codes of chatservice/vocabulary.py: a
code added there and forgotten in a label list (or the other way round) fails here."""

from __future__ import annotations

from chatservice import vocabulary
from frontend.strings import CONSOLE
from staff.models import SKILL_CHOICES
from stats import reports, vocab


def test_the_wrapup_kinds_are_the_visitor_kinds() -> None:
    assert vocab.codes(vocab.KINDS) == frozenset(vocabulary.VISITOR_KINDS)


def test_the_skill_labels_are_the_skills() -> None:
    assert [code for code, _ in SKILL_CHOICES] == list(vocabulary.SKILLS)


def test_the_feedback_labels_are_the_feedback_answers() -> None:
    assert [code for code, _ in reports.FEEDBACK] == list(vocabulary.FEEDBACK_ANSWERS)


def test_the_console_has_a_label_for_every_code() -> None:
    for kind in vocabulary.VISITOR_KINDS:
        assert f"kind_{kind}" in CONSOLE
    for skill in vocabulary.SKILLS:
        assert f"skill_{skill}" in CONSOLE
    for state in vocabulary.DUTY_STATES:
        assert f"state_{state}" in CONSOLE
    for channel in vocabulary.CHANNELS:
        assert f"channel_{channel}" in CONSOLE

"""Closed vocabularies for the counsellor's wrap-up (DOMAIN.md). All fields optional.

Only these values can ever become counters, so nothing a counsellor types can.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.translation import gettext_lazy as _

KINDS = [
    ("self", _("The person at risk")),
    ("relative", _("Relative or friend")),
    ("professional", _("Professional (case consultation)")),
]
AGE_BANDS = [
    ("0-12", _("12 or younger")),
    ("13-17", "13–17"),
    ("18-25", "18–25"),
    ("26-40", "26–40"),
    ("41-64", "41–64"),
    ("65+", _("65 or older")),
]
MUNICIPALITIES = [
    ("enkoping", "Enköping"),
    ("heby", "Heby"),
    ("habo", "Håbo"),
    ("knivsta", "Knivsta"),
    ("tierp", "Tierp"),
    ("uppsala", "Uppsala"),
    ("alvkarleby", "Älvkarleby"),
    ("osthammar", "Östhammar"),
    ("outside", _("Outside the county")),
    ("undisclosed", _("Didn't want to say")),
]
TOPICS = [
    ("honour", _("Honour-related violence and oppression")),
    ("forced_marriage", _("Forced marriage")),
    ("child_marriage", _("Child marriage")),
    ("fgm", _("Female genital mutilation")),
    ("close_relationship", _("Violence in a close relationship")),
    ("sexual_violence", _("Sexual violence")),
    ("threats", _("Threats")),
    ("other", _("Other")),
]


def codes(choices: Sequence[tuple[str, object]]) -> frozenset[str]:
    return frozenset(code for code, _ in choices)

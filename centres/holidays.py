"""Swedish public holidays, pre-filled as closed days on a new line (editable in admin:
many helplines stay open on holidays, and then the centre simply deletes the row)."""

from __future__ import annotations

from datetime import date

import holidays


def swedish_holidays(year: int) -> list[tuple[date, str]]:
    """Public holidays and the eves most workplaces close (midsummer, Christmas and New
    Year's Eve), Swedish names. The 'from 14:00' half days are left out: a line that
    closes early sets its own hours."""
    days = holidays.country_holidays(
        "SE", years=year, language="sv", categories=("public", "de_facto"), include_sundays=False
    )
    return sorted((day, name) for day, name in days.items() if "från kl." not in name and name != "Klämdag")


def prefill(line_id: int, years: list[int]) -> int:
    """Add a closed day for each holiday of ``years`` the line has no entry for yet."""
    from contacts.models import OpeningException

    taken = set(OpeningException.objects.filter(line_id=line_id).values_list("date", flat=True))
    rows = [
        OpeningException(line_id=line_id, date=day, closed=True, note=name[:100])
        for year in years
        for day, name in swedish_holidays(year)
        if day not in taken
    ]
    OpeningException.objects.bulk_create(rows)
    return len(rows)

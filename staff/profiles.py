"""Who a staff socket is, read once when it connects: the counsellor's routing record
(the pseudonym visitors see, languages, skills, capacity, calls) or the supervisor's
name for visitors.

The consumers call these instead of reading the ORM themselves (the layering contract
in pyproject.toml keeps model modules out of contacts/consumers/): staff owns the
profile, and this is the one place it becomes live routing state.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext

from routing.state import Counsellor
from staff.access import verified_device
from staff.roles import is_counsellor, is_national, is_supervisor


def _signed_in(user: Any, session: Any) -> bool:
    """An active, logged-in user whose session passed the second factor if required."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return verified_device(user, session)


def load_profile(user: Any, session: Any = None) -> Counsellor | None:
    """The routing record for a logged-in counsellor, or None for anyone else."""
    if not _signed_in(user, session) or not is_counsellor(user):
        return None
    profile = user.counsellor  # is_counsellor has just read it
    centres, aliases = centres_and_names(user.pk)
    languages_at, skills_at, capacity_at = terms_at(user.pk, centres)
    return Counsellor(
        centres=centres,
        aliases=aliases,
        languages_at=languages_at,
        skills_at=skills_at,
        capacity_at=capacity_at,
        id=user.pk,
        name=profile.display_name,
        languages=tuple(profile.languages),
        skills=tuple(profile.skills),
        capacity=profile.max_chats,
        phone=bool(profile.takes_calls and profile.work_phone),
    )


def centres_of(user_id: int) -> tuple[str, ...]:
    """The live slugs of the centres this user works for ("" the default centre); none
    listed: the default centre only."""
    from staff.models import Membership

    rows = Membership.objects.filter(user_id=user_id).select_related("centre").order_by("centre__slug")
    return tuple(sorted("" if m.centre.default else m.centre.slug for m in rows)) or ("",)


def centres_and_names(user_id: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """centres_of, with the pseudonym used at each ("" for the profile's name)."""
    from staff.models import Membership

    rows = Membership.objects.filter(user_id=user_id).select_related("centre")
    found = sorted(("" if m.centre.default else m.centre.slug, m.pseudonym) for m in rows)
    if not found:
        return ("",), ()
    return tuple(c for c, _n in found), tuple(n for _c, n in found)


def terms_at(
    user_id: int, centres: tuple[str, ...]
) -> tuple[tuple[tuple[str, ...], ...], tuple[tuple[str, ...], ...], tuple[int, ...]]:
    """Per centre, in the order of ``centres``: the membership's languages, skills and
    number of conversations at once (empty and 0: the profile's)."""
    from staff.models import Membership

    rows = {
        ("" if m.centre.default else m.centre.slug): m
        for m in Membership.objects.filter(user_id=user_id).select_related("centre")
    }
    found = [rows.get(c) for c in centres]
    if not any(m is not None and (m.languages or m.skills or m.max_chats) for m in found):
        return (), (), ()  # the profile's everywhere: nothing to store
    return (
        tuple(tuple(m.languages) if m else () for m in found),
        tuple(tuple(m.skills) if m else () for m in found),
        tuple(m.max_chats if m else 0 for m in found),
    )


def load_supervisor(user: Any, session: Any = None) -> tuple[int, str, tuple[str, ...] | None] | None:
    """(id, the name a visitor sees, the centres they supervise) for a logged-in
    supervisor, or None. Their memberships say which centres (none: the default); a
    national supervisor's are None: every centre, to look at only."""
    if not _signed_in(user, session) or not is_supervisor(user):
        return None
    centres = None if is_national(user) else centres_of(user.pk)
    # The service's language, not the supervisor's browser's: visitors read this name.
    with translation.override(settings.LANGUAGE_CODE):
        return user.pk, user.first_name or gettext("Supervisor"), centres


def work_phone(counsellor_id: int) -> str:
    """The number a call to this counsellor is connected to ("" if none)."""
    from staff.models import CounsellorProfile

    profile = CounsellorProfile.objects.filter(user_id=counsellor_id).first()
    return profile.work_phone if profile else ""

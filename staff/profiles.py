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
    """The routing record for a logged-in counsellor, or None for anyone else (and for
    someone whose every membership is a supervisor's: they counsel nowhere)."""
    if not _signed_in(user, session) or not is_counsellor(user):
        return None
    profile = user.counsellor  # is_counsellor has just read it
    rows = _memberships(user.pk, "counsellor")
    if rows is None:
        return None
    centres = tuple(c for c, _m in rows) or ("",)
    found = [m for _c, m in rows]
    # The profile's everywhere: nothing per centre to store.
    per_centre = any(m.languages or m.skills or m.max_chats for m in found)
    return Counsellor(
        centres=centres,
        aliases=tuple(m.pseudonym for m in found),
        languages_at=tuple(tuple(m.languages) for m in found) if per_centre else (),
        skills_at=tuple(tuple(m.skills) for m in found) if per_centre else (),
        capacity_at=tuple(m.max_chats for m in found) if per_centre else (),
        id=user.pk,
        name=profile.display_name,
        languages=tuple(profile.languages),
        skills=tuple(profile.skills),
        capacity=profile.max_chats,
        phone=bool(profile.takes_calls and profile.work_phone),
    )


def _memberships(user_id: int, role: str) -> list[tuple[str, Any]] | None:
    """The user's memberships in ``role`` ("counsellor" or "supervisor"), as (live slug,
    membership) sorted by slug: [] when they have none at all (the default centre, as
    before there were centres), None when they have some but none in this role."""
    from staff.models import Membership

    rows = list(Membership.objects.filter(user_id=user_id).select_related("centre"))
    mine = sorted((("" if m.centre.default else m.centre.slug), m) for m in rows if m.role in ("", role))
    if rows and not mine:
        return None
    return mine


def centres_of(user_id: int, role: str = "counsellor") -> tuple[str, ...]:
    """The live slugs of the centres this user works for in ``role`` ("" the default
    centre); no membership at all: the default centre only; none in this role: none."""
    rows = _memberships(user_id, role)
    if rows is None:
        return ()
    return tuple(c for c, _m in rows) or ("",)


def centres_and_names(user_id: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The centres a counsellor works for, with the pseudonym used at each ("" for the
    profile's name)."""
    rows = _memberships(user_id, "counsellor") or []
    if not rows:
        return ("",), ()
    return tuple(c for c, _m in rows), tuple(m.pseudonym for _c, m in rows)


def load_supervisor(user: Any, session: Any = None) -> tuple[int, str, tuple[str, ...] | None] | None:
    """(id, the name a visitor sees, the centres they supervise) for a logged-in
    supervisor, or None. Their memberships say which centres (none: the default); a
    national supervisor's are None: every centre, to look at only."""
    if not _signed_in(user, session) or not is_supervisor(user):
        return None
    centres = None if is_national(user) else centres_of(user.pk, "supervisor")
    if centres == ():
        return None  # a supervisor's role at no centre: their memberships are a counsellor's
    # The service's language, not the supervisor's browser's: visitors read this name.
    with translation.override(settings.LANGUAGE_CODE):
        return user.pk, user.first_name or gettext("Supervisor"), centres


def work_phone(counsellor_id: int) -> str:
    """The number a call to this counsellor is connected to ("" if none)."""
    from staff.models import CounsellorProfile

    profile = CounsellorProfile.objects.filter(user_id=counsellor_id).first()
    return profile.work_phone if profile else ""

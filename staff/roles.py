"""The staff roles: Django groups, and the one place that says who holds one.

The group names are defined with the other closed vocabularies (chatservice/vocabulary.py,
no Django) and re-exported here for staff's users. Every check of a role goes through
the functions below, so a rule such as "a counsellor needs a profile" is written once.
"""

from __future__ import annotations

from typing import Any

from chatservice.vocabulary import COUNSELLOR_GROUP as COUNSELLOR_GROUP
from chatservice.vocabulary import NATIONAL_GROUP as NATIONAL_GROUP
from chatservice.vocabulary import PARTNER_GROUP as PARTNER_GROUP
from chatservice.vocabulary import SUPERVISOR_GROUP as SUPERVISOR_GROUP

# What supervisors may edit in admin: the service's configuration (contacts' models).
# Accounts stay with admins (superusers).
SUPERVISOR_EDITS = [
    "openinghours",
    "openingexception",
    "emergencynumber",
    "emergencynumberlabel",
    "servicetext",
    "cannedresponse",
]


def has_role(user: Any, *groups: str) -> bool:
    """Whether the user is in any of these groups (one query)."""
    return bool(user.groups.filter(name__in=groups).exists())


def is_counsellor(user: Any) -> bool:
    """In the counsellor group and with a counsellor profile: without one, routing has
    no name, languages or capacity for them, so they may not take contacts."""
    return has_role(user, COUNSELLOR_GROUP) and hasattr(user, "counsellor")


def is_supervisor(user: Any) -> bool:
    """A centre's supervisor or a national one: both may open the dashboard."""
    return has_role(user, SUPERVISOR_GROUP, NATIONAL_GROUP)


def is_national(user: Any) -> bool:
    """A national supervisor who is not also a centre's: load across centres, no controls."""
    return has_role(user, NATIONAL_GROUP) and not has_role(user, SUPERVISOR_GROUP)


def is_partner(user: Any) -> bool:
    return has_role(user, PARTNER_GROUP)


def ensure_roles(**kwargs: Any) -> None:
    """The staff roles and what each may edit in admin. Idempotent; run after migrate."""
    from django.contrib.auth.models import Group, Permission

    Group.objects.get_or_create(name=COUNSELLOR_GROUP)
    Group.objects.get_or_create(name=PARTNER_GROUP)  # reads reports; no permission in admin
    Group.objects.get_or_create(name=NATIONAL_GROUP)  # the dashboard of every centre; nothing in admin
    supervisors, _ = Group.objects.get_or_create(name=SUPERVISOR_GROUP)
    perms = Permission.objects.filter(content_type__app_label="contacts", content_type__model__in=SUPERVISOR_EDITS)
    supervisors.permissions.add(*perms)

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

# What a centre's supervisor may do in admin, by app and model: their own centres'
# configuration (staff/scope.py limits every page to it). A centre itself they change
# but neither add nor delete; the emergency numbers every centre shows they read, and a
# superuser changes. Accounts stay with admins (superusers).
SUPERVISOR_EDITS = [
    ("contacts", "openinghours"),
    ("contacts", "openingexception"),
    ("contacts", "servicetext"),
    ("contacts", "cannedresponse"),
    ("centres", "line"),
    ("centres", "overflowrule"),
]
SUPERVISOR_CHANGES = [("centres", "centre")]
SUPERVISOR_VIEWS = [("contacts", "emergencynumber"), ("contacts", "emergencynumberlabel")]


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
    from django.apps import apps
    from django.contrib.auth.management import create_permissions
    from django.contrib.auth.models import Group, Permission
    from django.db.models import Q

    # Whatever the order of INSTALLED_APPS (centres comes after staff), the permissions
    # given below exist before they are looked up; create_permissions is idempotent.
    for label in sorted({app for app, _model in SUPERVISOR_EDITS + SUPERVISOR_CHANGES + SUPERVISOR_VIEWS}):
        create_permissions(apps.get_app_config(label), verbosity=0)

    Group.objects.get_or_create(name=COUNSELLOR_GROUP)
    Group.objects.get_or_create(name=PARTNER_GROUP)  # reads reports; no permission in admin
    Group.objects.get_or_create(name=NATIONAL_GROUP)  # the dashboard of every centre; nothing in admin
    supervisors, _ = Group.objects.get_or_create(name=SUPERVISOR_GROUP)
    wanted = Q(pk__in=[])
    for actions, models in (
        (("add", "change", "delete", "view"), SUPERVISOR_EDITS),
        (("change", "view"), SUPERVISOR_CHANGES),
        (("view",), SUPERVISOR_VIEWS),
    ):
        for app_label, model in models:
            codenames = [f"{action}_{model}" for action in actions]
            wanted |= Q(content_type__app_label=app_label, content_type__model=model, codename__in=codenames)
    # Set, not added to: an installation upgraded from one centre loses the change of
    # the shared emergency numbers its supervisors had then.
    supervisors.permissions.set(Permission.objects.filter(wanted))

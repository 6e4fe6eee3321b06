from __future__ import annotations

from typing import Any

from django.apps import AppConfig

ROLES = {"counsellor", "supervisor"}


def on_logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    from audit.log import record

    record(user, "login")


def on_logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    from audit.log import record

    if user is not None:
        record(user, "logout")


def on_groups_changed(sender: Any, instance: Any, action: str, reverse: bool, pk_set: Any, **kwargs: Any) -> None:
    """A role given or taken (from either side of the relation). Who did it is in
    admin's own history; here is whom it concerned, which role and when."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from audit.log import record

    if action not in {"post_add", "post_remove"} or not pk_set:
        return
    what = "role_added" if action == "post_add" else "role_removed"
    if reverse:  # instance is a group, pk_set users
        if instance.name in ROLES:
            for user in get_user_model().objects.filter(pk__in=pk_set):
                record(None, what, instance.name, subject=user)
    else:  # instance is a user, pk_set groups
        for name in Group.objects.filter(pk__in=pk_set, name__in=ROLES).values_list("name", flat=True):
            record(None, what, name, subject=instance)


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Staff audit log"

    def ready(self) -> None:
        from django.contrib.auth import get_user_model
        from django.contrib.auth.signals import user_logged_in, user_logged_out
        from django.db.models.signals import m2m_changed

        user_logged_in.connect(on_logged_in, weak=False, dispatch_uid="audit-login")
        user_logged_out.connect(on_logged_out, weak=False, dispatch_uid="audit-logout")
        m2m_changed.connect(
            on_groups_changed, sender=get_user_model().groups.through, weak=False, dispatch_uid="audit-roles"
        )

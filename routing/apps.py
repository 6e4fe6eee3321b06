from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def ensure_roles(**kwargs: Any) -> None:
    """The staff roles and what each may edit in admin. Idempotent."""
    from django.contrib.auth.models import Group, Permission

    from routing.models import COUNSELLOR_GROUP, PARTNER_GROUP, SUPERVISOR_GROUP

    Group.objects.get_or_create(name=COUNSELLOR_GROUP)
    Group.objects.get_or_create(name=PARTNER_GROUP)  # reads reports; no permission in admin
    supervisors, _ = Group.objects.get_or_create(name=SUPERVISOR_GROUP)
    # Supervisors run the service's configuration; accounts stay with admins (superusers).
    editable = [
        "openinghours",
        "openingexception",
        "emergencynumber",
        "emergencynumberlabel",
        "servicetext",
        "cannedresponse",
    ]
    perms = Permission.objects.filter(content_type__app_label="contacts", content_type__model__in=editable)
    supervisors.permissions.add(*perms)


class RoutingConfig(AppConfig):
    name = "routing"

    def ready(self) -> None:
        post_migrate.connect(ensure_roles, sender=self)

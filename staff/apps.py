from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class StaffConfig(AppConfig):
    """Staff accounts and what they may do: roles, pseudonyms, the second factor, the
    log-in throttle, closing sockets when access goes, and the counsellor profile."""

    name = "staff"

    def ready(self) -> None:
        from staff import signals
        from staff.roles import ensure_roles

        signals.connect()
        # Sent for staff only, which comes after contacts in INSTALLED_APPS, so the
        # contacts permissions the supervisors get exist by then.
        post_migrate.connect(ensure_roles, sender=self)

from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class ContactsConfig(AppConfig):
    name = "contacts"

    def ready(self) -> None:
        from contacts import hours

        def changed(**kwargs: Any) -> None:
            hours.invalidate()

        for model in ("OpeningHours", "OpeningException"):
            post_save.connect(changed, sender=f"contacts.{model}", weak=False)
            post_delete.connect(changed, sender=f"contacts.{model}", weak=False)

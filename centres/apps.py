from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


def _changed(**kwargs: Any) -> None:
    # This process sees an admin edit at once; the others within their 30 s cache.
    from centres import directory
    from contacts import hours

    directory.invalidate()
    hours.invalidate()


class CentresConfig(AppConfig):
    name = "centres"
    verbose_name = _("Centres")

    def ready(self) -> None:
        from centres.models import Centre, Line, OverflowRule

        for model in (Centre, Line, OverflowRule):
            post_save.connect(_changed, sender=model, dispatch_uid=f"centres-{model.__name__}-saved")
            post_delete.connect(_changed, sender=model, dispatch_uid=f"centres-{model.__name__}-deleted")

"""Daily counters: the only trace the service keeps of its contacts, and only in aggregate."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class DailyCount(models.Model):
    """How many times ``metric`` happened on ``day`` with ``dimension`` = ``value``.

    A day is the finest resolution: no time of day, no per-contact row, no identifier.
    """

    day = models.DateField(_("day"))
    metric = models.CharField(_("metric"), max_length=60)
    dimension = models.CharField(_("dimension"), max_length=30, blank=True)
    value = models.CharField(_("value"), max_length=40, blank=True)
    count = models.PositiveIntegerField(_("count"), default=0)

    class Meta:
        verbose_name = _("daily count")
        verbose_name_plural = _("daily counts")
        constraints = [
            models.UniqueConstraint(fields=["day", "metric", "dimension", "value"], name="daily_count_unique")
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.metric} {self.dimension}={self.value}: {self.count}"

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
    # The centre the contact was at (its live slug: "" the default centre). A centre, not
    # a person: one more closed code beside the dimension, never combined with it.
    centre = models.CharField(_("centre"), max_length=40, blank=True, default="")
    count = models.PositiveIntegerField(_("count"), default=0)

    class Meta:
        verbose_name = _("daily count")
        verbose_name_plural = _("daily counts")
        constraints = [
            models.UniqueConstraint(
                fields=["day", "metric", "dimension", "value", "centre"], name="daily_count_unique_per_centre"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.metric} {self.dimension}={self.value}: {self.count}"


class PartnerToken(models.Model):
    """Read access to the statistics API for a funding partner's own systems.

    Only a hash of the token is kept; the token itself is shown once, when created.
    """

    name = models.CharField(_("partner"), max_length=100)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("partner API token")
        verbose_name_plural = _("partner API tokens")

    def __str__(self) -> str:
        return self.name

"""Configuration the centre edits itself in Django admin. Nothing here describes a contact.

The database holds staff accounts, this configuration and daily counters (stats/) only.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


class OpeningHours(models.Model):
    """One open period in the weekly schedule (Europe/Stockholm time)."""

    # The line these hours are for (centres/models.py). Rows from before there were
    # centres were given the default centre's web line by centres' migration 0002.
    line = models.ForeignKey(
        "centres.Line",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="hours",
        verbose_name=_("line"),
        help_text=_("Empty: the default centre's web chat."),
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=WEEKDAYS)
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"))

    class Meta:
        ordering = ["line", "weekday", "opens"]
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")
        constraints = [
            models.CheckConstraint(condition=models.Q(opens__lt=models.F("closes")), name="opening_hours_order")
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"


class OpeningException(models.Model):
    """A dated exception, such as a public holiday (closed) or a special evening (open)."""

    line = models.ForeignKey(
        "centres.Line",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="exceptions",
        verbose_name=_("line"),
        help_text=_("Empty: the default centre's web chat."),
    )
    date = models.DateField(_("date"))
    closed = models.BooleanField(_("closed all day"), default=True)
    opens = models.TimeField(_("opens"), null=True, blank=True)
    closes = models.TimeField(_("closes"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=100, blank=True, help_text=_("For staff, e.g. 'Midsummer Eve'."))

    class Meta:
        ordering = ["line", "date"]
        verbose_name = _("exception to opening hours")
        verbose_name_plural = _("exceptions to opening hours")
        constraints = [models.UniqueConstraint(fields=["line", "date"], name="one_exception_per_line_and_date")]

    def __str__(self) -> str:
        return f"{self.date} {self.note}".strip()

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if not self.closed and not (self.opens and self.closes and self.opens < self.closes):
            raise ValidationError(_("An open day needs an opening time before its closing time."))


class EmergencyNumber(models.Model):
    """A number shown when the service is closed and to anyone in danger."""

    number = models.CharField(_("number as shown"), max_length=40)
    dial = models.CharField(_("number to dial"), max_length=40, blank=True, help_text=_("Digits only, for tel: links."))
    url = models.URLField(_("web address"), blank=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(_("shown"), default=True)

    class Meta:
        ordering = ["sort_order", "id"]
        verbose_name = _("emergency number")
        verbose_name_plural = _("emergency numbers")

    def __str__(self) -> str:
        return self.number or self.url


class EmergencyNumberLabel(models.Model):
    number = models.ForeignKey(EmergencyNumber, on_delete=models.CASCADE, related_name="labels")
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    text = models.CharField(_("text"), max_length=200)

    class Meta:
        unique_together = [("number", "language")]
        verbose_name = _("text")
        verbose_name_plural = _("texts per language")

    def __str__(self) -> str:
        return self.text


class ServiceText(models.Model):
    """Texts the centre words itself, per language (e.g. the closed message)."""

    KEYS = [
        ("closed", _("Shown when the chat is closed")),
        ("busy", _("Shown when nobody can answer right now")),
        ("paused", _("Shown when a supervisor has paused intake")),
        ("full", _("Shown when the queue is at its limit")),
    ]
    # A centre's own wording comes before the shared one (contacts/info.py).
    centre = models.ForeignKey(
        "centres.Centre",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("centre"),
        help_text=_("Empty: every centre that has not worded it itself."),
    )
    key = models.CharField(_("where it is shown"), max_length=20, choices=KEYS)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    text = models.TextField(_("text"), max_length=1000)

    class Meta:
        verbose_name = _("service text")
        verbose_name_plural = _("service texts")
        constraints = [
            models.UniqueConstraint(
                fields=["key", "language"], condition=models.Q(centre__isnull=True), name="one_shared_service_text"
            ),
            models.UniqueConstraint(
                fields=["centre", "key", "language"],
                condition=models.Q(centre__isnull=False),
                name="one_service_text_per_centre",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.language})"


class CannedResponse(models.Model):
    """A prepared answer a counsellor inserts with ``/shortcut`` then Tab, per language."""

    # A centre's own answer under a shortcut comes before the shared one (frontend/views.py).
    centre = models.ForeignKey(
        "centres.Centre",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("centre"),
        help_text=_("Empty: every centre's counsellors."),
    )
    shortcut = models.SlugField(_("shortcut"), max_length=30, help_text=_("Typed as /shortcut in the console."))
    language = models.CharField(_("language"), max_length=8, choices=settings.CONTACT_LANGUAGES)
    title = models.CharField(_("title"), max_length=80)
    text = models.TextField(_("text"), max_length=2000)

    class Meta:
        ordering = ["shortcut", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["shortcut", "language"], condition=models.Q(centre__isnull=True), name="one_shared_canned"
            ),
            models.UniqueConstraint(
                fields=["centre", "shortcut", "language"],
                condition=models.Q(centre__isnull=False),
                name="one_canned_per_centre",
            ),
        ]
        verbose_name = _("canned response")
        verbose_name_plural = _("canned responses")

    def __str__(self) -> str:
        return f"/{self.shortcut} ({self.language})"


class Intake(models.Model):
    """Whether new contacts are taken, per channel, and how long the queue may grow.

    One row per centre (by its live address, "" the default centre; a centre without a
    row takes contacts). Supervisors change it from their dashboard; it is
    configuration, kept in the database so that a restart does not silently reopen a
    paused intake.
    """

    centre = models.CharField(
        _("centre"), max_length=40, blank=True, default="", unique=True, help_text=_("Empty: the default centre.")
    )
    chat_paused = models.BooleanField(_("chat intake paused"), default=False)
    phone_paused = models.BooleanField(_("phone intake paused"), default=False)
    max_queue = models.PositiveIntegerField(
        _("longest queue"), default=0, help_text=_("New contacts get the busy message beyond this. 0: no limit.")
    )

    class Meta:
        verbose_name = _("intake")
        verbose_name_plural = _("intake")

    def __str__(self) -> str:
        return str(_("Intake"))

    @classmethod
    def current(cls, centre: str = "") -> Intake:
        row, _created = cls.objects.get_or_create(centre=centre)
        return row

    @classmethod
    def by_centre(cls) -> dict[str, Intake]:
        """Every centre's row in one query: deciding where a contact may go reads them all."""
        return {row.centre: row for row in cls.objects.all()}

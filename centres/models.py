"""Resource centres on one installation, their ways in (lines) and where a contact goes
when a centre cannot answer (overflow rules). Configuration only: nothing here describes
a contact (docs/privacy.md).

A **centre** is an organisation with its own counsellors, look and statistics (Nexus
Uppsala, Una Norrbotten). A **line** is one way in to a centre: its web page
(``/<slug>/``; the default centre's is also ``/``) or a Twilio number, each with its own
opening hours and closing-time rule. An **overflow rule** says where a line's contacts
go when it is closed, full or nobody answered in time (routing/overflow.py decides).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from centres.look import DEFAULT_COLOUR
from routing import overflow

COLOUR = RegexValidator(r"^#[0-9a-fA-F]{6}$", _("A colour as #rrggbb."))
# A Twilio number as Twilio sends it in "To": E.164. Our own number, never a caller's.
E164 = RegexValidator(r"^\+[1-9][0-9]{6,14}$", _("A number in international form, such as +4618123456."))
DIGITS = RegexValidator(r"^\+?[0-9]{3,15}$", _("Digits only, with an optional leading +."))


# The service's own first path segments: a centre's page cannot be any of them.
RESERVED_SLUGS = frozenset(
    {"admin", "accounts", "api", "chat", "console", "health", "i18n", "login", "logout", "metrics", "phone"}
    | {"static", "stats", "supervisor", "ws"}
)


def language_codes() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


class Centre(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(
        _("address"), max_length=40, unique=True, help_text=_("The web page is /<address>/, e.g. /uppsala/.")
    )
    default = models.BooleanField(
        _("default centre"), default=False, help_text=_("Its page is also the front page, /. Exactly one centre.")
    )
    languages = models.JSONField(
        _("languages offered"), default=list, blank=True, help_text=_("Language codes; empty: all of the service's.")
    )
    colour = models.CharField(
        _("main colour"),
        max_length=7,
        default=DEFAULT_COLOUR,
        validators=[COLOUR],
        help_text=_("Buttons and links on the centre's page. Text on it is made dark or white, whichever reads."),
    )
    logo = models.CharField(
        _("logo"),
        max_length=200,
        blank=True,
        help_text=_(
            "A file of the service's static files, e.g. frontend/logos/uppsala.svg (SVG, PNG or WebP). "
            "Shown beside the centre's name."
        ),
    )
    pseudonyms_unique = models.BooleanField(
        _("pseudonyms unique in the centre"),
        default=True,
        help_text=_("Two counsellors of this centre may not work under the same name."),
    )
    tell_on_transfer = models.BooleanField(
        _("tell the visitor on transfer"),
        default=True,
        help_text=_(
            "The visitor is told the colleague's name when one takes over; if not, only that a colleague does."
        ),
    )
    block_minutes = models.PositiveIntegerField(
        _("block length (minutes)"),
        default=0,
        help_text=_(
            "How long a connection a counsellor here blocks stays turned away. 0: the service's BLOCK_SECONDS."
        ),
    )
    BREATHERS = [
        ("none", _("none: the next offer may come at once")),
        ("ready", _("until the counsellor says they are ready")),
        ("minutes", _("a pause of some minutes")),
    ]
    breather = models.CharField(
        _("breather after a conversation"),
        max_length=7,
        choices=BREATHERS,
        default="none",
        help_text=_("After a conversation ends, no new offer to its counsellor for a while."),
    )
    breather_minutes = models.PositiveSmallIntegerField(_("breather (minutes)"), default=3)
    channels_apart = models.BooleanField(
        _("calls and chats apart"),
        default=True,
        help_text=_(
            "A counsellor in a call of this centre is offered no chat, and a call of this centre goes only to "
            "a counsellor with no conversation. Off: a counsellor may have a call and chats at once "
            "(never two calls)."
        ),
    )

    class Meta:
        ordering = ["-default", "name"]
        verbose_name = _("centre")
        verbose_name_plural = _("centres")
        constraints = [
            models.UniqueConstraint(fields=["default"], condition=models.Q(default=True), name="one_default_centre")
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.slug in RESERVED_SLUGS:
            raise ValidationError({"slug": _("This address is taken by a page of the service.")})
        unknown = [code for code in self.languages or [] if code not in language_codes()]
        if unknown:
            raise ValidationError({"languages": _("Unknown language codes: %s") % ", ".join(unknown)})
        if self.logo:
            from django.contrib.staticfiles import finders

            from centres.directory import LOGO_PATH

            if not LOGO_PATH.match(self.logo) or ".." in self.logo or not finders.find(self.logo):
                raise ValidationError({"logo": _("No such image among the service's static files.")})


class Line(models.Model):
    KINDS = [("web", _("Web chat")), ("phone", _("Phone number"))]

    centre = models.ForeignKey(Centre, on_delete=models.CASCADE, related_name="lines", verbose_name=_("centre"))
    kind = models.CharField(_("kind"), max_length=5, choices=KINDS, default="web")
    name = models.CharField(_("name"), max_length=100, help_text=_("For staff, e.g. 'Chat' or 'Stödlinjen'."))
    number = models.CharField(
        _("Twilio number"),
        max_length=16,
        blank=True,
        validators=[E164],
        help_text=_("Phone lines: the dialled number; calls are routed to this line by it."),
    )
    closing_minutes = models.PositiveSmallIntegerField(
        _("stop new contacts before closing (minutes)"),
        default=0,
        help_text=_("New contacts are not taken this many minutes before closing; those waiting are told."),
    )

    class Meta:
        ordering = ["centre", "kind", "name"]
        verbose_name = _("line")
        verbose_name_plural = _("lines")
        constraints = [
            models.UniqueConstraint(fields=["number"], condition=~models.Q(number=""), name="one_line_per_number"),
            models.UniqueConstraint(fields=["centre"], condition=models.Q(kind="web"), name="one_web_line_per_centre"),
        ]

    def __str__(self) -> str:
        return f"{self.centre.name}: {self.name}"

    def clean(self) -> None:
        if self.kind == "phone" and not self.number:
            raise ValidationError({"number": _("A phone line needs the number callers dial.")})
        if self.kind == "web" and self.number:
            raise ValidationError({"number": _("A web line has no number.")})


class OverflowRule(models.Model):
    CONDITIONS = [
        ("closed", _("the line is closed")),
        ("full", _("the queue is full")),
        ("unanswered", _("nobody answered in time")),
    ]
    ACTIONS = [
        ("centre", _("to a partner centre's queue")),
        ("forward", _("forward the call to a number")),
        ("link", _("show a link to another service (chat)")),
    ]

    line = models.ForeignKey(Line, on_delete=models.CASCADE, related_name="overflow", verbose_name=_("line"))
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    condition = models.CharField(_("when"), max_length=10, choices=CONDITIONS)
    after_seconds = models.PositiveIntegerField(
        _("after (seconds)"), default=0, help_text=_("For 'nobody answered': how long a contact waits first.")
    )
    action = models.CharField(_("then"), max_length=7, choices=ACTIONS)
    centre = models.ForeignKey(
        Centre,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("partner centre"),
    )
    number = models.CharField(_("forward to"), max_length=16, blank=True, validators=[DIGITS])
    url = models.URLField(_("link"), blank=True)
    service_name = models.CharField(
        _("service name"),
        max_length=100,
        blank=True,
        help_text=_("What the visitor is told will answer, e.g. 'Rätt att välja'. Default: the centre's name."),
    )

    class Meta:
        ordering = ["line", "order", "id"]
        verbose_name = _("overflow rule")
        verbose_name_plural = _("overflow rules")

    def __str__(self) -> str:
        return f"{self.line}: {self.get_condition_display()} → {self.get_action_display()}"

    def rule(self) -> overflow.Rule:
        """The pure rule routing/overflow.py decides with."""
        return overflow.Rule(
            condition=self.condition,  # type: ignore[arg-type]
            action=self.action,  # type: ignore[arg-type]
            after_seconds=self.after_seconds,
            centre=self.centre.slug if self.centre is not None else "",
            number=self.number,
            url=self.url,
            name=self.service_name or (self.centre.name if self.centre is not None else ""),
        )

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        if self.action == "centre" and self.centre is None:
            errors["centre"] = _("Choose the partner centre.")
        if self.action == "forward" and not self.number:
            errors["number"] = _("Give the number to forward to.")
        if self.action == "link" and not self.url:
            errors["url"] = _("Give the link.")
        if self.action == "forward" and self.line_id and self.line.kind != "phone":
            errors["action"] = _("Only a call can be forwarded to a number.")
        if self.action == "link" and self.line_id and self.line.kind != "web":
            errors["action"] = _("Only a chat can be shown a link.")
        if self.condition == "unanswered" and not self.after_seconds:
            errors["after_seconds"] = _("Say how long a contact waits before it moves on.")
        if self.action == "centre" and self.centre is not None and self.line_id:
            if self.centre.pk == self.line.centre_id:
                errors["centre"] = _("A centre cannot hand over to itself.")
            else:
                cycle = hand_over_cycle(extra=(self.line.centre.slug, self.centre.slug), excluding=self.pk)
                if cycle:
                    errors["centre"] = _("This would send contacts round in a circle: %s") % " → ".join(cycle)
        if errors:
            raise ValidationError(errors)


def hand_over_graph(excluding: int | None = None) -> dict[str, set[str]]:
    """centre slug -> the centres its lines' rules hand over to."""
    edges: dict[str, set[str]] = {c.slug: set() for c in Centre.objects.all()}
    rules = OverflowRule.objects.filter(action="centre", centre__isnull=False).select_related("line__centre", "centre")
    for rule in rules:
        if rule.pk != excluding and rule.centre is not None:
            edges.setdefault(rule.line.centre.slug, set()).add(rule.centre.slug)
    return edges


def hand_over_cycle(extra: tuple[str, str] | None = None, excluding: int | None = None) -> list[str] | None:
    """The cycle the saved rules (plus ``extra``, a rule about to be saved) would make."""
    edges = hand_over_graph(excluding)
    if extra is not None:
        edges.setdefault(extra[0], set()).add(extra[1])
    return overflow.find_cycle(edges)

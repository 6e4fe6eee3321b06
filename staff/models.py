"""The staff app's tables: the counsellor profile (what routing needs to know about a
staff member, and the pseudonym visitors see) and the one-time enrolment code.

Both tables keep the names they had when the models lived in routing/ and frontend/
(``Meta.db_table``), so an existing installation upgrades in place: the move is recorded
by state-only migrations (staff/migrations/0001_initial.py) and no row is copied."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

SKILL_CHOICES = [
    ("nurse", _("Nurse/midwife")),
    ("police", _("Police")),
    ("professional", _("Professional consultation")),
]


def _valid_codes(value: object, allowed: set[str]) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) and v in allowed for v in value)


def validate_languages(value: object) -> None:
    if not _valid_codes(value, {code for code, _ in settings.CONTACT_LANGUAGES}):
        raise ValidationError(_("Choose languages from the list."))


def validate_skills(value: object) -> None:
    if not _valid_codes(value, {code for code, _ in SKILL_CHOICES}):
        raise ValidationError(_("Choose skills from the list."))


def default_languages() -> list[str]:
    return ["sv"]


# A name shown to visitors: no control characters (the live store separates names with
# one, routing/store/redis/codec.py, and a visitor's page has no use for them).
NO_CONTROL = RegexValidator(r"^[^\x00-\x1f\x7f]*$", _("No control characters."))


class CounsellorProfile(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="counsellor")
    display_name = models.CharField(
        _("name shown to visitors"),
        max_length=40,
        help_text=_("A first name or a pseudonym. Visitors never see the account name."),
    )
    languages = models.JSONField(_("languages"), default=default_languages, validators=[validate_languages])
    skills = models.JSONField(_("skills"), default=list, blank=True, validators=[validate_skills])
    takes_calls = models.BooleanField(
        _("takes phone calls"), default=False, help_text=_("Phone contacts are offered only to counsellors who do.")
    )
    work_phone = models.CharField(
        _("work phone"),
        max_length=20,
        blank=True,
        validators=[RegexValidator(r"^\+[1-9]\d{6,14}$", _("A number in international form, e.g. +4618123456."))],
        help_text=_("Calls are connected to this number. Callers never see it, and it never sees theirs."),
    )
    max_chats = models.PositiveSmallIntegerField(
        _("chats at the same time"), default=2, help_text=_("How many conversations at once, 1–6.")
    )

    class Meta:
        db_table = "routing_counsellorprofile"  # the table made when routing/ owned the model
        verbose_name = _("counsellor profile")
        verbose_name_plural = _("counsellor profiles")

    def __str__(self) -> str:
        return self.display_name

    def clean(self) -> None:
        if not 1 <= self.max_chats <= 6:
            raise ValidationError({"max_chats": _("Between 1 and 6.")})
        if self.takes_calls and not self.work_phone:
            raise ValidationError({"work_phone": _("Needed to take phone calls.")})


class EnrolmentCode(models.Model):
    """A one-time code an administrator hands a staff member for setting up their
    authenticator (staff/enrolment.py). Only a keyed hash of it is stored; it is
    deleted when used, and useless after ``expires``."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrolment_code")
    digest = models.CharField(max_length=64)
    expires = models.DateTimeField()

    class Meta:
        db_table = "frontend_enrolmentcode"  # the table made when frontend/ owned the model

    def __str__(self) -> str:
        return f"enrolment code for user {self.user_id}"


class Membership(models.Model):
    """A counsellor works for a centre (centres/models.py). Someone with no membership
    works for the default centre, as every counsellor did before there were centres;
    someone with two works both queues from one console."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    centre = models.ForeignKey("centres.Centre", on_delete=models.CASCADE, related_name="members")
    pseudonym = models.CharField(
        _("name at this centre"),
        max_length=40,
        blank=True,
        validators=[NO_CONTROL],
        help_text=_("The name this centre's visitors see. Empty: the name shown to visitors in the profile."),
    )
    ROLES = [
        ("", _("the account's roles")),
        ("counsellor", _("counsellor here")),
        ("supervisor", _("supervisor here")),
    ]
    role = models.CharField(
        _("role at this centre"),
        max_length=10,
        choices=ROLES,
        blank=True,
        default="",
        help_text=_(
            "Empty: every role the account has. A counsellor here takes this centre's contacts but does not "
            "supervise it; a supervisor here supervises it but takes none of its contacts."
        ),
    )
    # Where someone works for two centres, each may use them differently: Arabic at one,
    # only Swedish at the other; the police consultations at one; a few chats of one
    # centre beside a full load of the other's.
    languages = models.JSONField(
        _("languages at this centre"),
        default=list,
        blank=True,
        validators=[validate_languages],
        help_text=_("The languages this centre's contacts are offered in. None chosen: the profile's."),
    )
    skills = models.JSONField(
        _("skills at this centre"),
        default=list,
        blank=True,
        validators=[validate_skills],
        help_text=_("None chosen: the profile's."),
    )
    max_chats = models.PositiveSmallIntegerField(
        _("conversations of this centre at once"),
        default=0,
        help_text=_("0: up to the profile's number. The profile's number is always the limit in all."),
    )

    class Meta:
        verbose_name = _("centre membership")
        verbose_name_plural = _("centre memberships")
        constraints = [models.UniqueConstraint(fields=["user", "centre"], name="one_membership_per_centre")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.centre}"

    def shown_name(self) -> str:
        profile = getattr(self.user, "counsellor", None)
        return self.pseudonym or (profile.display_name if profile is not None else "")

    def clean(self) -> None:
        if self.max_chats > 6:
            raise ValidationError({"max_chats": _("Between 0 and 6.")})
        # A centre that wants its counsellors told apart refuses a second "Sara".
        if not self.centre_id or not self.user_id or not self.centre.pseudonyms_unique:
            return
        name = self.shown_name().strip().casefold()
        if not name:
            return
        others = Membership.objects.filter(centre_id=self.centre_id).exclude(user_id=self.user_id)
        if any(m.shown_name().strip().casefold() == name for m in others.select_related("user__counsellor")):
            raise ValidationError({"pseudonym": _("Someone at this centre already works under this name.")})

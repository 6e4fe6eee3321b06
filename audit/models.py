"""The staff audit log: who did what to the service, and when. Never about a visitor.

Each row names a staff member, an action from a closed vocabulary and, for some, one
value from a closed vocabulary (a duty state, a channel, a group), the staff member
the action was done to and, for an action taken in one centre (intake, queue limit, a
block, clearing abandoned contacts), that centre: a supervisor reads their own
centres' rows. There is no field that could hold a contact id, a message, an
address, a number or any text a visitor wrote: what is never written cannot leak.
Rows older than AUDIT_RETENTION_DAYS are deleted (``prune``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

ACTIONS = [
    ("login", _("Logged in")),
    ("logout", _("Logged out")),
    ("duty", _("Changed duty state")),
    ("off_duty", _("Set a colleague off duty")),
    ("intake_paused", _("Paused intake")),
    ("intake_resumed", _("Resumed intake")),
    ("queue_limit", _("Changed the queue limit")),
    ("block_set", _("Blocked a connection")),
    ("block_lifted", _("Lifted a block")),
    ("abandoned_cleared", _("Cleared abandoned contacts")),
    ("role_added", _("Was given a role")),
    ("role_removed", _("Lost a role")),
    ("export", _("Exported statistics")),
]
# The only values ``detail`` may take: duty states, channels, roles, export formats.
DETAILS = frozenset({"", "available", "break", "off", "chat", "phone", "counsellor", "supervisor", "csv", "api"})


class AuditEvent(models.Model):
    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("who")
    )
    # The name at the time, so the log still reads after an account is removed.
    actor_name = models.CharField(_("who"), max_length=150, blank=True)
    action = models.CharField(_("what"), max_length=30, choices=ACTIONS)
    detail = models.CharField(_("detail"), max_length=20, blank=True)
    subject_name = models.CharField(_("to whom"), max_length=150, blank=True)
    # The centre the action was taken in; none for what concerns a person (log-in, duty,
    # roles). A deleted centre leaves its rows, about no centre, until they expire.
    centre = models.ForeignKey(
        "centres.Centre",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("centre"),
    )

    class Meta:
        ordering = ["-at"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit log")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.detail}".strip()

from __future__ import annotations

from django.conf import settings
from django.db import models


class EnrolmentCode(models.Model):
    """A one-time code an administrator hands a staff member for setting up their
    authenticator (frontend/enrolment.py). Only a keyed hash of it is stored; it is
    deleted when used, and useless after ``expires``."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrolment_code")
    digest = models.CharField(max_length=64)
    expires = models.DateTimeField()

    def __str__(self) -> str:
        return f"enrolment code for user {self.user_id}"

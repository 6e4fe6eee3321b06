from __future__ import annotations

import secrets
from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest
from django.utils.translation import gettext as _

from stats.models import PartnerToken
from stats.reports import token_hash


@admin.register(PartnerToken)
class PartnerTokenAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["name", "active"]
    fields = ["name", "active"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change:
            token = secrets.token_urlsafe(32)
            obj.token_hash = token_hash(token)
            # Shown once: only the hash is kept.
            messages.warning(
                request, _("The token for %(name)s, shown only now: %(token)s") % {"name": obj.name, "token": token}
            )
        super().save_model(request, obj, form, change)

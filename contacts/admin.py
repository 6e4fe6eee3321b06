from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from contacts.models import (
    CannedResponse,
    EmergencyNumber,
    EmergencyNumberLabel,
    OpeningException,
    OpeningHours,
    ServiceText,
)
from staff.scope import CentreScoped


class LineScoped(CentreScoped):
    # A row without a line is the default centre's web chat's (contacts/hours.py).
    centre_path = "line__centre_id"
    null_path = "line"
    null_means = "default"


class CentreOrShared(CentreScoped):
    # A row without a centre is every centre's: read by a centre's supervisor, changed by a superuser.
    centre_path = "centre_id"
    null_path = "centre"
    null_means = "shared"


@admin.register(OpeningHours)
class OpeningHoursAdmin(LineScoped, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["__str__", "line", "weekday", "opens", "closes"]
    list_editable = ["weekday", "opens", "closes"]
    list_display_links = ["__str__"]


@admin.register(OpeningException)
class OpeningExceptionAdmin(LineScoped, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["date", "line", "closed", "opens", "closes", "note"]


class LabelInline(admin.TabularInline):  # type: ignore[type-arg]
    model = EmergencyNumberLabel
    extra = 0


@admin.register(EmergencyNumber)
class EmergencyNumberAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """The numbers every centre shows (112, Kvinnofridslinjen, BRIS): one list for the
    installation, changed by a superuser; a centre's supervisor reads it."""

    list_display = ["number", "dial", "url", "sort_order", "active"]
    list_editable = ["sort_order", "active"]
    inlines = [LabelInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_superuser)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser)


@admin.register(ServiceText)
class ServiceTextAdmin(CentreOrShared, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["key", "language", "centre", "text"]
    list_filter = ["key", "language"]


@admin.register(CannedResponse)
class CannedResponseAdmin(CentreOrShared, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["shortcut", "language", "centre", "title"]
    list_filter = ["language"]
    search_fields = ["shortcut", "title"]

from __future__ import annotations

from django.contrib import admin

from contacts.models import (
    CannedResponse,
    EmergencyNumber,
    EmergencyNumberLabel,
    OpeningException,
    OpeningHours,
    ServiceText,
)


@admin.register(OpeningHours)
class OpeningHoursAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["__str__", "weekday", "opens", "closes"]
    list_editable = ["weekday", "opens", "closes"]
    list_display_links = ["__str__"]


@admin.register(OpeningException)
class OpeningExceptionAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["date", "closed", "opens", "closes", "note"]


class LabelInline(admin.TabularInline):  # type: ignore[type-arg]
    model = EmergencyNumberLabel
    extra = 0


@admin.register(EmergencyNumber)
class EmergencyNumberAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["number", "dial", "url", "sort_order", "active"]
    list_editable = ["sort_order", "active"]
    inlines = [LabelInline]


@admin.register(ServiceText)
class ServiceTextAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["key", "language", "text"]


@admin.register(CannedResponse)
class CannedResponseAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["shortcut", "language", "title"]
    list_filter = ["language"]
    search_fields = ["shortcut", "title"]

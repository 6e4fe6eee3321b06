from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from centres.holidays import prefill
from centres.models import Centre, Line, OverflowRule
from contacts.models import OpeningException, OpeningHours


class LineInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Line
    extra = 0
    fields = ["kind", "name", "number", "closing_minutes"]
    show_change_link = True


@admin.register(Centre)
class CentreAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["name", "slug", "default"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [LineInline]


class HoursInline(admin.TabularInline):  # type: ignore[type-arg]
    model = OpeningHours
    extra = 0


class ExceptionInline(admin.TabularInline):  # type: ignore[type-arg]
    model = OpeningException
    extra = 0


class OverflowInline(admin.TabularInline):  # type: ignore[type-arg]
    model = OverflowRule
    fk_name = "line"
    extra = 0
    fields = ["order", "condition", "after_seconds", "action", "centre", "number", "url", "service_name"]


@admin.action(description=_("Add Swedish public holidays (this year and next) as closed days"))
def add_holidays(modeladmin: Any, request: HttpRequest, queryset: QuerySet[Line]) -> None:
    year = timezone.localdate().year
    added = sum(prefill(line.pk, [year, year + 1]) for line in queryset)
    modeladmin.message_user(
        request, ngettext("%d closed day added.", "%d closed days added.", added) % added, messages.SUCCESS
    )


@admin.register(Line)
class LineAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["__str__", "kind", "number", "closing_minutes"]
    list_filter = ["centre", "kind"]
    inlines = [HoursInline, ExceptionInline, OverflowInline]
    actions = [add_holidays]

    def save_model(self, request: HttpRequest, obj: Line, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if not change:
            # A new line starts with the holidays closed; the centre deletes what it keeps open.
            year = timezone.localdate().year
            prefill(obj.pk, [year, year + 1])

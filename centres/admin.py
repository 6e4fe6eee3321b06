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
from staff.scope import CentreScoped, admin_centres


class LineInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Line
    extra = 0
    fields = ["kind", "name", "number", "closing_minutes"]
    show_change_link = True


@admin.register(Centre)
class CentreAdmin(CentreScoped, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["name", "slug", "default"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [LineInline]
    centre_path = "pk"

    # A centre's supervisor words and colours their own centre; which centres exist,
    # which is the front page and the address live state names it by are a superuser's.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_superuser) and super().has_add_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Centre | None = None) -> bool:
        return bool(request.user.is_superuser) and super().has_delete_permission(request, obj)

    def get_readonly_fields(self, request: HttpRequest, obj: Centre | None = None) -> Any:
        if admin_centres(request.user) is None:
            return super().get_readonly_fields(request, obj)
        return ["slug", "default"]

    def get_prepopulated_fields(self, request: HttpRequest, obj: Centre | None = None) -> dict[str, Any]:
        return super().get_prepopulated_fields(request, obj) if admin_centres(request.user) is None else {}


class HoursInline(admin.TabularInline):  # type: ignore[type-arg]
    model = OpeningHours
    extra = 0


class ExceptionInline(admin.TabularInline):  # type: ignore[type-arg]
    model = OpeningException
    extra = 0


OVERFLOW_FIELDS = ("order", "condition", "after_seconds", "action", "centre", "number", "url", "service_name")


class OverflowInline(admin.TabularInline):  # type: ignore[type-arg]
    # The partner centre may be any centre: handing over to another is what overflow is for.
    model = OverflowRule
    fk_name = "line"
    extra = 0
    fields = OVERFLOW_FIELDS


@admin.action(description=_("Add Swedish public holidays (this year and next) as closed days"))
def add_holidays(modeladmin: Any, request: HttpRequest, queryset: QuerySet[Line]) -> None:
    year = timezone.localdate().year
    added = sum(prefill(line.pk, [year, year + 1]) for line in queryset)
    modeladmin.message_user(
        request, ngettext("%d closed day added.", "%d closed days added.", added) % added, messages.SUCCESS
    )


@admin.register(Line)
class LineAdmin(CentreScoped, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["__str__", "kind", "number", "closing_minutes"]
    # Only the centres in the list: a centre's supervisor is not shown the others.
    list_filter = [("centre", admin.RelatedOnlyFieldListFilter), "kind"]
    inlines = [HoursInline, ExceptionInline, OverflowInline]
    actions = [add_holidays]

    def save_model(self, request: HttpRequest, obj: Line, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if not change:
            # A new line starts with the holidays closed; the centre deletes what it keeps open.
            year = timezone.localdate().year
            prefill(obj.pk, [year, year + 1])


@admin.register(OverflowRule)
class OverflowRuleAdmin(CentreScoped, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["__str__", "order", "condition", "action", "centre"]
    fields = ("line", *OVERFLOW_FIELDS)
    centre_path = "line__centre_id"
    own_choices = ("line",)  # the partner centre: any

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db.models import Field
from django.utils.text import capfirst

from staff.enrolment import reset_second_factor_action
from staff.models import SKILL_CHOICES, CounsellorProfile, Membership


class CounsellorProfileForm(forms.ModelForm):  # type: ignore[type-arg]
    languages = forms.MultipleChoiceField(
        choices=settings.CONTACT_LANGUAGES, widget=forms.CheckboxSelectMultiple, required=True
    )
    skills = forms.MultipleChoiceField(choices=SKILL_CHOICES, widget=forms.CheckboxSelectMultiple, required=False)

    class Meta:
        model = CounsellorProfile
        fields = ["display_name", "languages", "skills", "max_chats", "takes_calls", "work_phone"]


class CounsellorProfileInline(admin.StackedInline):  # type: ignore[type-arg]
    model = CounsellorProfile
    form = CounsellorProfileForm
    can_delete = False
    extra = 0


def _as_on_the_model(field: str) -> dict[str, Any]:
    # A form field declared here would otherwise show "Languages" with no help, where
    # the profile's own languages are beside it on the same page.
    model_field = Membership._meta.get_field(field)
    assert isinstance(model_field, Field)
    return {"label": capfirst(model_field.verbose_name), "help_text": model_field.help_text}


class MembershipForm(forms.ModelForm):  # type: ignore[type-arg]
    languages = forms.MultipleChoiceField(
        choices=settings.CONTACT_LANGUAGES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        **_as_on_the_model("languages"),
    )
    skills = forms.MultipleChoiceField(
        choices=SKILL_CHOICES, widget=forms.CheckboxSelectMultiple, required=False, **_as_on_the_model("skills")
    )

    class Meta:
        model = Membership
        fields = ["centre", "role", "pseudonym", "languages", "skills", "max_chats"]


class MembershipInline(admin.StackedInline):  # type: ignore[type-arg]
    model = Membership
    form = MembershipForm
    extra = 0
    fields = ["centre", "role", "pseudonym", "languages", "skills", "max_chats"]


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class StaffAdmin(UserAdmin):  # type: ignore[type-arg]
    inlines = [CounsellorProfileInline, MembershipInline]
    list_display = ["username", "display_name", "is_active", "is_staff"]
    actions = [reset_second_factor_action]

    @admin.display(description="Visible name")
    def display_name(self, obj: Any) -> str:
        profile = getattr(obj, "counsellor", None)
        return profile.display_name if profile else "–"
